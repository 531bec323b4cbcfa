import Kernels
import ModelFormats

extension LlamaConfig {
    /// Reads the configuration of a checkpoint: the `llama.*` GGUF metadata, or a Hugging Face `config.json`.
    /// The vocabulary size, and whether embeddings are tied, are checked against the tensors.
    /// - Throws: `EngineError` `.unknownArchitecture`, `.invalidConfig` or `.unsupported`, naming the file and field.
    public init(checkpoint store: any TensorStore) throws(EngineError) {
        switch store.modelMetadata {
        case .gguf(let metadata): self = try Self.fromGGUF(metadata, store: store)
        case .huggingFace(let config): self = try Self.fromHuggingFace(config, store: store)
        }
        try validate(source: store.name)
    }

    static func fromGGUF(_ m: [String: GGUFValue], store: any TensorStore) throws(EngineError) -> LlamaConfig {
        let file = store.name
        guard let arch = m["general.architecture"]?.string else {
            throw EngineError(.invalidConfig, "\(file): metadata field general.architecture is missing")
        }
        guard arch == "llama" else {
            throw EngineError(.unknownArchitecture, "\(file): general.architecture is '\(arch)'; only 'llama' is supported")
        }
        func int(_ key: String) throws(EngineError) -> Int {
            guard let value = m[key] else { throw EngineError(.invalidConfig, "\(file): metadata field \(key) is missing") }
            guard let v = value.int else { throw EngineError(.invalidConfig, "\(file): metadata field \(key) is not an integer") }
            return v
        }
        func optionalDouble(_ key: String) throws(EngineError) -> Double? {
            guard let value = m[key] else { return nil }
            guard let v = value.double else { throw EngineError(.invalidConfig, "\(file): metadata field \(key) is not a number") }
            return v
        }
        let hidden = try int("llama.embedding_length")
        let heads = try int("llama.attention.head_count")
        let kvHeads = m["llama.attention.head_count_kv"] == nil ? heads : try int("llama.attention.head_count_kv")
        let headDim = m["llama.attention.key_length"] == nil ? (heads > 0 ? hidden / heads : 0)
            : try int("llama.attention.key_length")
        if m["llama.attention.value_length"] != nil, try int("llama.attention.value_length") != headDim {
            throw EngineError(.unsupported, "\(file): llama.attention.value_length differs from key_length")
        }
        if m["llama.rope.dimension_count"] != nil, try int("llama.rope.dimension_count") != headDim {
            throw EngineError(.unsupported, "\(file): llama.rope.dimension_count differs from the head size \(headDim) (partial RoPE)")
        }
        if let scaling = m["llama.rope.scaling.type"]?.string, scaling != "none" {
            throw EngineError(.unsupported, "\(file): llama.rope.scaling.type '\(scaling)' is not supported")
        }
        let vocab = try embeddingRows(store, name: "token_embd.weight")
        if m["llama.vocab_size"] != nil, try int("llama.vocab_size") != vocab {
            throw EngineError(.invalidConfig, "\(file): llama.vocab_size differs from token_embd.weight's \(vocab) rows")
        }
        return LlamaConfig(
            vocabularySize: vocab, hiddenSize: hidden, intermediateSize: try int("llama.feed_forward_length"),
            layerCount: try int("llama.block_count"), headCount: heads, kvHeadCount: kvHeads, headDim: headDim,
            contextLength: try int("llama.context_length"),
            rmsNormEpsilon: Float(try optionalDouble("llama.attention.layer_norm_rms_epsilon") ?? 1e-5),
            ropeTheta: try optionalDouble("llama.rope.freq_base") ?? 10000, ropePairing: .interleaved,
            tiedEmbeddings: store.tensors["output.weight"] == nil)
    }

    static func fromHuggingFace(_ c: [String: JSONValue], store: any TensorStore) throws(EngineError) -> LlamaConfig {
        let file = store.name + "/config.json"
        let modelType = c["model_type"]?.string
        guard let modelType else { throw EngineError(.invalidConfig, "\(file): field model_type is missing") }
        guard modelType == "llama" else {
            throw EngineError(.unknownArchitecture, "\(file): model_type is '\(modelType)'; only 'llama' is supported")
        }
        func int(_ key: String) throws(EngineError) -> Int {
            guard let value = c[key] else { throw EngineError(.invalidConfig, "\(file): field \(key) is missing") }
            guard let v = value.int else { throw EngineError(.invalidConfig, "\(file): field \(key) is not an integer") }
            return v
        }
        func optionalInt(_ key: String) throws(EngineError) -> Int? {
            guard let value = c[key], !value.isNull else { return nil }
            return try int(key)
        }
        for flag in ["attention_bias", "mlp_bias"] where c[flag]?.bool == true {
            throw EngineError(.unsupported, "\(file): \(flag) is true; biases are not supported")
        }
        if let act = c["hidden_act"]?.string, act != "silu" {
            throw EngineError(.unsupported, "\(file): hidden_act '\(act)' is not supported (only silu)")
        }
        var theta = c["rope_theta"]?.double
        if let scaling = c["rope_scaling"], !scaling.isNull {
            let type = scaling["rope_type"]?.string ?? scaling["type"]?.string ?? "?"
            if type != "default" {
                throw EngineError(.unsupported, "\(file): rope_scaling type '\(type)' is not supported")
            }
        }
        if let params = c["rope_parameters"], !params.isNull {  // transformers v5
            let type = params["rope_type"]?.string ?? "default"
            if type != "default" {
                throw EngineError(.unsupported, "\(file): rope_parameters.rope_type '\(type)' is not supported")
            }
            theta = params["rope_theta"]?.double ?? theta
        }
        let hidden = try int("hidden_size")
        let heads = try int("num_attention_heads")
        let vocab = try embeddingRows(store, name: "model.embed_tokens.weight")
        if let declared = try optionalInt("vocab_size"), declared != vocab {
            throw EngineError(.invalidConfig, "\(file): vocab_size \(declared) differs from model.embed_tokens.weight's \(vocab) rows")
        }
        let tied = c["tie_word_embeddings"]?.bool ?? (store.tensors["lm_head.weight"] == nil)
        if !tied && store.tensors["lm_head.weight"] == nil {
            throw EngineError(.missingTensor, "\(store.name): tie_word_embeddings is false but lm_head.weight is missing")
        }
        let epsilon = c["rms_norm_eps"]?.double ?? 1e-6
        return LlamaConfig(
            vocabularySize: vocab, hiddenSize: hidden, intermediateSize: try int("intermediate_size"),
            layerCount: try int("num_hidden_layers"), headCount: heads,
            kvHeadCount: try optionalInt("num_key_value_heads") ?? heads,
            headDim: try optionalInt("head_dim") ?? (heads > 0 ? hidden / heads : 0),
            contextLength: try int("max_position_embeddings"), rmsNormEpsilon: Float(epsilon),
            ropeTheta: theta ?? 10000, ropePairing: .halfSplit, tiedEmbeddings: tied)
    }

    /// The first dimension of the embedding table.
    static func embeddingRows(_ store: any TensorStore, name: String) throws(EngineError) -> Int {
        guard let info = store.tensors[name] else {
            throw EngineError(.missingTensor, "\(store.name): tensor \(name) is missing")
        }
        guard info.shape.count == 2 else {
            throw EngineError(.shapeMismatch, "\(store.name): tensor \(name) has shape \(info.shape), expected [vocabulary, hidden]")
        }
        return info.shape[0]
    }
}
