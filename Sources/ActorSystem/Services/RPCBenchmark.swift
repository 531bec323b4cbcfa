#if canImport(Glibc)
import Glibc
#endif

/// Measurement loops for `brigade bench rpc`: round-trip latencies of sequential calls and of many concurrent
/// callers. The calls themselves are closures, so the same loops time raw sockets and actor calls alike.
public enum RPCBenchmark {
    /// Percentiles of a set of round trips.
    public struct Summary: Sendable {
        /// Number of samples.
        public var count: Int
        /// Median round trip.
        public var p50Microseconds: Double
        /// 99th percentile.
        public var p99Microseconds: Double
        /// Mean.
        public var meanMicroseconds: Double

        /// Summarises round trips given in nanoseconds.
        public init(nanoseconds samples: [UInt64]) {
            let sorted = samples.sorted()
            count = sorted.count
            func percentile(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
            }
            p50Microseconds = percentile(0.50)
            p99Microseconds = percentile(0.99)
            meanMicroseconds = sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count) / 1000
        }
    }

    /// The monotonic clock in nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Runs `warmup` untimed calls, then `calls` timed ones, one after the other; returns each round trip in ns.
    public static func sequential(calls: Int, warmup: Int, _ call: () async throws -> Void) async throws -> [UInt64] {
        for _ in 0..<warmup { try await call() }
        var samples = [UInt64]()
        samples.reserveCapacity(calls)
        for _ in 0..<calls {
            let start = now()
            try await call()
            samples.append(now() - start)
        }
        return samples
    }

    /// Runs `callers` tasks that each make `callsPerCaller` calls back to back; returns every round trip (ns) and
    /// the wall-clock seconds from the first call to the last reply.
    public static func concurrent(
        callers: Int, callsPerCaller: Int, _ call: @escaping @Sendable () async throws -> Void
    ) async throws -> (samples: [UInt64], seconds: Double) {
        let start = now()
        let samples = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var samples = [UInt64]()
                    samples.reserveCapacity(callsPerCaller)
                    for _ in 0..<callsPerCaller {
                        let begin = now()
                        try await call()
                        samples.append(now() - begin)
                    }
                    return samples
                }
            }
            var all = [UInt64]()
            for try await part in group { all += part }
            return all
        }
        return (samples, Double(now() - start) / 1e9)
    }
}
