import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceLifecycle

/// A logger that drops everything (tests assert on responses, not log lines).
let quietLogger = Logger(label: "brigade.http.test") { _ in SwiftLogNoOpLogHandler() }

/// Runs `body` against the API's router in process (no socket). Disconnect detection is off: the router test
/// framework closes the request stream as soon as the body is sent.
func withRouter(
    _ service: any InferenceService,
    configuration: APIServer.Configuration = APIServer.Configuration(cancelsOnClientDisconnect: false),
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    var configuration = configuration
    configuration.cancelsOnClientDisconnect = false
    let server = APIServer(service: service, configuration: configuration, registry: registry, logger: quietLogger)
    try await server.makeApplication().test(.router, body)
}

/// Runs `body` with the API listening on a free loopback port, then stops the server.
func withLiveServer<Value: Sendable>(
    _ service: any InferenceService,
    configuration: APIServer.Configuration = APIServer.Configuration(),
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    _ body: @escaping @Sendable (Int) async throws -> Value
) async throws -> Value {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let server = APIServer(service: service, configuration: configuration, registry: registry, logger: quietLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let port = try await withDeadline(.seconds(20), "the server to listen") { try await server.boundPort() }
        return try await body(port)
    }
}

extension TestClientProtocol {
    /// POSTs `json` to `path`.
    func post(_ path: String, _ json: [String: Any], headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await execute(uri: path, method: .post, headers: headers, body: jsonBody(json))
    }
}
