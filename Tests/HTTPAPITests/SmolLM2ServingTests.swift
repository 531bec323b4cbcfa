import Foundation
import HTTPAPI
import ModelFormats
import Testing
import Tokenizer

/// The HTTP layer with SmolLM2's real tokenizer and chat template, read from the GGUF: what the cluster will serve.
///
/// Enabled when the model is in $BRIGADE_TEST_MODEL or $BRIGADE_HOME/models (or BRIGADE_REQUIRE_MODEL=1 makes
/// its absence a failure, as in CI).
@Suite(.enabled(if: TestModel.isAvailable, "SmolLM2 GGUF not found in $BRIGADE_TEST_MODEL or $BRIGADE_HOME/models"))
struct SmolLM2ServingTests {
    /// The served model as the cluster would describe it, plus a fake service that plays `reply` back as tokens.
    private func service(replying reply: String) throws -> (FakeInferenceService, BPETokenizer) {
        let path = try #require(TestModel.path, "the SmolLM2 GGUF is missing")
        let tokenizer = try BPETokenizer(gguf: GGUFFile(path: path).metadata)
        let template = try ChatTemplate.detect(from: tokenizer.chatTemplateSource)
        let model = ServedModel(
            name: "SmolLM2-135M-Instruct", tokenizer: tokenizer, chatTemplate: template, contextLength: 8192)
        let endOfTurn = try #require(tokenizer.specialTokenID("<|im_end|>"))
        let script = FakeInferenceService.Script(tokens: tokenizer.encode(reply, addSpecial: false) + [endOfTurn])
        return (FakeInferenceService(models: [model], script: script), tokenizer)
    }

    @Test func aChatPromptIsSmolLM2sChatMLWithItsDefaultSystemMessage() async throws {
        let (service, tokenizer) = try service(replying: "Hi!")
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/chat/completions",
                ["model": "SmolLM2-135M-Instruct", "messages": [["role": "user", "content": "What is 2+2?"]]])
            #expect(response.status == .ok)
        }
        let request = try #require(service.requests.first)
        let text = tokenizer.decode(request.promptTokens)
        #expect(
            text.hasPrefix("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        #expect(text.hasSuffix("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"))
        #expect(request.promptTokens.first == tokenizer.specialTokenID("<|im_start|>"))
        #expect(request.stopTokenIDs.contains(try #require(tokenizer.specialTokenID("<|im_end|>"))))
    }

    @Test func realTokensOfEveryScriptStreamBackAsTheExactText() async throws {
        let reply = "Bonjour, le café coûte 3,50 € — 你好世界 🦀👩‍💻 done.\n\tcode: `let x = 42`"
        let (service, _) = try service(replying: reply)
        try await withRouter(service) { client in
            let whole = try await client.post(
                "/v1/completions", ["model": "SmolLM2-135M-Instruct", "prompt": "Say it:", "max_tokens": 200])
            let body = try decodeWire(CompletionWire.self, whole.body)
            #expect(body.choices.first?.text == reply)
            #expect(body.choices.first?.finishReason == "stop")

            let stream = try await client.post(
                "/v1/completions",
                ["model": "SmolLM2-135M-Instruct", "prompt": "Say it:", "max_tokens": 200, "stream": true])
            let (payloads, _) = ssePayloads(stream.body)
            let pieces = try payloads.dropLast().compactMap {
                try decodeWire(CompletionWire.self, Data($0.utf8)).choices.first?.text
            }
            #expect(pieces.joined() == reply)
            #expect(!pieces.contains { $0.contains("\u{FFFD}") })
        }
    }
}
