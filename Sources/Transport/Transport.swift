/// Where a peer listens, and how it proves who it is.
public struct PeerAddress: Sendable, Hashable, Codable {
    /// The peer's node name (`NodeID.name`).
    public var name: String
    /// Its control inbox, e.g. `tcp://10.0.0.2:7100` or `ipc:///tmp/brigade/node-a.ctl`.
    public var control: String
    /// Its bulk-data inbox.
    public var bulk: String
    /// Its CURVE public key (Z85, 40 characters); nil on an insecure single-host cluster.
    public var publicKey: String?

    public init(name: String, control: String, bulk: String, publicKey: String? = nil) {
        self.name = name
        self.control = control
        self.bulk = bulk
        self.publicKey = publicKey
    }
}

/// Moves messages between the nodes of a cluster. The actor system, membership and the data plane see only this
/// protocol; `ZMQTransport` implements it over ZeroMQ and `TransportTestKit` over a simulated network.
///
/// Guarantees: at most once, in order per (peer, lane); messages are never delivered after their deadline, to the
/// wrong incarnation of the receiver, or from an older incarnation of a sender that has restarted. Everything else —
/// retries, replies, failure detection — is the business of the layers above.
public protocol Transport: AnyObject, Sendable {
    /// This process's identity.
    var localNode: NodeID { get }

    /// This node's own addresses, as peers should dial them (after binding, so ephemeral ports are resolved).
    var localAddress: PeerAddress { get }

    /// Makes `peer` reachable by name. Adding a peer again with a new address replaces the old connection.
    func addPeer(_ peer: PeerAddress) throws(TransportError)

    /// Forgets `name`: closes its connections and drops whatever is still queued for it.
    func removePeer(named name: String)

    /// Queues `message` for `peer`. Waits while the peer's bounded queue is full, until the message's deadline, and
    /// then throws `.overloaded`; throws `.unknownPeer`, `.messageTooLarge` or `.shutdown` at once. Returning means
    /// the message was handed to the network, not that it arrived.
    func send(_ message: Message, to peer: String, lane: Lane) async throws(TransportError)

    /// Like `send`, but never waits: throws `.overloaded` at once when the peer's queue is full. Safe to call from a
    /// message handler on the transport's I/O thread.
    func trySend(_ message: Message, to peer: String, lane: Lane) throws(TransportError)

    /// Installs the receiver of every inbound message of `kind`, replacing any earlier one. The handler runs on the
    /// transport's I/O thread, one message at a time, and must not block: hand heavy work to a task.
    func setHandler(for kind: MessageKind, _ handler: @escaping @Sendable (InboundMessage) -> Void)

    /// Installs the receiver of transport events (connections, restarts, rejections). Runs on the I/O thread.
    func setEventHandler(_ handler: @escaping @Sendable (TransportEvent) -> Void)

    /// Tells the transport that `node` is the current incarnation of its name (e.g. from membership): messages from
    /// older incarnations are dropped from now on.
    func observe(_ node: NodeID)

    /// The transport's counters so far.
    var statistics: TransportStatistics { get }

    /// Per-link fault injection (drop, delay, partition), for tests and `brigade chaos`.
    var faults: FaultInjector { get }

    /// An executor that runs jobs on the transport's I/O thread, if it has one. Light work (answering a probe,
    /// replying to a small call) can run there without a thread hop; it must never block.
    var ioExecutor: (any TaskExecutor)? { get }

    /// Stops the transport: pending sends fail with `.shutdown`, sockets close without lingering. Idempotent.
    func shutdown() async
}
