/// One message of a chat conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// "system", "user", "assistant" (any role string is passed through).
    public var role: String
    /// The message text.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Renders a conversation into the prompt text an instruct model was trained on.
///
/// Only the ChatML family is implemented (SmolLM2, Qwen…): each message becomes
/// `<|im_start|>{role}\n{content}<|im_end|>\n`, and the generation prompt is `<|im_start|>assistant\n`. When the
/// first message is not a system message, `defaultSystemMessage` (if any) is put first, as SmolLM2's template does.
/// `detect(from:)` recognises the family from a checkpoint's Jinja template; templates are not executed.
public struct ChatTemplate: Sendable, Hashable {
    /// The template family.
    public enum Family: String, Sendable, Hashable {
        /// `<|im_start|>role\ncontent<|im_end|>\n`.
        case chatML
    }

    /// The family.
    public var family: Family
    /// The system message used when the conversation does not start with one.
    public var defaultSystemMessage: String?

    /// ChatML with an optional default system message: the explicit fallback when a checkpoint has no template or
    /// one `detect(from:)` does not know.
    public static func chatML(defaultSystemMessage: String? = nil) -> ChatTemplate {
        ChatTemplate(family: .chatML, defaultSystemMessage: defaultSystemMessage)
    }

    /// Creates a template.
    public init(family: Family, defaultSystemMessage: String?) {
        self.family = family
        self.defaultSystemMessage = defaultSystemMessage
    }

    /// Recognises the family of a Jinja chat template (GGUF `tokenizer.chat_template`, or `chat_template` in
    /// `tokenizer_config.json`). A ChatML template that writes a literal system message when the conversation lacks
    /// one (`'<|im_start|>system\n…<|im_end|>`) yields that text as `defaultSystemMessage`.
    /// - Throws: `TokenizerError` with code `.unknownTemplate` if the template is nil or of another family; callers
    ///   may then fall back to `chatML()` explicitly.
    public static func detect(from template: String?) throws -> ChatTemplate {
        guard let template else {
            throw TokenizerError(
                .unknownTemplate, "the checkpoint has no chat template; use ChatTemplate.chatML() explicitly")
        }
        guard template.contains("<|im_start|>"), template.contains("<|im_end|>") else {
            let start = template.prefix(80)
            throw TokenizerError(.unknownTemplate, "chat template is not ChatML (starts \"\(start)…\")")
        }
        // The newline after "system" may be a real newline or Jinja's escaped "\\n".
        var system: String?
        for marker in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            guard system == nil, let open = template.firstRange(of: marker),
                let close = template[open.upperBound...].firstRange(of: "<|im_end|>")
            else { continue }
            let literal = template[open.upperBound..<close.lowerBound]
            if !literal.contains("{") && !literal.contains("'") && !literal.contains("\"") {
                system = String(literal)
            }
        }
        return .chatML(defaultSystemMessage: system)
    }

    /// The prompt text for `messages`, ending with the assistant's turn opener when `addGenerationPrompt`.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var text = ""
        if let defaultSystemMessage, messages.first?.role != "system" {
            text += "<|im_start|>system\n\(defaultSystemMessage)<|im_end|>\n"
        }
        for message in messages {
            text += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }
}
