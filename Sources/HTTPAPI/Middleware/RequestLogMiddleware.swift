import Hummingbird
import Logging

/// Logs one line per request once its response head is ready: method, path, status and time taken, at `info`
/// (`warning` for 5xx). The logger already carries the request id.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await next(request, context)
        let elapsed = clock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        let level: Logger.Level = response.status.code >= 500 ? .warning : .info
        context.logger.log(
            level: level, "\(request.method) \(request.uri.path) \(response.status.code)",
            metadata: ["duration_ms": .stringConvertible((milliseconds * 1000).rounded() / 1000)])
        return response
    }
}
