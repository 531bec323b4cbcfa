import Tokenizer

/// A `POST /v1/chat/completions` body, checked.
struct ChatCompletionRequest: Sendable, Equatable {
    /// Roles a message may have; "developer" is OpenAI's newer name for "system".
    static let roles: Set<String> = ["system", "developer", "user", "assistant"]

    /// The shared generation parameters.
    var options: GenerationOptions
    /// The conversation so far, roles normalised ("developer" → "system").
    var messages: [ChatMessage]

    /// Reads and checks a request object.
    /// - Throws: `APIError` naming the first bad field.
    init(_ object: [String: JSONValue]) throws {
        let fields = RequestFields(object)
        options = try GenerationOptions(fields)
        guard let items = try fields.array("messages") else { throw APIError.missingField("messages") }
        guard !items.isEmpty else {
            throw APIError.invalidField("messages", "'messages' must hold at least one message")
        }
        messages = try items.enumerated().map { try Self.message($1, at: $0) }

        if try fields.bool("logprobs") == true {
            throw APIError.unsupported("logprobs", "'logprobs' is not supported by this server")
        }
        if try fields.integer("top_logprobs", in: 0...Int64(Int32.max)) != nil {
            throw APIError.unsupported("top_logprobs", "'top_logprobs' is not supported by this server")
        }
        for key in ["tools", "functions"] {
            if let list = try fields.array(key), !list.isEmpty {
                throw APIError.unsupported(key, "'\(key)' (tool calling) is not supported by this server")
            }
        }
        if let format = try fields.object("response_format"), let type = try format.string("type"), type != "text" {
            throw APIError.unsupported("response_format", "'response_format' of type '\(type)' is not supported")
        }
    }

    private static func message(_ value: JSONValue, at index: Int) throws -> ChatMessage {
        let name = "messages[\(index)]"
        guard case .object(let object) = value else {
            throw APIError.invalidField(name, "'\(name)' must be an object, got \(value.kind)")
        }
        let fields = RequestFields(object, path: name + ".")
        let role = try fields.requiredString("role")
        guard roles.contains(role) else {
            if role == "tool" || role == "function" {
                throw APIError.unsupported(fields.name("role"), "messages with role '\(role)' are not supported")
            }
            throw APIError.invalidField(
                fields.name("role"),
                "'\(fields.name("role"))' must be one of system, developer, user, assistant; got '\(role)'")
        }
        let content = try Self.content(fields, role: role)
        return ChatMessage(role: role == "developer" ? "system" : role, content: content)
    }

    /// `content`: a string or an array of text parts (joined); null only for assistant messages.
    private static func content(_ fields: RequestFields, role: String) throws -> String {
        let key = "content"
        guard let value = fields.value(key) else {
            if role == "assistant" { return "" }
            throw APIError.missingField(fields.name(key))
        }
        switch value {
        case .string(let text):
            return text
        case .array(let parts):
            var text = ""
            for (index, part) in parts.enumerated() {
                let partName = "\(fields.name(key))[\(index)]"
                guard case .object(let object) = part else {
                    throw APIError.invalidField(partName, "'\(partName)' must be an object, got \(part.kind)")
                }
                let partFields = RequestFields(object, path: partName + ".")
                let type = try partFields.requiredString("type")
                guard type == "text" else {
                    throw APIError.unsupported(
                        partFields.name("type"), "content parts of type '\(type)' are not supported")
                }
                guard let partText = try partFields.string("text") else {
                    throw APIError.missingField(partFields.name("text"))
                }
                text += partText
            }
            return text
        default:
            throw APIError.invalidField(
                fields.name(key), "'\(fields.name(key))' must be a string or an array of parts, got \(value.kind)")
        }
    }
}
