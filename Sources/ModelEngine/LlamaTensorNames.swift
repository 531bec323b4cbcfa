import ModelFormats

/// How a checkpoint names a Llama model's tensors: llama.cpp's GGUF names or Hugging Face's.
public struct LlamaTensorNames: Sendable, Hashable {
    /// The token embedding table [vocabulary, hidden].
    public var embedding: String
    /// The final RMSNorm weight [hidden].
    public var outputNorm: String
    /// The LM head [vocabulary, hidden] (absent when tied to the embeddings).
    public var output: String
    let layerPrefix: String
    let layerSuffixes: [String]  // attnNorm, q, k, v, o, ffnNorm, gate, up, down

    /// llama.cpp's names: `token_embd.weight`, `blk.N.attn_q.weight`….
    public static let gguf = LlamaTensorNames(
        embedding: "token_embd.weight", outputNorm: "output_norm.weight", output: "output.weight",
        layerPrefix: "blk.",
        layerSuffixes: ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up",
                        "ffn_down"].map { ".\($0).weight" })

    /// Hugging Face's names: `model.embed_tokens.weight`, `model.layers.N.self_attn.q_proj.weight`….
    public static let huggingFace = LlamaTensorNames(
        embedding: "model.embed_tokens.weight", outputNorm: "model.norm.weight", output: "lm_head.weight",
        layerPrefix: "model.layers.",
        layerSuffixes: ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                        "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj",
                        "mlp.down_proj"].map { ".\($0).weight" })

    /// The names of one layer's tensors.
    public struct Layer: Sendable, Hashable {
        /// The nine tensors: RMSNorm before attention, Q, K, V and output projections, RMSNorm before the MLP, and
        /// the MLP's gate, up and down projections.
        public var attentionNorm, query, key, value, attentionOutput, mlpNorm, gate, up, down: String

        /// All nine, in load order.
        public var all: [String] { [attentionNorm, query, key, value, attentionOutput, mlpNorm, gate, up, down] }
    }

    /// The names of layer `index`'s tensors.
    public func layer(_ index: Int) -> Layer {
        let n = layerSuffixes.map { layerPrefix + String(index) + $0 }
        return Layer(attentionNorm: n[0], query: n[1], key: n[2], value: n[3], attentionOutput: n[4], mlpNorm: n[5],
                     gate: n[6], up: n[7], down: n[8])
    }

    /// The naming a checkpoint uses: GGUF metadata means llama.cpp names, `config.json` Hugging Face names.
    public static func of(_ store: any TensorStore) -> LlamaTensorNames {
        if case .gguf = store.modelMetadata { return .gguf }
        return .huggingFace
    }

    /// Every tensor a stage over `layers` of `config` reads: the embeddings on the first stage, its layers, the
    /// final norm and LM head on the last (the embeddings again when tied).
    public func stageTensors(config: LlamaConfig, layers: Range<Int>) -> [String] {
        var names: [String] = []
        if layers.lowerBound == 0 { names.append(embedding) }
        for i in layers { names += layer(i).all }
        if layers.upperBound == config.layerCount {
            names.append(outputNorm)
            let head = config.tiedEmbeddings ? embedding : output
            if !names.contains(head) { names.append(head) }
        }
        return names
    }
}
