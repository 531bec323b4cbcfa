import CZeroMQ

/// One authentication request from libzmq to the ZAP handler (RFC 27).
public struct ZAPRequest: Sendable, Equatable {
    /// The ZAP domain the server socket set (`ZMQSocketOption.zapDomain`).
    public var domain: String
    /// The client's network address (e.g. "127.0.0.1").
    public var address: String
    /// The client's routing id, if it announced one.
    public var routingID: [UInt8]
    /// "NULL", "PLAIN" or "CURVE".
    public var mechanism: String
    /// Mechanism-specific credentials: for CURVE, one 32-byte client public key.
    public var credentials: [[UInt8]]

    /// The client's CURVE public key as Z85, when the mechanism is CURVE.
    public var curvePublicKey: String? {
        guard mechanism == "CURVE", credentials.count == 1, credentials[0].count == 32 else { return nil }
        return try? Z85.encode(credentials[0])
    }
}

/// The handler's answer to a `ZAPRequest`.
public struct ZAPDecision: Sendable, Equatable {
    /// "200" admits the client; "300" means try later, "400" refuses, "500" is a handler failure.
    public var statusCode: String
    /// Explanation sent back with the status.
    public var statusText: String
    /// The identity the client is known by; messages from it carry it as the "User-Id" property.
    public var userID: String

    /// Admits the client as `userID`.
    public static func allow(userID: String) -> ZAPDecision {
        ZAPDecision(statusCode: "200", statusText: "OK", userID: userID)
    }

    /// Refuses the client; `reason` goes back as the status text.
    public static func deny(_ reason: String) -> ZAPDecision {
        ZAPDecision(statusCode: "400", statusText: reason, userID: "")
    }
}

/// A ZAP handler: a ROUTER bound to `inproc://zeromq.zap.01` that libzmq asks, for every new connection to a socket
/// with a ZAP domain, whether to admit the client. Bind it before any other socket of the context binds or
/// connects, and service it (call `handleRequests()` when its socket is readable) from the thread that owns it.
/// Without a handler libzmq admits every CURVE client, so never run a CURVE server without one.
public final class ZAPHandler {
    /// The endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    /// The ROUTER socket; poll it for readability.
    public let socket: ZMQSocket
    private let authorize: (ZAPRequest) -> ZAPDecision

    /// Binds the handler in `context`; `authorize` decides each request, on the thread that calls
    /// `handleRequests()`.
    public init(context: ZMQContext, authorize: @escaping (ZAPRequest) -> ZAPDecision) throws(ZMQError) {
        socket = try ZMQSocket(context, type: .router)
        try socket.set(.linger, 0)
        try socket.bind(Self.endpoint)
        self.authorize = authorize
    }

    /// Answers every request waiting now; returns how many were answered. Malformed requests are refused with
    /// status 500 when they can be answered at all, and otherwise ignored.
    @discardableResult
    public func handleRequests() throws(ZMQError) -> Int {
        var answered = 0
        while let parts = try socket.receiveMultipart(dontWait: true) {
            // [client id] [empty delimiter] version, request id, domain, address, routing id, mechanism, credentials…
            guard parts.count >= 8, parts[1].isEmpty else { continue }
            let text = { (index: Int) in String(decoding: parts[index], as: UTF8.self) }
            let decision: ZAPDecision
            if text(2) != "1.0" {
                decision = ZAPDecision(statusCode: "500", statusText: "unsupported ZAP version", userID: "")
            } else {
                let request = ZAPRequest(
                    domain: text(4), address: text(5), routingID: parts[6], mechanism: text(7),
                    credentials: Array(parts[8...]))
                decision = authorize(request)
            }
            let reply: [[UInt8]] = [
                parts[0], [], Array("1.0".utf8), parts[3], Array(decision.statusCode.utf8),
                Array(decision.statusText.utf8), Array(decision.userID.utf8), [],
            ]
            if try socket.sendMultipart(reply, dontWait: true) { answered += 1 }
        }
        return answered
    }

    /// Unbinds and closes the handler.
    public func close() { socket.close() }
}
