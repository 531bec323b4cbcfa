import Foundation
import Synchronization
import Testing
import DataPlane
import Kernels
import ModelEngine
import ModelFormats
@testable import Pipeline

typealias SequenceID = DataPlane.SequenceID
typealias FinishReason = DataPlane.FinishReason

/// The real default model, when present (CI fetches it; BRIGADE_REQUIRE_MODEL=1 turns absence into a failure).
enum RealModel {
    static var path: String? {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["BRIGADE_TEST_MODEL"] { return explicit }
        let home = env["BRIGADE_HOME"] ?? (NSHomeDirectory() + "/.cache/brigade")
        let path = home + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
    static var available: Bool { path != nil }
}

/// Collects what a pipeline sends to its gateway and signals when every sequence has finished.
final class GatewayProbe: Sendable {
    private let state = Mutex<(tokens: [SequenceID: [Int32]], finish: [SequenceID: FinishReason], failures: [SequenceFailure])>(([:], [:], []))
    private let done = DispatchSemaphore(value: 0)

    func receive(_ message: PipelineMessage) {
        switch message {
        case .token(let event):
            let finished = state.withLock { s -> Bool in
                if event.finish != .stop { s.tokens[event.sequence, default: []].append(event.token) }
                if let f = event.finish { s.finish[event.sequence] = f; return true }
                return false
            }
            if finished { done.signal() }
        case .failure(let failure):
            state.withLock { $0.failures.append(failure) }
            done.signal()
        default:
            break
        }
    }

    /// Waits until `count` sequences ended, or fails after `timeout` seconds.
    func waitForEnds(_ count: Int, timeout: Double) -> Bool {
        for _ in 0..<count where done.wait(timeout: .now() + timeout) == .timedOut { return false }
        return true
    }

    var tokens: [SequenceID: [Int32]] { state.withLock { $0.tokens } }
    var finishes: [SequenceID: FinishReason] { state.withLock { $0.finish } }
    var failures: [SequenceFailure] { state.withLock { $0.failures } }
}

/// Polls `condition` until it holds or `seconds` pass (a state that no event announces, like a cache emptying).
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(2_000)
    }
    return true
}

/// Wires `stages` in-process, as a pipeline of runtimes.
func wire(_ stages: [LlamaStage], gateway: GatewayProbe, options: StageRuntime.Options = .init()) -> [StageRuntime] {
    let box = Mutex<[StageRuntime]>([])
    let deliver: @Sendable (Int) -> @Sendable (PipelineMessage) -> Void = { index in
        { message in box.withLock { $0[index] }.deliver(message) }
    }
    var runtimes: [StageRuntime] = []
    for (i, stage) in stages.enumerated() {
        let links = StageRuntime.Links(
            downstream: i + 1 < stages.count ? deliver(i + 1) : nil,
            firstStage: i + 1 == stages.count ? deliver(0) : nil,
            gateway: { gateway.receive($0) })
        runtimes.append(StageRuntime(stage: stage, stageIndex: i, links: links, options: options))
    }
    box.withLock { $0 = runtimes }
    return runtimes
}

