import Foundation
import Tokenizer

/// A model the service can generate with, and what the HTTP layer needs to talk about it.
public struct ServedModel: Sendable {
    /// The name clients pass as `model` (e.g. "SmolLM2-135M-Instruct").
    public var name: String
    /// Turns prompts into token ids and generated ids back into text.
    public var tokenizer: BPETokenizer
    /// How chat messages become a prompt; nil when the model has none (then only `/v1/completions` works).
    public var chatTemplate: ChatTemplate?
    /// The most tokens a sequence may hold: prompt plus generated tokens.
    public var contextLength: Int
    /// Sampling used for any setting a request leaves out.
    public var defaultSampling: SamplingParameters
    /// The generation limit for requests that give no `max_tokens` (the topology's `sampling.max_tokens`); nil
    /// uses OpenAI's defaults: 16 for `/v1/completions`, the rest of the context for chat. Always capped by what
    /// fits the context.
    public var defaultMaxTokens: Int?
    /// When the model became available, reported as `created` (Unix seconds) by `GET /v1/models`.
    public var created: Date
    /// Reported as `owned_by` by `GET /v1/models`.
    public var ownedBy: String

    /// Creates a description of a served model.
    public init(
        name: String,
        tokenizer: BPETokenizer,
        chatTemplate: ChatTemplate?,
        contextLength: Int,
        defaultSampling: SamplingParameters = SamplingParameters(),
        defaultMaxTokens: Int? = nil,
        created: Date = Date(),
        ownedBy: String = "brigade"
    ) {
        self.name = name
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.contextLength = contextLength
        self.defaultSampling = defaultSampling
        self.defaultMaxTokens = defaultMaxTokens
        self.created = created
        self.ownedBy = ownedBy
    }
}
