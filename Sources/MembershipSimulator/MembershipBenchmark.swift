import Membership

/// Runs many seeded simulations of one scenario — a cluster forms, one member crashes, optionally another stalls —
/// and summarises detection latency, false convictions and traffic. Backs `brigade bench membership`.
public enum MembershipBenchmark {
    public struct Options: Sendable {
        public var nodes: Int
        public var seeds: Int
        public var firstSeed: UInt64 = 1
        public var loss: Double = 0
        /// If non-zero, a member other than the crashed one stalls for this long during the measured window.
        public var stall: Duration = .zero
        public var settings = Settings()

        public init(nodes: Int, seeds: Int) {
            self.nodes = nodes
            self.seeds = seeds
        }
    }

    /// The numbers of one benchmark run (JSON keys in snake_case).
    public struct Result: Sendable, Codable {
        public var nodes: Int
        public var seeds: Int
        public var loss: Double
        public var stallMs: Double
        /// nil when no crash was detected at all.
        public var detectionMsP50: Double?
        public var detectionMsP99: Double?
        public var detectionMsMax: Double?
        /// Seeds in which some live member never convicted the crashed one.
        public var undetected: Int
        /// Convictions of members that had not crashed (summed over all observers and seeds).
        public var falseConvictions: Int
        /// Seeds with at least one false conviction.
        public var seedsWithFalseConvictions: Int
        public var messagesPerNodePerSecond: Double
        public var bytesPerNodePerSecond: Double
        /// Seeds whose run broke an invariant (should be 0); the first such seed, to replay.
        public var violations: Int
        public var firstFailingSeed: UInt64?

        enum CodingKeys: String, CodingKey {
            case nodes, seeds, loss, undetected, violations
            case stallMs = "stall_ms"
            case detectionMsP50 = "detection_ms_p50"
            case detectionMsP99 = "detection_ms_p99"
            case detectionMsMax = "detection_ms_max"
            case falseConvictions = "false_convictions"
            case seedsWithFalseConvictions = "seeds_with_false_convictions"
            case messagesPerNodePerSecond = "messages_per_node_per_second"
            case bytesPerNodePerSecond = "bytes_per_node_per_second"
            case firstFailingSeed = "first_failing_seed"
        }
    }

    /// How long a cluster of `nodes` is given to form before the crash (it converges in ~0.1 s per 2 members).
    static func formingTime(_ nodes: Int) -> Int64 { 1_000 + Int64(nodes) * 80 }

    public static func run(_ options: Options) -> Result {
        var latencies: [Double] = []
        var undetected = 0, falseConvictions = 0, seedsWithFalse = 0, violations = 0
        var firstFailing: UInt64?
        var messages = 0, bytes = 0
        var memberSeconds = 0.0
        let stallMs = Double(options.stall.nanoseconds) / 1e6
        for offset in 0..<options.seeds {
            let seed = options.firstSeed &+ UInt64(offset)
            var rng = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D)
            let forming = formingTime(options.nodes)
            let crashAt = forming + Int64(rng.below(1_000))
            let crashed = rng.below(options.nodes)
            var config = SimulationConfig(nodes: options.nodes, seed: seed, settings: options.settings,
                                          duration: .milliseconds(crashAt + 3_000))
            config.loss = options.loss
            config.faults = [.crash(node: crashed, at: .milliseconds(crashAt))]
            if options.stall > .zero, options.nodes > 2 {
                let stalled = (crashed + 1 + rng.below(options.nodes - 1)) % options.nodes
                config.faults.append(.pause(node: stalled, at: .milliseconds(forming + Int64(rng.below(1_500))),
                                            length: options.stall))
            }
            let simulation = Simulation(config)
            simulation.measureFrom = .milliseconds(forming)
            let report = simulation.run()
            if let latency = report.detections.first?.latencyNanoseconds {
                latencies.append(Double(latency) / 1e6)
            } else {
                undetected += 1
                firstFailing = firstFailing ?? seed
            }
            falseConvictions += report.falseConvictions
            if report.falseConvictions > 0 { seedsWithFalse += 1 }
            if !report.violations.isEmpty {
                violations += 1
                firstFailing = firstFailing ?? seed
            }
            messages += report.measuredMessages
            bytes += report.measuredBytes
            memberSeconds += report.measuredMemberSeconds
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double? {
            latencies.isEmpty ? nil : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        return Result(
            nodes: options.nodes, seeds: options.seeds, loss: options.loss, stallMs: stallMs,
            detectionMsP50: percentile(0.5), detectionMsP99: percentile(0.99), detectionMsMax: latencies.last,
            undetected: undetected, falseConvictions: falseConvictions, seedsWithFalseConvictions: seedsWithFalse,
            messagesPerNodePerSecond: memberSeconds > 0 ? Double(messages) / memberSeconds : 0,
            bytesPerNodePerSecond: memberSeconds > 0 ? Double(bytes) / memberSeconds : 0,
            violations: violations, firstFailingSeed: firstFailing)
    }
}
