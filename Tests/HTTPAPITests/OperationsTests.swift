import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import Prometheus
import Testing
import Tokenizer

@testable import HTTPAPI

/// `/v1/models`, `/v1/cluster`, `/health` and `/metrics`.
@Suite struct OperationsTests {
    typealias V = TestVocabulary

    private func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func modelsAreListedInOpenAIsShape() async throws {
        let tokenizer = try V.makeTokenizer()
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let service = FakeInferenceService(models: [
            ServedModel(
                name: "fake-model", tokenizer: tokenizer, chatTemplate: nil, contextLength: 64, created: created),
            ServedModel(
                name: "HuggingFaceTB/SmolLM2-135M-Instruct", tokenizer: tokenizer, chatTemplate: .chatML(),
                contextLength: 8192, created: created, ownedBy: "huggingface"),
        ])
        try await withRouter(service) { client in
            let list = try json(try await client.execute(uri: "/v1/models", method: .get))
            #expect(list["object"] as? String == "list")
            let data = try #require(list["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == ["fake-model", "HuggingFaceTB/SmolLM2-135M-Instruct"])
            #expect(data.allSatisfy { $0["object"] as? String == "model" && $0["created"] as? Int == 1_700_000_000 })
            #expect(data[1]["owned_by"] as? String == "huggingface")
            #expect(data[1]["context_length"] as? Int == 8192)

            let one = try await client.execute(uri: "/v1/models/HuggingFaceTB/SmolLM2-135M-Instruct", method: .get)
            #expect(one.status == .ok)
            #expect(try json(one)["id"] as? String == "HuggingFaceTB/SmolLM2-135M-Instruct")
            let missing = try await client.execute(uri: "/v1/models/nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(try decodeWire(ErrorWire.self, missing.body).error.code == "model_not_found")
        }
    }

    @Test func clusterStatusIsServedAsSnakeCaseJSON() async throws {
        let status = ClusterStatus(
            members: [
                .init(nodeID: "node-a", incarnation: 3, address: "tcp://127.0.0.1:7001", role: "agent", state: "alive")
            ],
            pipelines: [
                .init(
                    id: "p0", model: "fake-model", state: "serving", activeSequences: 2,
                    stages: [.init(index: 0, nodeID: "node-a", firstLayer: 0, endLayer: 15, state: "serving")])
            ],
            events: [
                .init(
                    time: Date(timeIntervalSince1970: 1_700_000_000), kind: "member.suspect", subject: "node-b",
                    message: "no ack to 3 probes")
            ])
        let service = try FakeInferenceService(cluster: status)
        try await withRouter(service) { client in
            let response = try await client.execute(uri: "/v1/cluster", method: .get)
            #expect(response.status == .ok)
            let body = try json(response)
            let member = try #require((body["members"] as? [[String: Any]])?.first)
            #expect(member["node_id"] as? String == "node-a")
            #expect(member["incarnation"] as? Int == 3)
            let pipeline = try #require((body["pipelines"] as? [[String: Any]])?.first)
            #expect(pipeline["active_sequences"] as? Int == 2)
            let stage = try #require((pipeline["stages"] as? [[String: Any]])?.first)
            #expect(stage["first_layer"] as? Int == 0 && stage["end_layer"] as? Int == 15)
            let event = try #require((body["events"] as? [[String: Any]])?.first)
            #expect(event["time"] as? String == "2023-11-14T22:13:20Z")
            // And it decodes back to the same value.
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            #expect(try decoder.decode(ClusterStatus.self, from: Data(buffer: response.body)) == status)
        }
    }

    @Test func healthSaysOkAndCountsModels() async throws {
        try await withRouter(try FakeInferenceService()) { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            let body = try json(response)
            #expect(body["status"] as? String == "ok")
            #expect(body["models"] as? Int == 1)
        }
    }

    @Test func metricsCountRequestsLatenciesAndTokens() async throws {
        let registry = PrometheusCollectorRegistry()
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.imEnd]))
        try await withRouter(service, registry: registry) { client in
            _ = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "Hello"])
            _ = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "Hello", "stream": true])
            _ = try await client.post("/v1/completions", ["model": "fake-model", "prompt": 7])
            _ = try await client.execute(uri: "/v1/nothing", method: .get)
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            let lines = Set(text.split(separator: "\n").map(String.init))
            #expect(
                lines.contains(#"brigade_http_requests_total{endpoint="/v1/completions",method="POST",status="200"} 2"#)
            )
            #expect(
                lines.contains(#"brigade_http_requests_total{endpoint="/v1/completions",method="POST",status="400"} 1"#)
            )
            #expect(lines.contains(#"brigade_http_requests_total{endpoint="NotFound",method="GET",status="404"} 1"#))
            #expect(lines.contains(#"brigade_generated_tokens_total{model="fake-model"} 6"#))
            #expect(lines.contains(#"brigade_prompt_tokens_total{model="fake-model"} 2"#))
            #expect(lines.contains(#"brigade_time_to_first_token_seconds_count{model="fake-model"} 2"#))
            #expect(lines.contains(#"brigade_inter_token_latency_seconds_count{model="fake-model"} 4"#))
            #expect(lines.contains("brigade_generation_queue_depth 0.0"))
            #expect(lines.contains("brigade_generations_in_flight 0.0"))
            #expect(lines.contains("# TYPE brigade_time_to_first_token_seconds histogram"))
        }
    }

    @Test func gaugesRecordedThroughSwiftMetricsAppearInTheSameRegistry() async throws {
        let registry = MetricsBootstrap.bootstrapPrometheus()
        #expect(MetricsBootstrap.bootstrapPrometheus() === registry, "bootstrapping twice returns the same registry")
        // What the cluster does: record through the swift-metrics API, knowing nothing of Prometheus.
        Gauge(label: "brigade_stage_step_seconds", dimensions: [("stage", "0")]).record(0.25)
        Metrics.Counter(label: "brigade_recoveries_total").increment(by: 2)
        try await withRouter(try FakeInferenceService(), registry: registry) { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains(#"brigade_stage_step_seconds{stage="0"} 0.25"#))
            #expect(text.contains("brigade_recoveries_total 2"))
        }
    }

    @Test func theQueueDepthCountsGenerationsWaitingForTheirFirstToken() async throws {
        let registry = PrometheusCollectorRegistry()
        let service = try FakeInferenceService(script: .init(tokens: [V.hello], delay: .seconds(3600)))
        let events = service.events
        try await withRouter(service, registry: registry) { client in
            let request = Task { try await client.post("/v1/completions", ["model": "fake-model", "prompt": "x"]) }
            _ = try await events.first(within: .seconds(10), "the generation to start") {
                if case .started = $0 { true } else { false }
            }
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            #expect(text.contains("brigade_generation_queue_depth 1.0"))
            #expect(text.contains("brigade_generations_in_flight 1.0"))
            request.cancel()
            _ = try? await request.value
        }
    }
}
