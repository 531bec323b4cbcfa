import DataPlane
import Foundation
import HTTPAPI
import Synchronization
import Transport

/// The coordinator's entry point for generations (`InferenceService`): admits requests into pipelines, streams the
/// tokens the last stages send back, and releases every stage's state when a sequence ends.
///
/// A pipeline runs at most `maxSequences` sequences at once (continuous batching); up to `queueLimit` more wait here,
/// in arrival order, and anything beyond is refused with `.queueFull` (HTTP 429 with Retry-After). Token events carry
/// their index, so each is streamed once even if it arrives twice. The gateway never blocks on the network: it
/// hands messages to a pipeline's `send` closure.
public final class Gateway: InferenceService, Sendable {
    /// How the gateway reaches one pipeline's stages.
    public struct Route: Sendable {
        public var pipeline: String
        public var model: String
        /// Worker node names, in stage order (for status and errors).
        public var stages: [String]
        public var maxSequences: Int
        public var queueLimit: Int
        /// Sends a data-plane message to stage `index`.
        public var send: @Sendable (_ stage: Int, _ message: PipelineMessage) -> Void

        public init(
            pipeline: String, model: String, stages: [String], maxSequences: Int, queueLimit: Int,
            send: @escaping @Sendable (Int, PipelineMessage) -> Void
        ) {
            self.pipeline = pipeline
            self.model = model
            self.stages = stages
            self.maxSequences = maxSequences
            self.queueLimit = queueLimit
            self.send = send
        }
    }

    /// Counters for metrics and status.
    public struct Statistics: Sendable, Equatable {
        public var admitted: UInt64 = 0
        public var finished: UInt64 = 0
        public var cancelled: UInt64 = 0
        public var failed: UInt64 = 0
        public var refused: UInt64 = 0
        public var duplicateTokens: UInt64 = 0
    }

    private struct Entry {
        var continuation: AsyncStream<GenerationEvent>.Continuation
        var pipeline: String
        var admit: Admit
        var admitted = false
        var nextIndex: Int32 = 0
    }

    private struct PipelineSlots {
        var route: Route
        var active: Set<SequenceID> = []
        var waiting: [SequenceID] = []
    }

    private struct State {
        var models: [String: ServedModel] = [:]
        /// Why a model has no serving pipeline (shown in 503 errors).
        var unavailable: [String: String] = [:]
        var pipelines: [String: PipelineSlots] = [:]
        var entries: [SequenceID: Entry] = [:]
        var nextSequence: UInt64
        var statistics = Statistics()
        var statusProvider: (@Sendable () async -> ClusterStatus)?
    }

    private let state: Mutex<State>

