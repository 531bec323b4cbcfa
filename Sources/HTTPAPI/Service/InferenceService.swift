/// What the HTTP layer needs from whatever runs the models: the cluster's gateway in production, a fake in tests.
///
/// The split follows llama.cpp's server: JSON, chat templates, tokenization, detokenization and stop strings stay in
/// the HTTP layer; only native values (token ids, sampling settings) cross this protocol. A conforming type must be
/// safe to call from many requests at once.
///
/// ```swift
/// let server = APIServer(service: gateway, configuration: .init(port: 8080), registry: registry)
/// try await server.run()
/// ```
public protocol InferenceService: Sendable {
    /// The models being served now, with what the HTTP layer needs to tokenize for them.
    ///
    /// Called on every generation request and by `GET /v1/models`, so it should be cheap (a snapshot, not a
    /// round trip through the cluster).
    func servedModels() async -> [ServedModel]

    /// Starts generating for a tokenized prompt and returns the stream of generated tokens.
    ///
    /// The stream yields each generated token in order, with its index from 0, and ends with exactly one
    /// `.finished` event. When the HTTP layer stops reading early (the client went away, a stop string matched) it
    /// calls `GenerationStream.cancel()`, which must cancel the sequence so its KV cache is freed.
    /// - Throws: `ServiceError` — `.unknownModel`, `.promptTooLong`, `.queueFull(retryAfter:)`, `.unavailable`,
    ///   `.invalidRequest`. Any other error is reported to the client as an internal error.
    func generate(_ request: GenerationRequest) async throws -> GenerationStream

    /// Members, pipelines, stages and recent events, served as JSON by `GET /v1/cluster`.
    func clusterStatus() async -> ClusterStatus
}
