/// A `POST /v1/completions` body, checked.
struct CompletionRequest: Sendable, Equatable {
    /// What to continue.
    enum Prompt: Sendable, Equatable {
        /// Text, tokenized by the model's tokenizer.
        case text(String)
        /// Token ids given by the client.
        case tokens([Int32])
    }

    /// The shared generation parameters.
    var options: GenerationOptions
    /// The prompt.
    var prompt: Prompt

    /// Reads and checks a request object.
    /// - Throws: `APIError` naming the first bad field.
    init(_ object: [String: JSONValue]) throws {
        let fields = RequestFields(object)
        options = try GenerationOptions(fields)
        prompt = try Self.prompt(fields)

        if try fields.bool("echo") == true {
            throw APIError.unsupported("echo", "'echo' is not supported by this server")
        }
        if try fields.integer("logprobs", in: 0...Int64(Int32.max)) != nil {
            throw APIError.unsupported("logprobs", "'logprobs' is not supported by this server")
        }
        if let bestOf = try fields.integer("best_of", in: 1...Int64(Int32.max)), bestOf != 1 {
            throw APIError.unsupported("best_of", "'best_of' must be 1, got \(bestOf)")
        }
        if let suffix = try fields.string("suffix"), !suffix.isEmpty {
            throw APIError.unsupported("suffix", "'suffix' is not supported by this server")
        }
    }

    /// `prompt`: a string, an array of one string, an array of token ids, or an array of one such array.
    private static func prompt(_ fields: RequestFields) throws -> Prompt {
        guard let value = fields.value("prompt") else { throw APIError.missingField("prompt") }
        switch value {
        case .string(let text):
            return .text(text)
        case .array(let items):
            if items.count == 1, case .string(let text) = items[0] { return .text(text) }
            if items.count == 1, case .array(let ids) = items[0] { return .tokens(try tokenIDs(ids)) }
            if !items.isEmpty, items.allSatisfy({ if case .integer = $0 { true } else { false } }) {
                return .tokens(try tokenIDs(items))
            }
            if items.count > 1, items.allSatisfy({ if case .string = $0 { true } else { false } }) {
                throw APIError.unsupported("prompt", "'prompt' may hold one prompt per request, got \(items.count)")
            }
            throw APIError.invalidField(
                "prompt", "'prompt' must be a string, an array of one string, or an array of token ids")
        default:
            throw APIError.invalidField("prompt", "'prompt' must be a string or an array, got \(value.kind)")
        }
    }

    private static func tokenIDs(_ items: [JSONValue]) throws -> [Int32] {
        guard !items.isEmpty else { throw APIError.invalidField("prompt", "'prompt' must not be empty") }
        return try items.enumerated().map { index, item in
            guard case .integer(let id) = item, (0...Int64(Int32.max)).contains(id) else {
                throw APIError.invalidField("prompt", "'prompt[\(index)]' must be a token id (an integer ≥ 0)")
            }
            return Int32(id)
        }
    }
}
