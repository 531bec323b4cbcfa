import Hummingbird

/// The one place where the service's refusals become HTTP statuses and OpenAI error bodies.
extension ServiceError: HTTPResponseError {
    /// The HTTP status for this error's code.
    public var status: HTTPResponse.Status { apiError.status }

    /// Renders the error in OpenAI's shape, with `Retry-After` for `.queueFull`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try apiError.response(from: request, context: context)
    }

    /// The client-facing form of this error.
    var apiError: APIError {
        switch code {
        case .unknownModel:
            return APIError(
                status: .notFound, message: message, type: "invalid_request_error", param: "model",
                code: "model_not_found")
        case .promptTooLong:
            return .contextLengthExceeded(nil, message)
        case .queueFull:
            // Retry-After is whole seconds (RFC 9110 §10.2.3); round up so a client never retries too early.
            let wait = retryAfter ?? .seconds(1)
            let seconds = max(
                1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            return APIError(
                status: .tooManyRequests, message: message, type: "rate_limit_error", param: nil,
                code: "queue_full", headers: [.retryAfter: String(seconds)])
        case .unavailable:
            return APIError(
                status: .serviceUnavailable, message: message, type: "service_unavailable", param: "model",
                code: "model_unavailable")
        case .invalidRequest:
            return APIError(
                status: .badRequest, message: message, type: "invalid_request_error", param: nil, code: "invalid_value")
        default:
            return .internalError("the inference service refused the request: \(message)")
        }
    }
}
