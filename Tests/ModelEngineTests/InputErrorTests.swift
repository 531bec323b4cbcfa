import Kernels
import ModelEngine
import ModelFormats
import Testing

/// Bad calls and bad checkpoints give clear errors naming what was wrong, and never crash.
@Suite struct InputErrorTests {
    func code(_ body: () throws -> Void) -> EngineError? {
        do { try body() } catch let e as EngineError { return e } catch { Issue.record("not an EngineError: \(error)") }
        return nil
    }

    @Test func badForwardCalls() throws {
        let model = TinyModel.checkpoint()
        let first = try LlamaStage(checkpoint: model, layers: 0..<2, pool: nil)
        let second = try LlamaStage(checkpoint: model, layers: 2..<4, pool: nil)
        let cases: [(LlamaStage, [StageInput], EngineError.Code, String)] = [
            (first, [.tokens(1, at: 0, [67])], .invalidInput, "token id 67"),
            (first, [.tokens(1, at: 0, [-1])], .invalidInput, "token id -1"),
            (first, [.tokens(1, at: 0, [])], .invalidInput, "no rows"),
            (first, [.tokens(1, at: 3, [1])], .positionMismatch, "starts at position 3"),
            (first, [.tokens(1, at: 0, [1]), .tokens(1, at: 0, [2])], .invalidInput, "appears twice"),
            (first, [.tokens(1, at: 0, [Int32](repeating: 1, count: 97))], .contextOverflow, "exceed the context length 96"),
            (first, [StageInput(sequence: 1, startPosition: 0, payload: .hidden([Float](repeating: 0, count: 40)))], .invalidInput, "takes token ids"),
            (second, [.tokens(1, at: 0, [1])], .invalidInput, "takes hidden states"),
            (second, [StageInput(sequence: 1, startPosition: 0, payload: .hidden([Float](repeating: 0, count: 41)))], .invalidInput, "whole rows of 40"),
            (second, [StageInput(sequence: 1, startPosition: 0, payload: .hidden([Float](repeating: .nan, count: 40)))], .invalidInput, "NaN"),
        ]
        for (stage, inputs, expected, text) in cases {
            let e = code { _ = try stage.forward(inputs) }
            #expect(e?.code == expected, "\(text)")
            #expect(e?.message.contains(text) == true, "\(e?.message ?? "no error") should mention \(text)")
        }
        #expect(first.withKVCache { $0.usedBlocks } == 0)
    }

    @Test func badCheckpoints() throws {
        let model = TinyModel.checkpoint()
        var meta = model.modelMetadata.gguf!
        meta["general.architecture"] = .string("gpt2")
        var noLayers = model.modelMetadata.gguf!
        noLayers["llama.block_count"] = nil
        var scaled = model.modelMetadata.gguf!
        scaled["llama.rope.scaling.type"] = .string("yarn")
        let nan = [Float](repeating: .nan, count: 40)
        let q5 = TensorDType(ggmlType: 6)!  // q5_0: known, not supported
        let cases: [(TestCheckpoint, EngineError.Code, String)] = [
            (model.with(metadata: .gguf(meta)), .unknownArchitecture, "'gpt2'"),
            (model.with(metadata: .gguf(noLayers)), .invalidConfig, "llama.block_count"),
            (model.with(metadata: .gguf(scaled)), .unsupported, "yarn"),
            (model.replacing("blk.1.ffn_up.weight", with: nil), .missingTensor, "blk.1.ffn_up.weight"),
            (model.replacing("blk.0.attn_k.weight", with: ("blk.0.attn_k.weight", [9, 40], .f32, f32Bytes([Float](repeating: 0, count: 360)))),
             .shapeMismatch, "blk.0.attn_k.weight has shape [9, 40], expected [8, 40]"),
            (model.replacing("blk.2.attn_norm.weight", with: ("blk.2.attn_norm.weight", [40], .f32, f32Bytes(nan))), .nonFinite, "blk.2.attn_norm.weight"),
            (model.replacing("blk.3.ffn_down.weight", with: ("blk.3.ffn_down.weight", [40, 72], q5, [UInt8](repeating: 0, count: 40 * 72 / 32 * 22))),
             .unsupportedDType, "q5_0"),
        ]
        for (checkpoint, expected, text) in cases {
            let e = code { _ = try LocalPipeline.load(checkpoint: checkpoint, stageCount: 2, pool: nil) }
            #expect(e?.code == expected, "\(text): \(String(describing: e))")
            #expect(e?.message.contains(text) == true, "\(e?.message ?? "no error") should mention \(text)")
        }
    }

    @Test func aStageReadsOnlyItsOwnTensors() throws {
        let model = TinyModel.checkpoint(TinyModel.blockConfig)
        let names = LlamaTensorNames.gguf
        let stage = try LlamaStage(checkpoint: model, layers: 2..<4, pool: nil)
        #expect(!stage.isFirst && !stage.isLast)
        let allowed = names.stageTensors(config: TinyModel.blockConfig, layers: 2..<4).map { model.tensors[$0]! }
        let reads = model.data.reads.withLock { $0 }
        #expect(!reads.isEmpty)
        for read in reads {
            #expect(allowed.contains { read.lowerBound >= $0.byteOffset && read.upperBound <= $0.byteOffset + $0.byteCount },
                    "read \(read) lies outside the stage's tensors")
        }
        // The last stage of an untied model reads output.weight, not the embeddings.
        let last = TinyModel.checkpoint(TinyModel.blockConfig)
        _ = try LlamaStage(checkpoint: last, layers: 4..<5, pool: nil)
        let embedding = last.tensors[names.embedding]!
        #expect(!last.data.reads.withLock { $0 }.contains { $0.lowerBound == embedding.byteOffset })
    }

    @Test func generationStopsAtTheContextAndRejectsLongPrompts() throws {
        let p = try pipeline(TinyModel.checkpoint())
        let long = [Int32](repeating: 3, count: 97)
        let e = code { _ = try p.generate(GenerationRequest(prompt: long, maxTokens: 4)) { _ in true } }
        #expect(e?.code == .contextOverflow)
        let result = try p.generate(GenerationRequest(prompt: [Int32](repeating: 3, count: 90), maxTokens: 50)) { _ in true }
        #expect(result.tokens.count == 7 && result.finishReason == .length)  // logits of positions 89...95
        #expect(p.stages[0].withKVCache { $0.usedBlocks } == 0, "the sequence is freed")
    }
}
