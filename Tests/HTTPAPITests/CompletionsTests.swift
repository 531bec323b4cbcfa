import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Tokenizer

@testable import HTTPAPI

/// `/v1/completions` through Hummingbird's in-process router, against the fake service.
@Suite struct CompletionsTests {
    typealias V = TestVocabulary

    @Test func aWholeCompletionReturnsTheTextFinishReasonAndUsage() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.imEnd, V.hello]))
        try await withRouter(service) { client in
            let response = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "Hello world"])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let body = try decodeWire(CompletionWire.self, response.body)
            #expect(body.object == "text_completion")
            #expect(body.id.hasPrefix("cmpl-"))
            #expect(body.model == "fake-model")
            #expect(abs(Double(body.created) - Date().timeIntervalSince1970) < 60)
            #expect(body.choices.count == 1)
            #expect(body.choices[0].text == "Hello world", "the end-of-turn token is not shown")
            #expect(body.choices[0].finishReason == "stop")
            // "Hello world" is two tokens in the test vocabulary; three were generated, counting <|im_end|>.
            #expect(body.usage == .init(promptTokens: 2, completionTokens: 3, totalTokens: 5))
        }
        let request = try #require(service.requests.first)
        #expect(request.promptTokens == [V.hello, V.world])
        #expect(request.stopTokenIDs == [V.imEnd, V.endOfText])
    }

    @Test func maxTokensEndsWithLength() async throws {
        let service = try FakeInferenceService(script: .init(tokens: V.bytes("abcdefgh")))
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": "x", "max_tokens": 3])
            let body = try decodeWire(CompletionWire.self, response.body)
            #expect(body.choices[0].text == "abc")
            #expect(body.choices[0].finishReason == "length")
            #expect(body.usage?.completionTokens == 3)
        }
        #expect(service.requests.first?.maxTokens == 3)
    }

    @Test func maxTokensDefaultsTo16AndSamplingDefaultsComeFromTheModel() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello]))
        try await withRouter(service) { client in
            _ = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "x"])
            _ = try await client.post(
                "/v1/completions",
                ["model": "fake-model", "prompt": "x", "temperature": 0, "top_p": 0.25, "top_k": 3, "seed": 42])
        }
        let requests = service.requests
        #expect(requests.count == 2)
        #expect(requests[0].maxTokens == 16)
        #expect(requests[0].sampling == SamplingParameters(temperature: 0.7, topP: 0.9, topK: 40, seed: nil))
        #expect(requests[1].sampling == SamplingParameters(temperature: 0, topP: 0.25, topK: 3, seed: 42))
    }

    @Test func aModelsOwnDefaultMaxTokensAppliesToBothEndpointsWithinTheContext() async throws {
        var model = try FakeInferenceService().models[0]
        model.defaultMaxTokens = 40
        let service = FakeInferenceService(models: [model], script: .init(tokens: [V.hello]))
        try await withRouter(service) { client in
            _ = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "x"])
            _ = try await client.post(
                "/v1/chat/completions", ["model": "fake-model", "messages": [["role": "user", "content": "x"]]])
            _ = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": String(repeating: "y", count: 60)])
        }
        #expect(service.requests.map(\.maxTokens) == [40, 40, 4], "the last prompt leaves room for only 4")
    }

    @Test func aStopStringSplitAcrossTokensEndsTheTextBeforeItAndCancelsTheSequence() async throws {
        // "42." then "\n" and "\n" as separate byte tokens; the stop string "\n\n" spans two tokens.
        let service = try FakeInferenceService(
            script: .init(tokens: V.bytes("The answer is 42.\n\nNext question"), ending: .hang))
        let events = service.events
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": "Q", "stop": ["\n\n", "never"], "max_tokens": 40])
            let body = try decodeWire(CompletionWire.self, response.body)
            #expect(body.choices[0].text == "The answer is 42.")
            #expect(body.choices[0].finishReason == "stop")
            #expect(body.usage?.completionTokens == "The answer is 42.\n\n".utf8.count)
        }
        let requestID = try #require(service.requests.first?.requestID)
        _ = try await events.first(within: .seconds(10), "the sequence to be cancelled") {
            $0 == .cancelled(requestID: requestID)
        }
    }

    @Test func promptTokenIDsPassThroughUntouched() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.world]))
        try await withRouter(service) { client in
            let response = try await client.post("/v1/completions", ["model": "fake-model", "prompt": [5, 6, 7]])
            #expect(response.status == .ok)
            let outOfRange = try await client.post("/v1/completions", ["model": "fake-model", "prompt": [5, 99999]])
            #expect(outOfRange.status == .badRequest)
            #expect(try decodeWire(ErrorWire.self, outOfRange.body).error.message.contains("99999"))
        }
        #expect(service.requests.map(\.promptTokens) == [[5, 6, 7]])
    }

    @Test func aStreamSendsChunksThenFinishThenUsageThenDone() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.endOfText]))
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/completions",
                ["model": "fake-model", "prompt": "x", "stream": true, "stream_options": ["include_usage": true]])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let (payloads, clean) = ssePayloads(response.body)
            #expect(clean)
            #expect(payloads.last == "[DONE]")
            let chunks = try payloads.dropLast().map { try decodeWire(CompletionWire.self, Data($0.utf8)) }
            #expect(chunks.count == 4)
            #expect(Set(chunks.map(\.id)).count == 1, "every chunk repeats the id")
            #expect(chunks.allSatisfy { $0.object == "text_completion" })
            #expect(chunks[0..<2].map { $0.choices[0].text } == ["Hello", " world"])
            #expect(chunks[0..<2].allSatisfy { $0.choices[0].finishReason == nil && $0.usage == nil })
            #expect(chunks[2].choices[0].text == "" && chunks[2].choices[0].finishReason == "stop")
            #expect(chunks[3].choices.isEmpty)
            #expect(chunks[3].usage == .init(promptTokens: 1, completionTokens: 3, totalTokens: 4))
            // include_usage also puts an explicit "usage": null on the other chunks, as OpenAI does.
            #expect(payloads[0].contains(#""usage":null"#))
        }
    }

    @Test func aStreamWithoutIncludeUsageHasNoUsageKey() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello]))
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": "x", "stream": true])
            let (payloads, _) = ssePayloads(response.body)
            #expect(payloads.count == 3)  // "Hello", finish, [DONE]
            #expect(!payloads.contains { $0.contains("usage") })
        }
    }
}
