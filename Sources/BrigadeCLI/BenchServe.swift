import ArgumentParser
import Cluster
import Foundation
import ModelEngine
import ModelFormats
import Topology

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
            stream count, and ttft_vs_prefill for each pipeline. With --io-scheduling standard,batch every pipeline \
            runs once under each value of the topology's cluster.io_scheduling, all rounds alternating: lines carry \
            io_scheduling, batch's 3-vs-1 ratios are prefixed batch_, and the summary adds \
            itl_ratio_batch_vs_standard_N_stages and tps_ratio_batch_vs_standard_N_stages_at_S. Logs of the \
            processes stay in the printed folder.
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

    @Option(help: "I/O schedulings to compare, comma-separated: standard, batch (the topology's cluster.io_scheduling).")
    var ioScheduling = "standard"

    func validate() throws {
        guard maxTokens >= 2, rounds >= 1, singleStageThreads >= 1, multiStageThreads >= 1, (microBatches ?? 1) >= 1 else {
            throw ValidationError("--max-tokens must be at least 2; --rounds, --single-stage-threads, --multi-stage-threads and --micro-batches at least 1")
        }
        guard parsedList(streams) != nil, parsedList(stages) != nil else {
            throw ValidationError("--streams and --stages take comma-separated positive integers, e.g. 1,4,16")
        }
        guard parsedSchedulings() != nil else {
            throw ValidationError("--io-scheduling takes comma-separated names among standard, batch")
        }
    }

    /// One cluster of the comparison.
    private struct Variant: Hashable {
        var stages: Int
        var scheduling: Topology.IOScheduling
        /// What the summary's keys of this scheduling start with: nothing for the default.
        var prefix: String { scheduling == .standard ? "" : scheduling.rawValue + "_" }
    }

    func run() async throws {
        let streamCounts = parsedList(streams)!
        let stageCounts = parsedList(stages)!
        let schedulings = parsedSchedulings()!
        let modelPath = try DefaultModelFetcher(cache: ModelCache()).fetch { logLine("  \($0)") }
        let config = try LlamaConfig(checkpoint: try openModel(at: modelPath))
        // The output projection (vocabulary × hidden) against one layer's matrices: what the last stage carries extra.
        let perLayer: Int = config.hiddenSize * (2 * config.queryDim + 2 * config.kvDim + 3 * config.intermediateSize)
        let headLayers = Double(config.vocabularySize * config.hiddenSize) / Double(perLayer)
        // Every cluster runs for the whole measurement and their rounds alternate, so a slow spell of a shared
        // machine hits every pipeline alike instead of whichever was measured then.
        var clusters: [(variant: Variant, threads: Int, cluster: LocalCluster, client: ClusterHTTPClient, model: String)] = []
        var results: [Variant: [Int: ServeResult]] = [:]
        var prefill: [Int: Double] = [:]
        var promptTokens = 0
        do {
            for scheduling in schedulings {
                for stageCount in stageCounts {
                    let variant = Variant(stages: stageCount, scheduling: scheduling)
                    let threads = stageCount == 1 ? singleStageThreads : multiStageThreads
                    let topology = try GeneratedTopology(
                        stages: stageCount, layers: config.layerCount, headLayers: balanced ? headLayers : 0, threads: threads,
                        maxSequences: 16, queueLimit: 256, microBatches: microBatches, ioScheduling: scheduling)
                    let cluster = try LocalCluster(topologyPath: topology.path, executable: brigadeExecutable(), logDirectory: topology.folder + "/logs")
                    logLine("bench serve: \(stageCount) stage(s), \(threads) thread(s) each, micro-batches \(microBatches.map(String.init) ?? "default"), I/O scheduling \(scheduling.rawValue); logs in \(topology.folder)/logs")
                    let client = ClusterHTTPClient(baseURL: topology.baseURL)
                    clusters.append((variant, threads, cluster, client, topology.model))
                    try await cluster.start(timeout: .seconds(300)) { logLine("  \($0)") }
                    promptTokens = try await ServeLoad.promptTokens(client: client, model: topology.model)
                    _ = try await ServeLoad.round(client: client, model: topology.model, streams: 1, maxTokens: 8)  // warm-up
                }
            }
            for count in streamCounts {
                var samples: [Variant: [ServeLoad.Stream]] = [:]
                var seconds: [Variant: Double] = [:]
                for _ in 0..<rounds {
                    for entry in clusters {
                        let round = try await ServeLoad.round(client: entry.client, model: entry.model, streams: count, maxTokens: maxTokens)
                        samples[entry.variant, default: []] += round.streams
                        seconds[entry.variant, default: 0] += round.seconds
                    }
                }
                for entry in clusters {
                    let result = ServeResult(stages: entry.variant.stages, ioScheduling: entry.variant.scheduling.rawValue,
                                             threadsPerStage: entry.threads, streams: count,
                                             samples: samples[entry.variant] ?? [], seconds: seconds[entry.variant] ?? 0)
                    results[entry.variant, default: [:]][count] = result
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
        var summary = Self.ratios(results, streamCounts: streamCounts)
        for (threads, seconds) in prefill { summary["engine_prefill_ms_\(threads)_threads"] = seconds * 1000 }
        for entry in clusters {
            if let one = results[entry.variant]?[streamCounts.min()!], let engine = prefill[entry.threads] {
                summary["\(entry.variant.prefix)ttft_vs_prefill_\(entry.variant.stages)_stages"] = one.ttftMsP50 / (engine * 1000)
            }
        }
        summary["prompt_tokens"] = Double(promptTokens)
        printJSON(ServeSummary(values: summary))
    }

    /// The summary's ratios: 3 stages against 1 under each scheduling, and batch against standard for each pipeline.
    private static func ratios(_ results: [Variant: [Int: ServeResult]], streamCounts: [Int]) -> [String: Double] {
        var summary: [String: Double] = [:]
        func compare(_ a: [Int: ServeResult], _ b: [Int: ServeResult], itl: String, tps: String) {
            if let x = a[streamCounts.min()!], let y = b[streamCounts.min()!] { summary[itl] = y.itlMsP50 / x.itlMsP50 }
            for count in streamCounts {
                if let x = a[count], let y = b[count] { summary[tps + "_at_\(count)"] = y.tokensPerSecond / x.tokensPerSecond }
            }
        }
        for scheduling in Topology.IOScheduling.allCases {
            let (single, triple) = (Variant(stages: 1, scheduling: scheduling), Variant(stages: 3, scheduling: scheduling))
            if let one = results[single], let three = results[triple] {
                compare(one, three, itl: single.prefix + "itl_ratio_3_vs_1", tps: single.prefix + "tps_ratio_3_vs_1")
            }
        }
        for (variant, standard) in results where variant.scheduling == .standard {
            if let batch = results[Variant(stages: variant.stages, scheduling: .batch)] {
                compare(standard, batch, itl: "itl_ratio_batch_vs_standard_\(variant.stages)_stages",
                        tps: "tps_ratio_batch_vs_standard_\(variant.stages)_stages")
            }
        }
        return summary
    }

    private func parsedSchedulings() -> [Topology.IOScheduling]? {
        let values = ioScheduling.split(separator: ",").map { Topology.IOScheduling(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
        return values.map { $0! }
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
    let ioScheduling: String
    let threadsPerStage: Int
    let streams: Int
    let requests: Int
    let tokens: Int
    let tokensPerSecond: Double
    let ttftMsP50: Double
    let ttftMsP99: Double
    let itlMsP50: Double
    let itlMsP99: Double

    init(stages: Int, ioScheduling: String, threadsPerStage: Int, streams: Int, samples: [ServeLoad.Stream], seconds: Double) {
        self.stages = stages
        self.ioScheduling = ioScheduling
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
        case ioScheduling = "io_scheduling"
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
