import Foundation
import Hummingbird
import NIOCore
import Tokenizer

/// `POST /v1/completions` and `POST /v1/chat/completions`: the steps both share — read and check the body, find
/// the model, fit the prompt to its context, start the generation — and the disconnect handling of both.
/// The endpoint-specific parts are in `CompletionsRoute.swift` and `ChatCompletionsRoute.swift`.
struct GenerationRoutes: Sendable {
    let service: any InferenceService
    let metrics: APIMetrics
    let maxBodyBytes: Int
    let cancelsOnClientDisconnect: Bool

    func register(on router: Router<APIRequestContext>) {
        router.post("/v1/completions") { request, context in try await completions(request, context) }
        router.post("/v1/chat/completions") { request, context in try await chatCompletions(request, context) }
    }

    /// A generation ready to start: the model, the native request, and what the response needs.
    struct Prepared: Sendable {
        var model: ServedModel
        var request: GenerationRequest
        var options: GenerationOptions
        var arrived: ContinuousClock.Instant

        /// The text side of the generation for this request.
        var textGeneration: TextGeneration {
            TextGeneration(
                tokenizer: model.tokenizer, stopTokenIDs: request.stopTokenIDs, stopStrings: options.stop,
                maxTokens: request.maxTokens, started: arrived)
        }

        /// Token counts for a response that generated `completionTokens`.
        func usage(_ completionTokens: Int) -> Usage {
            Usage(promptTokens: request.promptTokens.count, completionTokens: completionTokens)
        }
    }

    /// Reads the body (at most `maxBodyBytes`) as a JSON object.
    func readJSON(_ request: inout Request) async throws -> [String: JSONValue] {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodyBytes {
            throw Self.tooLarge(maxBodyBytes)
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw Self.tooLarge(maxBodyBytes)
        }
        return try JSONValue.parseObject(body.readableBytesView)
    }

    /// The served model called `name`.
    func model(named name: String) async throws -> ServedModel {
        guard let model = await service.servedModels().first(where: { $0.name == name }) else {
            throw APIError.modelNotFound(name)
        }
        return model
    }

    /// Checks the prompt against the model's context and builds the native request.
    /// - Parameters:
    ///   - promptParam: the field the prompt came from, for errors ("prompt" or "messages").
    ///   - defaultMaxTokens: the endpoint's default for `max_tokens` when the model sets none (nil: whatever fits
    ///     the context).
    func prepare(
        _ options: GenerationOptions, model: ServedModel, prompt: [Int32], promptParam: String, defaultMaxTokens: Int?,
        context: APIRequestContext, arrived: ContinuousClock.Instant
    ) throws -> Prepared {
        guard !prompt.isEmpty else {
            throw APIError.invalidField(promptParam, "'\(promptParam)' tokenizes to no tokens")
        }
        let vocabulary = model.tokenizer.vocabularySize
        if let bad = prompt.first(where: { Int($0) >= vocabulary }) {
            throw APIError.invalidField(
                promptParam, "token id \(bad) is outside the vocabulary of \(vocabulary) tokens")
        }
        let room = model.contextLength - prompt.count
        guard room >= 1 else {
            throw APIError.contextLengthExceeded(
                promptParam,
                "the prompt has \(prompt.count) tokens but the model '\(model.name)' holds \(model.contextLength) "
                    + "tokens in all (prompt plus completion)")
        }
        let maxTokens: Int
        if let asked = options.maxTokens {
            guard asked <= room else {
                throw APIError.contextLengthExceeded(
                    "max_tokens",
                    "the prompt (\(prompt.count) tokens) plus max_tokens (\(asked)) exceeds the context length "
                        + "\(model.contextLength) of '\(model.name)'")
            }
            maxTokens = asked
        } else {
            maxTokens = min(model.defaultMaxTokens ?? defaultMaxTokens ?? room, room)
        }
        var sampling = model.defaultSampling
        if let temperature = options.temperature { sampling.temperature = temperature }
        if let topP = options.topP { sampling.topP = topP }
        if let topK = options.topK { sampling.topK = topK }
        if let seed = options.seed { sampling.seed = seed }
        let request = GenerationRequest(
            requestID: context.requestID, model: model.name, promptTokens: prompt, maxTokens: maxTokens,
            sampling: sampling, stopTokenIDs: model.tokenizer.endOfGenerationIDs)
        return Prepared(model: model, request: request, options: options, arrived: arrived)
    }

    /// Asks the service to start; service refusals propagate as `ServiceError` (mapped to HTTP in one place).
    func start(_ prepared: Prepared) async throws -> GenerationLease {
        let generationMetrics = metrics.generation(model: prepared.model.name)
        GenerationLease.admit(generationMetrics)
        let stream: GenerationStream
        do {
            stream = try await service.generate(prepared.request)
        } catch {
            GenerationLease.refuse(generationMetrics)
            throw error
        }
        generationMetrics.prompt.increment(by: Int64(prepared.request.promptTokens.count))
        return GenerationLease(stream: stream, metrics: generationMetrics)
    }

    /// Runs `operation`, cancelling it when the client closes the connection (if so configured).
    ///
    /// Watching for the close consumes the connection's inbound stream, so Hummingbird closes the connection after
    /// this response; `connectionHeaders` tells the client so (`Connection: close`), and errors thrown from here
    /// carry the same header.
    func cancellingOnDisconnect<Value: Sendable>(
        _ request: Request, _ operation: () async throws -> Value
    ) async throws -> Value {
        guard cancelsOnClientDisconnect else { return try await operation() }
        do {
            return try await request.body.consumeWithCancellationOnInboundClose { _ in try await operation() }
        } catch var error as APIError {
            error.headers.append(contentsOf: connectionHeaders)
            throw error
        }
    }

    /// Headers for a response whose generation ran under `cancellingOnDisconnect`.
    var connectionHeaders: HTTPFields {
        cancelsOnClientDisconnect ? [.connection: "close"] : [:]
    }

    private static func tooLarge(_ limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, message: "the request body is larger than the limit of \(limit) bytes",
            type: "invalid_request_error", param: nil, code: "request_too_large")
    }
}
