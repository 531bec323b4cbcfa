import Hummingbird

/// The per-request context every route and middleware of the API sees.
public struct APIRequestContext: RequestContext {
    /// Hummingbird's core storage (logger, route, parameters).
    public var coreContext: CoreRequestContextStorage
    /// The request id: the client's `X-Request-ID` when it is usable, else a fresh one (set by
    /// `RequestIDMiddleware`).
    public var requestID: String = ""

    /// Creates a context for one request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
