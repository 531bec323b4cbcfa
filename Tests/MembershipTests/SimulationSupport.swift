import Membership
import MembershipSimulator

/// Shared scenario builders for the simulator property tests.
enum Scenario {
    /// A cluster of `nodes` that forms, then has `faults` injected, simulated for `seconds` of virtual time.
    static func run(nodes: Int, seed: UInt64, seconds: Double, loss: Double = 0, faults: [Fault] = [],
                    settings: Settings = Settings()) -> SimulationReport {
        var config = SimulationConfig(nodes: nodes, seed: seed, settings: settings,
                                      duration: .milliseconds(Int64(seconds * 1000)))
        config.loss = loss
        config.faults = faults
        return Simulation(config).run()
    }

    /// A deterministic pick in `range` for one seed (so each seed tries a different node and time).
    static func pick(_ seed: UInt64, _ salt: UInt64, in range: Range<Int>) -> Int {
        var rng = SeededRandom(seed: seed &* 0x9E37_79B9 &+ salt)
        return range.lowerBound + rng.below(range.count)
    }
}
