import Foundation
import Testing

/// Five real `membership-node` processes on loopback (ZMQTransport, ephemeral ports): crash, stall, stall past the
/// suspicion minimum, partition and heal. Every wait has a deadline; every child is killed by PID on every path.
@Suite(.serialized) struct MultiProcessMembershipTests {
    /// The latest status each observer reports for each member (by name): (uid, incarnation, status).
    static func views(_ events: [ObservedEvent]) -> [String: [String: (uid: UInt64, incarnation: UInt64, status: String)]] {
        var views: [String: [String: (uid: UInt64, incarnation: UInt64, status: String)]] = [:]
        for event in events where event.member != event.observer {
            if let current = views[event.observer]?[event.member], current.uid > event.uid { continue }
            views[event.observer, default: [:]][event.member] = (event.uid, event.incarnation, event.status)
        }
        return views
    }

    final class Cluster: @unchecked Sendable {
        let log = EventLog()
        var members: [MemberProcess] = []

        /// Starts `count` members (the first is the seed of the others) and waits until every one sees every other
        /// alive.
        init(count: Int, arguments: [String] = []) async throws {
            do {
                let first = try await MemberProcess(name: "m0", seeds: [], log: log, arguments: arguments)
                members.append(first)
                for i in 1..<count {
                    members.append(try await MemberProcess(name: "m\(i)", seeds: [first.announcement], log: log, arguments: arguments))
                }
            } catch {
                killAll()
                throw error
            }
            let names = members.map(\.name)
            let formed = await log.wait(timeout: .seconds(15)) { events in
                MultiProcessMembershipTests.allAlive(events, names: names)
            }
            if !formed {
                killAll()
                throw MemberProcess.Failure(description: "cluster did not form within 15 s: \(MultiProcessMembershipTests.views(log.events))")
            }
        }

        func killAll() { for member in members { member.kill() } }
        deinit { killAll() }
    }

    /// Does every named member see every other named member alive?
    static func allAlive(_ events: [ObservedEvent], names: [String]) -> Bool {
        let views = Self.views(events)
        for observer in names {
            for member in names where member != observer {
                guard views[observer]?[member]?.status == "alive" else { return false }
            }
        }
        return true
    }

    /// Wall-clock milliseconds.
    static var nowMs: Double { Date().timeIntervalSince1970 * 1000 }

    /// SIGKILLs `victim` and waits (5 s at most) until every other member has convicted that life. Returns whether
    /// they all did, every `dead` event about the victim, and each one's milliseconds after the kill.
    static func kill(_ victim: MemberProcess, in cluster: Cluster) async
        -> (convicted: Bool, convictions: [ObservedEvent], latencies: [Double])
    {
        let others = Set(cluster.members.filter { $0 !== victim }.map(\.name))
        let (name, uid) = (victim.name, victim.uid)
        let killedAt = nowMs
        victim.kill()
        let convicted = await cluster.log.wait(timeout: .seconds(5)) { events in
            Set(events.filter { $0.member == name && $0.uid == uid && $0.status == "dead" }.map(\.observer)) == others
        }
        let convictions = cluster.log.events.filter { $0.member == name && $0.status == "dead" }
        return (convicted, convictions, convictions.map { $0.wallMs - killedAt })
    }

    @Test func killedMemberIsConvictedByEveryoneWithinBound() async throws {
        let cluster = try await Cluster(count: 5)
        defer { cluster.killAll() }
        let victim = cluster.members[3]
        let (convicted, convictions, latencies) = await Self.kill(victim, in: cluster)
        #expect(convicted, "not every member convicted \(victim.name) within 5 s: \(convictions.map(\.observer))")
        print("SIGKILL detection ms per observer: \(latencies.map { Int($0) })")
        #expect((latencies.max() ?? .infinity) <= 1_500, "conviction took \(latencies) ms")
    }

