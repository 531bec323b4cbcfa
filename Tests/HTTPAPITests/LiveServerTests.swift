import AsyncHTTPClient
import Foundation
import HTTPAPI
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// The API on a real loopback socket, driven by AsyncHTTPClient: real HTTP, real SSE parsing, real disconnects.
@Suite struct LiveServerTests {
    typealias V = TestVocabulary

    private func request(_ port: Int, _ path: String, _ json: [String: Any]? = nil, token: String? = nil)
        -> HTTPClientRequest
    {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        if let json {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(jsonBody(json))
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    private func chat(_ text: String = "Hello", stream: Bool, extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "model": "fake-model", "messages": [["role": "user", "content": text]], "stream": stream,
        ]
        body.merge(extra) { $1 }
        return body
    }

    @Test func wholeAnswersOverRealHTTP() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.imEnd]))
        try await withLiveServer(service) { port in
            let response = try await HTTPClient.shared.execute(
                request(port, "/v1/chat/completions", chat(stream: false)), timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "content-type") == "application/json")
            #expect(response.headers.first(name: "x-request-id") != nil)
            let body = try decodeWire(CompletionWire.self, try await response.body.collect(upTo: 1 << 20))
            #expect(body.choices.first?.message?.content == "Hello world")
            #expect(body.usage?.completionTokens == 3)

            let completion = try await HTTPClient.shared.execute(
                request(port, "/v1/completions", ["model": "fake-model", "prompt": "Hello"]), timeout: .seconds(30))
            let text = try decodeWire(CompletionWire.self, try await completion.body.collect(upTo: 1 << 20))
            #expect(text.choices.first?.text == "Hello world")
        }
    }

    @Test func manyGenerationsInARowAndAtOnceOnPooledConnectionsAllSucceed() async throws {
        // Watching for disconnects ends each generation's connection; the response must say so (Connection: close)
        // so pooling clients never send the next request on a connection the server is closing.
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.imEnd]))
        try await withLiveServer(service) { port in
            for round in 0..<20 {
                let stream = round % 2 == 1
                let response = try await HTTPClient.shared.execute(
                    request(port, "/v1/chat/completions", chat(stream: stream)), timeout: .seconds(30))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "connection") == "close")
                _ = try await response.body.collect(upTo: 1 << 20)
                let models = try await HTTPClient.shared.execute(request(port, "/v1/models"), timeout: .seconds(30))
                #expect(models.status == .ok)
                _ = try await models.body.collect(upTo: 1 << 20)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let response = try await HTTPClient.shared.execute(
                            request(port, "/v1/completions", ["model": "fake-model", "prompt": "x"]),
                            timeout: .seconds(30))
                        #expect(response.status == .ok)
                        _ = try await response.body.collect(upTo: 1 << 20)
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(service.requests.count == 36)
    }

    @Test func aStreamArrivesChunkByChunkAndCharactersSplitOverTokensStayWhole() async throws {
        let text = "Grüße 🦀 世界 👩‍💻"
        let service = try FakeInferenceService(
            script: .init(tokens: V.bytes(text) + [V.imEnd], delay: .milliseconds(2)), contextLength: 256)
        try await withLiveServer(service) { port in
            let response = try await HTTPClient.shared.execute(
                request(
                    port, "/v1/chat/completions", chat(stream: true, extra: ["stream_options": ["include_usage": true]])
                ),
                timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            var parser = SSEParser()
            var payloads: [String] = []
            var reads = 0
            for try await buffer in response.body {
                reads += 1
                payloads += parser.feed(buffer.readableBytesView)
            }
            #expect(!parser.hasLeftover)
            #expect(reads > 3, "the body came in several reads, not one buffered block")
            #expect(payloads.last == "[DONE]")
            let chunks = try payloads.dropLast().map { try decodeWire(CompletionWire.self, Data($0.utf8)) }
            let pieces = chunks.compactMap { $0.choices.first?.delta?.content }
            #expect(pieces.joined() == text)
            #expect(!pieces.contains { $0.contains("\u{FFFD}") })
            #expect(chunks.dropLast().last?.choices.first?.finishReason == "stop")
            #expect(chunks.last?.usage?.completionTokens == text.utf8.count + 1)
        }
    }

    @Test func closingAStreamMidwayCancelsTheSequence() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world], ending: .hang))
        let events = service.events
        try await withLiveServer(service) { port in
            let firstContent = AsyncStream.makeStream(of: String.self)
            let reader = Task {
                let response = try await HTTPClient.shared.execute(
                    request(port, "/v1/chat/completions", chat(stream: true)), timeout: .seconds(60))
                var parser = SSEParser()
                for try await buffer in response.body {
                    for payload in parser.feed(buffer.readableBytesView) {
                        if let content = try decodeWire(CompletionWire.self, Data(payload.utf8)).choices.first?.delta?
                            .content,
                            !content.isEmpty
                        {
                            firstContent.continuation.yield(content)
                        }
                    }
                }
            }
            // The service is still generating (it hangs after two tokens) when the first words arrive.
            let first = try await firstContent.stream.first(within: .seconds(10), "the first streamed words") { _ in
                true
            }
            #expect(first == "Hello")
            let requestID = try #require(service.requests.first?.requestID)
            reader.cancel()  // the client goes away: AsyncHTTPClient closes the connection
            _ = try await events.first(within: .seconds(10), "the service to see the cancel") {
                $0 == .cancelled(requestID: requestID)
            }
            _ = await reader.result
        }
    }

    @Test func closingTheConnectionDuringAWholeAnswerCancelsTheSequence() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [V.hello], ending: .hang))
        let events = service.events
        try await withLiveServer(service) { port in
            let caller = Task {
                try await HTTPClient.shared.execute(
                    request(port, "/v1/completions", ["model": "fake-model", "prompt": "x"]), timeout: .seconds(60))
            }
            let started = try await events.first(within: .seconds(10), "the generation to start") {
                if case .started = $0 { true } else { false }
            }
            guard case .started(let requestID) = started else { return }
            caller.cancel()
            _ = try await events.first(within: .seconds(10), "the service to see the cancel") {
                $0 == .cancelled(requestID: requestID)
            }
            _ = await caller.result
        }
    }

    @Test func errorsAuthAndRetryAfterOverRealHTTP() async throws {
        let service = try FakeInferenceService(
            script: .init(refusal: ServiceError.queueFull(retryAfter: .seconds(3), "64 sequences waiting")))
        try await withLiveServer(service, configuration: .init(bearerToken: "secret")) { port in
            let anonymous = try await HTTPClient.shared.execute(request(port, "/v1/models"), timeout: .seconds(30))
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers.first(name: "www-authenticate") == "Bearer")
            let denied = try decodeWire(ErrorWire.self, try await anonymous.body.collect(upTo: 1 << 20))
            #expect(denied.error.code == "invalid_api_key")

            let models = try await HTTPClient.shared.execute(
                request(port, "/v1/models", token: "secret"), timeout: .seconds(30))
            #expect(models.status == .ok)
            _ = try await models.body.collect(upTo: 1 << 20)

            let busy = try await HTTPClient.shared.execute(
                request(port, "/v1/completions", ["model": "fake-model", "prompt": "x"], token: "secret"),
                timeout: .seconds(30))
            #expect(busy.status == .tooManyRequests)
            #expect(busy.headers.first(name: "retry-after") == "3")
            let error = try decodeWire(ErrorWire.self, try await busy.body.collect(upTo: 1 << 20))
            #expect(error.error.message == "64 sequences waiting")

            let health = try await HTTPClient.shared.execute(request(port, "/health"), timeout: .seconds(30))
            #expect(health.status == .ok)
            _ = try await health.body.collect(upTo: 1 << 20)
        }
    }

    @Test func theServerStopsWhenItsServiceGroupShutsDown() async throws {
        let server = APIServer(
            service: try FakeInferenceService(), configuration: .init(host: "127.0.0.1", port: 0),
            registry: .init(), logger: quietLogger)
        let group = ServiceGroup(services: [server], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await withDeadline(.seconds(20), "the server to listen") { try await server.boundPort() }
            let health = try await HTTPClient.shared.execute(request(port, "/health"), timeout: .seconds(30))
            #expect(health.status == .ok)
            _ = try await health.body.collect(upTo: 1 << 20)
            await group.triggerGracefulShutdown()
            tasks.addTask {
                try await Task.sleep(for: .seconds(20))
                throw DeadlineExceeded(what: "the service group to stop")
            }
            try await tasks.next()  // the group's run() returns first, or the deadline throws
            tasks.cancelAll()
        }
    }

    @Test func aPortInUseMakesRunAndBoundPortFail() async throws {
        try await withLiveServer(try FakeInferenceService()) { port in
            let second = APIServer(
                service: try FakeInferenceService(), configuration: .init(host: "127.0.0.1", port: port),
                registry: .init(), logger: quietLogger)
            await #expect(throws: (any Error).self) { try await second.run() }
            await #expect(throws: (any Error).self) { try await second.boundPort() }
        }
    }
}
