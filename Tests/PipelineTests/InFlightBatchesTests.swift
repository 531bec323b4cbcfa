import DataPlane
import Kernels
import ModelEngine
import ModelFormats
import Testing
@testable import Pipeline

/// Stage 0's micro-batch accounting, alone and in a running three-stage pipeline.
@Suite struct InFlightBatchesTests {
    let a = SequenceID(1), b = SequenceID(2), c = SequenceID(3)

    @Test func aBatchIsHomeWhenAnyOfItsSequencesReturns() {
        var batches = InFlightBatches()
        batches.sent([a, b], at: 10)
        batches.sent([c], at: 20)
        #expect(batches.count == 2 && batches.oldestSentAt == 10)
        batches.returned(b)
        #expect(batches.count == 1 && batches.oldestSentAt == 20)
        batches.returned(a)  // its batch is already home: nothing changes
        #expect(batches.count == 1)
        batches.returned(c)
        #expect(batches.count == 0 && batches.oldestSentAt == nil)
    }

    @Test func aBatchWhoseSequencesAreAllReleasedIsGone() {
        var batches = InFlightBatches()
        batches.sent([a, b], at: 10)
        batches.released(a)
        #expect(batches.count == 1)
        batches.released(b)
        #expect(batches.count == 0)
        batches.sent([], at: 11)
        #expect(batches.count == 0, "an empty step sends no batch")
    }

    @Test func oldBatchesExpire() {
        var batches = InFlightBatches()
        batches.sent([a], at: 10)
        batches.sent([b], at: 50)
        #expect(batches.expire(sentBefore: 30) == 1)
        #expect(batches.count == 1 && batches.oldestSentAt == 50)
        batches.removeAll()
        #expect(batches.count == 0)
    }

    @Test func stageSequencesCountReturnsAndReleases() throws {
        var sequences = StageSequences(hiddenSize: 4)
        try sequences.admit(Admit(sequence: a, promptTokens: [1, 2], sampling: SamplingSettings(maxTokens: 4)))
        sequences.inFlight.sent([a], at: 1)
        sequences.feedBack(TokenEvent(sequence: a, index: 0, token: 9, finish: .length))
        #expect(sequences.inFlight.count == 0, "a finished token brings its batch home too")
        sequences.inFlight.sent([a], at: 2)
        sequences.release(a)
        #expect(sequences.inFlight.count == 0)
    }

    /// With one micro-batch, sequences admitted while a batch is out wait for it and then run with it: stage 0 takes
    /// about one step per generated token, not one per sequence per token.
    @Test(.enabled(if: RealModel.available)) func lateSequencesJoinTheBatchInFlight() throws {
        let store = try openModel(at: RealModel.path!)
        let pipeline = try LocalPipeline.load(checkpoint: store, stageCount: 3, pool: try ThreadPool(threads: 2))
        let gateway = GatewayProbe()
        let runtimes = wire(pipeline.stages, gateway: gateway, options: StageRuntime.Options(microBatches: 1))
        defer { runtimes.forEach { $0.stop() } }
        let maxTokens: Int32 = 12
        let sampling = SamplingSettings(maxTokens: maxTokens)
        runtimes[0].deliver(.admit(Admit(sequence: a, promptTokens: [504, 3458, 282], sampling: sampling)))
        #expect(waitUntil(seconds: 60) { (gateway.tokens[a]?.count ?? 0) >= 1 })
        for (index, id) in [b, c, SequenceID(4)].enumerated() {
            runtimes[0].deliver(.admit(Admit(sequence: id, promptTokens: [1, 2, Int32(3 + index)], sampling: sampling)))
        }
        #expect(gateway.waitForEnds(4, timeout: 120))
        #expect(gateway.failures.isEmpty)
        for id in [a, b, c, SequenceID(4)] { #expect((gateway.tokens[id]?.count ?? 0) > 0, "\(id)") }
        let steps = runtimes[0].statistics.steps
        #expect(steps <= UInt64(maxTokens) + 4, "stage 0 ran \(steps) steps for 4 sequences of \(maxTokens) tokens")
        #expect(runtimes[0].statistics.lostBatches == 0)
    }
}
