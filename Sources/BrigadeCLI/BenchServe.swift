import ArgumentParser
import Cluster
import Foundation
import ModelEngine
import ModelFormats

/// `brigade bench serve`: the whole system under load, through its HTTP API, for a one-stage and a three-stage
/// pipeline on this machine, in one run.
struct BenchServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Measure TTFT, inter-token latency and tokens/s through the API for 1 and 3 stages; prints JSON lines.",
        discussion: """
            Starts a local cluster (coordinator, agents, workers as processes, from generated topologies on free \
            ports) with one stage and one with three stages (layers split so each stage costs about the same; workers \
            hold quantized weights, the topology default; one micro-batch, as for any pipeline on one host), then \
            measures 1, 4 and 16 concurrent streamed chat completions on each, their rounds alternating so that both \
            see the same machine. It also times the engine's own prefill of a prompt of the same length in this \
            process. One JSON line per (stages, streams): ttft_ms_p50/p99, itl_ms_p50/p99, tokens_per_second, tokens; \
            then a summary with the ratios of the targets: itl_ratio_3_vs_1 at one stream, tps_ratio_3_vs_1 at each \
            stream count, and ttft_vs_prefill for each pipeline. Logs of the processes stay in the printed folder.
            """)

    @Option(help: "Concurrent streams to measure, comma-separated.")
    var streams = "1,4,16"

    @Option(help: "Tokens each stream asks for.")
    var maxTokens = 64

    @Option(help: "Rounds per stream count (each round starts all streams together).")
    var rounds = 2

    @Option(help: "Compute threads of the single stage (default: all cores).")
    var singleStageThreads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Compute threads of each stage when there are several (default: all cores; with one micro-batch only one stage computes at a time).")
    var multiStageThreads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The pipeline's micro_batches (default: the topology's, one per distinct host: 1 here).")
    var microBatches: Int?

    @Option(help: "Stage counts to compare, comma-separated.")
    var stages = "1,3"

    @Option(help: "Split layers so every stage costs about the same, counting the output projection (true), or evenly (false).")
    var balanced = true

    func validate() throws {
        guard maxTokens >= 2, rounds >= 1, singleStageThreads >= 1, multiStageThreads >= 1, (microBatches ?? 1) >= 1 else {
            throw ValidationError("--max-tokens must be at least 2; --rounds, --single-stage-threads, --multi-stage-threads and --micro-batches at least 1")
        }
        guard parsedList(streams) != nil, parsedList(stages) != nil else {
            throw ValidationError("--streams and --stages take comma-separated positive integers, e.g. 1,4,16")
        }
    }

    func run() async throws {
        let streamCounts = parsedList(streams)!
        let stageCounts = parsedList(stages)!
        let modelPath = try DefaultModelFetcher(cache: ModelCache()).fetch { logLine("  \($0)") }
        let config = try LlamaConfig(checkpoint: try openModel(at: modelPath))
        // The output projection (vocabulary × hidden) against one layer's matrices: what the last stage carries extra.
        let perLayer: Int = config.hiddenSize * (2 * config.queryDim + 2 * config.kvDim + 3 * config.intermediateSize)
        let headLayers = Double(config.vocabularySize * config.hiddenSize) / Double(perLayer)
        // Every cluster runs for the whole measurement and their rounds alternate, so a slow spell of a shared
        // machine hits every pipeline alike instead of whichever was measured then.
        var clusters: [(stages: Int, threads: Int, cluster: LocalCluster, client: ClusterHTTPClient, model: String)] = []
        var results: [Int: [Int: ServeResult]] = [:]
        var prefill: [Int: Double] = [:]
        var promptTokens = 0
        do {
            for stageCount in stageCounts {
                let threads = stageCount == 1 ? singleStageThreads : multiStageThreads
                let topology = try GeneratedTopology(
                    stages: stageCount, layers: config.layerCount, headLayers: balanced ? headLayers : 0, threads: threads,
                    maxSequences: 16, queueLimit: 256, microBatches: microBatches)
                let cluster = try LocalCluster(topologyPath: topology.path, executable: brigadeExecutable(), logDirectory: topology.folder + "/logs")
                logLine("bench serve: \(stageCount) stage(s), \(threads) thread(s) each, micro-batches \(microBatches.map(String.init) ?? "default"); logs in \(topology.folder)/logs")
                let client = ClusterHTTPClient(baseURL: topology.baseURL)
                clusters.append((stageCount, threads, cluster, client, topology.model))
                try await cluster.start(timeout: .seconds(300)) { logLine("  \($0)") }
                promptTokens = try await ServeLoad.promptTokens(client: client, model: topology.model)
                _ = try await ServeLoad.round(client: client, model: topology.model, streams: 1, maxTokens: 8)  // warm-up
            }
            for count in streamCounts {
                var samples: [Int: [ServeLoad.Stream]] = [:]
                var seconds: [Int: Double] = [:]
                for _ in 0..<rounds {
                    for entry in clusters {
                        let round = try await ServeLoad.round(client: entry.client, model: entry.model, streams: count, maxTokens: maxTokens)
                        samples[entry.stages, default: []] += round.streams
                        seconds[entry.stages, default: 0] += round.seconds
                    }
                }
                for entry in clusters {
                    let result = ServeResult(stages: entry.stages, threadsPerStage: entry.threads, streams: count,
                                             samples: samples[entry.stages] ?? [], seconds: seconds[entry.stages] ?? 0)
                    results[entry.stages, default: [:]][count] = result
                    printJSON(result)
                }
                if count == streamCounts.min() {
                    // The engine's own prefill of the same prompt, in this process, while the clusters idle.
                    for threads in Set(clusters.map(\.threads)) where prefill[threads] == nil {
                        prefill[threads] = try DecodeBenchmark.run(path: modelPath, threads: threads, promptTokens: promptTokens, decodeTokens: 1,
                                                                   runs: 3, storage: .quantized).prefillSeconds
                    }
                }
            }
        } catch {
            for entry in clusters { await entry.cluster.stop() }
            throw error
        }
        for entry in clusters { await entry.cluster.stop() }
        var summary: [String: Double] = [:]
        for (threads, seconds) in prefill { summary["engine_prefill_ms_\(threads)_threads"] = seconds * 1000 }
        for stageCount in stageCounts {
            let threads = stageCount == 1 ? singleStageThreads : multiStageThreads
            if let one = results[stageCount]?[streamCounts.min()!], let engine = prefill[threads] {
                summary["ttft_vs_prefill_\(stageCount)_stages"] = one.ttftMsP50 / (engine * 1000)
            }
        }
        if let one = results[1], let three = results[3] {
            if let a = one[1], let b = three[1] { summary["itl_ratio_3_vs_1"] = b.itlMsP50 / a.itlMsP50 }
            for count in streamCounts {
                if let a = one[count], let b = three[count] { summary["tps_ratio_3_vs_1_at_\(count)"] = b.tokensPerSecond / a.tokensPerSecond }
            }
        }
        summary["prompt_tokens"] = Double(promptTokens)
        printJSON(ServeSummary(values: summary))
    }

    private func parsedList(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return values.map { $0! }
    }
}

