import Testing
import Transport
@testable import DataPlane

@Suite struct PipelineMessageTests {
    let sampling = SamplingSettings(temperature: 0.7, topP: 0.9, topK: 40, seed: 11, maxTokens: 64, stopTokenIDs: [2, 7])

    private func roundTrip(_ message: PipelineMessage) throws -> PipelineMessage {
        try PipelineMessage(frames: message.frames())
    }

    @Test func admitTokenReleaseFailureRoundTrip() throws {
        let admit = Admit(sequence: SequenceID(9), promptTokens: [1, 2, 3, -1], sampling: sampling)
        guard case .admit(let a) = try roundTrip(.admit(admit)) else { Issue.record("not an admit"); return }
        #expect(a == admit)

        let token = TokenEvent(sequence: SequenceID(9), index: 4, token: 77, finish: .length)
        guard case .token(let t) = try roundTrip(.token(token)) else { Issue.record("not a token"); return }
        #expect(t == token)

        let release = Release(sequences: [SequenceID(1), SequenceID(2)])
        guard case .release(let r) = try roundTrip(.release(release)) else { Issue.record("not a release"); return }
        #expect(r == release)

        let failure = SequenceFailure(sequence: SequenceID(3), stage: 2, message: "KV cache full — ü")
        guard case .failure(let f) = try roundTrip(.failure(failure)) else { Issue.record("not a failure"); return }
        #expect(f == failure)
    }

    @Test func tokenGroupRoundTripsInOrder() throws {
        let events = [
            TokenEvent(sequence: SequenceID(4), index: 0, token: 12),
            TokenEvent(sequence: SequenceID(9), index: 5, token: 2, finish: .stop),
            TokenEvent(sequence: SequenceID(1), index: 3, token: -7, finish: .length),
        ]
        guard case .tokens(let decoded) = try roundTrip(.tokens(events)) else { Issue.record("not a token group"); return }
        #expect(decoded == events)
        guard case .tokens(let none) = try roundTrip(.tokens([])) else { Issue.record("not a token group"); return }
        #expect(none.isEmpty)
    }

    @Test func rejectsATokenGroupLongerThanItsBytes() throws {
        var header = PipelineMessage.tokens([TokenEvent(sequence: SequenceID(1), index: 0, token: 1)]).frames()[0].bytes
        header[2] = 200  // the count's low byte: 200 events announced, one present
        #expect(throws: DataPlaneError.self) { try PipelineMessage(frames: [Buffer(header)]) }
        var badFinish = PipelineMessage.tokens([TokenEvent(sequence: SequenceID(1), index: 0, token: 1)]).frames()[0].bytes
        badFinish[badFinish.count - 1] = 9
        #expect(throws: DataPlaneError.self) { try PipelineMessage(frames: [Buffer(badFinish)]) }
    }

    @Test func stepBatchCarriesRowsAndAdmissions() throws {
        let rows: [Float] = (0..<12).map { Float($0) * 0.5 }
        let batch = StepBatch(
            entries: [
                StepEntry(sequence: SequenceID(1), start: 0, count: 2, admission: .init(promptLength: 2, sampling: sampling)),
                StepEntry(sequence: SequenceID(2), start: 17, count: 1),
            ],
            hiddenSize: 4, hidden: rows.withUnsafeBufferPointer { Buffer(copyingFloats: $0) })
        guard case .step(let decoded) = try roundTrip(.step(batch)) else { Issue.record("not a step"); return }
        #expect(decoded.entries == batch.entries)
        #expect(decoded.hiddenSize == 4)
        let floats = decoded.hidden.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(floats == rows)
    }

    @Test func rejectsRowsThatDoNotMatchEntries() {
        let batch = StepBatch(
            entries: [StepEntry(sequence: SequenceID(1), start: 0, count: 3)],
            hiddenSize: 4, hidden: Buffer([UInt8](repeating: 0, count: 2 * 4 * 4)))
        #expect(throws: DataPlaneError.self) { try PipelineMessage(frames: PipelineMessage.step(batch).frames()) }
    }

    @Test func seededFuzzOfHeadersNeverTraps() {
        var rng = SplitMix64(seed: 2024)
        let samples: [PipelineMessage] = [
            .admit(Admit(sequence: SequenceID(5), promptTokens: Array(0..<20), sampling: sampling)),
            .token(TokenEvent(sequence: SequenceID(5), index: 1, token: 2)),
            .tokens([TokenEvent(sequence: SequenceID(5), index: 1, token: 2), TokenEvent(sequence: SequenceID(6), index: 0, token: 3, finish: .stop)]),
            .release(Release(sequences: [SequenceID(5)])),
            .failure(SequenceFailure(sequence: SequenceID(5), stage: 0, message: "x")),
            .step(StepBatch(entries: [StepEntry(sequence: SequenceID(5), start: 0, count: 1, admission: .init(promptLength: 1, sampling: sampling))],
                            hiddenSize: 2, hidden: Buffer([UInt8](repeating: 0, count: 8)))),
        ]
        var rejected = 0
        for i in 0..<10_000 {
            var frames = samples[i % samples.count].frames()
            var header = frames[0].bytes
            if rng.next() % 2 == 0 {
                header = Array(header.prefix(Int(rng.next() % UInt64(header.count))))
            } else {
                for _ in 0..<(1 + rng.next() % 3) { header[Int(rng.next() % UInt64(header.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            frames[0] = Buffer(header)
            if (try? PipelineMessage(frames: frames)) == nil { rejected += 1 }
        }
        #expect(rejected > 5_000)
    }
}
