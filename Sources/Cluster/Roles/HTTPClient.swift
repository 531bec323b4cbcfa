import AsyncHTTPClient
import Foundation
import HTTPAPI
import NIOCore
import NIOHTTP1

/// A small client of a Brigade cluster's HTTP API, for `brigade up`, `status` and `chat`.
public struct ClusterHTTPClient: Sendable {
    /// The API's base URL, e.g. `http://127.0.0.1:8080`.
    public let baseURL: String
    /// Sent as `Authorization: Bearer …` when set.
    public let token: String?

    public init(baseURL: String, token: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// GET `path`; returns the status and the body.
    public func get(_ path: String, timeout: Duration = .seconds(5)) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: baseURL + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(buffer: body))
    }

    /// POSTs `payload` as JSON to `path`; the caller reads (or drops) the response body.
    private func post(_ path: String, _ payload: [String: Any], timeout: TimeAmount) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: payload)))
        return try await HTTPClient.shared.execute(request, timeout: timeout)
    }

    /// The cluster snapshot of `GET /v1/cluster`.
    public func clusterStatus() async throws -> ClusterStatus {
        let (status, body) = try await get("/v1/cluster")
        guard status == 200 else {
            throw ClusterError(.notReady, "GET \(baseURL)/v1/cluster answered \(status): \(String(decoding: body, as: UTF8.self))")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(ClusterStatus.self, from: body)
    }

    /// How many tokens `messages` take once the chat template wraps them (`usage.prompt_tokens` of a one-token
    /// completion).
    public func promptTokens(model: String, messages: [[String: String]]) async throws -> Int {
        let payload: [String: Any] = ["model": model, "messages": messages, "max_tokens": 1, "temperature": 0]
        let response = try await post("/v1/chat/completions", payload, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok, let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let usage = object["usage"] as? [String: Any], let tokens = usage["prompt_tokens"] as? Int
        else {
            throw ClusterError(.notReady, "the API answered \(response.status.code): \(String(buffer: body))")
        }
        return tokens
    }

    /// Streams a chat completion: calls `onText` with each piece of text as it arrives; returns the finish reason.
    public func streamChat(
        model: String, messages: [[String: String]], maxTokens: Int?, temperature: Double?, seed: UInt64? = nil,
        onText: (String) -> Void
    ) async throws -> String? {
        var payload: [String: Any] = ["model": model, "messages": messages, "stream": true]
        if let maxTokens { payload["max_tokens"] = maxTokens }
        if let temperature { payload["temperature"] = temperature }
        if let seed { payload["seed"] = seed }
        let response = try await post("/v1/chat/completions", payload, timeout: .seconds(600))
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw ClusterError(.notReady, "the API answered \(response.status.code): \(String(buffer: body))")
        }
        var pending = ""
        var finish: String?
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let end = pending.range(of: "\n\n") {
                let event = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                for line in event.split(separator: "\n") where line.hasPrefix("data: ") {
                    let data = line.dropFirst(6)
                    if data == "[DONE]" { return finish }
                    guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                        let choice = (object["choices"] as? [[String: Any]])?.first
                    else { continue }
                    if let delta = choice["delta"] as? [String: Any], let text = delta["content"] as? String { onText(text) }
                    if let reason = choice["finish_reason"] as? String { finish = reason }
                }
            }
        }
        return finish
    }
}
