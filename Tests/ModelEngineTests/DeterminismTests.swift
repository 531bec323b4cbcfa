import Kernels
import ModelEngine
import Testing

/// The three invariances `LlamaStage` promises, bit for bit, on tiny random models.
@Suite struct DeterminismTests {
    @Test(arguments: [2, 3, 4]) func anySplitGivesTheLogitsOfOneStage(stages: Int) throws {
        let model = TinyModel.checkpoint()
        let one = try greedyTrace(pipeline(model, stages: 1), prompt: samplePrompt, steps: 6)
        let split = try greedyTrace(pipeline(model, stages: stages), prompt: samplePrompt, steps: 6)
        #expect(one.map(bits) == split.map(bits))
    }

    @Test func handBuiltUnevenStagesMatchToo() throws {
        let model = TinyModel.checkpoint(TinyModel.blockConfig)
        let pool = try ThreadPool(threads: 3)
        let stages = try [0..<1, 1..<4, 4..<5].map { try LlamaStage(checkpoint: model, layers: $0, pool: pool) }
        let split = try greedyTrace(LocalPipeline(stages: stages), prompt: samplePrompt, steps: 4)
        let one = try greedyTrace(pipeline(model), prompt: samplePrompt, steps: 4)
        #expect(one.map(bits) == split.map(bits))
    }

    @Test func aSequenceGetsTheSameBitsAloneOrInABatch() throws {
        let model = TinyModel.checkpoint()
        let prompts: [[Int32]] = [samplePrompt, [1, 2, 3], Array(samplePrompt.reversed().prefix(20))]
        // Alone: each sequence in its own pipeline.
        var alone: [[[Float]]] = []
        for p in prompts { alone.append(try greedyTrace(pipeline(model, stages: 2), prompt: p, steps: 5)) }
        // Together: one pipeline, every call mixes sequences at different positions (prefill beside decode).
        let shared = try pipeline(model, stages: 2, threads: 3)
        var positions = [Int](repeating: 0, count: prompts.count)
        var next: [[Int32]] = prompts
        var together = [[[Float]]](repeating: [], count: prompts.count)
        for step in 0..<7 {
            // Sequence 2 joins one step late, so steps of different kinds share calls.
            let active = (0..<prompts.count).filter { ($0 != 2 || step > 0) && together[$0].count < 6 }
            let outputs = try shared.forward(active.map { .tokens(SequenceID($0 + 10), at: positions[$0], next[$0]) })
            for (i, out) in zip(active, outputs) {
                let logits = out.logits!
                together[i].append(logits)
                positions[i] = out.nextPosition
                next[i] = [Int32(logits.indices.max { logits[$0] < logits[$1] }!)]
            }
        }
        for i in prompts.indices { #expect(alone[i].map(bits) == together[i].map(bits), "sequence \(i)") }
    }

    @Test(arguments: [1, 5, 16]) func prefillInChunksEqualsPrefillAtOnce(chunk: Int) throws {
        let model = TinyModel.checkpoint()
        let once = try pipeline(model)
        let stepwise = try pipeline(model)
        let a = try greedyTrace(once, prompt: samplePrompt, steps: 3)
        let b = try greedyTrace(stepwise, prompt: samplePrompt, chunk: chunk, steps: 3)
        #expect(a.map(bits) == b.map(bits))
    }

    @Test func prefillWritesTheSameKVAsSingleSteps() throws {
        let model = TinyModel.checkpoint(TinyModel.blockConfig)
        let once = try pipeline(model, stages: 2)
        let stepwise = try pipeline(model, stages: 2)
        _ = try once.forward([.tokens(7, at: 0, samplePrompt)])
        for (i, t) in samplePrompt.enumerated() { _ = try stepwise.forward([.tokens(7, at: i, [t])]) }
        for (s1, s2) in zip(once.stages, stepwise.stages) {
            let blocks = (samplePrompt.count + 15) / 16
            let a = try s1.withKVCache { try $0.exportBlocks(7, range: 0..<blocks) }
            let b = try s2.withKVCache { try $0.exportBlocks(7, range: 0..<blocks) }
            #expect(a == b)
        }
    }

    @Test func passSizeDoesNotChangeResults() throws {
        let model = TinyModel.checkpoint()
        let small = try pipeline(model, options: StageOptions(maxRowsPerPass: 3))
        let large = try pipeline(model, options: StageOptions(maxRowsPerPass: 512))
        #expect(try greedyTrace(small, prompt: samplePrompt, steps: 2).map(bits)
                == greedyTrace(large, prompt: samplePrompt, steps: 2).map(bits))
    }

    @Test func threadCountAndInstructionSetDoNotChangeResults() throws {
        let model = TinyModel.checkpoint()
        let reference = try greedyTrace(pipeline(model, threads: 1), prompt: samplePrompt, steps: 3).map(bits)
        for isa in InstructionSet.allSupported {
            let trace = try InstructionSet.withThreadOverride(isa) {
                try greedyTrace(pipeline(model, threads: 4), prompt: samplePrompt, steps: 3)
            }
            #expect(trace.map(bits) == reference, "\(isa)")
        }
    }

    @Test(arguments: ["q8_0", "q4_1"]) func quantisedStorageEqualsFloatStorage(type: String) throws {
        let model = TinyModel.checkpoint(TinyModel.blockConfig, quantize: type == "q8_0" ? .q8_0 : .q4_1)
        let f32 = try pipeline(model, options: StageOptions(weightStorage: .float32))
        let native = try pipeline(model, options: StageOptions(weightStorage: .quantized))
        #expect(native.weightBytes < f32.weightBytes / 2)
        #expect(try greedyTrace(f32, prompt: samplePrompt, steps: 4).map(bits)
                == greedyTrace(native, prompt: samplePrompt, steps: 4).map(bits))
    }
}
