import DequeModule
import Locks
import Synchronization
import Transport
import ZeroMQ

/// What a mailbox needs from its transport.
struct MailboxContext: Sendable {
    let loop: IOThread
    let writer: MessageWriter
    let counters: TransportCounters
    let queueMessages: Int
    let queueBytes: Int
    /// The `.hello` sent first on every new connection.
    let hello: OutboundMessage
    /// Delivers a transport event (called on the I/O thread).
    let emit: @Sendable (TransportEvent) -> Void
}

/// The write-only DEALER to one peer on one lane, with its bounded queue (Zyre's "mailbox").
///
/// Two modes keep the socket on one thread at a time. In *direct* mode the queue is empty and a caller sends on its
/// own thread, under the lock, with `ZMQ_DONTWAIT`: no thread hop. When libzmq pushes back (`EAGAIN`: high-water mark
/// reached, or no connection with `IMMEDIATE`), the message is queued and the mailbox turns *queued*: the I/O thread
/// polls the socket for writability and drains the queue; callers only append, within the limits, or wait. When the
/// queue is empty again, the I/O thread stops polling the socket and hands it back to callers.
final class Mailbox: @unchecked Sendable {
    enum Offer {
        case accepted
        case full
        case waiting
        case failed(TransportError)
    }

    typealias Continuation = CheckedContinuation<TransportError?, Never>

    private enum Mode { case direct, queued, closed }

    private struct Waiter {
        var id: UInt64
        var messages: OutboundBatch
        var bytes: Int
        var deadline: Deadline
        var continuation: Continuation
    }

    /// Guarded by `state`'s lock: the socket is touched only under it (or by the I/O thread in queued mode).
    private struct State: @unchecked Sendable {
        var socket: ZMQSocket?
        var mode = Mode.queued
        var queue = Deque<OutboundMessage>()
        var queuedBytes = 0
        var waiters: [Waiter] = []
        var cancelledWaiters: Set<UInt64> = []
        var closeError: TransportError?
        var expiredTransfer: UInt64 = 0
    }

    let peer: String
    let lane: Lane
    let endpoint: String
    private let context: MailboxContext
    private let state: Locked<State>

    // Loop-confined.
    private var monitor: ZMQMonitor?
    private var registration: IOThread.Registration?
    private var monitorRegistration: IOThread.Registration?
    private var isConnected = false

    /// Wraps a configured, connected DEALER and the monitor started before it connected. The hello is queued
    /// first; call `start()` on the I/O thread to begin.
    init(peer: String, lane: Lane, endpoint: String, socket: ZMQSocket, monitor: ZMQMonitor, context: MailboxContext) {
        self.peer = peer
        self.lane = lane
        self.endpoint = endpoint
        self.context = context
        self.monitor = monitor
        var initial = State(socket: socket)
        initial.queue.append(context.hello)
        initial.queuedBytes = context.hello.size
        state = Locked(initial)
    }

    /// Registers the socket and its monitor with the I/O thread. Loop only.
    func start() {
        guard let monitor else { return }
        monitorRegistration = context.loop.register(reader: monitor.socket) { [self] in
            monitorReadable()
            return false
        }
        let loop = context.loop
        registration = state.withLock { state in
            state.socket.map { socket in loop.register(socket, events: [], handler: { [self] _ in drain() }) }
        }
        drain()
    }

    /// Sends or queues `messages` (one message, or the chunks of one). With `waiter`, a full queue registers it to
    /// be resumed (nil error) once the messages are queued, or with an error.
    func offer(_ messages: OutboundBatch, bytes: Int, waiter: (id: UInt64, deadline: Deadline, continuation: Continuation)? = nil) -> Offer {
        var arm = false
        let result = state.withLock { state -> Offer in
            switch state.mode {
            case .closed:
                return .failed(state.closeError ?? TransportError(.shutdown, "connection to '\(peer)' is closed"))
            case .direct:
                guard let socket = state.socket else { return .failed(TransportError(.shutdown, "no socket to '\(peer)'")) }
                var index = 0
                while index < messages.count {
                    do {
                        guard try context.writer.write(messages[index], to: socket) else { break }
                    } catch {
                        if index == 0 { return .failed(TransportError(.io, "sending to '\(peer)' (\(lane)): \(error)")) }
                    }
                    context.counters.sent(messages[index])
                    index += 1
                }
                if index == messages.count { return .accepted }
                state.mode = .queued
                arm = true
                for message in messages[index...] { append(message, to: &state) }
                return .accepted
            case .queued:
                if state.waiters.isEmpty, fits(messages.count, bytes, in: state) {
                    for message in messages { append(message, to: &state) }
                    return .accepted
                }
                guard let waiter else { return .full }
                if state.cancelledWaiters.remove(waiter.id) != nil { return .failed(Self.cancelled(peer)) }
                state.waiters.append(Waiter(id: waiter.id, messages: messages, bytes: bytes, deadline: waiter.deadline, continuation: waiter.continuation))
                return .waiting
            }
        }
        if arm { context.loop.execute { [self] in drain() } }
        return result
    }

