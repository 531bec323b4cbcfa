import Locks
import Synchronization
import Transport

/// One node of an `InMemoryNetwork`: a `Transport` whose messages travel between threads of this process.
///
/// It keeps the contract of the real transport: handlers run on the node's own I/O thread, one message at a time;
/// each (sender, receiver, lane) link holds at most `Settings.queueCapacity` undelivered messages (`send` waits for
/// room until the message's deadline, `trySend` throws `.overloaded` at once); messages past their deadline, meant
/// for another incarnation of the receiver, or sent by an older incarnation of a peer are dropped and counted; the
/// node's `FaultInjector` drops or delays messages in both directions. Delayed messages may overtake others.
/// Connecting to a peer tells a node the peer's incarnation (as a real transport's hello would): when a peer starts
/// again under the same name, its peers see `.connected` and then `.peerRestarted(old:new:)`.
///
/// Create nodes with `InMemoryNetwork.makeNode(name:)`. Peer addresses have the form `mem://NAME/control`.
public final class InMemoryTransport: Transport, @unchecked Sendable {
    typealias Handler = @Sendable (InboundMessage) -> Void
    typealias EventHandler = @Sendable (TransportEvent) -> Void

    struct LinkKey: Hashable {
        var peer: String
        var lane: Lane
    }

    struct Link {
        var queued = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    enum Status { case running, crashed, shutdown }

    struct State {
        var status = Status.running
        var peers: [String: PeerAddress] = [:]
        var handlers: [MessageKind: Handler] = [:]
        var eventHandler: EventHandler?
        var known: [String: UInt64] = [:]
        var statistics = TransportStatistics()
        var links: [LinkKey: Link] = [:]
        var nextWaiter: UInt64 = 0
    }

    /// This node (its incarnation counts up per name on the network).
    public let localNode: NodeID
    /// Drops and delays for messages to and from this node.
    public let faults: FaultInjector
    let thread: IOThread
    /// Strong: a running node keeps its network alive (the network drops the node when it crashes or stops).
    let network: InMemoryNetwork
    let state = Locked(State())

    init(node: NodeID, network: InMemoryNetwork) {
        localNode = node
        self.network = network
        faults = FaultInjector(seed: node.incarnation &* 0x9E37_79B9 ^ UInt64(truncatingIfNeeded: node.name.hashValue & 0xFFFF))
        thread = IOThread(name: node.name)
    }

    /// `mem://NAME/control` and `mem://NAME/bulk`.
    public var localAddress: PeerAddress {
        Self.address(of: localNode.name)
    }

    /// The address under which peers reach the node called `name` on an in-memory network.
    public static func address(of name: String) -> PeerAddress {
        PeerAddress(name: name, control: "mem://\(name)/control", bulk: "mem://\(name)/bulk")
    }

    /// The node's I/O thread, which also runs the jobs of tasks that prefer it.
    public var ioExecutor: (any TaskExecutor)? { thread }

    /// True when the caller runs on this node's I/O thread.
    public var isOnIOThread: Bool { thread.isCurrent }

    /// False once the node crashed or shut down.
    public var isRunning: Bool { state.withLock { $0.status == .running } }

    /// Sent, received and dropped messages so far.
    public var statistics: TransportStatistics { state.withLock { $0.statistics } }

    /// Makes `peer` reachable; reports `.connected` when it is running.
    /// - Throws: `.invalidAddress` for an address that is not `mem://`.
    public func addPeer(_ peer: PeerAddress) throws(TransportError) {
        guard peer.control.hasPrefix("mem://"), peer.bulk.hasPrefix("mem://") else {
            throw TransportError(.invalidAddress, "peer '\(peer.name)': in-memory addresses start with mem://, got \(peer.control)")
        }
        guard !peer.name.isEmpty, peer.name.utf8.count <= 255 else {
            throw TransportError(.invalidConfiguration, "peer name must be 1...255 UTF-8 bytes, got '\(peer.name)'")
        }
        let fresh = state.withLock { state in
            defer { state.peers[peer.name] = peer }
            return state.peers[peer.name] == nil
        }
        if fresh, network.node(named: peer.name) != nil { peerCameUp(peer.name) }
    }

    /// Forgets `name`; senders waiting for room in its queues give up.
    public func removePeer(named name: String) {
        let waiters = state.withLock { state in
            state.peers[name] = nil
            var waiters: [CheckedContinuation<Bool, Never>] = []
            for lane in Lane.allCases {
                if let link = state.links[LinkKey(peer: name, lane: lane)] {
                    waiters += link.waiters.map(\.continuation)
                }
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Installs the handler for `kind` (runs on this node's I/O thread).
    public func setHandler(for kind: MessageKind, _ handler: @escaping @Sendable (InboundMessage) -> Void) {
        state.withLock { $0.handlers[kind] = handler }
    }

    /// Installs the receiver of connection and restart events (runs on the I/O thread).
    public func setEventHandler(_ handler: @escaping @Sendable (TransportEvent) -> Void) {
        state.withLock { $0.eventHandler = handler }
    }

    /// Messages from incarnations of `node.name` older than `node` are dropped from now on.
    public func observe(_ node: NodeID) {
        state.withLock { state in
            if node.incarnation > state.known[node.name, default: 0] { state.known[node.name] = node.incarnation }
        }
    }

    /// Queues `message` or throws `.overloaded` at once when the link is full.
    public func trySend(_ message: Message, to peer: String, lane: Lane) throws(TransportError) {
        if try !admit(message, to: peer, lane: lane) {
            throw TransportError(.overloaded, "queue to '\(peer)' (\(lane)) is full")
        }
    }

    /// Queues `message`, waiting for room until its deadline (then `.overloaded`).
    public func send(_ message: Message, to peer: String, lane: Lane) async throws(TransportError) {
        while try !admit(message, to: peer, lane: lane) {
            let deadline = message.header.deadline
            if deadline.isExpired {
                throw TransportError(.overloaded, "queue to '\(peer)' (\(lane)) stayed full until the deadline")
            }
            let gotSlot = await waitForSlot(LinkKey(peer: peer, lane: lane), deadline: deadline)
            if !gotSlot {
                let status = state.withLock { $0.status }
                if status != .running { throw TransportError(.shutdown, "node \(localNode) has stopped") }
                if deadline.isExpired {
                    throw TransportError(.overloaded, "queue to '\(peer)' (\(lane)) stayed full until the deadline")
                }
            }
        }
    }

    /// Stops the node as a clean exit: peers see `.disconnected`, waiting senders fail with `.shutdown`.
    public func shutdown() async {
        _ = network.remove(localNode.name, ifIdentical: self)
        terminate(crashed: false)
    }
}
