import Foundation
import Kernels
import ModelFormats

/// The numbers `brigade bench decode` prints (snake_case when encoded).
public struct DecodeBenchmarkResult: Sendable, Codable, Hashable {
    /// "brigade" (llama.cpp's script writes "llama.cpp").
    public var engine = "brigade"
    /// The model file.
    public var model: String
    /// Compute threads.
    public var threads: Int
    /// "float32" or "quantized".
    public var weightStorage: String
    /// The kernels' instruction set ("avx512", "avx2", "portable").
    public var instructionSet: String
    /// Prompt length.
    public var promptTokens: Int
    /// Tokens timed per run and sequence.
    public var decodeTokens: Int
    /// Sequences run together in every call (continuous batching); rates count all of them.
    public var batch: Int
    /// Seconds to load the weights.
    public var loadSeconds: Double
    /// Seconds for the prompts' forward pass (all positions, logits of the last), median over runs.
    public var prefillSeconds: Double
    /// Generated tokens per second (over all sequences) during `decodeTokens` steps, median over runs.
    public var decodeTokensPerSecond: Double
    /// Every run's prefill time, in order.
    public var prefillSecondsRuns: [Double]
    /// Every run's decode rate, in order.
    public var decodeTokensPerSecondRuns: [Double]
    /// The process's peak resident set (VmHWM).
    public var peakRSSBytes: Int
    /// Bytes of weights held in memory.
    public var weightBytes: Int
    /// Bytes of KV blocks allocated.
    public var kvBytes: Int
    /// peak RSS / (weights + KV).
    public var rssRatio: Double

    enum CodingKeys: String, CodingKey {
        case engine, model, threads, weightStorage = "weight_storage", instructionSet = "instruction_set"
        case promptTokens = "prompt_tokens", decodeTokens = "decode_tokens", batch, loadSeconds = "load_seconds"
        case prefillSeconds = "prefill_seconds", decodeTokensPerSecond = "decode_tokens_per_second"
        case prefillSecondsRuns = "prefill_seconds_runs", decodeTokensPerSecondRuns = "decode_tokens_per_second_runs"
        case peakRSSBytes = "peak_rss_bytes", weightBytes = "weight_bytes", kvBytes = "kv_bytes", rssRatio = "rss_ratio"
    }
}

/// Measures prefill time and decode speed of one sequence on a real checkpoint.
public enum DecodeBenchmark {
    /// The prompt's token ids: a fixed arithmetic sequence (scripts/bench/llamacpp_decode.py uses the same), since
    /// speed does not depend on the text.
    public static func promptTokens(count: Int, vocabularySize: Int) -> [Int32] {
        (0..<count).map { Int32((($0 * 37) + 11) % vocabularySize) }
    }

    /// Loads `path` as one stage and runs `runs` times: a `promptTokens` prefill, then `decodeTokens` greedy steps,
    /// for `batch` sequences together (each call carries one input per sequence).
    public static func run(
        path: String, threads: Int, promptTokens: Int = 128, decodeTokens: Int = 128, runs: Int = 1,
        storage: WeightStorage = .float32, batch: Int = 1
    ) throws -> DecodeBenchmarkResult {
        let pool = try ThreadPool(threads: threads)
        let loadStart = Date()
        let pipeline = try {
            let store = try openModel(at: path)  // released after loading: its metadata need not stay resident
            let capacity = batch * (promptTokens + decodeTokens + 16)
            return try LocalPipeline.load(checkpoint: store, options: StageOptions(weightStorage: storage, kvCapacityTokens: capacity), pool: pool)
        }()
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let prompt = Self.promptTokens(count: promptTokens, vocabularySize: pipeline.config.vocabularySize)
        var prefill: [Double] = [], rates: [Double] = []
        for run in 0..<max(1, runs) {
            let sequences = (0..<batch).map { SequenceID(run * batch + $0) }
            var clock = Date()
            var outputs = try pipeline.forward(sequences.map { .tokens($0, at: 0, prompt) })
            prefill.append(Date().timeIntervalSince(clock))
            var samplers = try sequences.map { _ in try Sampler(.greedy) }
            clock = Date()
            for _ in 0..<decodeTokens {
                var inputs: [StageInput] = []
                for (i, out) in outputs.enumerated() {
                    inputs.append(.tokens(out.sequence, at: out.nextPosition, [try samplers[i].sample(out.logits!, sequence: out.sequence)]))
                }
                outputs = try pipeline.forward(inputs)
            }
            rates.append(Double(batch * decodeTokens) / Date().timeIntervalSince(clock))
            if run + 1 < runs { sequences.forEach(pipeline.free) }
        }
        let rss = ProcessMemory.peakResidentBytes() ?? 0
        let weights = pipeline.weightBytes, kv = pipeline.kvBytes
        return DecodeBenchmarkResult(
            model: path, threads: pool.threads, weightStorage: storage.rawValue,
            instructionSet: InstructionSet.active.description, promptTokens: promptTokens, decodeTokens: decodeTokens,
            batch: batch, loadSeconds: loadSeconds, prefillSeconds: median(prefill),
            decodeTokensPerSecond: median(rates), prefillSecondsRuns: prefill, decodeTokensPerSecondRuns: rates,
            peakRSSBytes: rss, weightBytes: weights, kvBytes: kv, rssRatio: Double(rss) / Double(weights + kv))
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// The process's memory use, from /proc (Linux).
public enum ProcessMemory {
    /// The peak resident set size (VmHWM), or nil where /proc is not available.
    public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }
    /// The current resident set size (VmRSS).
    public static func residentBytes() -> Int? { statusField("VmRSS:") }

    static func statusField(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
              let kb = Int(line.dropFirst(key.count).trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
        else { return nil }
        return kb * 1024
    }
}
