/// The parameters `/v1/completions` and `/v1/chat/completions` share, read and checked from the request body.
struct GenerationOptions: Sendable, Equatable {
    /// The most stop strings a request may give.
    static let maxStopStrings = 16
    /// The longest stop string, in UTF-8 bytes.
    static let maxStopStringBytes = 1024

    /// The requested model's name.
    var model: String
    /// `max_completion_tokens`, else `max_tokens`; nil means the endpoint's default.
    var maxTokens: Int?
    /// Overrides of the model's default sampling.
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var seed: UInt64?
    /// Strings that end the generation when they appear in the text; not returned themselves.
    var stop: [String]
    /// Whether to answer with server-sent events.
    var stream: Bool
    /// `stream_options.include_usage`: send a last chunk with token counts.
    var includeUsage: Bool

    /// Reads the shared fields.
    /// - Throws: `APIError` naming the first field that is missing, of the wrong type or out of range.
    init(_ fields: RequestFields) throws {
        model = try fields.requiredString("model")

        let maxCompletion = try fields.integer("max_completion_tokens", in: 1...Int64(Int32.max))
        let maxTokensField = try fields.integer("max_tokens", in: 1...Int64(Int32.max))
        maxTokens = (maxCompletion ?? maxTokensField).map { Int($0) }

        temperature = try fields.number("temperature", in: 0...2).map { Float($0) }
        topP = try fields.number("top_p", in: 0...1).map { Float($0) }
        // -1 (vLLM) and 0 both mean "no top-k filter".
        topK = try fields.integer("top_k", in: -1...Int64(Int32.max)).map { max(0, Int($0)) }
        seed = try fields.integer("seed", in: Int64.min...Int64.max).map { UInt64(bitPattern: $0) }

        stop = try fields.stringOrStrings("stop") ?? []
        guard stop.count <= Self.maxStopStrings else {
            throw APIError.invalidField(
                "stop", "'stop' may hold at most \(Self.maxStopStrings) strings, got \(stop.count)")
        }
        for (index, text) in stop.enumerated() {
            guard !text.isEmpty, text.utf8.count <= Self.maxStopStringBytes else {
                throw APIError.invalidField(
                    "stop",
                    "'stop[\(index)]' must be 1 to \(Self.maxStopStringBytes) bytes long, got \(text.utf8.count)")
            }
        }

        if let n = try fields.integer("n", in: Int64.min...Int64.max), n != 1 {
            throw APIError.unsupported("n", "'n' must be 1: this server returns one choice per request, got \(n)")
        }
        // Accepted for compatibility and ignored: the samplers have no penalties.
        _ = try fields.number("presence_penalty", in: -2...2)
        _ = try fields.number("frequency_penalty", in: -2...2)
        if let bias = try fields.object("logit_bias"), !bias.object.isEmpty {
            throw APIError.unsupported("logit_bias", "'logit_bias' is not supported by this server")
        }

        stream = try fields.bool("stream") ?? false
        includeUsage = false
        if let options = try fields.object("stream_options") {
            guard stream else {
                throw APIError.invalidField(
                    "stream_options", "'stream_options' is only allowed when 'stream' is true")
            }
            includeUsage = try options.bool("include_usage") ?? false
        }
    }
}
