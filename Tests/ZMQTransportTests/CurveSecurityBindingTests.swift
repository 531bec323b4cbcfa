import CZeroMQ
import Testing
import ZeroMQ

/// CURVE and ZAP at the binding level, mirroring libzmq's own tests (research/zeromq.md §3).
@Suite("ZeroMQ binding: CURVE and ZAP")
struct CurveSecurityBindingTests {
    /// A CURVE ROUTER with ZAP domain "test" (enforced) and a DEALER client with `client` keys, plus the client's
    /// monitor. Returns what arrived at the server and the client's monitor events within `timeout`.
    private func attempt(
        context: ZMQContext, server: CurveKeyPair, client: CurveKeyPair, zap: ZAPHandler?, timeout: Duration = .seconds(2)
    ) throws -> (received: [[UInt8]], events: [ZMQMonitorEvent], userID: String?) {
        let router = try ZMQSocket(context, type: .router)
        try router.set(.linger, 0)
        try router.set(.curveServer, true)
        try router.set(.curveSecretKey, server.secretKey)
        try router.set(.zapDomain, "test")
        try router.set(.zapEnforceDomain, true)
        let endpoint = try router.bind("tcp://127.0.0.1:0")
        let dealer = try ZMQSocket(context, type: .dealer)
        try dealer.set(.linger, 0)
        try dealer.set(.curveServerKey, server.publicKey)
        try dealer.set(.curvePublicKey, client.publicKey)
        try dealer.set(.curveSecretKey, client.secretKey)
        let monitor = try ZMQMonitor(watching: dealer, in: context)
        try dealer.connect(endpoint)
        try dealer.send(Array("secret".utf8))
        var received: [[UInt8]] = []
        var events: [ZMQMonitorEvent] = []
        var userID: String?
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, received.isEmpty, !events.contains(where: { $0.kind.isHandshakeFailure }) {
            var items = [
                zmq_pollitem_t(socket: router.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                zmq_pollitem_t(socket: monitor.socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                zmq_pollitem_t(socket: zap?.socket.handle, fd: 0, events: zap == nil ? 0 : Int16(ZMQ_POLLIN), revents: 0),
            ]
            _ = zmq_poll(&items, 3, 50)
            try zap?.handleRequests()
            events += try monitor.drain()
            var part = ZMQMessage()
            if try router.receive(into: &part, dontWait: true) {
                _ = try router.receive(into: &part)
                userID = part.property("User-Id")
                received.append(part.bytes())
            }
        }
        monitor.close()
        dealer.close()
        router.close()
        return (received, events, userID)
    }

    @Test("an allowed key is admitted and its messages carry the handler's user id")
    func allowedKey() throws {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let zap = try ZAPHandler(context: context) { request in
            request.curvePublicKey == client.publicKey ? .allow(userID: "node-b") : .deny("unknown")
        }
        let outcome = try attempt(context: context, server: server, client: client, zap: zap)
        #expect(outcome.received == [Array("secret".utf8)])
        #expect(outcome.userID == "node-b")
        zap.close()
        context.terminate()
    }

    @Test("an unknown key is refused with status 400 and nothing is delivered")
    func unknownKey() throws {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let zap = try ZAPHandler(context: context) { _ in .deny("unknown") }
        let outcome = try attempt(context: context, server: server, client: client, zap: zap)
        #expect(outcome.received.isEmpty)
        let failure = outcome.events.first { $0.kind == .handshakeFailedAuth }
        #expect(failure?.value == 400)
        zap.close()
        context.terminate()
    }

    @Test("with no ZAP handler bound, ZAP_ENFORCE_DOMAIN fails closed instead of admitting everyone")
    func noHandlerFailsClosed() throws {
        let context = try ZMQContext()
        let outcome = try attempt(context: context, server: try CurveKeyPair.generate(), client: try CurveKeyPair.generate(), zap: nil)
        #expect(outcome.received.isEmpty)
        #expect(outcome.events.contains { $0.kind.isHandshakeFailure }, "the client saw no handshake failure: \(outcome.events)")
        context.terminate()
    }
}