    /// - Parameter sequenceBase: the first sequence id; pass something unique to this gateway's incarnation so ids
    ///   never collide with a previous coordinator's sequences still known to workers.
    public init(sequenceBase: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000) << 20) {
        state = Mutex(State(nextSequence: sequenceBase))
    }

    // MARK: Configuration (the coordinator calls these)

    /// Announces a model (its tokenizer, template, limits) so `/v1/models` lists it.
    public func setModel(_ model: ServedModel) {
        state.withLock { $0.models[model.name] = model }
    }

    /// Records why `model` cannot be served right now (until a route for it is set).
    public func setUnavailable(model: String, reason: String) {
        state.withLock { $0.unavailable[model] = reason }
    }

    /// Opens (or rewires) a pipeline for traffic.
    public func setRoute(_ route: Route) {
        let toAdmit: [(SequenceID, Admit)] = state.withLock { state in
            if var slots = state.pipelines[route.pipeline] {
                slots.route = route
                state.pipelines[route.pipeline] = slots
            } else {
                state.pipelines[route.pipeline] = PipelineSlots(route: route)
            }
            state.unavailable[route.model] = nil
            return Self.admitWaiting(&state, pipeline: route.pipeline)
        }
        for (_, admit) in toAdmit { route.send(0, .admit(admit)) }
    }

    /// Takes a pipeline out of service: its sequences, running and waiting, end with a failure naming `reason`.
    public func removeRoute(pipeline: String, reason: String) {
        let ended: [AsyncStream<GenerationEvent>.Continuation] = state.withLock { state in
            guard let slots = state.pipelines.removeValue(forKey: pipeline) else { return [] }
            if !state.pipelines.values.contains(where: { $0.route.model == slots.route.model }) {
                state.unavailable[slots.route.model] = reason
            }
            let ids = Array(slots.active) + slots.waiting
            state.statistics.failed += UInt64(ids.count)
            return ids.compactMap { state.entries.removeValue(forKey: $0)?.continuation }
        }
        for continuation in ended {
            continuation.yield(.finished(.failed(reason)))
            continuation.finish()
        }
    }

    /// Supplies `/v1/cluster`'s content (the coordinator's view).
    public func setStatusProvider(_ provider: @escaping @Sendable () async -> ClusterStatus) {
        state.withLock { $0.statusProvider = provider }
    }

    /// Sequences running and waiting per pipeline.
    public func load(pipeline: String) -> (active: Int, waiting: Int) {
        state.withLock { state in
            guard let slots = state.pipelines[pipeline] else { return (0, 0) }
            return (slots.active.count, slots.waiting.count)
        }
    }

    /// Counters so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    // MARK: InferenceService

    public func servedModels() async -> [ServedModel] {
        state.withLock { Array($0.models.values).sorted { $0.name < $1.name } }
    }

    public func clusterStatus() async -> ClusterStatus {
        guard let provider = state.withLock({ $0.statusProvider }) else { return ClusterStatus() }
        return await provider()
    }

    public func generate(_ request: GenerationRequest) async throws -> GenerationStream {
        let (events, continuation) = AsyncStream.makeStream(of: GenerationEvent.self)
        let sampling = SamplingSettings(
            temperature: request.sampling.temperature, topP: request.sampling.topP, topK: Int32(request.sampling.topK),
            seed: request.sampling.seed ?? UInt64.random(in: 0...UInt64.max),
            maxTokens: Int32(clamping: request.maxTokens), stopTokenIDs: request.stopTokenIDs.sorted())
        let (sequence, route, admitNow): (SequenceID, Route, Bool) = try state.withLock { state throws(ServiceError) in
            guard let model = state.models[request.model] else { throw .unknownModel(request.model) }
            let total = request.promptTokens.count + request.maxTokens
            guard request.promptTokens.count < model.contextLength else {
                throw .promptTooLong("the prompt has \(request.promptTokens.count) tokens; \(model.name) holds \(model.contextLength)")
            }
            _ = total
            let candidates = state.pipelines.values.filter { $0.route.model == request.model }
            guard let slots = candidates.min(by: { $0.active.count + $0.waiting.count < $1.active.count + $1.waiting.count }) else {
                let reason = state.unavailable[request.model] ?? "no pipeline is serving \(request.model) yet"
                throw .unavailable(reason)
            }
            let route = slots.route
            let admitNow = slots.active.count < route.maxSequences
            guard admitNow || slots.waiting.count < route.queueLimit else {
                state.statistics.refused += 1
                throw .queueFull(
                    retryAfter: .seconds(1),
                    "pipeline \(route.pipeline) has \(slots.active.count) sequences running and \(slots.waiting.count) waiting")
            }
            let id = SequenceID(state.nextSequence)
            state.nextSequence += 1
            let admit = Admit(sequence: id, promptTokens: request.promptTokens, sampling: sampling)
            state.entries[id] = Entry(continuation: continuation, pipeline: route.pipeline, admit: admit, admitted: admitNow)
            if admitNow {
                state.pipelines[route.pipeline]!.active.insert(id)
                state.statistics.admitted += 1
            } else {
                state.pipelines[route.pipeline]!.waiting.append(id)
            }
            return (id, route, admitNow)
        }
        if admitNow {
            route.send(0, .admit(Admit(sequence: sequence, promptTokens: request.promptTokens, sampling: sampling)))
        }
        return GenerationStream(events) { [weak self] in self?.cancel(sequence) }
    }

    // MARK: From the stages

    /// Handles a data-plane message from a stage (token events, failures). Safe from the transport's I/O thread.
    public func receive(_ message: PipelineMessage) {
        switch message {
        case .token(let event): deliver(event)
        case .failure(let failure): end(failure.sequence, with: .failed("stage \(failure.stage): \(failure.message)"))
        default: break
        }
    }

    private func deliver(_ event: TokenEvent) {
        let continuation: AsyncStream<GenerationEvent>.Continuation? = state.withLock { state in
            guard var entry = state.entries[event.sequence] else { return nil }
            guard event.index == entry.nextIndex else {
                state.statistics.duplicateTokens += 1
                return nil
            }
            entry.nextIndex += 1
            state.entries[event.sequence] = entry
            return entry.continuation
        }
        guard let continuation else { return }
        continuation.yield(.token(index: Int(event.index), id: event.token))
        if let finish = event.finish {
            end(event.sequence, with: finish == .stop ? .stop : .length)
        }
    }

    /// Cancels a sequence (the client went away or a stop string matched).
    func cancel(_ sequence: SequenceID) {
        end(sequence, with: .cancelled)
    }

    /// Ends a sequence: tells its stream, frees every stage's state for it, and lets a waiting request in.
    private func end(_ sequence: SequenceID, with reason: HTTPAPI.FinishReason) {
        let outcome: (Entry, Route?, [(SequenceID, Admit)])? = state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: sequence) else { return nil }
            switch reason {
            case .cancelled: state.statistics.cancelled += 1
            case .failed: state.statistics.failed += 1
            default: state.statistics.finished += 1
            }
            guard var slots = state.pipelines[entry.pipeline] else { return (entry, nil, []) }
            slots.active.remove(sequence)
            slots.waiting.removeAll { $0 == sequence }
            state.pipelines[entry.pipeline] = slots
            return (entry, slots.route, Self.admitWaiting(&state, pipeline: entry.pipeline))
        }
        guard let (entry, route, toAdmit) = outcome else { return }
        entry.continuation.yield(.finished(reason))
        entry.continuation.finish()
        if let route {
            if entry.admitted {
                let release = PipelineMessage.release(Release(sequences: [sequence]))
                for stage in route.stages.indices { route.send(stage, release) }
            }
            for (_, admit) in toAdmit { route.send(0, .admit(admit)) }
        }
    }

    /// Moves waiting sequences into the pipeline while it has room; returns the admissions to send.
    private static func admitWaiting(_ state: inout State, pipeline: String) -> [(SequenceID, Admit)] {
        guard var slots = state.pipelines[pipeline] else { return [] }
        var admits: [(SequenceID, Admit)] = []
        while slots.active.count < slots.route.maxSequences, !slots.waiting.isEmpty {
            let id = slots.waiting.removeFirst()
            guard var entry = state.entries[id] else { continue }
            entry.admitted = true
            state.entries[id] = entry
            slots.active.insert(id)
            state.statistics.admitted += 1
            admits.append((id, entry.admit))
        }
        state.pipelines[pipeline] = slots
        return admits
    }
}
