import Locks
import Synchronization
import Transport

/// A simulated network of many nodes in one process, for fast deterministic tests of everything above the transport.
///
/// Each node is an `InMemoryTransport` with its own serial I/O thread. The network decides who is alive: a node can
/// crash (its queued and in-flight messages vanish, its peers see `.disconnected`), be paused like a SIGSTOPped
/// process (it runs nothing until resumed, so its inbound queues fill up), and start again under the same name with
/// a larger incarnation. No real time passes unless a test asks for delays through a node's `FaultInjector`.
///
/// ```swift
/// let network = InMemoryNetwork()
/// let a = try network.makeNode(name: "a"), b = try network.makeNode(name: "b")
/// try a.addPeer(b.localAddress)
/// ```
public final class InMemoryNetwork: Sendable {
    /// Limits that apply to every node of the network.
    public struct Settings: Sendable {
        /// Messages one sender may have queued towards one receiver on one lane before `send` waits and `trySend`
        /// throws `.overloaded`.
        public var queueCapacity: Int
        /// Largest message (header plus frames) on the control lane, in bytes.
        public var maxControlMessageSize: Int
        /// Largest message on the bulk lane, in bytes.
        public var maxBulkMessageSize: Int

        /// - Parameters:
        ///   - queueCapacity: undelivered messages per link (sender, receiver, lane).
        ///   - maxControlMessageSize: largest control message, header included.
        ///   - maxBulkMessageSize: largest bulk message.
        public init(queueCapacity: Int = 1024, maxControlMessageSize: Int = 4 << 20, maxBulkMessageSize: Int = 64 << 20) {
            self.queueCapacity = queueCapacity
            self.maxControlMessageSize = maxControlMessageSize
            self.maxBulkMessageSize = maxBulkMessageSize
        }

        func maxMessageSize(_ lane: Lane) -> Int {
            lane == .control ? maxControlMessageSize : maxBulkMessageSize
        }
    }

    private struct State {
        var running: [String: InMemoryTransport] = [:]
        var lastIncarnation: [String: UInt64] = [:]
    }

    /// The limits every node uses.
    public let settings: Settings
    private let state = Locked(State())

    /// - Parameter settings: limits for every node.
    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Starts a node called `name`, with an incarnation larger than any earlier start of that name. Peers that know
    /// the name see `.connected` on both lanes.
    /// - Throws: `.invalidConfiguration` when the name is empty, longer than 255 UTF-8 bytes, or already running.
    public func makeNode(name: String) throws(TransportError) -> InMemoryTransport {
        guard (1...255).contains(name.utf8.count) else {
            throw TransportError(.invalidConfiguration, "node name must be 1...255 UTF-8 bytes, got '\(name)'")
        }
        let (node, others) = try state.withLock { (state) throws(TransportError) -> (InMemoryTransport, [InMemoryTransport]) in
            guard state.running[name] == nil else {
                throw TransportError(.invalidConfiguration, "node '\(name)' is already running; crash or shut it down first")
            }
            let incarnation = state.lastIncarnation[name, default: 0] + 1
            state.lastIncarnation[name] = incarnation
            let node = InMemoryTransport(node: NodeID(name: name, incarnation: incarnation), network: self)
            state.running[name] = node
            return (node, Array(state.running.values))
        }
        for other in others where other !== node { other.peerCameUp(name) }
        return node
    }

    /// Kills the running node called `name` at once, as SIGKILL would: what it had queued or in flight vanishes,
    /// its pending sends fail with `.shutdown`, and peers see `.disconnected` on both lanes. No-op if not running.
    public func crash(_ name: String) {
        guard let node = remove(name) else { return }
        node.terminate(crashed: true)
    }

    /// Stops (`true`) or resumes (`false`) the node called `name`, like SIGSTOP / SIGCONT: while paused it
    /// processes nothing, so what is sent to it piles up in the senders' bounded queues.
    public func setPaused(_ name: String, _ paused: Bool) {
        node(named: name)?.thread.setPaused(paused)
    }

    /// The running node called `name`, if any.
    public func node(named name: String) -> InMemoryTransport? {
        state.withLock { $0.running[name] }
    }

    /// Names of the running nodes.
    public var runningNodes: [String] {
        state.withLock { Array($0.running.keys).sorted() }
    }

    /// Removes `name` from the running set and tells its peers it went away.
    func remove(_ name: String, ifIdentical node: InMemoryTransport? = nil) -> InMemoryTransport? {
        let (removed, others) = state.withLock { state -> (InMemoryTransport?, [InMemoryTransport]) in
            guard let current = state.running[name], node == nil || current === node else { return (nil, []) }
            state.running[name] = nil
            return (current, Array(state.running.values))
        }
        if removed != nil {
            for other in others { other.peerWentDown(name) }
        }
        return removed
    }
}
