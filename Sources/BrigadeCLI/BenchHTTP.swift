import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPAPI
import Logging
import ModelFormats
import NIOCore
import Prometheus
import Tokenizer

/// `brigade bench http`: what the HTTP layer costs per request and per token, with an instant in-process service
/// (no model math), SmolLM2's real tokenizer and a real HTTP client on loopback.
///
/// The baseline measured in the same run reads the same token streams directly from the service and detokenizes
/// them (what any server must do); `per_token_vs_direct` is the HTTP path's cost per token over that.
struct BenchHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Measure the HTTP API's overhead per request and per token (JSON lines)."
    )

    @Option(help: "GGUF file whose tokenizer to use (default: $BRIGADE_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf).")
    var model: String?

    @Option(help: "Tokens generated per request.")
    var tokens = 256

    @Option(help: "Requests per measurement.")
    var requests = 200

    @Option(help: "Requests in flight at once.")
    var concurrency = 8

    func run() async throws {
        let path = model ?? BenchModelPath.defaultModel()
        let tokenizer = try BPETokenizer(gguf: GGUFFile(path: path).metadata)
        let reply = Array(
            tokenizer.encode(BenchText.mixed(bytes: tokens * 8, seed: 3), addSpecial: false).prefix(tokens))
        guard reply.count == tokens else { throw ValidationError("the benchmark text gave only \(reply.count) tokens") }
        let served = ServedModel(
            name: "bench", tokenizer: tokenizer, chatTemplate: .chatML(), contextLength: tokens + 4096,
            defaultSampling: SamplingParameters(temperature: 0))
        let service = ReplayService(model: served, reply: reply)

        let direct = try await directBaseline(service, tokenizer: tokenizer)
        BenchJSON.line([
            "bench": "http_baseline_direct", "tokens_per_request": tokens, "requests": requests,
            "us_per_token": direct * 1e6,
        ])

        let server = APIServer(
            service: service, configuration: .init(host: "127.0.0.1", port: 0), registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = concurrency
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        do {
            try await measureServer(server, client, direct: direct)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Runs the server and the HTTP measurements against it.
    private func measureServer(_ server: APIServer, _ client: HTTPClient, direct: Double) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let base = "http://127.0.0.1:\(try await server.boundPort())"

            let health = try await measure(client, count: requests * 5) { try await Self.get(client, base + "/health") }
            BenchJSON.line([
                "bench": "http_health", "requests": requests * 5, "concurrency": concurrency,
                "requests_per_s": health.rate, "latency_ms_p50": health.p50, "latency_ms_p99": health.p99,
            ])

            var body: [String: Any] = ["model": "bench", "prompt": "Hello", "max_tokens": tokens, "temperature": 0]
            let wholeBody = try JSONSerialization.data(withJSONObject: body)
            let whole = try await measure(client, count: requests) {
                try await Self.post(client, base + "/v1/completions", wholeBody)
            }
            BenchJSON.line([
                "bench": "http_completion_whole", "requests": requests, "concurrency": concurrency,
                "tokens_per_request": tokens, "requests_per_s": whole.rate, "latency_ms_p50": whole.p50,
                "latency_ms_p99": whole.p99, "tokens_per_s": whole.rate * Double(tokens),
                "per_token_vs_direct": (1 / (whole.rate * Double(tokens))) / direct,
            ])

            body["stream"] = true
            let streamBody = try JSONSerialization.data(withJSONObject: body)
            let streamed = try await measure(client, count: requests) {
                try await Self.post(client, base + "/v1/completions", streamBody)
            }
            BenchJSON.line([
                "bench": "http_completion_stream", "requests": requests, "concurrency": concurrency,
                "tokens_per_request": tokens, "requests_per_s": streamed.rate, "latency_ms_p50": streamed.p50,
                "latency_ms_p99": streamed.p99, "tokens_per_s": streamed.rate * Double(tokens),
                "per_token_vs_direct": (1 / (streamed.rate * Double(tokens))) / direct,
                "stream_vs_whole_per_request": streamed.p50 / whole.p50,
            ])
        }
    }

    /// Seconds per token when reading the service's streams directly and detokenizing, over all requests.
    private func directBaseline(_ service: ReplayService, tokenizer: BPETokenizer) async throws -> Double {
        let start = ContinuousClock.now
        var characters = 0
        for index in 0..<requests {
            let request = GenerationRequest(
                requestID: "direct-\(index)", model: "bench", promptTokens: [1], maxTokens: tokens,
                sampling: SamplingParameters(temperature: 0), stopTokenIDs: tokenizer.endOfGenerationIDs)
            var decoder = TokenDecoder(tokenizer, skipSpecial: true)
            for await event in try await service.generate(request) {
                if case .token(_, let id) = event { characters += decoder.append(id).count }
            }
            characters += decoder.finish().count
        }
        guard characters > 0 else { throw ValidationError("the direct baseline decoded nothing") }
        return BenchClock.ms(since: start) / 1000 / Double(requests * tokens)
    }

    /// Runs `count` calls of `call`, `concurrency` at a time; returns throughput and latency percentiles.
    private func measure(
        _ client: HTTPClient, count: Int, _ call: @escaping @Sendable () async throws -> Void
    ) async throws -> (rate: Double, p50: Double, p99: Double) {
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var mine: [Double] = []
                    for _ in stride(from: worker, to: count, by: concurrency) {
                        let begin = ContinuousClock.now
                        try await call()
                        mine.append(BenchClock.ms(since: begin))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        let seconds = BenchClock.ms(since: start) / 1000
        return (Double(count) / seconds, latencies[latencies.count / 2], latencies[latencies.count * 99 / 100])
    }

    private static func get(_ client: HTTPClient, _ url: String) async throws {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        guard response.status == .ok else { throw ValidationError("GET \(url) answered \(response.status)") }
        _ = try await response.body.collect(upTo: 1 << 20)
    }

    private static func post(_ client: HTTPClient, _ url: String, _ body: Data) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(60))
        guard response.status == .ok else { throw ValidationError("POST \(url) answered \(response.status)") }
        for try await _ in response.body {}
    }
}

/// An `InferenceService` that answers every request at once with the same tokens (no model), for measuring the
/// HTTP layer alone.
private struct ReplayService: InferenceService {
    let model: ServedModel
    let reply: [Int32]

    func servedModels() async -> [ServedModel] { [model] }

    func clusterStatus() async -> ClusterStatus { ClusterStatus() }

    func generate(_ request: GenerationRequest) async throws -> GenerationStream {
        let count = min(reply.count, request.maxTokens)
        let (events, continuation) = AsyncStream.makeStream(
            of: GenerationEvent.self, bufferingPolicy: .bufferingOldest(count + 1))
        for index in 0..<count { continuation.yield(.token(index: index, id: reply[index])) }
        continuation.yield(.finished(count == request.maxTokens ? .length : .stop))
        continuation.finish()
        return GenerationStream(events) {}
    }
}
