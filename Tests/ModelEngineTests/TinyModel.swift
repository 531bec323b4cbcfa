import Kernels
import ModelEngine
import ModelFormats

/// Seeded test data (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale).
    mutating func float(_ scale: Float = 1) -> Float { (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in float(scale) } }
}

/// Tiny random Llama models built in code, in GGUF naming and metadata.
enum TinyModel {
    /// Odd sizes (hidden 40, head size 8, 5 heads over 1 KV head) that exercise every kernel tail.
    static let oddConfig = LlamaConfig(
        vocabularySize: 67, hiddenSize: 40, intermediateSize: 72, layerCount: 4, headCount: 5, kvHeadCount: 1,
        headDim: 8, contextLength: 96, rmsNormEpsilon: 1e-5, ropeTheta: 10000, ropePairing: .interleaved,
        tiedEmbeddings: true)
    /// Sizes in whole 32-value blocks, so matrices can be stored as Q8_0 / Q4_1; untied LM head.
    static let blockConfig = LlamaConfig(
        vocabularySize: 96, hiddenSize: 64, intermediateSize: 128, layerCount: 5, headCount: 4, kvHeadCount: 2,
        headDim: 16, contextLength: 128, rmsNormEpsilon: 1e-5, ropeTheta: 50000, ropePairing: .interleaved,
        tiedEmbeddings: false)

    static func metadata(_ c: LlamaConfig) -> ModelMetadata {
        .gguf([
            "general.architecture": .string("llama"),
            "llama.embedding_length": .uint32(UInt32(c.hiddenSize)),
            "llama.feed_forward_length": .uint32(UInt32(c.intermediateSize)),
            "llama.block_count": .uint32(UInt32(c.layerCount)),
            "llama.attention.head_count": .uint32(UInt32(c.headCount)),
            "llama.attention.head_count_kv": .uint32(UInt32(c.kvHeadCount)),
            "llama.context_length": .uint32(UInt32(c.contextLength)),
            "llama.attention.layer_norm_rms_epsilon": .float32(c.rmsNormEpsilon),
            "llama.rope.freq_base": .float32(Float(c.ropeTheta)),
            "llama.rope.dimension_count": .uint32(UInt32(c.headDim)),
        ])
    }

    /// The float values of every tensor, by GGUF name, for a config and seed.
    static func values(_ c: LlamaConfig, seed: UInt64) -> [(String, [Int], [Float])] {
        var rng = TestRandom(seed: seed)
        func matrix(_ rows: Int, _ cols: Int) -> [Float] { rng.floats(rows * cols, scale: (3 / Float(cols)).squareRoot()) }
        func norm(_ n: Int) -> [Float] { (0..<n).map { _ in 1 + rng.float(0.2) } }
        let names = LlamaTensorNames.gguf
        var out: [(String, [Int], [Float])] = []
        out.append((names.embedding, [c.vocabularySize, c.hiddenSize], rng.floats(c.vocabularySize * c.hiddenSize)))
        for i in 0..<c.layerCount {
            let n = names.layer(i)
            out.append((n.attentionNorm, [c.hiddenSize], norm(c.hiddenSize)))
            out.append((n.query, [c.queryDim, c.hiddenSize], matrix(c.queryDim, c.hiddenSize)))
            out.append((n.key, [c.kvDim, c.hiddenSize], matrix(c.kvDim, c.hiddenSize)))
            out.append((n.value, [c.kvDim, c.hiddenSize], matrix(c.kvDim, c.hiddenSize)))
            out.append((n.attentionOutput, [c.hiddenSize, c.queryDim], matrix(c.hiddenSize, c.queryDim)))
            out.append((n.mlpNorm, [c.hiddenSize], norm(c.hiddenSize)))
            out.append((n.gate, [c.intermediateSize, c.hiddenSize], matrix(c.intermediateSize, c.hiddenSize)))
            out.append((n.up, [c.intermediateSize, c.hiddenSize], matrix(c.intermediateSize, c.hiddenSize)))
            out.append((n.down, [c.hiddenSize, c.intermediateSize], matrix(c.hiddenSize, c.intermediateSize)))
        }
        out.append((names.outputNorm, [c.hiddenSize], norm(c.hiddenSize)))
        if !c.tiedEmbeddings { out.append((names.output, [c.vocabularySize, c.hiddenSize], matrix(c.vocabularySize, c.hiddenSize))) }
        return out
    }

    /// A checkpoint of f32 tensors, or with 2-D tensors quantised to `quantize` (Q8_0 or Q4_1, GGML layout).
    static func checkpoint(_ c: LlamaConfig = oddConfig, seed: UInt64 = 1, quantize: TensorDType? = nil) -> TestCheckpoint {
        let parts = values(c, seed: seed).map { name, shape, v -> (String, [Int], TensorDType, [UInt8]) in
            if let q = quantize, shape.count == 2 { return (name, shape, q, Quantizer.encode(v, as: q)) }
            return (name, shape, .f32, f32Bytes(v))
        }
        return TestCheckpoint(metadata: metadata(c), parts: parts)
    }
}

/// GGML Q8_0 / Q4_1 encoders for test weights (round to nearest; the scales are what matter, not the quality).
enum Quantizer {
    static func encode(_ values: [Float], as dtype: TensorDType) -> [UInt8] {
        var out: [UInt8] = []
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<(start + 32)]
            if dtype == .q8_0 {
                let amax = block.map(abs).max()!
                let d = Float16(amax / 127)
                out += bytes(d)
                for v in block { out.append(UInt8(bitPattern: Int8(d == 0 ? 0 : (v / Float(d)).rounded()))) }
            } else {
                let lo = block.min()!, hi = block.max()!
                let d = Float16((hi - lo) / 15), m = Float16(lo)
                out += bytes(d) + bytes(m)
                let q = block.map { v in UInt8(d == 0 ? 0 : max(0, min(15, ((v - Float(m)) / Float(d)).rounded()))) }
                for j in 0..<16 { out.append(q[j] | q[j + 16] << 4) }
            }
        }
        return out
    }

    static func bytes(_ h: Float16) -> [UInt8] { [UInt8(h.bitPattern & 0xFF), UInt8(h.bitPattern >> 8)] }
}
