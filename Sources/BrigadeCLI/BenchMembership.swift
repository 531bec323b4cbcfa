import ArgumentParser
import Foundation
import MembershipSimulator

/// `brigade bench membership`: failure-detection latency, false convictions and traffic of SWIM + Lifeguard in the
/// deterministic simulator, over many seeds; one JSON line.
struct BenchMembership: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "membership",
        abstract: "Simulate a cluster over many seeds: crash one member, measure detection; prints one JSON object.",
        discussion: """
            Each seed: N members form a cluster over a simulated network (0.2–2 ms delay), one random member crashes \
            at a random time, and the run continues 3 s. detection_ms is crash → convicted by the last live member. \
            false_convictions counts convictions of members that never crashed (with --stall, one other member \
            pauses that long). Traffic is per member per second after the cluster formed. A failing seed is reported \
            as first_failing_seed and replays exactly.
            """
    )

    @Option(help: "Members in the cluster.")
    var nodes = 8

    @Option(help: "Seeds (independent runs).")
    var seeds = 1_000

    @Option(help: "First seed.")
    var firstSeed: UInt64 = 1

    @Option(help: "Probability that a message is lost (0…1).")
    var loss = 0.0

    @Option(help: "Seconds one other member stalls (like SIGSTOP) during each run; 0 for none.")
    var stall = 0.0

    func validate() throws {
        guard nodes >= 2, nodes <= 1_000 else { throw ValidationError("--nodes must be in 2…1000") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard loss >= 0, loss < 1 else { throw ValidationError("--loss must be in [0, 1)") }
        guard stall >= 0, stall <= 60 else { throw ValidationError("--stall must be in 0…60 seconds") }
    }

    func run() throws {
        var options = MembershipBenchmark.Options(nodes: nodes, seeds: seeds)
        options.firstSeed = firstSeed
        options.loss = loss
        options.stall = .milliseconds(Int64(stall * 1000))
        let result = MembershipBenchmark.run(options)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }
}