/// One line of `bench serve`.
struct ServeResult: Encodable {
    let bench = "serve"
    let stages: Int
    let threadsPerStage: Int
    let streams: Int
    let requests: Int
    let tokens: Int
    let tokensPerSecond: Double
    let ttftMsP50: Double
    let ttftMsP99: Double
    let itlMsP50: Double
    let itlMsP99: Double

    init(stages: Int, threadsPerStage: Int, streams: Int, samples: [ServeLoad.Stream], seconds: Double) {
        self.stages = stages
        self.threadsPerStage = threadsPerStage
        self.streams = streams
        requests = samples.count
        tokens = samples.reduce(0) { $0 + $1.tokens }
        tokensPerSecond = Double(tokens) / seconds
        let ttft = samples.map { $0.ttft * 1000 }.sorted()
        let itl = samples.flatMap { $0.gaps }.map { $0 * 1000 }.sorted()
        ttftMsP50 = percentile(ttft, 0.5)
        ttftMsP99 = percentile(ttft, 0.99)
        itlMsP50 = percentile(itl, 0.5)
        itlMsP99 = percentile(itl, 0.99)
    }

    enum CodingKeys: String, CodingKey {
        case bench, stages, streams, requests, tokens
        case threadsPerStage = "threads_per_stage"
        case tokensPerSecond = "tokens_per_second"
        case ttftMsP50 = "ttft_ms_p50"
        case ttftMsP99 = "ttft_ms_p99"
        case itlMsP50 = "itl_ms_p50"
        case itlMsP99 = "itl_ms_p99"
    }
}

/// The last line of `bench serve`: `{"bench": "serve_summary", …ratios}`.
struct ServeSummary: Encodable {
    var values: [String: Double]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode("serve_summary", forKey: Key(stringValue: "bench"))
        for (key, value) in values { try container.encode((value * 10_000).rounded() / 10_000, forKey: Key(stringValue: key)) }
    }
}

/// The nearest-rank percentile of sorted values (0 for none).
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((Double(sorted.count) * p).rounded(.up))
    return sorted[min(sorted.count, max(rank, 1)) - 1]
}

/// Streams from concurrent clients, timed.
enum ServeLoad {
    /// A prompt of about a hundred tokens once the chat template wraps it.
    static let prompt = """
        You are helping a team of engineers who run a small cluster of machines that serve a language model as a \
        pipeline of stages. Explain, in plain words and in a few short paragraphs, why a pipeline can keep serving \
        while one of its machines is replaced, and what has to be copied for that to work.
        """

    struct Stream {
        var ttft: Double
        var gaps: [Double]
        var tokens: Int
    }

    /// The prompt's token count, from a one-token request's usage.
    static func promptTokens(client: ClusterHTTPClient, model: String) async throws -> Int {
        try await client.promptTokens(model: model, messages: [["role": "user", "content": prompt]])
    }

    /// Starts `streams` streamed chat completions together; returns each one's timings and the round's wall time.
    static func round(client: ClusterHTTPClient, model: String, streams: Int, maxTokens: Int) async throws -> (streams: [Stream], seconds: Double) {
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: Stream.self) { group in
            for index in 0..<streams {
                group.addTask {
                    let begun = ContinuousClock.now
                    var last: ContinuousClock.Instant?
                    var stream = Stream(ttft: 0, gaps: [], tokens: 0)
                    _ = try await client.streamChat(
                        model: model, messages: [["role": "user", "content": prompt]], maxTokens: maxTokens,
                        temperature: 0.8, seed: UInt64(index + 1)
                    ) { text in
                        guard !text.isEmpty else { return }
                        let now = ContinuousClock.now
                        if let last { stream.gaps.append((now - last).seconds) } else { stream.ttft = (now - begun).seconds }
                        last = now
                        stream.tokens += 1
                    }
                    return stream
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return (results, (ContinuousClock.now - start).seconds)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Prints a value as one JSON line with sorted keys.
func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    fflush(nil)
}
