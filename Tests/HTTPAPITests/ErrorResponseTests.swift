import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HTTPAPI

/// Every error status the API sends, each in OpenAI's error shape.
@Suite struct ErrorResponseTests {
    typealias V = TestVocabulary

    /// The error body, checking it has exactly OpenAI's four keys (param and code present even when null).
    private func errorBody(_ response: TestResponse) throws -> ErrorWire.Detail {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
        let detail = try #require(json["error"] as? [String: Any])
        #expect(Set(detail.keys) == ["message", "type", "param", "code"])
        #expect(response.headers[.contentType] == "application/json")
        return try decodeWire(ErrorWire.self, response.body).error
    }

    @Test func invalidJSONIs400() async throws {
        try await withRouter(try FakeInferenceService()) { client in
            let response = try await client.execute(
                uri: "/v1/completions", method: .post, body: ByteBuffer(string: #"{"model": "fake-model", "prompt": "#))
            #expect(response.status == .badRequest)
            let error = try errorBody(response)
            #expect(error.type == "invalid_request_error")
            #expect(error.code == "invalid_json")
            #expect(error.param == nil)
            #expect(error.message.contains("not valid JSON"))
        }
    }

    @Test func aBadFieldIs400NamingIt() async throws {
        try await withRouter(try FakeInferenceService()) { client in
            let response = try await client.post(
                "/v1/chat/completions",
                ["model": "fake-model", "messages": [["role": "user", "content": "hi"]], "temperature": 9])
            #expect(response.status == .badRequest)
            let error = try errorBody(response)
            #expect(error.param == "temperature")
            #expect(error.message == "'temperature' must be a number from 0 to 2, got 9")
        }
    }

    @Test func aPromptThatDoesNotFitIs400() async throws {
        let service = try FakeInferenceService(contextLength: 8)
        try await withRouter(service) { client in
            let long = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "abcdefghij"])
            #expect(long.status == .badRequest)
            let error = try errorBody(long)
            #expect(error.code == "context_length_exceeded")
            #expect(error.param == "prompt")
            #expect(error.message.contains("10 tokens"))

            let greedy = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": "ab", "max_tokens": 7])
            #expect(greedy.status == .badRequest)
            #expect(try errorBody(greedy).param == "max_tokens")
        }
        #expect(service.requests.isEmpty)
    }

    @Test func anUnknownModelIs404() async throws {
        try await withRouter(try FakeInferenceService()) { client in
            let response = try await client.post("/v1/completions", ["model": "gpt-9", "prompt": "x"])
            #expect(response.status == .notFound)
            let error = try errorBody(response)
            #expect(error.code == "model_not_found")
            #expect(error.param == "model")
            #expect(error.message.contains("'gpt-9'"))
        }
    }

    @Test func anUnknownRouteOrMethodIs404InTheSameShape() async throws {
        try await withRouter(try FakeInferenceService()) { client in
            let route = try await client.execute(uri: "/v1/embeddings", method: .post)
            #expect(route.status == .notFound)
            #expect(try errorBody(route).message == "no route for POST /v1/embeddings")
            let method = try await client.execute(uri: "/v1/completions", method: .get)
            #expect(method.status == .notFound)
            #expect(try errorBody(method).code == "not_found")
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        let service = try FakeInferenceService()
        try await withRouter(service, configuration: .init(maxRequestBodyBytes: 1000)) { client in
            let response = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": String(repeating: "x", count: 2000)])
            #expect(response.status == .contentTooLarge)
            let error = try errorBody(response)
            #expect(error.code == "request_too_large")
            #expect(error.message.contains("1000 bytes"))
        }
        #expect(service.requests.isEmpty)
    }

    @Test func aFullQueueIs429WithRetryAfterInWholeSeconds() async throws {
        let service = try FakeInferenceService(
            script: .init(
                refusal: ServiceError.queueFull(retryAfter: .milliseconds(1500), "pipeline p0 has 64 waiting")))
        try await withRouter(service) { client in
            let response = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "x"])
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "2")
            let error = try errorBody(response)
            #expect(error.type == "rate_limit_error")
            #expect(error.code == "queue_full")
            #expect(error.message == "pipeline p0 has 64 waiting")
        }
    }

    @Test func noPipelineIs503() async throws {
        let service = try FakeInferenceService(
            script: .init(
                refusal: ServiceError.unavailable("no pipeline serves 'fake-model' (stage 1 lost, no standby)")))
        try await withRouter(service) { client in
            let response = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "x"])
            #expect(response.status == .serviceUnavailable)
            let error = try errorBody(response)
            #expect(error.code == "model_unavailable")
            #expect(error.message.contains("stage 1 lost"))
        }
    }

    @Test func serviceRefusalsOfOtherKindsMapInOnePlace() async throws {
        for (refusal, status) in [
            (ServiceError.unknownModel("fake-model"), HTTPResponse.Status.notFound),
            (ServiceError.promptTooLong("prompt of 9000 tokens"), .badRequest),
            (ServiceError.invalidRequest("token id 70000 is out of range"), .badRequest),
        ] {
            let service = try FakeInferenceService(script: .init(refusal: refusal))
            try await withRouter(service) { client in
                let response = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "x"])
                #expect(response.status == status)
                #expect(try errorBody(response).message == refusal.message)
            }
        }
    }

    @Test func anUnexpectedErrorIs500WithoutItsDetails() async throws {
        struct SecretBug: Error {}
        let service = try FakeInferenceService(script: .init(refusal: SecretBug()))
        try await withRouter(service) { client in
            let response = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": "x"],
                headers: [RequestIDMiddleware.header: "req-42"])
            #expect(response.status == .internalServerError)
            let error = try errorBody(response)
            #expect(error.type == "server_error")
            #expect(error.message == "internal error (request id req-42)")
        }
    }

    @Test func aGenerationThatFailsIs503WholeOrAnErrorEventInAStream() async throws {
        let service = try FakeInferenceService(
            script: .init(
                tokens: [V.hello], ending: .finish(.failed("stage 2 on node-c died; no node can hold layers 20..<30"))))
        try await withRouter(service) { client in
            let whole = try await client.post("/v1/completions", ["model": "fake-model", "prompt": "x"])
            #expect(whole.status == .serviceUnavailable)
            let error = try errorBody(whole)
            #expect(error.code == "generation_failed")
            #expect(error.message.contains("stage 2 on node-c died"))

            let stream = try await client.post(
                "/v1/completions", ["model": "fake-model", "prompt": "x", "stream": true])
            #expect(stream.status == .ok)
            let (payloads, _) = ssePayloads(stream.body)
            #expect(payloads.count == 3)
            #expect(payloads.last == "[DONE]")
            let event = try decodeWire(ErrorWire.self, Data(payloads[1].utf8)).error
            #expect(event.code == "generation_failed")
        }
    }

    @Test func requestIDsAreEchoedOrMade() async throws {
        try await withRouter(try FakeInferenceService()) { client in
            let given = try await client.execute(
                uri: "/health", method: .get, headers: [RequestIDMiddleware.header: "abc-123"])
            #expect(given.headers[RequestIDMiddleware.header] == "abc-123")
            let unusable = try await client.execute(
                uri: "/nope", method: .get, headers: [RequestIDMiddleware.header: "bad id\twith spaces"])
            let made = try #require(unusable.headers[RequestIDMiddleware.header])
            #expect(made != "bad id\twith spaces" && RequestIDMiddleware.isUsable(made))
        }
    }
}
