import Foundation
import Kernels
import ModelEngine
import ModelFormats
import Testing
import Tokenizer

/// Where the real default model is, if present: `$BRIGADE_TEST_MODEL`, else the project cache.
enum RealModel {
    static var path: String {
        ProcessInfo.processInfo.environment["BRIGADE_TEST_MODEL"] ?? ModelCache().defaultModelPath
    }
    /// Whether CI demands the real-model tests (BRIGADE_REQUIRE_MODEL=1): they then run, and fail, without it.
    static var required: Bool { ProcessInfo.processInfo.environment["BRIGADE_REQUIRE_MODEL"] == "1" }
    /// Whether to run the real-model tests: the model is there, or they are required.
    static var present: Bool { FileManager.default.fileExists(atPath: path) || required }

    /// Whether `python3` can import numpy and gguf (the reference implementation's needs).
    static let pythonReady: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import numpy, gguf"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// Whether these tests were built in release (heavy tests run only there).
    static var releaseBuild: Bool {
        #if DEBUG
        return false
        #else
        return true
        #endif
    }

    /// The repository root (two folders above this file's folder).
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

extension Tag {
    /// Needs the real model and Python; seconds to minutes. Run in release:
    /// `swift test -c release -Xswiftc -enable-testing --filter ReferenceTests`.
    @Tag static var realModel: Self
}

/// The engine against scripts/reference/llama_reference.py, an independent numpy (float64) implementation, on the
/// real SmolLM2 weights.
@Suite(.tags(.realModel), .enabled(if: RealModel.releaseBuild, "heavy: swift test -c release -Xswiftc -enable-testing"),
       .enabled(if: RealModel.present, "needs the default model (brigade model fetch)"),
       .enabled(if: RealModel.pythonReady || RealModel.required, "needs python3 with numpy and gguf"))
struct ReferenceTests {
    static let prompts = [
        "The capital of France is",
        "Größenwahn, café, naïve — 日本語のテキスト 🚀 and emoji 👩‍💻.",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nprint(",
        "<|im_start|>user\nList three prime numbers.<|im_end|>\n<|im_start|>assistant\n",
    ]
    static let steps = 48

    struct Reference: Decodable {
        var prompt: [Int32]
        var greedy: [Int32]
        var logits: [Double]
    }

    @Test(.timeLimit(.minutes(10)))
    func firstLogitsAndGreedyContinuationMatchTheReference() throws {
        let store = try openModel(at: RealModel.path)
        let tokenizer = try BPETokenizer(gguf: store.modelMetadata.gguf!)
        let prompts = Self.prompts.map { tokenizer.encode($0, addSpecial: true, parseSpecial: true) }
        let references = try runReference(prompts)
        #expect(references.count == prompts.count)
        let pipeline = try LocalPipeline.load(checkpoint: store, stageCount: 3, pool: try ThreadPool(threads: 2))
        for (prompt, reference) in zip(prompts, references) {
            #expect(reference.prompt == prompt)
            let logits = try pipeline.forward([.tokens(1, at: 0, prompt)])[0].logits!
            pipeline.free(1)
            let error = relativeError(logits, reference.logits)
            #expect(error < 1e-4, "prompt \(prompt.prefix(8))…: logits differ by \(error) of the largest")
            let generated = try pipeline.generate(GenerationRequest(prompt: prompt, maxTokens: Self.steps)) { _ in true }
            #expect(generated.tokens == reference.greedy, "greedy continuation of \(tokenizer.decode(prompt).debugDescription)")
        }
    }

    /// The same weights as a Hugging Face safetensors folder (HF names, q/k rows in rotate-half order, read with
    /// half-split RoPE) give the same model: logits within 1e-4, and the same greedy tokens.
    @Test(.timeLimit(.minutes(10)))
    func theSafetensorsConversionGivesTheSameModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-hf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let convert = Process()
        convert.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        convert.arguments = ["python3", RealModel.repository + "/scripts/reference/gguf_to_safetensors.py", RealModel.path, folder]
        convert.standardOutput = FileHandle.nullDevice
        try convert.run()
        convert.waitUntilExit()
        #expect(convert.terminationStatus == 0)
        let pool = try ThreadPool(threads: 2)
        let hf = try LocalPipeline.load(checkpoint: try openModel(at: folder), stageCount: 2, pool: pool)
        #expect(hf.config.ropePairing == .halfSplit)
        let gguf = try LocalPipeline.load(checkpoint: try openModel(at: RealModel.path), pool: pool)
        let store = try openModel(at: RealModel.path)
        let tokenizer = try BPETokenizer(gguf: store.modelMetadata.gguf!)
        let prompt = tokenizer.encode(Self.prompts[2], addSpecial: true, parseSpecial: true)
        let a = try hf.forward([.tokens(1, at: 0, prompt)])[0].logits!
        let b = try gguf.forward([.tokens(1, at: 0, prompt)])[0].logits!
        #expect(relativeError(a, b.map(Double.init)) < 1e-4)
        hf.free(1)
        gguf.free(1)
        let request = GenerationRequest(prompt: prompt, maxTokens: 24)
        #expect(try hf.generate(request) { _ in true } == gguf.generate(request) { _ in true })
    }

    func runReference(_ prompts: [[Int32]]) throws -> [Reference] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", RealModel.repository + "/scripts/reference/llama_reference.py",
                             "--model", RealModel.path, "--steps", String(Self.steps)]
            + prompts.flatMap { ["--tokens", $0.map(String.init).joined(separator: ",")] }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "llama_reference.py failed")
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(Reference.self, from: Data($0)) }
    }
}
