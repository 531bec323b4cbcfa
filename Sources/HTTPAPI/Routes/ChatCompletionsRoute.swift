import Foundation
import Hummingbird

extension GenerationRoutes {
    /// `POST /v1/chat/completions`: answers a conversation, whole or streamed.
    func chatCompletions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let arrived = ContinuousClock.now
        var request = request
        let body = try ChatCompletionRequest(try await readJSON(&request))
        let model = try await model(named: body.options.model)
        guard let template = model.chatTemplate else {
            throw APIError.invalidField(
                "model", "the model '\(model.name)' has no chat template; use /v1/completions with a prompt instead")
        }
        let prompt = model.tokenizer.encode(template.render(body.messages, addGenerationPrompt: true))
        let prepared = try prepare(
            body.options, model: model, prompt: prompt, promptParam: "messages", defaultMaxTokens: nil,
            context: context, arrived: arrived)
        let lease = try await start(prepared)
        let identity = ResponseIdentity.make(prefix: "chatcmpl-", model: model.name, now: Date().timeIntervalSince1970)

        guard prepared.options.stream else {
            let (text, outcome) = try await cancellingOnDisconnect(request) {
                var text = ""
                let outcome = try await prepared.textGeneration.run(lease) { text += $0 }
                return (text, outcome)
            }
            let choice = ChatCompletionResponse.Choice(
                message: .init(role: "assistant", content: text), finishReason: outcome.finishReason, isDelta: false)
            var response = try JSONResponse.make(
                ChatCompletionResponse(
                    identity: identity, isChunk: false, choices: [choice],
                    usage: prepared.usage(outcome.completionTokens)))
            response.headers.append(contentsOf: connectionHeaders)
            return response
        }

        let includeUsage = prepared.options.includeUsage
        @Sendable func chunk(_ delta: ChatCompletionResponse.Message, _ finishReason: String?) -> ChatCompletionResponse
        {
            ChatCompletionResponse(
                identity: identity, isChunk: true,
                choices: [.init(message: delta, finishReason: finishReason, isDelta: true)], usage: nil,
                usageKey: includeUsage)
        }
        return Response(
            status: .ok, headers: ServerSentEvents.headers + connectionHeaders,
            body: ResponseBody { [request] writer in
                try await cancellingOnDisconnect(request) {
                    do {
                        try await writer.write(
                            ServerSentEvents.event(chunk(.init(role: "assistant", content: ""), nil)))
                        let outcome = try await prepared.textGeneration.run(lease) { text in
                            try await writer.write(ServerSentEvents.event(chunk(.init(content: text), nil)))
                        }
                        try await writer.write(ServerSentEvents.event(chunk(.init(), outcome.finishReason)))
                        if includeUsage {
                            try await writer.write(
                                ServerSentEvents.event(
                                    ChatCompletionResponse(
                                        identity: identity, isChunk: true, choices: [],
                                        usage: prepared.usage(outcome.completionTokens))))
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
