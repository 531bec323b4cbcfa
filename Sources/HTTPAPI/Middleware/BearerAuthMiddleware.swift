import Hummingbird

/// Requires `Authorization: Bearer <token>` on every route except the exempt ones (`/health` by default).
///
/// The token is compared in constant time over its bytes, so response timing does not reveal how much of a guess
/// was right. A missing or wrong token gets 401 with `WWW-Authenticate: Bearer` and OpenAI's `invalid_api_key`
/// error.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    private let token: [UInt8]
    private let exemptPaths: Set<String>

    /// A middleware accepting `token`; requests to `exemptPaths` pass without one.
    init(token: String, exemptPaths: Set<String>) {
        self.token = Array(token.utf8)
        self.exemptPaths = exemptPaths
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if exemptPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw Self.unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
        }
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else {
            throw Self.unauthorized("the Authorization header must use the Bearer scheme")
        }
        let offered = Array(header.dropFirst(scheme.count).trimmingSpaces().utf8)
        guard Self.constantTimeEqual(offered, token) else {
            throw Self.unauthorized("incorrect bearer token")
        }
        return try await next(request, context)
    }

    /// Whether `a` equals `b`, taking time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }

    private static func unauthorized(_ message: String) -> APIError {
        APIError(
            status: .unauthorized, message: message, type: "invalid_request_error", param: nil, code: "invalid_api_key",
            headers: [.wwwAuthenticate: "Bearer"])
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
