/// One sequence's part of a stage's forward call.
public struct StageInput: Sendable {
    /// What flows into a stage: token ids on the first stage, hidden states on the others.
    public enum Payload: Sendable, Hashable {
        /// Token ids (first stage).
        case tokens([Int32])
        /// Hidden states, `rows × hiddenSize` floats, row-major (later stages).
        case hidden([Float])
    }

    /// The sequence.
    public var sequence: SequenceID
    /// The position of the first row; must equal the positions the stage has cached for the sequence (0 for a
    /// new one).
    public var startPosition: Int
    /// The rows to run.
    public var payload: Payload

    /// Creates an input.
    public init(sequence: SequenceID, startPosition: Int, payload: Payload) {
        self.sequence = sequence
        self.startPosition = startPosition
        self.payload = payload
    }

    /// Token ids for the first stage.
    public static func tokens(_ sequence: SequenceID, at startPosition: Int, _ tokens: [Int32]) -> StageInput {
        StageInput(sequence: sequence, startPosition: startPosition, payload: .tokens(tokens))
    }
}

/// One sequence's result of a stage's forward call.
public struct StageOutput: Sendable {
    /// What comes out: hidden states for the next stage, or the last stage's logits.
    public enum Payload: Sendable, Hashable {
        /// Hidden states of every input row, `rows × hiddenSize` floats.
        case hidden([Float])
        /// Logits (`vocabularySize` floats) of the sequence's last input position.
        case logits([Float])
    }

    /// The sequence.
    public var sequence: SequenceID
    /// The position after the last row: where the sequence's next call starts.
    public var nextPosition: Int
    /// The result.
    public var payload: Payload

    /// The payload's floats, whichever kind.
    public var values: [Float] {
        switch payload {
        case .hidden(let v), .logits(let v): return v
        }
    }

    /// The logits, for the last stage's output.
    public var logits: [Float]? {
        if case .logits(let v) = payload { return v }
        return nil
    }
}

/// Where a stage's layers sit in the model.
public enum StageSplit {
    /// Splits `layerCount` layers into `stages` contiguous ranges whose sizes differ by at most one, larger first.
    public static func even(layerCount: Int, stages: Int) -> [Range<Int>] {
        precondition(stages >= 1 && stages <= layerCount, "\(stages) stages for \(layerCount) layers")
        var ranges: [Range<Int>] = []
        var start = 0
        for i in 0..<stages {
            let size = layerCount / stages + (i < layerCount % stages ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        return ranges
    }
}
