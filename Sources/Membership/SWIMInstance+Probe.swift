extension SWIMInstance {
    /// Members that may be probed or asked to relay: alive or suspect, in sorted order.
    var liveNames: [String] { names.filter { !records[$0]!.status.isGone } }

    mutating func handleBody(_ envelope: Envelope, now: Timestamp) {
        let from = envelope.from
        switch envelope.body {
        case .ping(let sequence):
            send(Envelope(from: me, to: from, body: .ack(sequence: sequence, target: me), gossip: gossip(for: from.name)))
        case .pingRequest(let sequence, let target):
            guard target.name != me.name, target.name != from.name else { return }
            let ours = makeSequence()
            let fraction = max(0.1, min(1, settings.relayTimeoutFraction))
            relays.append(Relay(sequence: ours, origin: from, originSequence: sequence, target: target,
                                deadline: now.adding(nanoseconds: Int64(Double(timeout) * fraction))))
            send(Envelope(from: me, to: target, body: .ping(sequence: ours), gossip: gossip(for: target.name)))
        case .ack(let sequence, let target):
            handleAck(sequence: sequence, target: target, now: now)
        case .nack(let sequence, let target):
            if let current = probe, current.sequence == sequence, current.target == target {
                probe!.nacks += 1
                metrics.nacksReceived += 1
                // Every relay failed too: no ack is coming, so the probe fails now rather than at the period's end.
                if probe!.nacks >= probe!.relays {
                    probe!.periodEnd = now
                    advanceProbe(now)
                }
            }
        case .join:
            var view = [Gossip(member: me, incarnation: incarnation, status: .alive, metadata: metadata)]
            for name in names where name != from.name { view.append(records[name]!.fact) }
            send(Envelope(from: me, to: from, body: .joinAck, gossip: Array(view.prefix(MembershipCodec.maxGossipItems))))
        case .joinAck:
            hasJoined = true
            nextJoinAt = nil
        case .gossip:
            break
        }
    }

    mutating func handleAck(sequence: UInt32, target: MemberID, now: Timestamp) {
        if let current = probe, current.sequence == sequence, current.target == target {
            probe = nil
            metrics.probesSucceeded += 1
            let rtt = now.since(current.sentAt)
            metrics.rttCount += 1
            metrics.rttTotalNanoseconds += rtt
            metrics.rttMaxNanoseconds = max(metrics.rttMaxNanoseconds, rtt)
            adjustHealth(-1)
        } else if let index = relays.firstIndex(where: { $0.sequence == sequence && $0.target == target }) {
            let relay = relays.remove(at: index)
            send(Envelope(from: me, to: relay.origin, body: .ack(sequence: relay.originSequence, target: target),
                          gossip: gossip(for: relay.origin.name)))
        } else if let index = checks.firstIndex(where: { $0.sequence == sequence && $0.target == target }) {
            checks.remove(at: index)
        }
    }

    /// The probe of the current period: indirect probes after the direct timeout, suspicion at the period's end.
    mutating func advanceProbe(_ now: Timestamp) {
        guard let current = probe else { return }
        if !current.indirectSent, now >= current.directDeadline {
            probe!.indirectSent = true
            var candidates = liveNames.filter { $0 != current.target.name && records[$0]!.status == .alive }
            let count = min(settings.indirectProbes, candidates.count)
            for _ in 0..<count {
                let name = candidates.remove(at: rng.below(candidates.count))
                send(Envelope(from: me, to: records[name]!.id,
                              body: .pingRequest(sequence: current.sequence, target: current.target),
                              gossip: gossip(for: name)))
                metrics.indirectProbesSent += 1
            }
            probe!.relays = count
        }
        guard now >= current.periodEnd else { return }
        let finished = probe!
        probe = nil
        metrics.probesFailed += 1
        var penalty = 1
        if settings.nacks { 
            let missed = finished.relays - finished.nacks
            metrics.missedNacks += missed
            penalty += missed
        }
        adjustHealth(penalty)
        guard let record = records[finished.target.name], record.id == finished.target, !record.status.isGone else { return }
        let evidence: Evidence = finished.relays == 0
            ? .directTimeout : .indirectFailure(relays: finished.relays, nacks: finished.nacks)
        suspect(finished.target.name, evidence: evidence, now: now)
    }

    /// Starts the next period's probe on the next member of a shuffled round-robin (SWIM §4.3).
    mutating func startProbe(_ now: Timestamp) {
        if probe != nil { advanceProbe(Timestamp(nanoseconds: .max)) } // a period never overlaps the next
        nextProbeAt = now.adding(nanoseconds: interval)
        guard let target = settings.alignedProbeSchedule ? alignedProbeTarget(now) : nextProbeTarget() else { return }
        let sequence = makeSequence()
        probe = ActiveProbe(target: target, sequence: sequence, sentAt: now,
                            directDeadline: now.adding(nanoseconds: timeout), periodEnd: nextProbeAt)
        send(Envelope(from: me, to: target, body: .ping(sequence: sequence), gossip: gossip(for: target.name)))
    }

    /// The aligned schedule: in round r = ⌊now / probeInterval⌋ the member at sorted position i (among all members
    /// and itself, n in all) probes position i + 1 + (r mod (n − 1)). Within one round that is a permutation, so
    /// where views agree and clocks roughly do, every member is probed by exactly one other member per round and a
    /// crash is noticed within about one period, whatever the cluster size; over n − 1 rounds each member still
    /// probes every other once, as SWIM's round-robin does.
    func alignedProbeTarget(_ now: Timestamp) -> MemberID? {
        let others = liveNames
        guard !others.isEmpty else { return nil }
        var all = others
        var low = 0, high = all.count
        while low < high {
            let mid = (low + high) / 2
            if all[mid] < me.name { low = mid + 1 } else { high = mid }
        }
        all.insert(me.name, at: low)
        let period = max(1, settings.probeInterval.nanosecondCount)
        let round = Int(max(0, now.nanoseconds) / period)
        let shift = 1 + round % (all.count - 1)
        return records[all[(low + shift) % all.count]]?.id
    }

    mutating func nextProbeTarget() -> MemberID? {
        for _ in 0..<2 {
            while probeIndex < probeOrder.count {
                let name = probeOrder[probeIndex]
                probeIndex += 1
                if let record = records[name], !record.status.isGone { return record.id }
            }
            probeOrder = liveNames
            probeOrder.shuffle(using: &rng)
            probeIndex = 0
            if probeOrder.isEmpty { return nil }
        }
        return nil
    }

    /// Starts a direct check of a member we just heard is suspect (`Settings.probeOnSuspicion`), or — with
    /// `hard` — of a member whose connection dropped.
    mutating func startCheck(_ target: MemberID, now: Timestamp, hard: HardEvidence? = nil) {
        guard settings.probeOnSuspicion || hard != nil, !checks.contains(where: { $0.target == target }) else { return }
        let sequence = makeSequence()
        checks.append(Check(sequence: sequence, target: target, deadline: now.adding(nanoseconds: timeout),
                            hardEvidenceOnFailure: hard))
        send(Envelope(from: me, to: target, body: .ping(sequence: sequence), gossip: gossip(for: target.name)))
    }

    /// A failed check is an independent suspicion by this member (hard evidence for a dropped connection).
    mutating func expireChecks(_ now: Timestamp) {
        var kept: [Check] = []
        var failed: [Check] = []
        for check in checks {
            if now >= check.deadline { failed.append(check) } else { kept.append(check) }
        }
        checks = kept
        for check in failed {
            guard let record = records[check.target.name], record.id == check.target, !record.status.isGone else { continue }
            if let hard = check.hardEvidenceOnFailure {
                applyHardEvidence(check.target.name, hard, now: now)
            } else if record.status == .suspect {
                suspect(check.target.name, evidence: .directTimeout, now: now)
            }
        }
    }

    /// Relays that heard nothing from their target answer the origin with a nack (Lifeguard).
    mutating func expireRelays(_ now: Timestamp) {
        var kept: [Relay] = []
        var expired: [Relay] = []
        for relay in relays {
            if now >= relay.deadline { expired.append(relay) } else { kept.append(relay) }
        }
        relays = kept
        guard settings.nacks else { return }
        for relay in expired {
            send(Envelope(from: me, to: relay.origin, body: .nack(sequence: relay.originSequence, target: relay.target),
                          gossip: gossip(for: relay.origin.name)))
        }
    }

    /// Tells one member we believe dead that it is, so that a live member cut off by a partition refutes and the
    /// two sides merge again once the network heals.
    mutating func probeDeadMember(_ now: Timestamp) {
        nextDeadProbeAt = now.adding(nanoseconds: settings.deadMemberProbeInterval.nanosecondCount)
        let dead = names.filter { records[$0]!.status == .dead }
        guard !dead.isEmpty else { return }
        let record = records[dead[rng.below(dead.count)]]!
        send(Envelope(from: me, to: record.id, body: .gossip, gossip: [record.fact, selfFact]))
    }

    mutating func sendJoin(_ now: Timestamp) {
        nextJoinAt = now.adding(nanoseconds: settings.joinRetryInterval.nanosecondCount)
        for seed in seeds {
            send(Envelope(from: me, to: MemberID(name: seed, uid: 0), body: .join, gossip: [selfFact]))
        }
    }

    /// A message from a member we know nothing about: ask it to introduce itself. A message from a life we believe
    /// dead: tell it, so it refutes (this is how two sides of a healed partition find each other). At most once per
    /// join retry interval per member.
    mutating func introduceIfUnknown(_ sender: MemberID, now: Timestamp) {
        let record = records[sender.name]
        let unknown = record == nil || record!.id.uid < sender.uid
        let believedDead = record?.id == sender && record?.status == .dead
        guard unknown || believedDead else { return }
        if let last = lastIntroduction[sender.name],
           now.since(last) < settings.joinRetryInterval.nanosecondCount { return }
        lastIntroduction[sender.name] = now
        if unknown {
            send(Envelope(from: me, to: sender, body: .join, gossip: [selfFact]))
        } else {
            send(Envelope(from: me, to: sender, body: .gossip, gossip: [record!.fact, selfFact]))
        }
    }
}
