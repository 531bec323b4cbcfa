extension SWIMInstance {
    /// When a suspect member will be convicted, or nil if it is not suspect.
    func suspicionDeadline(_ record: MemberRecord) -> Timestamp? {
        guard record.status == .suspect, let since = record.suspectedSince else { return nil }
        let confirmations = max(0, record.suspectors.count - 1)
        let deadline = since.adding(nanoseconds: settings.suspicionTimeout(confirmations: confirmations))
        if let hard = record.hardDeadline { return min(deadline, hard) }
        return deadline
    }

    /// This member suspects `name` on its own evidence: a new suspicion, or a confirmation of one it heard of.
    mutating func suspect(_ name: String, evidence: Evidence, now: Timestamp) {
        guard let record = records[name], !record.status.isGone else { return }
        if record.status == .suspect {
            mergeSuspectors(name, [me.name], now: now)
            return
        }
        records[name]!.status = .suspect
        records[name]!.suspectors = [me.name]
        records[name]!.suspectedSince = now
        push(name)
        change(name, to: .suspect, evidence: evidence, now: now, previous: .alive)
    }

    /// Adds independent suspectors (Lifeguard's confirmations); a grown set shortens the timeout and is pushed on.
    mutating func mergeSuspectors(_ name: String, _ suspectors: [String], now: Timestamp) {
        let current = records[name]!.suspectors
        let limit = settings.confirmationsForMin + 1
        guard current.count < limit else { return }
        let merged = Array(Set(current).union(suspectors).sorted().prefix(limit))
        guard merged.count > current.count else { return }
        records[name]!.suspectors = merged
        push(name)
    }

    mutating func clearSuspicion(_ name: String) {
        records[name]!.suspectors = []
        records[name]!.hardDeadline = nil
        records[name]!.hardEvidence = nil
        if records[name]!.status == .alive { records[name]!.suspectedSince = nil }
    }

    /// Convicts every suspect whose timeout has run out.
    mutating func expireSuspicions(_ now: Timestamp) {
        for name in names {
            let record = records[name]!
            guard let deadline = suspicionDeadline(record), now >= deadline else { continue }
            let evidence: Evidence = record.hardEvidence.map { .hard($0) }
                ?? .suspicionTimeout(confirmations: max(0, record.suspectors.count - 1))
            records[name]!.status = .dead
            records[name]!.goneAt = now
            if let since = record.suspectedSince {
                metrics.convictionLatenciesNanoseconds.append(now.since(since))
                if metrics.convictionLatenciesNanoseconds.count > 256 { metrics.convictionLatenciesNanoseconds.removeFirst() }
            }
            push(name)
            change(name, to: .dead, evidence: evidence, now: now, previous: .suspect)
            clearSuspicion(name)
        }
    }

    /// Forgets tombstones older than `tombstoneLifetime`.
    mutating func expireTombstones(_ now: Timestamp) {
        let lifetime = settings.tombstoneLifetime.nanosecondCount
        let expired = names.filter { name in
            guard let gone = records[name]!.goneAt, records[name]!.status.isGone else { return false }
            return now.since(gone) >= lifetime
        }
        guard !expired.isEmpty else { return }
        for name in expired { records[name] = nil }
        names.removeAll { records[$0] == nil }
        let myName = me.name, known = records
        broadcasts.removeAll { known[$0.name] == nil && $0.name != myName }
    }
}
