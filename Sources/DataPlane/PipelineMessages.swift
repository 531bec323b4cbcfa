import Transport

/// Identifies one generation request across every stage of a pipeline. Unique per gateway incarnation.
public struct SequenceID: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "seq-\(rawValue)" }
    public static func < (a: SequenceID, b: SequenceID) -> Bool { a.rawValue < b.rawValue }
}

/// How the last stage picks tokens for one sequence, and when it stops.
public struct SamplingSettings: Sendable, Hashable, Codable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Nucleus sampling mass in (0, 1]; 1 disables it.
    public var topP: Float
    /// Keep only the k most likely tokens; 0 disables it.
    public var topK: Int32
    /// Seed of the sequence's own generator: the same seed gives the same tokens.
    public var seed: UInt64
    /// Generate at most this many tokens.
    public var maxTokens: Int32
    /// Token ids that end the sequence (end-of-generation ids plus any the request adds). Not emitted as text.
    public var stopTokenIDs: [Int32]

    public init(temperature: Float = 0, topP: Float = 1, topK: Int32 = 0, seed: UInt64 = 0, maxTokens: Int32, stopTokenIDs: [Int32] = []) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
        self.maxTokens = maxTokens
        self.stopTokenIDs = stopTokenIDs
    }
}

/// Why a sequence ended.
public enum FinishReason: UInt8, Sendable, Codable, CustomStringConvertible {
    /// A stop token was sampled (it is not part of the output).
    case stop = 1
    /// `maxTokens` were generated.
    case length = 2
    public var description: String { self == .stop ? "stop" : "length" }
}

/// Gateway → stage 0: start a sequence.
public struct Admit: Sendable, Hashable {
    public var sequence: SequenceID
    public var promptTokens: [Int32]
    public var sampling: SamplingSettings
    public init(sequence: SequenceID, promptTokens: [Int32], sampling: SamplingSettings) {
        self.sequence = sequence
        self.promptTokens = promptTokens
        self.sampling = sampling
    }
}

/// One sequence's rows in a step batch: `count` consecutive positions starting at `start`.
public struct StepEntry: Sendable, Hashable {
    public var sequence: SequenceID
    /// Position of the first row (0 for the first prompt token).
    public var start: Int32
    /// Number of rows (prompt tokens on a prefill step, 1 on a decode step).
    public var count: Int32
    /// Present on the entry that first carries a sequence to a stage: what the stages downstream need to know.
    public var admission: Admission?

    /// What a stage learns about a sequence when it first sees it.
    public struct Admission: Sendable, Hashable {
        public var promptLength: Int32
        public var sampling: SamplingSettings
        public init(promptLength: Int32, sampling: SamplingSettings) {
            self.promptLength = promptLength
            self.sampling = sampling
        }
    }

    public init(sequence: SequenceID, start: Int32, count: Int32, admission: Admission? = nil) {
        self.sequence = sequence
        self.start = start
        self.count = count
        self.admission = admission
    }
}

/// Stage k → stage k+1: hidden states for several sequences at once (continuous batching), row-major
/// [Σ count × hiddenSize] f32 in the order of `entries`.
public struct StepBatch: Sendable {
    public var entries: [StepEntry]
    public var hiddenSize: Int32
    /// The rows, as raw little-endian f32 (sent without a copy).
    public var hidden: Buffer

    public init(entries: [StepEntry], hiddenSize: Int32, hidden: Buffer) {
        self.entries = entries
        self.hiddenSize = hiddenSize
        self.hidden = hidden
    }

    /// Total rows in the batch.
    public var rowCount: Int { entries.reduce(0) { $0 + Int($1.count) } }
}

/// Last stage → gateway and stage 0: one generated token. `index` counts generated tokens from 0, so the gateway
/// streams each index once (idempotent delivery).
public struct TokenEvent: Sendable, Hashable {
    public var sequence: SequenceID
    public var index: Int32
    public var token: Int32
    /// Set on the sequence's last event. With `.stop` the token is the stop token and is not output.
    public var finish: FinishReason?
    public init(sequence: SequenceID, index: Int32, token: Int32, finish: FinishReason? = nil) {
        self.sequence = sequence
        self.index = index
        self.token = token
        self.finish = finish
    }
}

/// Gateway → every stage: forget these sequences and free their KV cache (finished, cancelled, or failed).
public struct Release: Sendable, Hashable {
    public var sequences: [SequenceID]
    public init(sequences: [SequenceID]) { self.sequences = sequences }
}

/// Any stage → gateway: a sequence cannot continue (e.g. the KV cache is full). The gateway ends the request with
/// this message and releases the sequence everywhere.
public struct SequenceFailure: Sendable, Hashable {
    public var sequence: SequenceID
    public var stage: Int32
    public var message: String
    public init(sequence: SequenceID, stage: Int32, message: String) {
        self.sequence = sequence
        self.stage = stage
        self.message = message
    }
}

/// Every message of the pipeline's data plane. Travels as `MessageKind.data` on the bulk lane: frame 0 is a small
/// binary header (type, version, fields), frame 1 (step batches only) the raw f32 rows.
public enum PipelineMessage: Sendable {
    case admit(Admit)
    case step(StepBatch)
    case token(TokenEvent)
    /// Last stage → stage 0: the tokens of one step's sequences (finished ones included, with their finish reason)
    /// in one message, so that a batch comes back whole and stage 0 runs it as one batch again (one by one, the first
    /// to arrive would run alone and the batch would fall apart into many small ones, each reading every weight).
    case tokens([TokenEvent])
    case release(Release)
    case failure(SequenceFailure)
}
