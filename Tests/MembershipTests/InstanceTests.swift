import Membership
import Testing

/// Unit tests of the state machine alone: no network, explicit time.
@Suite struct InstanceTests {
    @Test func refutesSuspicionWithHigherIncarnation() {
        var h = Harness()
        let directives = h.gossip([Gossip(member: Harness.id("a"), incarnation: 0, status: .suspect, suspectors: ["b"])])
        #expect(h.instance.incarnation == 1)
        #expect(h.instance.metrics.refutations == 1)
        #expect(h.instance.localHealth == 1, "refuting raises local health (Lifeguard)")
        let refutations = Harness.sends(directives).flatMap(\.gossip).filter { $0.member.name == "a" }
        #expect(refutations.contains { $0.status == .alive && $0.incarnation == 1 })
        // The accuser is told directly.
        #expect(Harness.sends(directives).contains { $0.to.name == "b" && $0.gossip.contains { $0.member.name == "a" && $0.incarnation == 1 } })
        // An older suspicion is ignored.
        h.gossip([Gossip(member: Harness.id("a"), incarnation: 0, status: .suspect)])
        #expect(h.instance.incarnation == 1)
    }

    @Test func refutationClearsSuspicionElsewhere() {
        var h = Harness()
        h.gossip([Gossip(member: Harness.id("b"), incarnation: 0, status: .suspect, suspectors: ["c"])], from: "c")
        #expect(h.instance.member(named: "b")?.status == .suspect)
        let directives = h.gossip([Gossip(member: Harness.id("b"), incarnation: 1, status: .alive)])
        #expect(h.instance.member(named: "b")?.status == .alive)
        #expect(Harness.events(directives).first?.evidence == .refuted)
        // Suspicion at the refuted incarnation no longer applies.
        h.gossip([Gossip(member: Harness.id("b"), incarnation: 0, status: .suspect, suspectors: ["d"])], from: "d")
        #expect(h.instance.member(named: "b")?.status == .alive)
    }

    @Test func suspicionTimeoutFollowsLifeguardFormula() {
        let s = Settings()
        let max = s.suspicionMax.components.seconds * 1_000_000_000 + s.suspicionMax.components.attoseconds / 1_000_000_000
        let min = s.suspicionMin.components.seconds * 1_000_000_000 + s.suspicionMin.components.attoseconds / 1_000_000_000
        #expect(s.suspicionTimeout(confirmations: 0) == max)
        #expect(s.suspicionTimeout(confirmations: s.confirmationsForMin) == min)
        #expect(s.suspicionTimeout(confirmations: 10) == min)
        for c in 0..<s.confirmationsForMin {
            #expect(s.suspicionTimeout(confirmations: c) > s.suspicionTimeout(confirmations: c + 1))
        }
        // log(2)/log(4) = 1/2: one confirmation halves the way from Max to Min.
        #expect(abs(s.suspicionTimeout(confirmations: 1) - (max + min) / 2) < 1_000)
    }

