import Kernels
import ModelEngine
import Testing

func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

/// Prefills `prompt` in chunks of `chunk` tokens, then decodes `steps` greedy tokens; returns the logits after the
/// prompt and after each decoded token.
func greedyTrace(_ pipeline: LocalPipeline, sequence: SequenceID = 1, prompt: [Int32], chunk: Int? = nil, steps: Int) throws -> [[Float]] {
    var position = 0
    var logits: [Float] = []
    let size = chunk ?? prompt.count
    for start in stride(from: 0, to: prompt.count, by: size) {
        let piece = Array(prompt[start..<min(prompt.count, start + size)])
        let out = try pipeline.forward([.tokens(sequence, at: position, piece)])[0]
        position = out.nextPosition
        logits = out.logits!
    }
    var trace = [logits]
    for _ in 0..<steps {
        #expect(logits.allSatisfy { $0.isFinite } && Set(logits).count > 1, "logits are finite and vary")
        let token = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
        let out = try pipeline.forward([.tokens(sequence, at: position, [token])])[0]
        position = out.nextPosition
        logits = out.logits!
        trace.append(logits)
    }
    return trace
}

func pipeline(_ checkpoint: TestCheckpoint, stages: Int = 1, threads: Int = 2, options: StageOptions = StageOptions()) throws -> LocalPipeline {
    try LocalPipeline.load(checkpoint: checkpoint, stageCount: stages, options: options, pool: try ThreadPool(threads: threads))
}

let samplePrompt: [Int32] = [3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 3, 2, 38, 4, 6, 26, 43, 3, 8, 32, 7, 9, 5, 0, 28, 8, 41, 9, 7, 16, 9, 39, 9, 37, 5, 10]
