/// A checkpoint's description of itself: the GGUF key/value metadata, or a Hugging Face `config.json`.
public enum ModelMetadata: Sendable {
    /// GGUF metadata, by key ("general.architecture", "llama.block_count", "tokenizer.ggml.tokens"…).
    case gguf([String: GGUFValue])
    /// The parsed `config.json` of a safetensors checkpoint.
    case huggingFace(config: [String: JSONValue])

    /// The GGUF metadata, if this is a GGUF file.
    public var gguf: [String: GGUFValue]? {
        if case .gguf(let values) = self { return values }
        return nil
    }

    /// The `config.json` object, if this is a safetensors checkpoint.
    public var config: [String: JSONValue]? {
        if case .huggingFace(let config) = self { return config }
        return nil
    }
}
