import Foundation
import Hummingbird

extension GenerationRoutes {
    /// OpenAI's default `max_tokens` for `/v1/completions`.
    static let defaultCompletionMaxTokens = 16

    /// `POST /v1/completions`: continues a prompt, whole or streamed.
    func completions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let arrived = ContinuousClock.now
        var request = request
        let body = try CompletionRequest(try await readJSON(&request))
        let model = try await model(named: body.options.model)
        let prompt: [Int32]
        switch body.prompt {
        case .text(let text): prompt = model.tokenizer.encode(text)
        case .tokens(let ids): prompt = ids
        }
        let prepared = try prepare(
            body.options, model: model, prompt: prompt, promptParam: "prompt",
            defaultMaxTokens: Self.defaultCompletionMaxTokens, context: context, arrived: arrived)
        let lease = try await start(prepared)
        let identity = ResponseIdentity.make(prefix: "cmpl-", model: model.name, now: Date().timeIntervalSince1970)

        guard prepared.options.stream else {
            let (text, outcome) = try await cancellingOnDisconnect(request) {
                var text = ""
                let outcome = try await prepared.textGeneration.run(lease) { text += $0 }
                return (text, outcome)
            }
            var response = try JSONResponse.make(
                CompletionResponse(
                    identity: identity, choices: [.init(text: text, finishReason: outcome.finishReason)],
                    usage: prepared.usage(outcome.completionTokens)))
            response.headers.append(contentsOf: connectionHeaders)
            return response
        }

        let includeUsage = prepared.options.includeUsage
        @Sendable func chunk(_ text: String, _ finishReason: String?) -> CompletionResponse {
            CompletionResponse(
                identity: identity, choices: [.init(text: text, finishReason: finishReason)], usage: nil,
                usageKey: includeUsage)
        }
        return Response(
            status: .ok, headers: ServerSentEvents.headers + connectionHeaders,
            body: ResponseBody { [request] writer in
                try await cancellingOnDisconnect(request) {
                    do {
                        let outcome = try await prepared.textGeneration.run(lease) { text in
                            try await writer.write(ServerSentEvents.event(chunk(text, nil)))
                        }
                        try await writer.write(ServerSentEvents.event(chunk("", outcome.finishReason)))
                        if includeUsage {
                            try await writer.write(
                                ServerSentEvents.event(
                                    CompletionResponse(
                                        identity: identity, choices: [], usage: prepared.usage(outcome.completionTokens)
                                    )))
                        }
                    } catch let error as APIError {
                        try await writer.write(ServerSentEvents.event(error.body))
                    }
                    try await writer.write(ServerSentEvents.done)
                }
                try await writer.finish(nil)
            })
    }
}