    /// Writes queued messages while the socket takes them, admits waiting senders, and hands the socket back to
    /// callers when the queue is empty. Loop only.
    func drain() {
        var resumed: [Continuation] = []
        let queued = state.withLock { state -> Bool in
            guard state.mode == .queued, let socket = state.socket else { return false }
            while true {
                var blocked = false
                while let head = state.queue.first {
                    if !head.isHello, head.header.deadline.isExpired {
                        dropExpired(head, from: &state)
                        continue
                    }
                    do {
                        guard try context.writer.write(head, to: socket) else {
                            blocked = true
                            break
                        }
                        context.counters.sent(head)
                    } catch {
                        // Not a lack of room (that returns false): the message cannot be sent at all; drop it.
                    }
                    state.queue.removeFirst()
                    state.queuedBytes -= head.size
                }
                var admitted = false
                while let first = state.waiters.first, fits(first.messages.count, first.bytes, in: state) {
                    state.waiters.removeFirst()
                    for message in first.messages { append(message, to: &state) }
                    resumed.append(first.continuation)
                    admitted = true
                }
                if blocked || !admitted { break }
            }
            if state.queue.isEmpty {
                state.mode = .direct
                return false
            }
            return true
        }
        if let registration { context.loop.update(registration, events: queued ? .writable : []) }
        for continuation in resumed { continuation.resume(returning: nil) }
    }

    /// Fails waiting senders whose deadline has passed. Loop only.
    func expireWaiters() {
        let expired = state.withLock { state -> [Continuation] in
            let (late, onTime) = partition(state.waiters) { $0.deadline.isExpired }
            state.waiters = onTime
            return late.map(\.continuation)
        }
        for continuation in expired {
            continuation.resume(returning: TransportError(.overloaded, "queue to '\(peer)' (\(lane)) stayed full until the deadline"))
        }
    }

    /// Fails the waiting sender `id` because its task was cancelled (any thread).
    func cancelWaiter(_ id: UInt64) {
        let continuation = state.withLock { state -> Continuation? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                state.cancelledWaiters.insert(id)
                return nil
            }
            return state.waiters.remove(at: index).continuation
        }
        continuation?.resume(returning: Self.cancelled(peer))
    }

    /// Closes the socket and drops the queue; waiting senders fail with `error`. Loop only.
    func close(_ error: TransportError) {
        let waiters = state.withLock { state -> [Waiter] in
            guard state.mode != .closed else { return [] }
            state.mode = .closed
            state.closeError = error
            state.queue.removeAll()
            state.queuedBytes = 0
            monitor?.close()
            state.socket?.close()
            state.socket = nil
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        monitor = nil
        for registration in [registration, monitorRegistration].compactMap({ $0 }) { context.loop.unregister(registration) }
        registration = nil
        monitorRegistration = nil
        for waiter in waiters { waiter.continuation.resume(returning: error) }
    }

    /// Messages and bytes queued now, and senders waiting for room (any thread).
    var depth: (messages: Int, bytes: Int, waitingSenders: Int) {
        state.withLock { ($0.queue.count, $0.queuedBytes, $0.waiters.count) }
    }

    // MARK: - Internals

    private func monitorReadable() {
        guard let monitor, let events = try? monitor.drain() else { return }
        for event in events {
            switch event.kind {
            case .handshakeSucceeded:
                isConnected = true
                context.emit(.connected(peer: peer, lane: lane))
            case .disconnected where isConnected:
                isConnected = false
                context.emit(.disconnected(peer: peer, lane: lane))
                connectionLost()
            case let kind where kind.isHandshakeFailure:
                context.emit(.rejected(endpoint: endpoint, reason: event.description))
            default:
                break
            }
        }
    }

    /// The connection dropped: whoever answers next (perhaps a restarted peer) must get a hello first.
    private func connectionLost() {
        state.withLock { state in
            guard state.mode != .closed else { return }
            if state.queue.first?.isHello != true {
                state.queue.prepend(context.hello)
                state.queuedBytes += context.hello.size
            }
            state.mode = .queued
        }
        drain()
    }

    private func fits(_ count: Int, _ bytes: Int, in state: State) -> Bool {
        state.queue.isEmpty
            || (state.queue.count + count <= context.queueMessages && state.queuedBytes + bytes <= context.queueBytes)
    }

    private func append(_ message: OutboundMessage, to state: inout State) {
        state.queue.append(message)
        state.queuedBytes += message.size
    }

    private func dropExpired(_ head: OutboundMessage, from state: inout State) {
        state.queue.removeFirst()
        state.queuedBytes -= head.size
        if head.transferID == 0 || head.transferID != state.expiredTransfer {
            context.counters.dropped(.expired, lane: lane, "\(head.header.kind) to '\(peer)' expired while queued")
        }
        state.expiredTransfer = head.transferID
    }

    private static func cancelled(_ peer: String) -> TransportError {
        TransportError(.overloaded, "send to '\(peer)' cancelled while waiting for queue space")
    }
}

private func partition<T>(_ items: [T], by predicate: (T) -> Bool) -> ([T], [T]) {
    var yes: [T] = [], no: [T] = []
    for item in items {
        if predicate(item) { yes.append(item) } else { no.append(item) }
    }
    return (yes, no)
}
