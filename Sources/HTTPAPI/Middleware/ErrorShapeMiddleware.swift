import Hummingbird
import NIOCore

/// Turns every error that escapes a route into a response in OpenAI's error shape, so clients always get
/// `{"error": {"message", "type", "param", "code"}}`: unknown routes (404), oversized bodies (413), Hummingbird's
/// own errors, and anything unexpected (500, logged with its details, which stay out of the response).
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as ServiceError {
            if error.code == .unavailable || error.code == .queueFull {
                context.logger.info("service refused a request", metadata: ["error": "\(error)"])
            }
            return try error.apiError.response(from: request, context: context)
        } catch let error as HTTPError {
            return try Self.convert(error, request: request).response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError(
                status: .contentTooLarge, message: "the request body is larger than this server accepts",
                type: "invalid_request_error", param: nil, code: "request_too_large"
            ).response(from: request, context: context)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error(
                "unexpected error answering a request", metadata: ["error": "\(String(reflecting: error))"])
            return try APIError.internalError("internal error (request id \(context.requestID))")
                .response(from: request, context: context)
        }
    }

    /// An `HTTPError` (thrown by Hummingbird: unknown route, bad body…) in the API's shape.
    static func convert(_ error: HTTPError, request: Request) -> APIError {
        let status = error.status
        let message: String
        let code: String?
        switch status {
        case .notFound:
            message = error.body ?? "no route for \(request.method) \(request.uri.path)"
            code = "not_found"
        case .contentTooLarge:
            message = error.body ?? "the request body is larger than this server accepts"
            code = "request_too_large"
        default:
            message = error.body ?? status.reasonPhrase
            code = nil
        }
        let type = status.code >= 500 ? "server_error" : "invalid_request_error"
        return APIError(status: status, message: message, type: type, param: nil, code: code, headers: error.headers)
    }
}
