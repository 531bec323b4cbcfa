import Testing

@testable import Tokenizer

/// ChatML rendering and template detection.
struct ChatTemplateTests {
    static let smolTemplate =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
        + "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
        + "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
        + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

    @Test func rendersSmolLM2Prompts() throws {
        let template = try ChatTemplate.detect(from: Self.smolTemplate)
        #expect(template.family == .chatML)
        #expect(template.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let user = template.render([ChatMessage(role: "user", content: "Hi!")])
        #expect(
            user == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                + "<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n")
        let withSystem = template.render(
            [
                ChatMessage(role: "system", content: "Be brief."),
                ChatMessage(role: "user", content: "Hi!"),
                ChatMessage(role: "assistant", content: "Hello."),
            ],
            addGenerationPrompt: false)
        #expect(
            withSystem == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                + "<|im_start|>assistant\nHello.<|im_end|>\n")
    }

    @Test func unknownTemplatesAreClearErrors() {
        let llama3 = "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}"
        let error = #expect(throws: TokenizerError.self) { try ChatTemplate.detect(from: llama3) }
        #expect(error?.code == .unknownTemplate)
        #expect(error?.message.contains("not ChatML") == true)
        #expect((#expect(throws: TokenizerError.self) { try ChatTemplate.detect(from: nil) })?.code == .unknownTemplate)
        let fallback = ChatTemplate.chatML()
        #expect(
            fallback.render([ChatMessage(role: "user", content: "x")])
                == "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test(.enabled(if: RealTokenizer.isAvailable, "SmolLM2 GGUF not found"))
    func realTemplateRendersToTheExpectedTokens() throws {
        let tokenizer = try RealTokenizer.tokenizer()
        let template = try ChatTemplate.detect(from: tokenizer.chatTemplateSource)
        #expect(template.defaultSystemMessage?.hasPrefix("You are a helpful AI assistant named SmolLM") == true)
        let ids = tokenizer.encode(template.render([ChatMessage(role: "user", content: "What is 2+2?")]))
        let imStart = try #require(tokenizer.specialTokenID("<|im_start|>"))
        let imEnd = try #require(tokenizer.specialTokenID("<|im_end|>"))
        #expect(ids.first == imStart)
        #expect(ids.filter { $0 == imStart }.count == 3)
        #expect(ids.filter { $0 == imEnd }.count == 2)
        #expect(Array(ids.suffix(4)) == [imStart] + tokenizer.encode("assistant\n"))
    }
}
