/// The `/v1/completions` answer, whole (`object: "text_completion"`).
struct CompletionResponse: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        var text: String
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case text, index, logprobs
            case finishReason = "finish_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(text, forKey: .text)
            try container.encode(0, forKey: .index)
            try container.encodeNil(forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }

    var identity: ResponseIdentity
    /// One choice (the whole answer), or none in the last chunk of a stream that reports usage.
    var choices: [Choice]
    /// Token counts; for stream chunks nil, and then sent as null only when `usageKey` is set.
    var usage: Usage?
    /// Whether to write the `usage` key even when `usage` is nil (streams with `include_usage`).
    var usageKey: Bool = true

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(identity.id, forKey: .id)
        try container.encode("text_completion", forKey: .object)
        try container.encode(identity.created, forKey: .created)
        try container.encode(identity.model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        if usage != nil || usageKey { try container.encode(usage, forKey: .usage) }
    }
}

/// The `/v1/chat/completions` answer, whole (`object: "chat.completion"`) or as one stream chunk
/// (`object: "chat.completion.chunk"`, `delta` instead of `message`).
struct ChatCompletionResponse: Encodable, Sendable {
    /// A message or delta: the role (first chunk and whole answers) and content.
    struct Message: Encodable, Sendable {
        var role: String?
        var content: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(role, forKey: .role)
            try container.encodeIfPresent(content, forKey: .content)
        }

        enum CodingKeys: String, CodingKey { case role, content }
    }

    struct Choice: Encodable, Sendable {
        var message: Message
        var finishReason: String?
        var isDelta: Bool

        enum CodingKeys: String, CodingKey {
            case index, message, delta, logprobs
            case finishReason = "finish_reason"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(0, forKey: .index)
            try container.encode(message, forKey: isDelta ? .delta : .message)
            try container.encodeNil(forKey: .logprobs)
            try container.encode(finishReason, forKey: .finishReason)
        }
    }

    var identity: ResponseIdentity
    var isChunk: Bool
    var choices: [Choice]
    var usage: Usage?
    var usageKey: Bool = true

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(identity.id, forKey: .id)
        try container.encode(isChunk ? "chat.completion.chunk" : "chat.completion", forKey: .object)
        try container.encode(identity.created, forKey: .created)
        try container.encode(identity.model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        if usage != nil || usageKey { try container.encode(usage, forKey: .usage) }
    }
}
