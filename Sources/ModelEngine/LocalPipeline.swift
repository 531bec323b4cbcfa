import Kernels
import ModelFormats

/// All stages of one model in one process, chained: what `brigade generate --stages N` runs, and the yardstick
/// the cluster's output is compared with. By split invariance (see `LlamaStage`) its logits do not depend on the
/// number of stages.
public final class LocalPipeline: Sendable {
    /// The stages, first to last.
    public let stages: [LlamaStage]

    /// Chains `stages`, which must cover the model's layers in order without gaps.
    /// - Throws: `EngineError.invalidInput` when they do not.
    public init(stages: [LlamaStage]) throws(EngineError) {
        guard let first = stages.first else { throw EngineError(.invalidInput, "a pipeline needs at least one stage") }
        var next = 0
        for stage in stages {
            guard stage.layers.lowerBound == next, stage.config == first.config else {
                throw EngineError(.invalidInput, "stage \(stage.layers) does not continue at layer \(next) of the same model")
            }
            next = stage.layers.upperBound
        }
        guard next == first.config.layerCount else {
            throw EngineError(.invalidInput, "stages end at layer \(next) of \(first.config.layerCount)")
        }
        self.stages = stages
    }

    /// Loads the checkpoint as `stageCount` stages of near-equal layer counts, each reading only its tensors.
    public static func load(
        checkpoint store: any TensorStore, stageCount: Int = 1, options: StageOptions = StageOptions(), pool: ThreadPool?
    ) throws(EngineError) -> LocalPipeline {
        let config = try LlamaConfig(checkpoint: store)
        guard stageCount >= 1, stageCount <= config.layerCount else {
            throw EngineError(.invalidInput, "cannot split \(config.layerCount) layers into \(stageCount) stages")
        }
        var stages: [LlamaStage] = []
        for range in StageSplit.even(layerCount: config.layerCount, stages: stageCount) {
            stages.append(try LlamaStage(checkpoint: store, layers: range, options: options, pool: pool))
        }
        return try LocalPipeline(stages: stages)
    }

    /// The model's configuration.
    public var config: LlamaConfig { stages[0].config }
    /// Bytes of weights over all stages.
    public var weightBytes: Int { stages.reduce(0) { $0 + $1.weightBytes } }
    /// Bytes of KV blocks allocated over all stages.
    public var kvBytes: Int { stages.reduce(0) { $0 + $1.withKVCache { $0.allocatedBytes } } }

    /// Runs token inputs through every stage; returns each sequence's logits (see `LlamaStage.forward`).
    public func forward(_ inputs: [StageInput]) throws(EngineError) -> [StageOutput] {
        var current = inputs
        var outputs: [StageOutput] = []
        for (i, stage) in stages.enumerated() {
            outputs = try stage.forward(current)
            if i + 1 < stages.count {
                current = zip(current, outputs).map { input, output in
                    StageInput(sequence: input.sequence, startPosition: input.startPosition, payload: .hidden(output.values))
                }
            }
        }
        return outputs
    }

    /// Forgets `sequence` on every stage.
    public func free(_ sequence: SequenceID) {
        for stage in stages { stage.free(sequence) }
    }
}
