import DataPlane

/// What one stage knows about the sequences passing through it, and which rows are waiting to run.
///
/// A pure value: the stage runtime feeds it data-plane messages and asks it for the next batch; nothing here
/// touches the engine or the network, so the token loop's bookkeeping is tested alone.
///
/// Rows of one sequence run in position order and never merge or split: an upstream chunk of T rows is run as one
/// chunk of T rows here too (the engine is chunk-invariant anyway, see `LlamaStage`).
struct StageSequences {
    /// One sequence as this stage sees it.
    struct Sequence {
        var admission: StepEntry.Admission
        /// Positions already run here (the KV length of this stage).
        var nextPosition: Int32 = 0
        /// Rows waiting to run, in position order.
        var pending: [PendingRows] = []
        /// Whether the next stage has been told about the sequence (its admission travels with the first rows).
        var announcedDownstream = false
        /// Last stage only: tokens generated so far.
        var generated: Int32 = 0
        /// Arrival order, for fair scheduling.
        var order: UInt64
    }

    /// Rows waiting to run: token ids (first stage) or hidden states (later stages).
    struct PendingRows {
        /// Position of the first row.
        var start: Int32
        /// Number of rows.
        var rows: Int32
        var payload: Payload
        enum Payload {
            case tokens([Int32])
            case hidden([Float])
        }
        var end: Int32 { start + rows }
    }

    /// Work chosen for one forward call.
    struct Chosen {
        var sequence: SequenceID
        var rows: PendingRows
    }

    private(set) var sequences: [SequenceID: Sequence] = [:]
    /// Sequences released here; late messages for them are ignored instead of resurrecting them.
    private var released: Set<SequenceID> = []
    private var arrivals: UInt64 = 0
    let hiddenSize: Int32

    init(hiddenSize: Int32) { self.hiddenSize = hiddenSize }

    var isEmpty: Bool { sequences.isEmpty }
    var hasWork: Bool { sequences.values.contains { !$0.pending.isEmpty } }
    /// First stage: batches sent down the pipeline that have not come back.
    var inFlight = InFlightBatches()

    /// A problem with one incoming message; the sequence named fails, nothing else does.
    struct Rejection: Error {
        var sequence: SequenceID
        var message: String
    }

    /// First stage: a new sequence with its prompt.
    mutating func admit(_ admit: Admit) throws(Rejection) {
        guard !released.contains(admit.sequence) else { return }
        guard sequences[admit.sequence] == nil else {
            throw Rejection(sequence: admit.sequence, message: "\(admit.sequence) was admitted twice")
        }
        guard !admit.promptTokens.isEmpty else {
            throw Rejection(sequence: admit.sequence, message: "\(admit.sequence) has an empty prompt")
        }
        arrivals += 1
        var sequence = Sequence(
            admission: .init(promptLength: Int32(admit.promptTokens.count), sampling: admit.sampling), order: arrivals)
        sequence.pending.append(PendingRows(start: 0, rows: Int32(admit.promptTokens.count), payload: .tokens(admit.promptTokens)))
        sequences[admit.sequence] = sequence
    }

    /// First stage: a token sampled by the last stage becomes the next input row.
    mutating func feedBack(_ event: TokenEvent) {
        inFlight.returned(event.sequence)
        guard event.finish == nil, var sequence = sequences[event.sequence] else { return }
        let position = sequence.admission.promptLength + event.index
        // Idempotent: a token already queued or run (a resent event) is ignored.
        let queuedEnd = sequence.pending.last?.end ?? sequence.nextPosition
        guard position == queuedEnd else { return }
        sequence.pending.append(PendingRows(start: position, rows: 1, payload: .tokens([event.token])))
        sequences[event.sequence] = sequence
    }

    /// Later stages: the rows of one batch from upstream, split per sequence.
    mutating func receive(_ batch: StepBatch) -> [Rejection] {
        var rejections: [Rejection] = []
        let floats = batch.hidden.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var offset = 0
        for entry in batch.entries {
            let width = Int(entry.count) * Int(batch.hiddenSize)
            defer { offset += width }
            guard !released.contains(entry.sequence) else { continue }
            guard batch.hiddenSize == hiddenSize else {
                rejections.append(Rejection(sequence: entry.sequence, message: "hidden size \(batch.hiddenSize) from upstream, this stage expects \(hiddenSize)"))
                continue
            }
            if sequences[entry.sequence] == nil {
                guard let admission = entry.admission else {
                    rejections.append(Rejection(sequence: entry.sequence, message: "\(entry.sequence) arrived without its admission"))
                    continue
                }
                arrivals += 1
                sequences[entry.sequence] = Sequence(admission: admission, order: arrivals)
            }
            let rows = Array(floats[offset..<offset + width])
            sequences[entry.sequence]!.pending.append(PendingRows(start: entry.start, rows: entry.count, payload: .hidden(rows)))
        }
        return rejections
    }

    /// Forgets a sequence; returns whether it was known.
    @discardableResult
    mutating func release(_ sequence: SequenceID) -> Bool {
        inFlight.released(sequence)
        released.insert(sequence)
        if released.count > 65_536 { released.removeAll() }
        return sequences.removeValue(forKey: sequence) != nil
    }

    /// Picks the next forward call: every sequence with waiting rows, single-row (decode) steps first, then
    /// prompts, oldest first, until `rowBudget` rows — but always at least one sequence, so a long prompt runs.
    mutating func nextBatch(rowBudget: Int, maxSequences: Int) -> [Chosen] {
        let ready = sequences.filter { !$0.value.pending.isEmpty }
            .sorted { a, b in
                let da = a.value.pending[0].rows == 1, db = b.value.pending[0].rows == 1
                return da != db ? da : a.value.order < b.value.order
            }
        var chosen: [Chosen] = []
        var rows = 0
        for (id, sequence) in ready {
            let head = sequence.pending[0]
            let count = Int(head.rows)
            if !chosen.isEmpty && (rows + count > rowBudget || chosen.count >= maxSequences) { continue }
            chosen.append(Chosen(sequence: id, rows: head))
            rows += count
            sequences[id]!.pending.removeFirst()
        }
        return chosen
    }

    /// Records that `sequence` ran up to `nextPosition`.
    mutating func advance(_ sequence: SequenceID, to nextPosition: Int32) {
        sequences[sequence]?.nextPosition = nextPosition
    }

    /// Marks the downstream announcement as done and returns the admission to send, the first time only.
    mutating func announce(_ sequence: SequenceID) -> StepEntry.Admission? {
        guard var s = sequences[sequence], !s.announcedDownstream else { return nil }
        s.announcedDownstream = true
        sequences[sequence] = s
        return s.admission
    }

    /// Last stage: counts a generated token and returns the total.
    mutating func countGenerated(_ sequence: SequenceID) -> Int32 {
        sequences[sequence]?.generated += 1
        return sequences[sequence]?.generated ?? 0
    }

    subscript(sequence: SequenceID) -> Sequence? { sequences[sequence] }
}