@Suite(.serialized) struct StageRuntimeTests {
    /// Greedy output through three runtime stages, with several sequences in flight at once, equals a one-process
    /// `LocalPipeline.generate` of each prompt alone — the property the cluster's greedy test relies on.
    @Test(.enabled(if: RealModel.available)) func threeStagesMatchOneProcessGreedy() throws {
        let store = try openModel(at: RealModel.path!)
        let pool = try ThreadPool(threads: 2)
        let prompts: [[Int32]] = [[504, 3458, 282, 4649, 314], [1, 2, 3, 4, 5, 6, 7, 8], [9906, 28, 905], [42]]
        let maxTokens: Int32 = 12

        let reference = try LocalPipeline.load(checkpoint: store, stageCount: 1, pool: pool)
        var expected: [[Int32]] = []
        for prompt in prompts {
            let result = try reference.generate(GenerationRequest(prompt: prompt, maxTokens: Int(maxTokens)), onToken: { _ in true })
            expected.append(result.tokens)
        }

        let split = try LocalPipeline.load(checkpoint: store, stageCount: 3, pool: pool)
        let gateway = GatewayProbe()
        let runtimes = wire(split.stages, gateway: gateway)
        defer { runtimes.forEach { $0.stop() } }
        for (i, prompt) in prompts.enumerated() {
            runtimes[0].deliver(.admit(Admit(sequence: SequenceID(UInt64(i + 1)), promptTokens: prompt,
                                              sampling: SamplingSettings(maxTokens: maxTokens))))
        }
        #expect(gateway.waitForEnds(prompts.count, timeout: 120))
        #expect(gateway.failures.isEmpty)
        for (i, want) in expected.enumerated() {
            #expect(gateway.tokens[SequenceID(UInt64(i + 1))] == want, "prompt \(i)")
            #expect(gateway.finishes[SequenceID(UInt64(i + 1))] == .length)
        }
        // Batching happened: fewer steps than one per sequence per token on the first stage.
        #expect(runtimes[0].statistics.steps < UInt64(prompts.count) * UInt64(maxTokens))
        // The last stage freed its KV cache on finishing; the others free theirs on the gateway's release.
        #expect(runtimes[2].stage.withKVCache { $0.usedBlocks } == 0)
        let all = Release(sequences: (1...prompts.count).map { SequenceID(UInt64($0)) })
        for runtime in runtimes { runtime.deliver(.release(all)) }
        #expect(waitUntil(seconds: 30) { runtimes.allSatisfy { $0.stage.withKVCache { $0.usedBlocks } == 0 } })
    }

    @Test(.enabled(if: RealModel.available)) func releaseFreesKVAndStopsTheSequence() throws {
        let store = try openModel(at: RealModel.path!)
        let pipeline = try LocalPipeline.load(checkpoint: store, stageCount: 2, pool: try ThreadPool(threads: 2))
        let gateway = GatewayProbe()
        let runtimes = wire(pipeline.stages, gateway: gateway)
        defer { runtimes.forEach { $0.stop() } }
        let id = SequenceID(7)
        runtimes[0].deliver(.admit(Admit(sequence: id, promptTokens: [1, 2, 3], sampling: SamplingSettings(maxTokens: 10_000))))
        // Wait for a few tokens, then release everywhere, as the gateway does on a client disconnect.
        #expect(waitUntil(seconds: 60) { (gateway.tokens[id]?.count ?? 0) >= 3 })
        for runtime in runtimes { runtime.deliver(.release(Release(sequences: [id]))) }
        #expect(waitUntil(seconds: 30) { runtimes.allSatisfy { $0.stage.withKVCache { $0.usedBlocks } == 0 } })
        // No tokens follow the release once the stages are idle.
        let count = gateway.tokens[id]?.count ?? 0
        #expect(runtimes.allSatisfy { $0.statistics.liveSequences == 0 } || waitUntil(seconds: 5) { runtimes.allSatisfy { $0.statistics.liveSequences == 0 } })
        #expect(gateway.tokens[id]?.count == count)
    }

    @Test(.enabled(if: RealModel.available)) func badSequenceFailsAloneOthersContinue() throws {
        let store = try openModel(at: RealModel.path!)
        let pipeline = try LocalPipeline.load(checkpoint: store, stageCount: 1, pool: try ThreadPool(threads: 2))
        let gateway = GatewayProbe()
        let runtimes = wire(pipeline.stages, gateway: gateway)
        defer { runtimes.forEach { $0.stop() } }
        runtimes[0].deliver(.admit(Admit(sequence: SequenceID(1), promptTokens: [1, 2], sampling: SamplingSettings(maxTokens: 4))))
        runtimes[0].deliver(.admit(Admit(sequence: SequenceID(2), promptTokens: [999_999], sampling: SamplingSettings(maxTokens: 4))))
        #expect(gateway.waitForEnds(2, timeout: 60))
        #expect(gateway.failures.map(\.sequence) == [SequenceID(2)])
        #expect(gateway.tokens[SequenceID(1)]?.count == 4)
    }
}
