import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The HTTP API of a Brigade cluster: OpenAI-compatible generation endpoints, models, cluster status, metrics and
/// health, served for one `InferenceService`.
///
/// Run it as a swift-service-lifecycle `Service` beside the coordinator's other services; it stops gracefully when
/// the group shuts down. Routes: `POST /v1/completions`, `POST /v1/chat/completions`, `GET /v1/models`,
/// `GET /v1/models/{model}`, `GET /v1/cluster`, `GET /metrics`, `GET /health` (docs/api.md).
///
/// ```swift
/// let registry = MetricsBootstrap.bootstrapPrometheus()
/// let server = APIServer(service: gateway, configuration: .init(host: "0.0.0.0", port: 8080), registry: registry)
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public struct APIServer: Service {
    /// Where and how the server listens.
    public struct Configuration: Sendable {
        /// The address to bind ("127.0.0.1" keeps it on this machine; "0.0.0.0" for every interface).
        public var host: String
        /// The port; 0 picks a free one (see `APIServer.boundPort()`).
        public var port: Int
        /// When set, every route except `authExemptPaths` needs `Authorization: Bearer <token>`.
        public var bearerToken: String?
        /// Paths served without a token even when `bearerToken` is set.
        public var authExemptPaths: Set<String>
        /// The largest request body accepted; larger ones get 413.
        public var maxRequestBodyBytes: Int
        /// Whether a generation is cancelled as soon as its client closes the connection. Leave on; Hummingbird's
        /// in-process router tests (which have no connection) turn it off.
        public var cancelsOnClientDisconnect: Bool
        /// Sent as the `Server` header when set.
        public var serverName: String?

        /// Creates a configuration; the defaults listen on 127.0.0.1:8080 without auth and accept 4 MiB bodies.
        public init(
            host: String = "127.0.0.1",
            port: Int = 8080,
            bearerToken: String? = nil,
            authExemptPaths: Set<String> = ["/health"],
            maxRequestBodyBytes: Int = 4 << 20,
            cancelsOnClientDisconnect: Bool = true,
            serverName: String? = "brigade"
        ) {
            self.host = host
            self.port = port
            self.bearerToken = bearerToken
            self.authExemptPaths = authExemptPaths
            self.maxRequestBodyBytes = maxRequestBodyBytes
            self.cancelsOnClientDisconnect = cancelsOnClientDisconnect
            self.serverName = serverName
        }
    }

    /// What the server serves.
    public let service: any InferenceService
    /// Where and how it listens.
    public let configuration: Configuration
    /// The registry `/metrics` renders and the HTTP metrics go into.
    public let registry: PrometheusCollectorRegistry
    /// The logger for request lines and unexpected errors.
    public let logger: Logger

    private let metrics: APIMetrics
    private let port = PortPromise()

    /// Creates a server for `service`; nothing listens until `run()`.
    public init(
        service: any InferenceService,
        configuration: Configuration = Configuration(),
        registry: PrometheusCollectorRegistry,
        logger: Logger = Logger(label: "brigade.http")
    ) {
        self.service = service
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.metrics = APIMetrics(registry: registry)
    }

    /// The router with every route and middleware, for Hummingbird's test framework or another application.
    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorShapeMiddleware())
        if let token = configuration.bearerToken {
            router.add(middleware: BearerAuthMiddleware(token: token, exemptPaths: configuration.authExemptPaths))
        }
        GenerationRoutes(
            service: service, metrics: metrics, maxBodyBytes: configuration.maxRequestBodyBytes,
            cancelsOnClientDisconnect: configuration.cancelsOnClientDisconnect
        ).register(on: router)
        ModelsRoutes(service: service).register(on: router)
        OperationsRoutes(service: service, registry: registry).register(on: router)
        return router
    }

    /// The Hummingbird application `run()` runs: the router on the configured address.
    public func makeApplication() -> some ApplicationProtocol {
        let port = self.port
        return Application(
            router: makeRouter(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: configuration.serverName),
            onServerRunning: { channel in port.fulfil(channel.localAddress?.port) },
            logger: logger)
    }

    /// Serves until the task is cancelled or the service group shuts down gracefully (in-flight requests finish).
    public func run() async throws {
        do {
            try await makeApplication().run()
            port.fail(APIServerError("the server stopped before it was listening"))
        } catch {
            port.fail(error)
            throw error
        }
    }

    /// The port the server listens on, once it does (useful with port 0).
    /// - Throws: the error that stopped `run()` before it was listening.
    public func boundPort() async throws -> Int {
        try await port.value()
    }
}

/// An error starting or running `APIServer`.
public struct APIServerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
