import Kernels
import ModelEngine
import Testing

@Suite struct StageSplitTests {
    @Test func evenSplitsCoverEveryLayerOnce() {
        for layers in 1...12 {
            for stages in 1...layers {
                let ranges = StageSplit.even(layerCount: layers, stages: stages)
                #expect(ranges.count == stages && ranges.first?.lowerBound == 0 && ranges.last?.upperBound == layers)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                let sizes = ranges.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1 && sizes.min()! >= 1)
            }
        }
        #expect(StageSplit.even(layerCount: 30, stages: 4) == [0..<8, 8..<16, 16..<23, 23..<30])
    }

    @Test func pipelinesRejectGapsOverlapsAndShortfalls() throws {
        let model = TinyModel.checkpoint()
        let stage = { (r: Range<Int>) in try LlamaStage(checkpoint: model, layers: r, pool: nil) }
        for ranges in [[0..<2, 3..<4], [0..<3, 2..<4], [0..<3], [1..<4]] {
            #expect(throws: EngineError.self, "\(ranges)") { try LocalPipeline(stages: ranges.map(stage)) }
        }
        #expect(throws: EngineError.self) { try LocalPipeline.load(checkpoint: model, stageCount: 5, pool: nil) }
        #expect(throws: EngineError.self) { try LlamaStage(checkpoint: model, layers: 2..<9, pool: nil) }
        #expect(try LocalPipeline(stages: [0..<1, 1..<4].map(stage)).stages.count == 2)
    }
}
