import Locks
import Synchronization
import Transport
import ZeroMQ
import ZMQTransport

/// Collects values from any thread and lets a test wait, with a deadline, until they satisfy a condition.
final class Collector<Value: Sendable>: Sendable {
    private struct Waiter {
        var id: Int
        var ready: @Sendable ([Value]) -> Bool
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var values: [Value] = []
        var waiters: [Waiter] = []
        var nextID = 0
    }

    private let state = Locked(State())

    init() {}

    /// Records `value` and wakes the waiters whose condition now holds.
    func append(_ value: Value) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.values.append(value)
            let values = state.values
            let done = state.waiters.filter { $0.ready(values) }
            state.waiters.removeAll { waiter in done.contains { $0.id == waiter.id } }
            return done.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    var values: [Value] { state.withLock { $0.values } }
    var count: Int { state.withLock { $0.values.count } }

    /// Waits until `ready(values)` holds; false when `timeout` passes first.
    func wait(timeout: Duration = .seconds(10), until ready: @escaping @Sendable ([Value]) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = state.withLock { state -> Int? in
                if ready(state.values) { return nil }
                state.nextID += 1
                state.waiters.append(Waiter(id: state.nextID, ready: ready, continuation: continuation))
                return state.nextID
            }
            guard let id else { return continuation.resume(returning: true) }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index).continuation
                }
                expired?.resume(returning: false)
            }
        }
    }

    /// Waits until at least `count` values arrived.
    func wait(forCount count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        await wait(timeout: timeout) { $0.count >= count }
    }
}

/// Test helpers for building transports.
enum Fixtures {
    /// An insecure transport on loopback with ephemeral ports.
    static func insecure(_ name: String, configure: (inout ZMQTransportConfiguration) -> Void = { _ in }) throws -> ZMQTransport {
        var configuration = ZMQTransportConfiguration(node: .fresh(name: name), security: .insecure)
        configure(&configuration)
        return try ZMQTransport(configuration: configuration)
    }

    /// A CURVE transport with `keys` that admits `allowed`.
    static func secure(
        _ name: String, keys: CurveKeyPair, allowed: [String: String],
        configure: (inout ZMQTransportConfiguration) -> Void = { _ in }
    ) throws -> ZMQTransport {
        var configuration = ZMQTransportConfiguration(
            node: .fresh(name: name), security: .curve(.init(keyPair: keys, allowedPeers: allowed)))
        configure(&configuration)
        return try ZMQTransport(configuration: configuration)
    }

    /// A one-frame message of `kind` carrying `payload`.
    static func message(_ kind: MessageKind, _ payload: [UInt8], callID: UInt64 = 0, from node: NodeID,
                        deadline: Deadline = .none, target: UInt64 = 0) -> Message {
        Message(header: FrameHeader(kind: kind, callID: callID, sender: node, targetIncarnation: target, deadline: deadline),
                frames: [Buffer(payload)])
    }

    /// Makes `b` echo, sends `a`'s `.call` carrying `payload` to it (after adding `b` as `a`'s peer; `b` learns `a`
    /// from the hello) and waits for the reply. Nil when none came within the collector's timeout.
    static func echoRoundTrip(from a: ZMQTransport, to b: ZMQTransport, payload: [UInt8], callID: UInt64) async throws -> InboundMessage? {
        installEcho(on: b)
        let replies = Collector<InboundMessage>()
        a.setHandler(for: .reply) { replies.append($0) }
        try a.addPeer(b.localAddress)
        try await a.send(message(.call, payload, callID: callID, from: a.localNode), to: b.localNode.name, lane: .control)
        guard await replies.wait(forCount: 1) else { return nil }
        return replies.values.first
    }

    /// Makes `transport` answer every `.call` with a `.reply` carrying the same payload (from the I/O thread).
    static func installEcho(on transport: ZMQTransport) {
        transport.setHandler(for: .call) { [unowned transport] message in
            let reply = Message(
                header: FrameHeader(kind: .reply, callID: message.header.callID, sender: transport.localNode,
                                    targetIncarnation: message.sender.incarnation),
                frames: message.frames)
            try? transport.trySend(reply, to: message.sender.name, lane: message.lane)
        }
    }
}

/// Re-checks `condition` until it holds or `timeout` passes, for states that raise no event (a sender parked in a
/// queue). Returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return true
}
