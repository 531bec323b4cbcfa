/// Token counts of one request, as OpenAI reports them.
struct Usage: Encodable, Sendable, Equatable {
    /// Tokens in the prompt (after the chat template, for chat).
    var promptTokens: Int
    /// Tokens generated, including an end-of-generation token.
    var completionTokens: Int
    /// The sum of both.
    var totalTokens: Int { promptTokens + completionTokens }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
    }
}

/// The identity every response and chunk of one request repeats.
struct ResponseIdentity: Sendable {
    /// "cmpl-…" or "chatcmpl-…".
    var id: String
    /// Unix seconds when the request arrived.
    var created: Int
    /// The model's name.
    var model: String

    /// A fresh identity with a random id after `prefix`.
    static func make(prefix: String, model: String, now: Double) -> ResponseIdentity {
        let random = (0..<3).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        return ResponseIdentity(id: prefix + random, created: Int(now), model: model)
    }
}
