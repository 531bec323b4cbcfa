import Kernels
import ModelEngine
import Testing

@Suite struct KVCacheTests {
    /// Runs the prompt on `source`, moves every stage's blocks to a fresh pipeline, and checks both continue alike.
    @Test(arguments: [1, 2]) func importedBlocksContinueGenerationIdentically(stages: Int) throws {
        let model = TinyModel.checkpoint(TinyModel.blockConfig)
        let source = try pipeline(model, stages: stages)
        let target = try pipeline(model, stages: stages)
        let prompt = Array(samplePrompt.prefix(35))  // 2 full blocks and a partial one
        let first = try source.forward([.tokens(9, at: 0, prompt)])[0]
        for (from, to) in zip(source.stages, target.stages) {
            let blocks = try from.withKVCache { try $0.exportBlocks(9, range: 0..<3) }
            #expect(blocks.map(\.tokenCount) == [16, 16, 3])
            try to.withKVCache { try $0.importBlocks(9, blocks) }
            #expect(to.withKVCache { $0.tokenCount(of: 9) } == 35)
        }
        var token = Int32(first.logits!.indices.max { first.logits![$0] < first.logits![$1] }!)
        for step in 0..<20 {  // crosses into a fourth block
            let a = try source.forward([.tokens(9, at: 35 + step, [token])])[0].logits!
            let b = try target.forward([.tokens(9, at: 35 + step, [token])])[0].logits!
            #expect(bits(a) == bits(b), "step \(step)")
            token = Int32(a.indices.max { a[$0] < a[$1] }!)
        }
    }

    @Test func preCopyThenTailMatchesAFullCopy() throws {
        // Migration: copy the full blocks while the source keeps decoding, then resend the tail at the pause.
        let model = TinyModel.checkpoint()
        let source = try LlamaStage(checkpoint: model, pool: nil)
        let target = try LlamaStage(checkpoint: model, pool: nil)
        _ = try source.forward([.tokens(1, at: 0, Array(samplePrompt.prefix(20)))])
        let early = try source.withKVCache { try $0.exportBlocks(1, range: 0..<2) }  // block 1 holds 4 positions
        try target.withKVCache { try $0.importBlocks(1, early) }
        for (i, t) in samplePrompt.dropFirst(20).prefix(10).enumerated() { _ = try source.forward([.tokens(1, at: 20 + i, [t])]) }
        let tail = try source.withKVCache { try $0.exportBlocks(1, range: 1..<2) }  // now 14 positions
        try target.withKVCache { try $0.importBlocks(1, tail) }
        let a = try source.withKVCache { try $0.exportBlocks(1, range: 0..<2) }
        let b = try target.withKVCache { try $0.exportBlocks(1, range: 0..<2) }
        #expect(a == b)
        #expect(target.withKVCache { $0.tokenCount(of: 1) } == 30)
    }

    @Test func badBlocksAreRefusedAndChangeNothing() throws {
        let stage = try LlamaStage(checkpoint: TinyModel.checkpoint(), pool: nil)
        _ = try stage.forward([.tokens(1, at: 0, samplePrompt)])
        let good = try stage.withKVCache { try $0.exportBlocks(1, range: 0..<3) }
        var short = good[0]
        short.bytes.removeLast()
        var nan = good[0]
        nan.bytes.withUnsafeMutableBytes { $0.storeBytes(of: Float.nan, toByteOffset: 8, as: Float.self) }
        var partial = good[0]
        partial.tokenCount = 5
        var gap = good[2]
        gap.index = 1
        let cases: [(String, [KVBlock])] = [
            ("size", [short]), ("non-finite", [nan]), ("partial then more", [partial, good[1]]),
            ("gap", [good[0], good[2]]), ("zero tokens", [KVBlock(index: 0, tokenCount: 0, bytes: good[0].bytes)]),
        ]
        for (what, blocks) in cases {
            #expect(throws: EngineError.self, "\(what)") { try stage.withKVCache { try $0.importBlocks(2, blocks) } }
            #expect(stage.withKVCache { $0.tokenCount(of: 2) } == nil, "\(what)")
        }
        _ = gap
        #expect(throws: EngineError.self) { try stage.withKVCache { try $0.exportBlocks(1, range: 0..<4) } }
        #expect(throws: EngineError.self) { try stage.withKVCache { try $0.exportBlocks(99, range: 0..<1) } }
    }

    @Test func aFullCacheFailsTheCallCleanly() throws {
        let model = TinyModel.checkpoint()
        let stage = try LlamaStage(checkpoint: model, options: StageOptions(kvCapacityTokens: 48), pool: nil)  // 3 blocks
        _ = try stage.forward([.tokens(1, at: 0, Array(samplePrompt.prefix(20)))])  // 2 blocks
        let error = #expect(throws: EngineError.self) {
            try stage.forward([.tokens(1, at: 20, [1]), .tokens(2, at: 0, Array(samplePrompt.prefix(17)))])
        }
        #expect(error?.code == .kvCacheFull)
        #expect(error?.message.contains("KV cache full") == true)
        // Nothing changed: sequence 1 continues where it was, sequence 2 is unknown, and a smaller call fits.
        #expect(stage.withKVCache { $0.tokenCount(of: 1) } == 20)
        #expect(tokenCountIsNil(stage, 2))
        _ = try stage.forward([.tokens(1, at: 20, [1]), .tokens(2, at: 0, [4, 5])])
        stage.free(1)
        stage.free(2)
        #expect(stage.withKVCache { $0.usedBlocks } == 0)
        _ = try stage.forward([.tokens(3, at: 0, Array(samplePrompt.prefix(40)))])  // recycled blocks suffice
    }

    func tokenCountIsNil(_ stage: LlamaStage, _ id: SequenceID) -> Bool { stage.withKVCache { $0.tokenCount(of: id) } == nil }

    @Test func memoryFollowsUseNotCapacity() throws {
        let stage = try LlamaStage(checkpoint: TinyModel.checkpoint(), options: StageOptions(kvCapacityTokens: 1 << 20), pool: nil)
        #expect(stage.withKVCache { $0.allocatedBytes } == 0)
        _ = try stage.forward([.tokens(1, at: 0, Array(samplePrompt.prefix(17)))])
        let geometry = stage.withKVCache { $0.geometry }
        #expect(geometry.blockBytes == 4 * 2 * 16 * 8 * 4)  // layers × K|V × 16 × kvDim × 4 bytes
        #expect(stage.withKVCache { $0.allocatedBytes } == 2 * geometry.blockBytes)
    }
}
