import Hummingbird

/// Counts every request by route pattern, method and status, and records how long the response head took.
/// Unknown routes count under the endpoint "NotFound", so clients cannot create new label values.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, start: start, clock: clock)
            return response
        } catch {
            // Only cancellation gets here (ErrorShapeMiddleware answers everything else): the client is gone.
            record(request, context, status: 499, start: start, clock: clock)
            throw error
        }
    }

    private func record(
        _ request: Request, _ context: Context, status: Int, start: ContinuousClock.Instant, clock: ContinuousClock
    ) {
        metrics.recordRequest(
            endpoint: context.endpointPath ?? "NotFound", method: request.method.rawValue, status: status,
            duration: clock.now - start)
    }
}
