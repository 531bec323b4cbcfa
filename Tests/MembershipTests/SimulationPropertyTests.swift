import Membership
import MembershipSimulator
import Testing

/// Properties of the protocol checked over many seeds of the deterministic simulator. Every failure message starts
/// with the seed; `Scenario.run` with that seed replays the run exactly.
@Suite struct SimulationPropertyTests {
    /// Seeds per sweep (the CI suite runs at least 1,000 per property).
    static let seeds = UInt64(1)...UInt64(1_000)

    /// No member is convicted while every node is reachable and no stall reaches the suspicion minimum — with random
    /// network delay, random stall lengths up to 90 % of the minimum, and stalls landing at any point of a period.
    @Test func noFalseConvictionUnderShortStalls() {
        let minimum = Settings().suspicionMin.components.attoseconds / 1_000_000_000_000_000
            + Settings().suspicionMin.components.seconds * 1000
        var failures: [String] = []
        for seed in Self.seeds {
            let node = Scenario.pick(seed, 1, in: 0..<4)
            let at = Int64(Scenario.pick(seed, 2, in: 800..<1_600))
            let length = Int64(Scenario.pick(seed, 3, in: 50..<Int(minimum * 9 / 10)))
            let second = Int64(Scenario.pick(seed, 4, in: 1_800..<2_400))
            let report = Scenario.run(nodes: 4, seed: seed, seconds: 3.2, faults: [
                .pause(node: node, at: .milliseconds(at), length: .milliseconds(length)),
                .pause(node: (node + 1) % 4, at: .milliseconds(second), length: .milliseconds(length / 2)),
            ])
            if report.falseConvictions > 0 || !report.violations.isEmpty || !report.convergedAtEnd {
                failures.append("\(report.summary) (pause n\(node) at \(at) ms for \(length) ms)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) seeds failed; first: \(failures.prefix(3))")
    }

    /// A crashed member is convicted by every live member within the stated bound (1.5 s), in every seed, with no
    /// false conviction on the way.
    @Test func crashConvictedByEveryoneWithinBound() {
        var failures: [String] = []
        for seed in Self.seeds {
            let node = Scenario.pick(seed, 1, in: 0..<5)
            let at = Int64(Scenario.pick(seed, 2, in: 1_000..<1_400))
            let report = Scenario.run(nodes: 5, seed: seed, seconds: 3.0, faults: [.crash(node: node, at: .milliseconds(at))])
            let latency = report.detections.first?.latencyNanoseconds
            if latency == nil || latency! > 1_500_000_000 || report.falseConvictions > 0 || !report.violations.isEmpty {
                failures.append(report.summary)
            }
        }
        #expect(failures.isEmpty, "\(failures.count) seeds failed; first: \(failures.prefix(3))")
    }

    /// The same bound holds for the unaligned SWIM round-robin only at p99 of small clusters; the aligned schedule
    /// keeps it at 32 members too.
    @Test func crashInThirtyTwoMembersConvictedWithinBound() {
        var failures: [String] = []
        for seed in UInt64(1)...UInt64(20) {
            let report = Scenario.run(nodes: 32, seed: seed, seconds: 5.0, faults: [
                .crash(node: Scenario.pick(seed, 1, in: 0..<32), at: .milliseconds(Int64(Scenario.pick(seed, 2, in: 3_000..<3_500)))),
            ])
            let latency = report.detections.first?.latencyNanoseconds
            if latency == nil || latency! > 1_500_000_000 || report.falseConvictions > 0 { failures.append(report.summary) }
        }
        #expect(failures.isEmpty, "\(failures.count) seeds failed; first: \(failures.prefix(3))")
    }

    /// Incarnations only grow and a convicted life never returns at its incarnation — through stalls past the
    /// suspicion minimum (conviction, then refutation and rejoin), crashes and restarts with new uids.
    @Test func incarnationsOnlyGrow() {
        var failures: [String] = []
        var rejoined = 0
        for seed in Self.seeds {
            let node = Scenario.pick(seed, 1, in: 0..<4)
            let restarted = (node + 1 + Scenario.pick(seed, 2, in: 0..<3)) % 4
            let report = Scenario.run(nodes: 4, seed: seed, seconds: 5.0, faults: [
                .pause(node: node, at: .milliseconds(1_000), length: .milliseconds(Int64(Scenario.pick(seed, 3, in: 1_300..<2_000)))),
                .crash(node: restarted, at: .milliseconds(1_500)),
                .restart(node: restarted, at: .milliseconds(Int64(Scenario.pick(seed, 4, in: 1_600..<3_000)))),
            ])
            if report.convictions.contains(where: { $0.subject.name == SimulationConfig.name(node) }) { rejoined += 1 }
            if !report.violations.isEmpty || !report.convergedAtEnd {
                failures.append(report.summary)
            }
        }
        #expect(failures.isEmpty, "\(failures.count) seeds failed; first: \(failures.prefix(3))")
        #expect(rejoined > Self.seeds.count / 2, "long stalls should mostly end in conviction then rejoin (\(rejoined))")
    }

    /// Both sides of a partition convict each other; once it heals they merge back into one cluster.
    @Test func healedPartitionMerges() {
        var failures: [String] = []
        for seed in Self.seeds {
            let report = Scenario.run(nodes: 6, seed: seed, seconds: 6.5, faults: [
                .partition(side: [0, 1], at: .milliseconds(1_000), until: .milliseconds(3_000)),
            ])
            let crossConvictions = report.convictions.filter { ["n0", "n1"].contains($0.observer) != ["n0", "n1"].contains($0.subject.name) }
            if crossConvictions.isEmpty || !report.convergedAtEnd || !report.violations.isEmpty {
                failures.append("\(report.summary) cross-partition convictions \(crossConvictions.count)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) seeds failed; first: \(failures.prefix(3))")
    }

    /// A 2 | 3 split held for long: every member convicts every member across it. The minority side is the slow one
    /// (each failed probe there also misses the nacks of relays on the far side, so Lifeguard's local health stretches
    /// its probe period up to 8×); the bound printed here is what the multi-process partition test waits for.
    @Test func partitionSidesConvictEachOtherWithinBound() {
        var failures: [String] = []
        var minority: [Int64] = [], majority: [Int64] = []
        let start = Timestamp(nanoseconds: 1_000_000_000)
        for seed in UInt64(1)...UInt64(300) {
            let report = Scenario.run(nodes: 5, seed: seed, seconds: 16, faults: [
                .partition(side: [0, 1], at: .milliseconds(1_000), until: .milliseconds(16_000)),
            ])
            let sideA: Set = ["n0", "n1"], all = ["n0", "n1", "n2", "n3", "n4"]
            var worstA: Int64 = 0, worstB: Int64 = 0, complete = true
            for observer in all {
                for subject in all where sideA.contains(observer) != sideA.contains(subject) {
                    guard let at = report.convictions.first(where: { $0.observer == observer && $0.subject.name == subject })?.at
                    else { complete = false; continue }
                    if sideA.contains(observer) { worstA = max(worstA, at.since(start)) } else { worstB = max(worstB, at.since(start)) }
                }
            }
            if !complete || !report.violations.isEmpty { failures.append(report.summary) }
            minority.append(worstA / 1_000_000)
            majority.append(worstB / 1_000_000)
        }
        minority.sort()
        majority.sort()
        func summary(_ values: [Int64]) -> String {
            "p50 \(values[values.count / 2]) ms, p99 \(values[values.count * 99 / 100]) ms, max \(values.last!) ms"
        }
        print("2 | 3 partition, until every member convicted the other side: minority \(summary(minority)); majority \(summary(majority))")
        #expect(failures.isEmpty, "\(failures.count) seeds failed; first: \(failures.prefix(3))")
        #expect(minority.last! <= 12_000 && majority.last! <= 3_000, "minority \(summary(minority)), majority \(summary(majority))")
    }

    /// A one-way cut (a can send to b, b cannot answer) is caught by indirect probes: no conviction.
    @Test func oneWayLinkIsBridgedByIndirectProbes() {
        var failures: [String] = []
        for seed in Self.seeds {
            let report = Scenario.run(nodes: 5, seed: seed, seconds: 4.0, faults: [
                .oneWay(from: 1, to: 0, at: .milliseconds(1_000), until: .milliseconds(3_500)),
            ])
            if report.falseConvictions > 0 || !report.violations.isEmpty { failures.append(report.summary) }
        }
        #expect(failures.isEmpty, "\(failures.count) seeds failed; first: \(failures.prefix(3))")
    }

    @Test func gracefulLeaveIsNotAFailure() {
        for seed in UInt64(1)...UInt64(100) {
            let report = Scenario.run(nodes: 5, seed: seed, seconds: 3.0, faults: [.leave(node: 3, at: .milliseconds(1_200))])
            #expect(report.convictions.isEmpty && report.violations.isEmpty && report.convergedAtEnd, "\(report.summary)")
        }
    }

    @Test(arguments: [UInt64(1), 2])
    func sixtyFourNodesConverge(seed: UInt64) {
        let report = Scenario.run(nodes: 64, seed: seed, seconds: 9.0, faults: [.crash(node: 17, at: .milliseconds(6_000))])
        #expect(report.firstConvergedAt != nil, "\(report.summary)")
        #expect(report.detections.first?.latencyNanoseconds != nil, "\(report.summary)")
        #expect(report.falseConvictions == 0 && report.violations.isEmpty, "\(report.summary)")
    }

    @Test func aSeedReplaysExactly() {
        let faults: [Fault] = [.crash(node: 2, at: .milliseconds(900)), .pause(node: 1, at: .milliseconds(700), length: .milliseconds(300))]
        let first = Scenario.run(nodes: 6, seed: 99, seconds: 3, loss: 0.05, faults: faults)
        let again = Scenario.run(nodes: 6, seed: 99, seconds: 3, loss: 0.05, faults: faults)
        let other = Scenario.run(nodes: 6, seed: 100, seconds: 3, loss: 0.05, faults: faults)
        #expect(first.traceDigest == again.traceDigest && first.messagesSent == again.messagesSent)
        #expect(first.convictions == again.convictions)
        #expect(first.traceDigest != other.traceDigest, "different seeds should give different runs")
    }

    @Test func restartedMemberRejoinsWithNewLife() {
        for seed in UInt64(1)...UInt64(50) {
            let report = Scenario.run(nodes: 5, seed: seed, seconds: 5, faults: [
                .crash(node: 0, at: .milliseconds(1_000)), .restart(node: 0, at: .milliseconds(2_500)),
            ])
            #expect(report.convergedAtEnd, "\(report.summary)")
            #expect(report.convictions.allSatisfy { $0.subject == MemberID(name: "n0", uid: 1) }, "\(report.summary)")
        }
    }
}
