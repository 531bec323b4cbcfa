import Hummingbird
import HummingbirdTesting
import Testing

@testable import HTTPAPI

/// The optional bearer token.
@Suite struct AuthTests {
    static let token = "sk-brigade-test-0123456789"

    @Test func withATokenConfiguredRequestsNeedIt() async throws {
        let service = try FakeInferenceService(script: .init(tokens: [TestVocabulary.hello]))
        try await withRouter(service, configuration: .init(bearerToken: Self.token)) { client in
            let body = ["model": "fake-model", "prompt": "x"]
            for headers: HTTPFields in [
                [:],
                [.authorization: "Bearer wrong"],
                [.authorization: "Bearer \(Self.token)x"],
                [.authorization: "Basic \(Self.token)"],
                [.authorization: "Bearer"],
            ] {
                let response = try await client.post("/v1/completions", body, headers: headers)
                #expect(response.status == .unauthorized, "\(headers)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                let error = try decodeWire(ErrorWire.self, response.body).error
                #expect(error.code == "invalid_api_key")
            }
            let ok = try await client.post("/v1/completions", body, headers: [.authorization: "Bearer \(Self.token)"])
            #expect(ok.status == .ok)
            let lowercase = try await client.post(
                "/v1/completions", body, headers: [.authorization: "bearer \(Self.token)"])
            #expect(lowercase.status == .ok)
            // Unknown routes are hidden behind auth too, and /health is exempt.
            #expect(try await client.execute(uri: "/v1/nothing", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/v1/models", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
        #expect(service.requests.count == 2)
    }

    @Test func withoutATokenNothingIsChecked() async throws {
        try await withRouter(try FakeInferenceService()) { client in
            let response = try await client.execute(
                uri: "/v1/models", method: .get, headers: [.authorization: "Bearer anything"])
            #expect(response.status == .ok)
        }
    }

    @Test func constantTimeComparisonIsExact() {
        let equal = BearerAuthMiddleware.constantTimeEqual
        #expect(equal(Array("abc".utf8), Array("abc".utf8)))
        #expect(!equal(Array("abc".utf8), Array("abd".utf8)))
        #expect(!equal(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!equal([], Array("a".utf8)))
        #expect(equal([], []))
    }
}
