import Kernels

/// How a stage keeps its weight matrices in memory.
public enum WeightStorage: String, Sendable, Hashable, CaseIterable {
    /// Every matrix expanded to f32 at load (the reference path; largest, and what `bench decode` measures).
    case float32
    /// Q8_0 and Q4_1 matrices kept as stored and expanded inside the kernels, block by block. Outputs are bitwise
    /// identical to `.float32`: the kernels expand a block exactly as the loader would. Other types become f32.
    case quantized
}

/// One decoder layer's weights. Q, K and V are stacked into one [q+2·kv, hidden] matrix, and gate and up into one
/// [2·intermediate, hidden] matrix, so each is one pass over the activations; a row's result is the same either way.
final class LayerWeights: Sendable {
    let attentionNorm: [Float]
    let qkv: WeightMatrix
    let attentionOutput: WeightMatrix
    let mlpNorm: [Float]
    let gateUp: WeightMatrix
    let down: WeightMatrix

    init(attentionNorm: [Float], qkv: WeightMatrix, attentionOutput: WeightMatrix, mlpNorm: [Float],
         gateUp: WeightMatrix, down: WeightMatrix) {
        self.attentionNorm = attentionNorm
        self.qkv = qkv
        self.attentionOutput = attentionOutput
        self.mlpNorm = mlpNorm
        self.gateUp = gateUp
        self.down = down
    }

    var byteCount: Int {
        [qkv, attentionOutput, gateUp, down].reduce(0) { $0 + $1.bytes.count }
            + 4 * (attentionNorm.count + mlpNorm.count)
    }
}

/// The weights of one stage: its layers, plus the embeddings on the first stage and the final norm and LM head on
/// the last. A single-stage model shares one matrix between embeddings and a tied LM head.
final class StageWeights: Sendable {
    let embedding: WeightMatrix?
    let layers: [LayerWeights]
    let outputNorm: [Float]?
    let output: WeightMatrix?

    init(embedding: WeightMatrix?, layers: [LayerWeights], outputNorm: [Float]?, output: WeightMatrix?) {
        self.embedding = embedding
        self.layers = layers
        self.outputNorm = outputNorm
        self.output = output
    }

    /// Bytes of weights held in memory (a shared matrix counted once).
    var byteCount: Int {
        var total = layers.reduce(0) { $0 + $1.byteCount } + 4 * (outputNorm?.count ?? 0)
        if let embedding { total += embedding.bytes.count }
        if let output, output !== embedding { total += output.bytes.count }
        return total
    }
}
