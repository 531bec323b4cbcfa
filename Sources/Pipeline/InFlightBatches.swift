/// Stage 0's view of the batches it has sent down the pipeline and not seen come back: the micro-batch limit.
///
/// A batch is out from the step that sends it downstream until any of its sequences returns as a token, finished or
/// not (the last stage sends a step's tokens together, and later stages may merge batches, which then come back
/// together), or until every one of its sequences is released (failed, cancelled). Stage 0 starts a new step only while
/// fewer than `Options.microBatches` batches are out, so with one micro-batch a batch circulates whole and
/// sequences admitted meanwhile join it when it comes back, instead of starting a second, smaller batch that
/// would read every weight again. A step thread's value; no locking.
struct InFlightBatches {
    private struct Batch {
        var sequences: Set<SequenceID>
        var sentAt: Clock.Instant
    }
    private var batches: [Batch] = []

    /// Batches out now.
    var count: Int { batches.count }

    /// The send time of the oldest batch out, if any.
    var oldestSentAt: Clock.Instant? { batches.map(\.sentAt).min() }

    mutating func sent(_ sequences: [SequenceID], at now: Clock.Instant) {
        guard !sequences.isEmpty else { return }
        batches.append(Batch(sequences: Set(sequences), sentAt: now))
    }

    /// A token of `sequence` came back: its batch is home.
    mutating func returned(_ sequence: SequenceID) {
        batches.removeAll { $0.sequences.contains(sequence) }
    }

    /// `sequence` will not come back (failed, cancelled).
    mutating func released(_ sequence: SequenceID) {
        for index in batches.indices { batches[index].sequences.remove(sequence) }
        batches.removeAll { $0.sequences.isEmpty }
    }

    /// Forgets batches out since before `cutoff` (a message lost with a failed stage must not stall stage 0 for
    /// good; rewiring clears everything anyway). Returns how many were dropped.
    @discardableResult
    mutating func expire(sentBefore cutoff: Clock.Instant) -> Int {
        let before = batches.count
        batches.removeAll { $0.sentAt < cutoff }
        return before - batches.count
    }

    mutating func removeAll() { batches.removeAll() }
}