    @Test func suspicionShrinksWithIndependentConfirmations() {
        var settings = Settings()
        settings.probeOnSuspicion = false
        var h = Harness(settings: settings)
        h.now = .milliseconds(1000)
        h.gossip([Gossip(member: Harness.id("b"), incarnation: 0, status: .suspect, suspectors: ["c"])], from: "c")
        let full = settings.suspicionTimeout(confirmations: 0) / 1_000_000
        // Two more independent suspectors (d, e) arrive: the timeout shrinks to the two-confirmation value.
        h.now = .milliseconds(1100)
        h.gossip([Gossip(member: Harness.id("b"), incarnation: 0, status: .suspect, suspectors: ["c", "d", "e"])], from: "d")
        #expect(h.instance.member(named: "b")?.suspectors == ["c", "d", "e"])
        let shrunk = settings.suspicionTimeout(confirmations: 2) / 1_000_000
        #expect(shrunk < full)
        // (a's own probes of the silent c, d, e raise other suspicions meanwhile: look at b only.)
        #expect(Harness.events(h.run(until: 1000 + shrunk - 1)).filter { $0.member.name == "b" }.isEmpty,
                "convicted before the shrunk timeout")
        let events = Harness.events(h.run(until: 1000 + shrunk + 1)).filter { $0.member.name == "b" }
        #expect(events.count == 1)
        #expect(events.first?.status == .dead)
        #expect(events.first?.evidence == .suspicionTimeout(confirmations: 2))
        #expect(h.instance.metrics.convictionLatenciesNanoseconds.contains(settings.suspicionTimeout(confirmations: 2)))
    }

    @Test func suspectIsProbedAtOnceAndConfirmedOnTimeout() {
        var h = Harness()
        h.now = .milliseconds(1000)
        let directives = h.gossip([Gossip(member: Harness.id("b"), incarnation: 0, status: .suspect, suspectors: ["c"])], from: "c")
        let check = Harness.sends(directives).first { $0.to.name == "b" }
        guard case .ping = check?.body else { Issue.record("no check ping to the suspect: \(directives)"); return }
        // Buddy system: the ping tells b it is suspected.
        #expect(check?.gossip.first?.member.name == "b" && check?.gossip.first?.status == .suspect)
        _ = h.run(until: 1000 + 80)
        #expect(h.instance.member(named: "b")?.suspectors == ["a", "c"])
    }

    @Test func tombstonesKeepADeadLifeDead() {
        var h = Harness()
        h.gossip([Gossip(member: Harness.id("b"), incarnation: 2, status: .dead)], from: "c")
        #expect(h.instance.member(named: "b")?.status == .dead)
        for stale in [UInt64(0), 1, 2] {
            h.gossip([Gossip(member: Harness.id("b"), incarnation: stale, status: .alive)], from: "d")
            #expect(h.instance.member(named: "b")?.status == .dead, "alive at incarnation \(stale) revived a dead life")
            h.gossip([Gossip(member: Harness.id("b"), incarnation: stale + 1, status: .suspect)], from: "d")
            #expect(h.instance.member(named: "b")?.status == .dead)
        }
        // The life itself refutes its death with a higher incarnation: it rejoins.
        let rejoin = h.gossip([Gossip(member: Harness.id("b"), incarnation: 3, status: .alive)])
        #expect(h.instance.member(named: "b")?.status == .alive)
        #expect(Harness.events(rejoin).first?.previous == .dead)
        // A newer life of the name replaces the old one; the old life never comes back.
        h.gossip([Gossip(member: Harness.id("b", 2), incarnation: 0, status: .alive)], from: "c")
        #expect(h.instance.member(named: "b")?.id.uid == 2)
        h.gossip([Gossip(member: Harness.id("b", 1), incarnation: 9, status: .alive)], from: "c")
        #expect(h.instance.member(named: "b")?.id.uid == 2)
    }

    @Test func newerLifeConvictsTheOldOne() {
        var h = Harness()
        let directives = h.gossip([Gossip(member: Harness.id("b", 5), incarnation: 0, status: .alive)], from: "c")
        let events = Harness.events(directives)
        #expect(events.map(\.status) == [.dead, .alive])
        #expect(events.first?.member == Harness.id("b", 1) && events.first?.evidence == .restarted)
    }

    @Test func tombstonesExpire() {
        var settings = Settings()
        settings.tombstoneLifetime = .seconds(2)
        var h = Harness(settings: settings)
        h.gossip([Gossip(member: Harness.id("b"), incarnation: 0, status: .dead)], from: "c")
        _ = h.run(until: 1900)
        #expect(h.instance.member(named: "b") != nil)
        _ = h.run(until: 2100)
        #expect(h.instance.member(named: "b") == nil)
    }

    @Test func leaveTellsEveryMemberAndStops() {
        var h = Harness()
        let directives = h.instance.leave(now: .milliseconds(10))
        let sends = Harness.sends(directives)
        #expect(Set(sends.map(\.to.name)) == ["b", "c", "d", "e"])
        #expect(sends.allSatisfy { $0.gossip == [Gossip(member: Harness.id("a"), incarnation: 1, status: .left)] })
        #expect(h.instance.hasLeft)
        #expect(Harness.sends(h.tick(at: 5000)).isEmpty, "a member that left still probes")

        var b = SWIMInstance(me: Harness.id("b"), seed: 2)
        _ = b.start(now: .zero)
        _ = b.receive(Envelope(from: Harness.id("a"), to: Harness.id("b"), body: .joinAck,
                               gossip: [Gossip(member: Harness.id("a"), incarnation: 0, status: .alive)]), now: .zero)
        let seen = Harness.events(b.receive(sends.first { $0.to.name == "b" }!, now: .milliseconds(11)))
        #expect(seen.map(\.status) == [.left])
        #expect(seen.first?.evidence == .left)
    }

    @Test func joinsThroughSeeds() {
        var joiner = SWIMInstance(me: Harness.id("j"), metadata: ["control": "tcp://j"], seeds: ["s"], seed: 3)
        #expect(!joiner.hasJoined)
        let first = Harness.sends(joiner.start(now: .zero))
        #expect(first.count == 1)
        #expect(first.first?.to == MemberID(name: "s", uid: 0) && first.first?.body == .join)

        var seed = Harness(others: ["b"])  // plays the seed "a"; rename: the seed is "a" for this test
        var request = first[0]
        request.to = Harness.id("a")
        let answer = seed.receive(request)
        #expect(Harness.events(answer).contains { $0.member.name == "j" && $0.status == .alive && $0.evidence == .joined })
        #expect(seed.instance.member(named: "j")?.metadata == ["control": "tcp://j"])
        guard let ack = Harness.sends(answer).first(where: { $0.body == .joinAck }) else {
            Issue.record("no joinAck in \(answer)"); return
        }
        #expect(Set(ack.gossip.map(\.member.name)) == ["a", "b"])

        // No answer yet: the joiner retries.
        #expect(Harness.sends(joiner.tick(now: .milliseconds(500))).contains { $0.body == .join })
        let learned = Harness.events(joiner.receive(ack, now: .milliseconds(510)))
        #expect(joiner.hasJoined)
        #expect(Set(learned.map(\.member.name)) == ["a", "b"])
        #expect(!Harness.sends(joiner.tick(now: .milliseconds(1000))).contains { $0.body == .join })
    }

    @Test func nacksFromRelaysAndIndirectFailure() {
        var h = Harness(others: ["b", "c", "d", "e"])
        // Run to the first probe, find its target.
        var ping: Envelope?
        for _ in 0..<100 where ping == nil {
            let wake = h.instance.nextWakeup!
            ping = Harness.sends(h.tick(at: wake.nanoseconds / 1_000_000 + 1)).first { if case .ping = $0.body { true } else { false } }
        }
        guard let ping, case .ping(let sequence) = ping.body else { Issue.record("no probe"); return }
        let start = h.now.nanoseconds / 1_000_000
        let requests = Harness.sends(h.tick(at: start + 80)).filter { if case .pingRequest = $0.body { true } else { false } }
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.body == .pingRequest(sequence: sequence, target: ping.to) && $0.to != ping.to })
        // One relay answers nack; the other two stay silent.
        h.now = .milliseconds(start + 150)
        h.receive(Envelope(from: requests[0].to, to: Harness.id("a"), body: .nack(sequence: sequence, target: ping.to)))
        #expect(h.instance.metrics.nacksReceived == 1)
        let events = Harness.events(h.tick(at: start + 200))
        #expect(events.count == 1)
        #expect(events.first?.member == ping.to && events.first?.status == .suspect)
        #expect(events.first?.evidence == .indirectFailure(relays: 3, nacks: 1))
        #expect(h.instance.metrics.missedNacks == 2)
        #expect(h.instance.localHealth == 3, "failed probe (+1) and two missed nacks (+2)")
    }

    @Test func relayAnswersNackWhenTargetIsSilent() {
        var h = Harness()
        h.now = .milliseconds(100)
        let out = h.receive(Envelope(from: Harness.id("b"), to: Harness.id("a"), body: .pingRequest(sequence: 77, target: Harness.id("c"))))
        #expect(Harness.sends(out).contains { $0.to.name == "c" && { if case .ping = $0.body { true } else { false } }($0) })
        let later = Harness.sends(h.tick(at: 100 + 64))
        #expect(later.contains { $0.to.name == "b" && $0.body == .nack(sequence: 77, target: Harness.id("c")) })
    }

    @Test func relayForwardsAck() {
        var h = Harness()
        let out = h.receive(Envelope(from: Harness.id("b"), to: Harness.id("a"), body: .pingRequest(sequence: 5, target: Harness.id("c"))))
        guard let ping = Harness.sends(out).first(where: { $0.to.name == "c" }), case .ping(let ours) = ping.body else {
            Issue.record("relay did not ping"); return
        }
        let forwarded = Harness.sends(h.receive(Envelope(from: Harness.id("c"), to: Harness.id("a"), body: .ack(sequence: ours, target: Harness.id("c")))))
        #expect(forwarded.contains { $0.to.name == "b" && $0.body == .ack(sequence: 5, target: Harness.id("c")) })
    }

    @Test func localHealthStretchesProbeIntervalAndRecovers() {
        var settings = Settings()
        settings.indirectProbes = 0
        settings.suspicionMin = .seconds(600)  // keep b suspect, not dead, for the whole test
        settings.suspicionMax = .seconds(600)
        var h = Harness(others: ["b"], settings: settings)
        var starts: [Int64] = []
        var lastHealth: [Int] = []
        // b never answers: every probe fails and health degrades, stretching the period.
        for _ in 0..<5 {
            for _ in 0..<100 {
                let wake = h.instance.nextWakeup!
                h.now = wake
                let sends = Harness.sends(h.instance.tick(now: wake))
                if sends.contains(where: { if case .ping = $0.body { $0.to.name == "b" } else { false } }) {
                    starts.append(wake.nanoseconds / 1_000_000)
                    lastHealth.append(h.instance.localHealth)
                    break
                }
            }
        }
        for i in 1..<starts.count {
            // The period that started at starts[i-1] was scaled by the health at that time.
            #expect(starts[i] - starts[i - 1] == 180 * Int64(1 + lastHealth[i - 1]), "periods \(starts), health \(lastHealth)")
        }
        #expect(lastHealth.last! > 0)
        // b answers from now on: health comes back down by one per successful probe.
        var ping: Envelope?
        for _ in 0..<100 where ping == nil {
            let wake = h.instance.nextWakeup!
            h.now = wake
            ping = Harness.sends(h.instance.tick(now: wake)).first { if case .ping = $0.body { true } else { false } }
        }
        guard let ping else { Issue.record("no probe of b"); return }
        let before = h.instance.localHealth
        if case .ping(let sequence) = ping.body {
            h.receive(Envelope(from: ping.to, to: Harness.id("a"), body: .ack(sequence: sequence, target: ping.to)))
        }
        #expect(h.instance.localHealth == before - 1)
        #expect(h.instance.metrics.probesSucceeded == 1)
    }

    @Test func hardEvidenceConvictsWithinHardTimeout() {
        var h = Harness()
        h.now = .milliseconds(1000)
        let out = h.instance.reportUnreachable(Harness.id("c"), evidence: .processExited("signal 9"), now: h.now)
        let events = Harness.events(out)
        #expect(events.first?.status == .suspect && events.first?.evidence == .hard(.processExited("signal 9")))
        #expect(Harness.sends(out).contains { $0.body == .gossip }, "a suspicion is pushed at once")
        #expect(Harness.events(h.run(until: 1249)).filter { $0.member.name == "c" }.isEmpty)
        let dead = Harness.events(h.run(until: 1250)).filter { $0.member.name == "c" }
        #expect(dead.first?.status == .dead && dead.first?.evidence == .hard(.processExited("signal 9")))
        // Reports about another life, or unknown members, do nothing.
        #expect(Harness.events(h.instance.reportUnreachable(Harness.id("d", 7), evidence: .disconnect, now: h.now)).isEmpty)
    }

    @Test func messagesForAnotherLifeAreDropped() {
        var h = Harness()
        let out = h.receive(Envelope(from: Harness.id("b"), to: Harness.id("a", 99), body: .ping(sequence: 1)))
        #expect(Harness.sends(out).isEmpty)
        let answered = h.receive(Envelope(from: Harness.id("b"), to: Harness.id("a"), body: .ping(sequence: 1)))
        #expect(Harness.sends(answered).contains { $0.body == .ack(sequence: 1, target: Harness.id("a")) })
    }

    @Test func convictedMemberRejoinsWithHigherIncarnation() {
        var h = Harness()
        let out = h.gossip([Gossip(member: Harness.id("a"), incarnation: 0, status: .dead)], from: "c")
        #expect(h.instance.incarnation == 1)
        #expect(h.instance.metrics.convictedSelf == 1)
        #expect(Harness.events(out).map(\.status) == [.dead, .alive])
    }

    @Test func everyHandlerSchedulesTheNextTick() {
        var h = Harness()
        #expect(Harness.scheduled(h.last) != nil)
        #expect(Harness.scheduled(h.tick(at: 3)) != nil)
        #expect(Harness.scheduled(h.gossip([])) != nil)
    }

    @Test func droppedConnectionThenFailedPingIsHardEvidence() {
        var h = Harness()
        h.now = .milliseconds(1000)
        let out = h.instance.connectionLost(Harness.id("c"), now: h.now)
        guard let ping = Harness.sends(out).first(where: { $0.to.name == "c" }), case .ping = ping.body else {
            Issue.record("no ping after a dropped connection: \(out)"); return
        }
        #expect(Harness.events(out).isEmpty, "a disconnect alone must not raise suspicion")
        let suspected = Harness.events(h.run(until: 1080)).filter { $0.member.name == "c" }
        #expect(suspected.first?.status == .suspect && suspected.first?.evidence == .hard(.disconnect))
        let dead = Harness.events(h.run(until: 1080 + 250)).filter { $0.member.name == "c" }
        #expect(dead.first?.status == .dead && dead.first?.evidence == .hard(.disconnect))
    }

    @Test func droppedConnectionWithAnsweredPingIsNothing() {
        var h = Harness()
        h.now = .milliseconds(1000)
        let out = h.instance.connectionLost(Harness.id("c"), now: h.now)
        guard let ping = Harness.sends(out).first(where: { $0.to.name == "c" }), case .ping(let sequence) = ping.body else {
            Issue.record("no ping after a dropped connection"); return
        }
        h.now = .milliseconds(1010)
        h.receive(Envelope(from: Harness.id("c"), to: Harness.id("a"), body: .ack(sequence: sequence, target: Harness.id("c"))))
        #expect(Harness.events(h.run(until: 1100)).filter { $0.member.name == "c" && $0.evidence == .hard(.disconnect) }.isEmpty)
    }

    /// With the aligned schedule, the members' probes in one round form a permutation: everyone is probed once.
    @Test func alignedScheduleProbesEveryMemberOncePerRound() {
        let names = (0..<7).map { "m\($0)" }
        for round in Int64(0)..<12 {
            var targets: [String] = []
            for (i, name) in names.enumerated() {
                var instance = SWIMInstance(me: MemberID(name: name, uid: 1), seed: UInt64(i))
                _ = instance.start(now: .zero)
                let facts = names.filter { $0 != name }.map { Gossip(member: MemberID(name: $0, uid: 1), incarnation: 0, status: .alive) }
                _ = instance.receive(Envelope(from: facts[0].member, to: instance.me, body: .joinAck, gossip: facts), now: .zero)
                let now = Timestamp.milliseconds(round * 180 + 5)
                // Tick until this member's probe of this round goes out.
                var target: String?
                var at = now
                for _ in 0..<50 where target == nil {
                    target = Harness.sends(instance.tick(now: at)).first { if case .ping = $0.body { true } else { false } }?.to.name
                    at = instance.nextWakeup.map { max($0, at) } ?? at
                    if at.nanoseconds >= (round + 1) * 180_000_000 { break }
                }
                if let target { targets.append(target) }
            }
            #expect(Set(targets).count == targets.count, "round \(round): some member probed twice: \(targets)")
        }
    }

    @Test func probeFailsAsSoonAsEveryRelayNacks() {
        var h = Harness(others: ["b", "c", "d", "e"])
        var ping: Envelope?
        for _ in 0..<100 where ping == nil {
            let wake = h.instance.nextWakeup!
            ping = Harness.sends(h.tick(at: wake.nanoseconds / 1_000_000 + 1)).first { if case .ping = $0.body { true } else { false } }
        }
        guard let ping, case .ping(let sequence) = ping.body else { Issue.record("no probe"); return }
        let start = h.now.nanoseconds / 1_000_000
        let requests = Harness.sends(h.tick(at: start + 80)).filter { if case .pingRequest = $0.body { true } else { false } }
        #expect(requests.count == 3)
        h.now = .milliseconds(start + 150)
        var events: [MemberEvent] = []
        for request in requests {
            events += Harness.events(h.receive(Envelope(from: request.to, to: Harness.id("a"), body: .nack(sequence: sequence, target: ping.to))))
        }
        // Suspected at the third nack (150 ms), not at the end of the 180 ms period.
        #expect(events.map(\.status) == [.suspect])
        #expect(events.first?.at == .milliseconds(start + 150))
        #expect(events.first?.evidence == .indirectFailure(relays: 3, nacks: 3))
        #expect(h.instance.localHealth == 1, "all nacks arrived: only the failed probe counts against local health")
    }
}
