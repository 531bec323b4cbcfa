import ArgumentParser
import Foundation
import Kernels
import ModelEngine

/// `brigade bench decode`: prefill and decode speed and memory on a real model, as one JSON line.
struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Measure prefill time, decode tokens/s and peak memory on one model; prints one JSON object.",
        discussion: "Keys: prefill_seconds, decode_tokens_per_second, peak_rss_bytes, weight_bytes, kv_bytes, rss_ratio = peak RSS / (weights + KV), and per-run values. Compare with scripts/bench/decode-vs-llamacpp.sh."
    )

    @Option(help: "The model file (default: the cached default model).")
    var model: String?

    @Option(help: "Compute threads (default: the number of cores).")
    var threads: Int = ThreadPool.defaultThreadCount

    @Option(help: "Prompt length.")
    var promptTokens = 128

    @Option(help: "Generated tokens timed per run.")
    var decodeTokens = 128

    @Option(help: "Sequences decoded together per step (continuous batching); rates count them all.")
    var batch = 1

    @Option(help: "Prefill+decode runs; medians are reported.")
    var runs = 1

    @Option(help: "float32 (expand every matrix at load) or quantized (keep Q8_0/Q4_1 as stored).")
    var weights: String = WeightStorage.float32.rawValue

    func validate() throws {
        guard promptTokens >= 1, decodeTokens >= 1, runs >= 1, threads >= 1, batch >= 1 else {
            throw ValidationError("--prompt-tokens, --decode-tokens, --runs, --threads and --batch must be at least 1")
        }
        guard WeightStorage(rawValue: weights) != nil else { throw ValidationError("--weights must be float32 or quantized") }
    }

    func run() throws {
        let path = try ModelCache().modelPath(model)
        let result = try DecodeBenchmark.run(
            path: path, threads: threads, promptTokens: promptTokens, decodeTokens: decodeTokens, runs: runs,
            storage: WeightStorage(rawValue: weights)!, batch: batch)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }
}
