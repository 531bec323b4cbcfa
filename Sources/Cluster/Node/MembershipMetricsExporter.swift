import Membership
import MembershipShell
import Metrics

/// Publishes a membership shell's counters and gauges through swift-metrics (the coordinator's `/metrics`), once a
/// second until cancelled: members by status, local health, probe outcomes and round-trip time, and the time from
/// first suspicion to each conviction this member made.
enum MembershipMetricsExporter {
    static func run(_ shell: MembershipShell, interval: Duration = .seconds(1)) async {
        var previous: [Int64] = []
        let latency = Timer(label: "brigade_membership_detection_seconds")
        while !Task.isCancelled {
            let metrics = shell.metrics
            for (status, count) in [("alive", metrics.alive), ("suspect", metrics.suspect), ("dead", metrics.dead)] {
                Gauge(label: "brigade_membership_members", dimensions: [("status", status)]).record(count)
            }
            for status in MemberStatus.allCases {
                Gauge(label: "brigade_membership_transitions_total", dimensions: [("to", status.description)])
                    .record(metrics.transitions(to: status))
            }
            Gauge(label: "brigade_membership_local_health").record(metrics.localHealth)
            Gauge(label: "brigade_membership_probes_total", dimensions: [("result", "ok")]).record(metrics.probesSucceeded)
            Gauge(label: "brigade_membership_probes_total", dimensions: [("result", "failed")]).record(metrics.probesFailed)
            if metrics.rttCount > 0 {
                Gauge(label: "brigade_membership_probe_rtt_seconds")
                    .record(Double(metrics.rttTotalNanoseconds) / Double(metrics.rttCount) / 1e9)
            }
            // The shell keeps the last 256 latencies: record those after the longest overlap with the last look.
            let latencies = metrics.convictionLatenciesNanoseconds
            let overlap = (0...min(previous.count, latencies.count)).reversed().first { k in
                previous.suffix(k).elementsEqual(latencies.prefix(k))
            } ?? 0
            for nanoseconds in latencies.dropFirst(overlap) { latency.recordNanoseconds(nanoseconds) }
            previous = latencies
            try? await Task.sleep(for: interval)
        }
    }
}
