import Metrics
import Prometheus
import Synchronization

/// Makes swift-metrics report into Prometheus, once per process.
///
/// The coordinator calls `bootstrapPrometheus()` at start-up and hands the registry to `APIServer`, so `/metrics`
/// shows the HTTP layer's metrics and every metric the rest of the process records through swift-metrics
/// (`Gauge(label: "brigade_stage_step_seconds", dimensions: [("stage", "0")])`…). Libraries never bootstrap;
/// tests skip this and give `APIServer` a fresh `PrometheusCollectorRegistry`.
public enum MetricsBootstrap {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Bootstraps `MetricsSystem` with a Prometheus factory over a new registry and returns that registry; later
    /// calls return the same registry without bootstrapping again.
    ///
    /// swift-metrics timers become duration histograms; pass bucket bounds for specific timer labels in
    /// `durationBuckets` (others get swift-prometheus's defaults, 5 ms to 10 s).
    public static func bootstrapPrometheus(durationBuckets: [String: [Duration]] = [:]) -> PrometheusCollectorRegistry {
        bootstrapped.withLock { existing in
            if let existing { return existing }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.durationHistogramBuckets = durationBuckets
            MetricsSystem.bootstrap(factory)
            existing = registry
            return registry
        }
    }
}
