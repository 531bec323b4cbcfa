import Kernels
import ModelEngine
import ModelFormats
import Testing

/// The engine's forward pass against the naive one, and the two checkpoint layouts against each other.
@Suite struct ForwardMathTests {
    @Test(arguments: [0, 1]) func logitsMatchTheNaiveForwardPass(which: Int) throws {
        let config = which == 0 ? TinyModel.oddConfig : TinyModel.blockConfig
        let values = TinyModel.values(config, seed: 3)
        let prompt = Array(samplePrompt.prefix(24))
        let engine = try pipeline(TinyModel.checkpoint(config, seed: 3), stages: 2)
        var position = 0
        let naive = NaiveLlama(config: config, values: values).logits(prompt)
        // Prefill 20 tokens in one call, then 4 single steps: logits after each call.
        let calls: [[Int32]] = [Array(prompt.prefix(20))] + prompt.dropFirst(20).map { [$0] }
        for call in calls {
            let out = try engine.forward([.tokens(5, at: position, call)])[0]
            position = out.nextPosition
            let logits = out.logits!
            #expect(logits.allSatisfy { $0.isFinite })
            #expect(Set(logits).count > logits.count / 2, "logits vary")
            #expect(relativeError(logits, naive[position - 1]) < 2e-5, "after \(position) tokens")
        }
    }

    /// Hugging Face layout: HF names, q/k rows permuted for rotate-half, half-split RoPE. Same model, same logits
    /// (up to rounding, since the q·k sums run in another order).
    @Test func huggingFaceLayoutGivesTheSameModel() throws {
        let c = TinyModel.blockConfig
        let values = TinyModel.values(c, seed: 4)
        var hf: [(String, [Int], TensorDType, [UInt8])] = []
        let gguf = LlamaTensorNames.gguf, names = LlamaTensorNames.huggingFace
        var rename: [String: String] = [gguf.embedding: names.embedding, gguf.outputNorm: names.outputNorm, gguf.output: names.output]
        for l in 0..<c.layerCount { for (a, b) in zip(gguf.layer(l).all, names.layer(l).all) { rename[a] = b } }
        for (name, shape, v) in values {
            var v = v
            let isQ = name.hasSuffix("attn_q.weight"), isK = name.hasSuffix("attn_k.weight")
            if isQ || isK { v = permuteForRotateHalf(v, heads: isQ ? c.headCount : c.kvHeadCount, headDim: c.headDim, columns: c.hiddenSize) }
            hf.append((rename[name]!, shape, .f32, f32Bytes(v)))
        }
        let config: [String: JSONValue] = [
            "model_type": .string("llama"), "hidden_size": .int(c.hiddenSize), "intermediate_size": .int(c.intermediateSize),
            "num_hidden_layers": .int(c.layerCount), "num_attention_heads": .int(c.headCount),
            "num_key_value_heads": .int(c.kvHeadCount), "max_position_embeddings": .int(c.contextLength),
            "rms_norm_eps": .double(Double(c.rmsNormEpsilon)), "rope_theta": .double(c.ropeTheta),
            "tie_word_embeddings": .bool(false), "vocab_size": .int(c.vocabularySize), "hidden_act": .string("silu"),
        ]
        let hfModel = TestCheckpoint(name: "tiny-hf", metadata: .huggingFace(config: config), parts: hf)
        let hfPipeline = try pipeline(hfModel, stages: 2)
        #expect(hfPipeline.config.ropePairing == .halfSplit)
        let a = try greedyTrace(hfPipeline, prompt: samplePrompt, steps: 3)
        let b = try greedyTrace(pipeline(TinyModel.checkpoint(c, seed: 4)), prompt: samplePrompt, steps: 3)
        for (x, y) in zip(a, b) { #expect(relativeError(x, y.map(Double.init)) < 1e-5) }
    }

    /// Hugging Face's conversion: within each head, row 2i+e moves to e·headDim/2 + i.
    func permuteForRotateHalf(_ w: [Float], heads: Int, headDim: Int, columns: Int) -> [Float] {
        var out = w
        for h in 0..<heads {
            for i in 0..<(headDim / 2) {
                for e in 0..<2 {
                    let from = h * headDim + 2 * i + e, to = h * headDim + e * headDim / 2 + i
                    for col in 0..<columns { out[to * columns + col] = w[from * columns + col] }
                }
            }
        }
        return out
    }
}
