import ArgumentParser
import Foundation
import Kernels
import ModelEngine
import ModelFormats
import Tokenizer

/// `brigade generate`: runs a model in this process (as one or more stages) and streams the continuation.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a prompt with a local model, streaming tokens to stdout.",
        discussion: "--stages N runs the model as N pipeline stages in one process; the output is the same for any N."
    )

    @Option(help: "The model (.gguf file or safetensors folder; default: the cached default model).")
    var model: String?

    @Option(help: "Pipeline stages to split the layers into.")
    var stages = 1

    @Option(help: "Compute threads (default: the number of cores).")
    var threads: Int = ThreadPool.defaultThreadCount

    @Option(help: "The most tokens to generate.")
    var maxTokens = 128

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(help: "Nucleus sampling mass (1 keeps every token).")
    var topP: Float = 1

    @Option(help: "Keep only the k most likely tokens (0 keeps all).")
    var topK = 0

    @Option(help: "Seed of the sampler's random generator.")
    var seed: UInt64 = 0

    @Option(help: "A string that ends generation (repeatable).")
    var stop: [String] = []

    @Option(help: "float32 or quantized weight storage (same output).")
    var weights: String = WeightStorage.float32.rawValue

    @Flag(help: "Wrap the prompt in the model's chat template as a user message.")
    var chat = false

    @Flag(help: "Print JSON lines: {prompt_tokens}, then {token, index, text} per generated token, then {text (held back until the end), finish_reason, generated_tokens}.")
    var json = false

    @Argument(help: "The prompt.")
    var prompt: String

    func validate() throws {
        guard stages >= 1 else { throw ValidationError("--stages must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must not be negative") }
        guard WeightStorage(rawValue: weights) != nil else { throw ValidationError("--weights must be float32 or quantized") }
    }

    func run() throws {
        let path = try ModelCache().modelPath(model)
        let store = try openModel(at: path)
        let tokenizer: BPETokenizer
        switch store.modelMetadata {
        case .gguf(let metadata): tokenizer = try BPETokenizer(gguf: metadata)
        case .huggingFace: tokenizer = try BPETokenizer(directory: path)
        }
        var text = prompt
        if chat {
            let template = (try? ChatTemplate.detect(from: tokenizer.chatTemplateSource)) ?? .chatML()
            text = template.render([ChatMessage(role: "user", content: prompt)])
        }
        let ids = tokenizer.encode(text, addSpecial: true, parseSpecial: chat)
        let pipeline = try LocalPipeline.load(
            checkpoint: store, stageCount: stages,
            options: StageOptions(weightStorage: WeightStorage(rawValue: weights)!), pool: try ThreadPool(threads: threads))
        let request = GenerationRequest(
            prompt: ids, sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed),
            maxTokens: maxTokens, stopTokenIDs: tokenizer.endOfGenerationIDs)
        try request.sampling.validate()

        let out = Output(json: json)
        out.line(["prompt_tokens": .ids(ids)])
        var stream = TextStream(tokenizer: tokenizer, stopStrings: stop)
        var index = 0
        let result = try pipeline.generate(request) { token in
            let piece = stream.append(token)
            out.token(token, index: index, text: piece)
            index += 1
            return !stream.stopped
        }
        let tail = stream.finish()
        out.text(tail)
        let reason = stream.stopped ? FinishReason.stop : result.finishReason
        out.line(["text": .string(tail), "finish_reason": .string(reason.rawValue), "generated_tokens": .int(result.tokens.count)])
        if !json { print("") }
    }
}

/// Writes either streamed text or JSON lines to stdout.
struct Output {
    enum Value { case ids([Int32]), int(Int), string(String) }
    let json: Bool

    func token(_ id: Int32, index: Int, text: String) {
        if json { line(["token": .int(Int(id)), "index": .int(index), "text": .string(text)]) } else { self.text(text) }
    }

    func text(_ s: String) {
        guard !json, !s.isEmpty else { return }
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    func line(_ fields: KeyValuePairs<String, Value>) {
        guard json else { return }
        let parts = fields.map { key, value -> String in
            switch value {
            case .ids(let ids): return "\"\(key)\":[\(ids.map(String.init).joined(separator: ","))]"
            case .int(let v): return "\"\(key)\":\(v)"
            case .string(let s): return "\"\(key)\":\(Output.quote(s))"
            }
        }
        FileHandle.standardOutput.write(Data("{\(parts.joined(separator: ","))}\n".utf8))
    }

    static func quote(_ s: String) -> String {
        let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
