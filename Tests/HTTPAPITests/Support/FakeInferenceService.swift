import HTTPAPI
import Synchronization
import Tokenizer

/// A deterministic `InferenceService` for tests: each generation plays a script of token ids, with optional
/// delays, refusals and failures, and records what it was asked and whether it was cancelled.
final class FakeInferenceService: InferenceService {
    /// How one generation behaves.
    struct Script: Sendable {
        /// What happens when the script's tokens run out.
        enum Ending: Sendable {
            /// Finish with this reason.
            case finish(FinishReason)
            /// Wait, generating nothing more, until cancelled.
            case hang
        }

        /// The tokens to generate, in order (cut short by a stop id or `maxTokens`).
        var tokens: [Int32] = []
        /// Pause before each token.
        var delay: Duration = .zero
        /// After the tokens run out.
        var ending: Ending = .finish(.stop)
        /// When set, `generate` throws this instead of starting.
        var refusal: (any Error & Sendable)? = nil
    }

    /// Something the service observed.
    enum Event: Sendable, Equatable {
        case started(requestID: String)
        case cancelled(requestID: String)
        case finished(requestID: String)
    }

    let models: [ServedModel]
    let cluster: ClusterStatus
    private let script: Mutex<Script>
    private let log = Mutex<[GenerationRequest]>([])
    private let eventStream: AsyncStream<Event>
    private let eventContinuation: AsyncStream<Event>.Continuation

    /// A service serving `models` that plays `script` for every generation.
    init(models: [ServedModel], script: Script = Script(), cluster: ClusterStatus = ClusterStatus()) {
        self.models = models
        self.cluster = cluster
        self.script = Mutex(script)
        (eventStream, eventContinuation) = AsyncStream.makeStream(of: Event.self)
    }

    /// A service with one model, "fake-model", over `TestVocabulary`.
    convenience init(
        script: Script = Script(), contextLength: Int = 64, chatTemplate: ChatTemplate? = .chatML(),
        cluster: ClusterStatus = ClusterStatus()
    ) throws {
        let model = ServedModel(
            name: "fake-model", tokenizer: try TestVocabulary.makeTokenizer(), chatTemplate: chatTemplate,
            contextLength: contextLength, defaultSampling: SamplingParameters(temperature: 0.7, topP: 0.9, topK: 40))
        self.init(models: [model], script: script, cluster: cluster)
    }

    /// Replaces the script for later generations.
    func setScript(_ newScript: Script) { script.withLock { $0 = newScript } }

    /// Every request `generate` received, in order.
    var requests: [GenerationRequest] { log.withLock { $0 } }

    /// What the service observed, in order (one reader).
    var events: AsyncStream<Event> { eventStream }

    func servedModels() async -> [ServedModel] { models }

    func clusterStatus() async -> ClusterStatus { cluster }

    func generate(_ request: GenerationRequest) async throws -> GenerationStream {
        let script = script.withLock { $0 }
        if let refusal = script.refusal { throw refusal }
        guard models.contains(where: { $0.name == request.model }) else {
            throw ServiceError.unknownModel(request.model)
        }
        log.withLock { $0.append(request) }
        eventContinuation.yield(.started(requestID: request.requestID))

        let (events, continuation) = AsyncStream.makeStream(of: GenerationEvent.self)
        let observer = eventContinuation
        let player = Task {
            var index = 0
            for id in script.tokens {
                if script.delay > .zero { try? await Task.sleep(for: script.delay) }
                if Task.isCancelled { return }
                continuation.yield(.token(index: index, id: id))
                index += 1
                if request.stopTokenIDs.contains(id) { return finish(.stop) }
                if index >= request.maxTokens { return finish(.length) }
            }
            switch script.ending {
            case .finish(let reason):
                finish(reason)
            case .hang:
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }

            func finish(_ reason: FinishReason) {
                continuation.yield(.finished(reason))
                continuation.finish()
                observer.yield(.finished(requestID: request.requestID))
            }
        }
        let cancelled = Mutex(false)
        return GenerationStream(events) {
            let first = cancelled.withLock { done in
                defer { done = true }
                return !done
            }
            guard first else { return }
            player.cancel()
            continuation.finish()
            observer.yield(.cancelled(requestID: request.requestID))
        }
    }
}
