import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Tokenizer

@testable import HTTPAPI

/// `/v1/chat/completions` through Hummingbird's in-process router, against the fake service.
@Suite struct ChatCompletionsTests {
    typealias V = TestVocabulary

    static var messages: [[String: Any]] {
        [["role": "system", "content": "Be brief."], ["role": "user", "content": "Hello"]]
    }

    @Test func aWholeChatAnswerIsAnAssistantMessageAndThePromptIsTheRenderedTemplate() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.imEnd]))
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/chat/completions", ["model": "fake-model", "messages": Self.messages])
            #expect(response.status == .ok)
            let body = try decodeWire(CompletionWire.self, response.body)
            #expect(body.object == "chat.completion")
            #expect(body.id.hasPrefix("chatcmpl-"))
            #expect(body.choices[0].message?.role == "assistant")
            #expect(body.choices[0].message?.content == "Hello world")
            #expect(body.choices[0].finishReason == "stop")
            #expect(body.usage?.completionTokens == 3)
        }
        let tokenizer = try V.makeTokenizer()
        let expected = tokenizer.encode(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n")
        let request = try #require(service.requests.first)
        #expect(request.promptTokens == expected)
        #expect(request.promptTokens.first == V.id("<|im_start|>"), "special tokens in the template are parsed")
        #expect(request.maxTokens == 64 - expected.count, "chat defaults to whatever fits the context")
    }

    @Test func aChatStreamStartsWithTheRoleAndEndsWithAnEmptyDeltaAndDone() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.imEnd]))
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/chat/completions", ["model": "fake-model", "messages": Self.messages, "stream": true])
            let (payloads, clean) = ssePayloads(response.body)
            #expect(clean)
            #expect(payloads.last == "[DONE]")
            let chunks = try payloads.dropLast().map { try decodeWire(CompletionWire.self, Data($0.utf8)) }
            #expect(chunks.allSatisfy { $0.object == "chat.completion.chunk" })
            #expect(chunks.first?.choices[0].delta?.role == "assistant")
            #expect(chunks.first?.choices[0].delta?.content == "")
            #expect(chunks.dropFirst().dropLast().compactMap { $0.choices[0].delta?.content } == ["Hello", " world"])
            let last = try #require(chunks.last)
            #expect(last.choices[0].finishReason == "stop")
            #expect(last.choices[0].delta?.content == nil && last.choices[0].delta?.role == nil)
        }
    }

    @Test func charactersSplitAcrossTokensStreamWhole() async throws {
        // Every byte is its own token, so "é", "🦀" and "世界" arrive split over 2, 4 and 3+3 tokens.
        let text = "héllo 🦀 世界 👩‍💻!"
        let service = try FakeInferenceService(script: .init(tokens: V.bytes(text)), contextLength: 256)
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/chat/completions",
                ["model": "fake-model", "messages": Self.messages, "stream": true, "max_tokens": 60])
            #expect(response.status == .ok)
            let (payloads, _) = ssePayloads(response.body)
            let pieces = try payloads.dropLast().compactMap {
                try decodeWire(CompletionWire.self, Data($0.utf8)).choices.first?.delta?.content
            }
            #expect(pieces.joined() == text)
            #expect(!pieces.contains { $0.contains("\u{FFFD}") }, "no chunk carries half a character")
            #expect(pieces.contains("🦀"), "the crab arrives in one piece once its fourth byte is in")
        }
    }

    @Test func stopStringsWorkInChatStreams() async throws {
        let service = try FakeInferenceService(script: .init(tokens: V.bytes("one, two, three"), ending: .hang))
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/chat/completions",
                ["model": "fake-model", "messages": Self.messages, "stream": true, "stop": ", th"])
            let (payloads, _) = ssePayloads(response.body)
            let chunks = try payloads.dropLast().map { try decodeWire(CompletionWire.self, Data($0.utf8)) }
            #expect(chunks.compactMap { $0.choices[0].delta?.content }.joined() == "one, two")
            #expect(chunks.last?.choices[0].finishReason == "stop")
        }
    }

    @Test func aModelWithoutChatTemplateRefusesChat() async throws {
        let service = try FakeInferenceService(chatTemplate: nil)
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/chat/completions", ["model": "fake-model", "messages": Self.messages])
            #expect(response.status == .badRequest)
            let error = try decodeWire(ErrorWire.self, response.body).error
            #expect(error.param == "model")
            #expect(error.message.contains("no chat template"))
        }
        #expect(service.requests.isEmpty)
    }
}
