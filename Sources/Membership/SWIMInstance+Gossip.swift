extension SWIMInstance {
    /// This member's own current fact.
    var selfFact: Gossip {
        Gossip(member: me, incarnation: incarnation, status: hasLeft ? .left : .alive, metadata: metadata)
    }

    /// A fact is piggy-backed this many times: λ·⌈log2(n+1)⌉.
    var retransmitLimit: Int {
        let n = names.count + 1
        var bits = 0
        while (1 << bits) < n + 1 { bits += 1 }
        return max(1, settings.retransmitMultiplier * bits)
    }

    mutating func enqueueBroadcast(_ name: String) {
        if let index = broadcasts.firstIndex(where: { $0.name == name }) {
            broadcasts[index].transmissions = 0
        } else {
            broadcasts.append(Broadcast(name: name))
        }
    }

    func currentFact(_ name: String) -> Gossip? {
        name == me.name ? selfFact : records[name]?.fact
    }

    /// The facts to piggy-back on a message to `recipient`: its own status first when it is not alive in our view
    /// (buddy system), then the least-sent broadcasts.
    mutating func gossip(for recipient: String, leading: [String] = []) -> [Gossip] {
        var items: [Gossip] = []
        var included: [String] = []
        if let record = records[recipient], record.status != .alive {
            items.append(record.fact)
            included.append(recipient)
        }
        for name in leading where !included.contains(name) {
            if let fact = currentFact(name) { items.append(fact); included.append(name) }
        }
        guard !broadcasts.isEmpty else { return items }
        let order = broadcasts.indices.sorted { (broadcasts[$0].transmissions, $0) < (broadcasts[$1].transmissions, $1) }
        let limit = retransmitLimit
        for index in order where items.count < settings.maxGossipPerMessage {
            let name = broadcasts[index].name
            guard !included.contains(name), let fact = currentFact(name) else { continue }
            items.append(fact)
            included.append(name)
            broadcasts[index].transmissions += 1
        }
        var kept = broadcasts
        kept.removeAll { $0.transmissions >= limit || currentFact($0.name) == nil }
        broadcasts = kept
        return items
    }

    /// Pushes the changes of this input to `gossipFanout` random live members (infection-style dissemination).
    mutating func flushPush(_ now: Timestamp) {
        guard !pendingPush.isEmpty else { return }
        let leading = pendingPush
        pendingPush = []
        var candidates = liveNames
        let count = min(settings.gossipFanout, candidates.count)
        for _ in 0..<count {
            let name = candidates.remove(at: rng.below(candidates.count))
            send(Envelope(from: me, to: records[name]!.id, body: .gossip, gossip: gossip(for: name, leading: leading)))
        }
    }

    mutating func push(_ name: String) {
        enqueueBroadcast(name)
        if !pendingPush.contains(name) { pendingPush.append(name) }
    }

    /// Records a status change and reports it.
    mutating func change(_ name: String, to status: MemberStatus, evidence: Evidence, now: Timestamp,
                         previous: MemberStatus?) {
        let record = records[name]!
        metrics.transitions[Int(status.rawValue)] += 1
        out.append(.statusChanged(MemberEvent(
            member: record.id, incarnation: record.incarnation, previous: previous, status: status,
            evidence: evidence, metadata: record.metadata, at: now, suspectedSince: record.suspectedSince,
            localHealth: localHealth)))
    }

    mutating func insert(_ record: MemberRecord) {
        let name = record.id.name
        if records.updateValue(record, forKey: name) == nil {
            var low = 0, high = names.count
            while low < high {
                let mid = (low + high) / 2
                if names[mid] < name { low = mid + 1 } else { high = mid }
            }
            names.insert(name, at: low)
        }
    }

    /// Merges one fact heard from `sender` into this view (the precedence rules of SWIM §4.2 and Lifeguard).
    mutating func apply(_ fact: Gossip, from sender: MemberID, now: Timestamp) {
        let name = fact.member.name
        if name == me.name { applyAboutSelf(fact, from: sender, now: now); return }
        let evidence: Evidence = sender == fact.member ? .joined : .gossip(from: sender.name)
        guard let record = records[name], record.id.uid >= fact.member.uid else {
            // First news of this life (or of a newer life, which ends the old one).
            if let old = records[name], !old.status.isGone {
                records[name]!.status = .dead
                records[name]!.goneAt = now
                change(name, to: .dead, evidence: .restarted, now: now, previous: old.status)
            }
            learn(fact, evidence: evidence, now: now)
            return
        }
        guard record.id.uid == fact.member.uid else { return } // an older life
        switch fact.status {
        case .alive:
            guard fact.incarnation > record.incarnation else { return }
            records[name]!.incarnation = fact.incarnation
            records[name]!.metadata = fact.metadata
            enqueueBroadcast(name)
            guard record.status != .alive else { return }
            records[name]!.status = .alive
            clearSuspicion(name)
            records[name]!.goneAt = nil
            push(name)
            change(name, to: .alive, evidence: .refuted, now: now, previous: record.status)
        case .suspect:
            guard !record.status.isGone, fact.incarnation >= record.incarnation else { return }
            if record.status == .suspect, fact.incarnation == record.incarnation {
                mergeSuspectors(name, fact.suspectors, now: now)
                return
            }
            guard record.status == .alive || fact.incarnation > record.incarnation else { return }
            records[name]!.incarnation = fact.incarnation
            records[name]!.status = .suspect
            records[name]!.suspectors = Array(Set(fact.suspectors).sorted().prefix(settings.confirmationsForMin + 1))
            records[name]!.suspectedSince = now
            push(name)
            change(name, to: .suspect, evidence: evidence, now: now, previous: record.status)
            startCheck(record.id, now: now)
        case .dead, .left:
            guard !record.status.isGone, fact.incarnation >= record.incarnation else { return }
            records[name]!.incarnation = fact.incarnation
            records[name]!.status = fact.status
            records[name]!.goneAt = now
            push(name)
            change(name, to: fact.status, evidence: fact.status == .left ? .left : evidence, now: now,
                   previous: record.status)
            clearSuspicion(name)
        }
    }

    /// A fact about a life we did not know.
    mutating func learn(_ fact: Gossip, evidence: Evidence, now: Timestamp) {
        var record = MemberRecord(id: fact.member, incarnation: fact.incarnation, status: fact.status,
                                  metadata: fact.metadata)
        if fact.status.isGone {
            // A tombstone only: it keeps this life from coming back at this incarnation; nothing to report.
            record.goneAt = now
            insert(record)
            return
        }
        if fact.status == .suspect {
            record.suspectors = Array(Set(fact.suspectors).sorted().prefix(settings.confirmationsForMin + 1))
            record.suspectedSince = now
        }
        insert(record)
        enqueueBroadcast(fact.member.name)
        change(fact.member.name, to: fact.status, evidence: evidence, now: now, previous: nil)
    }

    /// Facts about this member itself: refute suspicion and death with a higher incarnation (SWIM §4.2).
    mutating func applyAboutSelf(_ fact: Gossip, from sender: MemberID, now: Timestamp) {
        guard fact.member.uid == me.uid, fact.status != .alive else { return }
        guard fact.incarnation >= incarnation else {
            // A stale accusation (already refuted): the sender missed the refutation, so tell it directly.
            if let last = lastIntroduction[sender.name],
               now.since(last) < settings.joinRetryInterval.nanosecondCount { return }
            lastIntroduction[sender.name] = now
            send(Envelope(from: me, to: sender, body: .gossip, gossip: [selfFact]))
            return
        }
        if fact.status == .dead {
            metrics.convictedSelf += 1
            out.append(.statusChanged(MemberEvent(
                member: me, incarnation: fact.incarnation, previous: .alive, status: .dead,
                evidence: .gossip(from: sender.name), metadata: metadata, at: now, suspectedSince: nil,
                localHealth: localHealth)))
        }
        incarnation = fact.incarnation + 1
        metrics.refutations += 1
        adjustHealth(1)
        push(me.name)
        if fact.status == .dead {
            out.append(.statusChanged(MemberEvent(
                member: me, incarnation: incarnation, previous: .dead, status: .alive, evidence: .refuted,
                metadata: metadata, at: now, suspectedSince: nil, localHealth: localHealth)))
        }
        // Tell the accuser directly too: it may be on the other side of a healed partition.
        send(Envelope(from: me, to: sender, body: .gossip, gossip: [selfFact]))
    }
}