    /// With a dropped connection plus a failed ping as hard evidence, a killed process is convicted within 0.5 s.
    @Test func killedMemberIsConvictedFastOnHardEvidence() async throws {
        let cluster = try await Cluster(count: 5, arguments: ["--disconnect-evidence"])
        defer { cluster.killAll() }
        let victim = cluster.members[1]
        let (convicted, convictions, latencies) = await Self.kill(victim, in: cluster)
        #expect(convicted, "not every member convicted \(victim.name): \(convictions.map(\.observer))")
        print("SIGKILL detection with disconnect evidence, ms per observer: \(latencies.map { Int($0) }) (\(convictions.map(\.evidence)))")
        #expect((latencies.max() ?? .infinity) <= 500, "conviction took \(latencies) ms")
    }

    @Test func shortStallIsNotConvictedLongStallIsAndRejoins() async throws {
        let cluster = try await Cluster(count: 5)
        defer { cluster.killAll() }
        let staller = cluster.members[2]
        let others = cluster.members.filter { $0 !== staller }.map(\.name)
        let name = staller.name

        // Shorter than the suspicion minimum (600 ms): suspected at most, never convicted.
        staller.setStopped(true)
        try await Task.sleep(for: .milliseconds(300)) // the fault itself: a 300 ms stall
        staller.setStopped(false)
        let falselyConvicted = await cluster.log.wait(timeout: .seconds(2)) { events in
            events.contains { $0.member == name && $0.status == "dead" }
        }
        #expect(!falselyConvicted, "a 300 ms stall was convicted: \(cluster.log.events.filter { $0.member == name })")

        // Far past it: convicted by everyone; once resumed it refutes with a higher incarnation and rejoins.
        let before = cluster.log.events.count
        staller.setStopped(true)
        let convicted = await cluster.log.wait(timeout: .seconds(6)) { events in
            Set(events[before...].filter { $0.member == name && $0.status == "dead" }.map(\.observer)) == Set(others)
        }
        staller.setStopped(false)
        #expect(convicted, "a stopped member was not convicted by all: \(cluster.log.events[before...].filter { $0.member == name })")
        let deadIncarnation = cluster.log.events[before...].filter { $0.member == name && $0.status == "dead" }.map(\.incarnation).max() ?? 0
        let rejoined = await cluster.log.wait(timeout: .seconds(6)) { events in
            let views = MultiProcessMembershipTests.views(events)
            return others.allSatisfy { views[$0]?[name]?.status == "alive" && views[$0]![name]!.incarnation > deadIncarnation }
        }
        #expect(rejoined, "\(name) did not rejoin with a higher incarnation: \(cluster.log.events[before...].filter { $0.member == name })")
    }

    @Test func partitionConvictsAcrossAndHealingMerges() async throws {
        let cluster = try await Cluster(count: 5)
        defer { cluster.killAll() }
        let sideA = Array(cluster.members[0..<2]), sideB = Array(cluster.members[2...])
        for member in sideA { for other in sideB { member.command("partition \(other.name)") } }
        let aNames = sideA.map(\.name), bNames = sideB.map(\.name)
        let cutAt = Self.nowMs
        // The minority side is slow by design: its failed probes also miss the far relays' nacks, so Lifeguard's
        // local health stretches its probe period up to 8×. The simulator puts the full split at p99 5.9 s
        // (SimulationPropertyTests.partitionSidesConvictEachOtherWithinBound); 20 s leaves room for a loaded machine.
        let split = await cluster.log.wait(timeout: .seconds(20)) { events in
            let views = MultiProcessMembershipTests.views(events)
            return aNames.allSatisfy { a in bNames.allSatisfy { views[a]?[$0]?.status == "dead" && views[$0]?[a]?.status == "dead" } }
        }
        #expect(split, "the sides did not convict each other: \(Self.views(cluster.log.events))")
        let crossConvictions = cluster.log.events.filter { $0.status == "dead" && aNames.contains($0.observer) != aNames.contains($0.member) }
        print("partition 2 | 3: full split after \(Int((crossConvictions.map(\.wallMs).max() ?? cutAt) - cutAt)) ms")
        for member in sideA { member.command("heal") }
        let names = cluster.members.map(\.name)
        let merged = await cluster.log.wait(timeout: .seconds(10)) { events in
            MultiProcessMembershipTests.allAlive(events, names: names)
        }
        #expect(merged, "the cluster did not merge after healing: \(Self.views(cluster.log.events))")
    }
}
