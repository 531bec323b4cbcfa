import Prometheus

/// The metrics the HTTP layer records, in one Prometheus registry.
///
/// Names (all under `brigade_`): `http_requests_total{endpoint,method,status}`,
/// `http_request_duration_seconds{endpoint}`, `time_to_first_token_seconds{model}`,
/// `inter_token_latency_seconds{model}`, `generated_tokens_total{model}`, `prompt_tokens_total{model}`,
/// `generation_queue_depth` (generations waiting for their first token) and `generations_in_flight`.
/// Labels only take bounded values: route patterns, status codes and served model names.
final class APIMetrics: Sendable {
    /// The registry `/metrics` renders.
    let registry: PrometheusCollectorRegistry
    /// Generations started whose first token has not arrived yet.
    let queueDepth: Gauge
    /// Generations started and not yet ended.
    let inFlight: Gauge

    // Descriptors are computed: swift-prometheus's MetricNameDescriptor is not Sendable, so it cannot be a static let.
    private static var requests: MetricNameDescriptor {
        name("http", "requests", "total", "HTTP requests answered, by route, method and status.")
    }
    private static var requestDuration: MetricNameDescriptor {
        name(
            "http", "request_duration", "seconds",
            "Time to the response head (for streams, to the first byte), by route.")
    }
    private static var ttft: MetricNameDescriptor {
        name(nil, "time_to_first_token", "seconds", "Time from a generation request's arrival to its first token.")
    }
    private static var itl: MetricNameDescriptor {
        name(nil, "inter_token_latency", "seconds", "Time between consecutive generated tokens of one request.")
    }
    private static var generated: MetricNameDescriptor {
        name(nil, "generated_tokens", "total", "Tokens generated, by model.")
    }
    private static var prompt: MetricNameDescriptor {
        name(nil, "prompt_tokens", "total", "Prompt tokens submitted for generation, by model.")
    }
    private static var queue: MetricNameDescriptor {
        name("generation", "queue_depth", "", "Generations waiting for their first token.")
    }
    private static var active: MetricNameDescriptor {
        name(nil, "generations_in_flight", "", "Generations started and not yet finished.")
    }

    private static func name(_ subsystem: String?, _ metric: String, _ unit: String, _ help: String)
        -> MetricNameDescriptor
    {
        MetricNameDescriptor(
            namespace: "brigade", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    /// Bucket bounds for time to first token: 5 ms to 60 s.
    static let ttftBuckets: [Duration] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000]
        .map { .milliseconds($0) }
    /// Bucket bounds for inter-token latency: 1 ms to 5 s.
    static let itlBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { .milliseconds($0) }
    /// Bucket bounds for request durations: 1 ms to 60 s.
    static let requestBuckets: [Duration] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 60_000]
        .map { .milliseconds($0) }

    /// Registers the unlabelled metrics in `registry`.
    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        queueDepth = registry.makeGauge(descriptor: Self.queue)
        inFlight = registry.makeGauge(descriptor: Self.active)
    }

    /// Counts one answered request and records how long its head took.
    func recordRequest(endpoint: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.requests, labels: [("endpoint", endpoint), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.requestDuration, labels: [("endpoint", endpoint)], buckets: Self.requestBuckets
        ).record(duration)
    }

    /// The per-model metrics one generation records into.
    func generation(model: String) -> GenerationMetrics {
        let labels = [("model", model)]
        return GenerationMetrics(
            ttft: registry.makeDurationHistogram(descriptor: Self.ttft, labels: labels, buckets: Self.ttftBuckets),
            itl: registry.makeDurationHistogram(descriptor: Self.itl, labels: labels, buckets: Self.itlBuckets),
            generated: registry.makeCounter(descriptor: Self.generated, labels: labels),
            prompt: registry.makeCounter(descriptor: Self.prompt, labels: labels),
            queueDepth: queueDepth,
            inFlight: inFlight)
    }
}

/// The metrics of one model, as one generation records them.
struct GenerationMetrics: Sendable {
    let ttft: DurationHistogram
    let itl: DurationHistogram
    let generated: Counter
    let prompt: Counter
    let queueDepth: Gauge
    let inFlight: Gauge
}
