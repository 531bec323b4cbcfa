import Hummingbird

/// An error as clients see it: an HTTP status and OpenAI's body `{"error": {"message", "type", "param", "code"}}`.
///
/// Every error the API returns goes out in this shape: the routes throw it, `ServiceError+HTTP.swift` maps the
/// service's refusals to it, and `ErrorShapeMiddleware` converts whatever else escapes (unknown routes, oversized
/// bodies, bugs).
struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// The HTTP status.
    var status: HTTPResponse.Status
    /// A sentence naming what was wrong.
    var message: String
    /// OpenAI's error class, e.g. "invalid_request_error".
    var type: String
    /// The request field at fault, if one is.
    var param: String?
    /// A machine-readable reason, e.g. "model_not_found".
    var code: String?
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    var headers: HTTPFields = [:]

    /// The JSON body.
    struct Body: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)  // null when absent, as OpenAI sends it
                try container.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }

        var error: Detail
    }

    /// The body this error is sent with.
    var body: Body { Body(error: .init(message: message, type: type, param: param, code: code)) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    var description: String { "\(status.code) \(type)\(code.map { "/\($0)" } ?? ""): \(message)" }
}

extension APIError {
    /// 400: the body is not JSON, or not a JSON object.
    static func invalidJSON(_ message: String) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: nil, code: "invalid_json")
    }

    /// 400: `param` has the wrong type or an out-of-range value.
    static func invalidField(_ param: String, _ message: String) -> APIError {
        APIError(
            status: .badRequest, message: message, type: "invalid_request_error", param: param, code: "invalid_value")
    }

    /// 400: a required field is absent.
    static func missingField(_ param: String) -> APIError {
        APIError(
            status: .badRequest, message: "you must provide '\(param)'", type: "invalid_request_error", param: param,
            code: "missing_required_parameter")
    }

    /// 400: a field OpenAI defines that this server does not implement was set.
    static func unsupported(_ param: String, _ message: String) -> APIError {
        APIError(
            status: .badRequest, message: message, type: "invalid_request_error", param: param,
            code: "unsupported_parameter")
    }

    /// 400: the prompt plus the tokens asked for do not fit the context.
    static func contextLengthExceeded(_ param: String?, _ message: String) -> APIError {
        APIError(
            status: .badRequest, message: message, type: "invalid_request_error", param: param,
            code: "context_length_exceeded")
    }

    /// 404: no served model has this name.
    static func modelNotFound(_ name: String) -> APIError {
        APIError(
            status: .notFound, message: "the model '\(name)' does not exist or is not served here",
            type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    /// 500: a bug; the message must not leak internals beyond what helps a report.
    static func internalError(_ message: String) -> APIError {
        APIError(
            status: .internalServerError, message: message, type: "server_error", param: nil, code: "internal_error")
    }

    /// 503: the generation could not run or could not finish.
    static func generationFailed(_ message: String) -> APIError {
        APIError(
            status: .serviceUnavailable, message: message, type: "service_unavailable", param: nil,
            code: "generation_failed")
    }
}
