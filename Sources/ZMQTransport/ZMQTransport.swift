import Locks
import Synchronization
import Transport
import ZeroMQ

/// The `Transport` over ZeroMQ (DESIGN.md §3): one ROUTER inbox per lane, one write-only DEALER per peer and lane,
/// one I/O thread, CURVE with a ZAP handler unless configured insecure.
///
/// - Sending: `send`/`trySend` write on the caller's thread when the peer's DEALER has room (no thread hop); when
///   libzmq pushes back, the message waits in the peer's bounded queue, which the I/O thread drains. Bulk messages
///   larger than `Limits.bulkChunkSize` travel as chunks, sent without copying, with few in flight per peer.
/// - Receiving: the I/O thread reads the inboxes, drops and counts what is malformed, forged, stale, misaddressed,
///   expired or unhandled, and calls the handler for each message's kind with frames that own libzmq's memory.
/// - Identity: the first message on every connection is a `.hello` carrying the sender's `PeerAddress`; a receiver
///   adds an unknown sender as a peer (under CURVE only if its key is allowed), and learns a restarted peer's new
///   address. Under CURVE each message's claimed sender must be the name the ZAP handler authenticated.
/// - Statistics: `messagesSent`/`bytesSent` count what was handed to libzmq (a chunked message counts once, its
///   bytes as sent); `messagesReceived`/`bytesReceived` count messages delivered to a handler.
///
/// Call `shutdown()` when done: the I/O thread keeps the transport alive until then.
public final class ZMQTransport: Transport, @unchecked Sendable {
    typealias Handler = @Sendable (InboundMessage) -> Void
    typealias EventHandler = @Sendable (TransportEvent) -> Void

    struct Registry {
        var running = true
        var peers: [String: Peer] = [:]
        var incarnations: [String: UInt64] = [:]
    }

    /// This process's identity (from the configuration).
    public let localNode: NodeID
    /// Fault rules applied on send and on receive (seeded with the incarnation).
    public let faults: FaultInjector
    /// The configuration the transport started with.
    public let configuration: ZMQTransportConfiguration
    /// This node's addresses, with ephemeral ports resolved.
    public let localAddress: PeerAddress

    let context: ZMQContext
    let loop: IOThread
    let counters: TransportCounters
    let gauge = InFlightGauge()
    let registry: Locked<Registry>
    let handlers = Locked<[UInt8: Handler]>([:])
    let eventHandler = Locked<EventHandler?>(nil)
    let nextTransferID = Atomic<UInt64>(0)
    let nextWaiterID = Atomic<UInt64>(0)
    let keyRing: KeyRing
    /// The `.hello` every new connection starts with.
    let hello: OutboundMessage

    // Loop-confined after start.
    var inboxes: [Inbox]
    var zap: ZAPHandler?
    var zapRegistration: IOThread.Registration?
    var reassembler: Reassembler

    /// Binds the inboxes and starts the I/O thread.
    /// - Throws: `TransportError` with `.invalidConfiguration` (bad name, keys or limits), `.invalidAddress` (an
    ///   endpoint that cannot be bound) or `.io`.
    public init(configuration: ZMQTransportConfiguration) throws(TransportError) {
        try Self.validate(configuration)
        self.configuration = configuration
        localNode = configuration.node
        faults = FaultInjector(seed: configuration.node.incarnation)
        counters = TransportCounters(onDrop: configuration.onDrop)
        registry = Locked(Registry())
        if case .curve(let curve) = configuration.security {
            keyRing = KeyRing(curve.allowedPeers)
        } else {
            keyRing = KeyRing([:])
        }
        let limits = configuration.limits
        reassembler = Reassembler(limits: .init(
            chunkSize: limits.bulkChunkSize, maxMessageSize: limits.maxBulkMessageSize, maxFrames: limits.maxFrames,
            maxTransfersPerSender: limits.maxTransfersPerPeer, maxTransfers: limits.maxTransfers,
            idleTimeoutNanoseconds: UInt64(limits.transferIdleTimeout.components.seconds) * 1_000_000_000))
        let cpu = Self.ioCPU(configuration.ioPlacement)
        let context: ZMQContext
        do {
            context = try ZMQContext(
                ioThreads: configuration.ioThreads, maxSockets: 16384, cpu: cpu,
                batchScheduling: configuration.ioScheduling == .batch, threadNamePrefix: configuration.ioThreadNamePrefix)
        } catch {
            throw TransportError(.io, "starting the transport for \(configuration.node): \(error.message)")
        }
        do {
            loop = try IOThread(name: "zmq:\(configuration.node.name)", cpu: cpu, batchScheduling: configuration.ioScheduling == .batch)
        } catch {
            context.terminate()
            throw TransportError(.io, "starting the transport for \(configuration.node): \(error.message)")
        }
        self.context = context
        do {
            (zap, inboxes) = try Self.bindInboxes(configuration, context, keyRing)
        } catch {
            let context = self.context
            loop.stop { context.terminate() }
            throw error
        }
        localAddress = Self.address(configuration, inboxes)
        hello = OutboundMessage(
            header: FrameHeader(kind: .hello, sender: localNode),
            parts: [OutboundPart(Buffer(HelloCodec.encode(localAddress)))])
        loop.execute { [self] in startOnLoop() }
    }

    /// The I/O thread: tasks that prefer it run next to the sockets (no hop to reach the handler side).
    public var ioExecutor: (any TaskExecutor)? { loop }

    /// True when the caller runs on the transport's I/O thread.
    public var isOnIOThread: Bool { loop.isCurrent }

    /// Counters so far (see the type's documentation for what counts as sent and received).
    public var statistics: TransportStatistics { counters.snapshot }

    /// Installs the handler for `kind`; it runs on the I/O thread and must not block.
    public func setHandler(for kind: MessageKind, _ handler: @escaping @Sendable (InboundMessage) -> Void) {
        handlers.withLock { $0[kind.rawValue] = handler }
    }

    /// Installs the event handler; it runs on the I/O thread.
    public func setEventHandler(_ handler: @escaping @Sendable (TransportEvent) -> Void) {
        eventHandler.withLock { $0 = handler }
    }

    /// Records `node` as the current incarnation of its name: older ones are dropped as stale from now on.
    public func observe(_ node: NodeID) {
        registry.withLock { registry in
            if node.incarnation > registry.incarnations[node.name, default: 0] {
                registry.incarnations[node.name] = node.incarnation
            }
        }
    }

    /// Closes the peer's mailboxes, drops what is queued for it and fails its waiting senders (`.unknownPeer`).
    public func removePeer(named name: String) {
        guard let peer = registry.withLock({ $0.peers.removeValue(forKey: name) }) else { return }
        let error = TransportError(.unknownPeer, "peer '\(name)' was removed")
        if !loop.execute({ peer.close(error) }) { peer.close(error) }
    }

    /// Messages and bytes waiting in the queue to `peer` on `lane`, and senders waiting for room in it (nil for an
    /// unknown peer).
    public func queueDepth(to peer: String, lane: Lane) -> (messages: Int, bytes: Int, waitingSenders: Int)? {
        registry.withLock { $0.peers[peer] }?.mailbox(lane).depth
    }

    /// Bytes handed to libzmq without copying that libzmq still holds (bulk data in flight), and the most seen
    /// since the last `resetInFlightHighWater()`.
    public var zeroCopyBytesInFlight: (now: Int, highWater: Int) { (gauge.bytes, gauge.highWaterBytes) }

    /// Restarts the in-flight high-water mark from the current value.
    public func resetInFlightHighWater() { gauge.resetHighWater() }

    /// CURVE connections the ZAP handler refused (unknown key or wrong domain).
    public var securityDenials: UInt64 { keyRing.deniedCount }

    /// Admits `publicKey` as node `name` from now on (CURVE only; replaces an earlier key for that name).
    public func allowPeer(named name: String, publicKey: String) throws(TransportError) {
        guard configuration.isSecure else {
            throw TransportError(.invalidConfiguration, "allowPeer(\(name)): this transport is insecure")
        }
        do { try CurveKeyPair.validate(publicKey, role: "public key of '\(name)'") } catch {
            throw TransportError(.invalidConfiguration, error.message)
        }
        keyRing.allow(name, publicKey)
    }

    /// Closes every socket without lingering and stops the I/O thread; waiting senders fail with `.shutdown`.
    /// Returns when the libzmq context is gone. Idempotent.
    public func shutdown() async {
        let peers: [Peer]? = registry.withLock { registry in
            guard registry.running else { return nil }
            registry.running = false
            defer { registry.peers.removeAll() }
            return Array(registry.peers.values)
        }
        guard let peers else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let accepted = loop.execute { [self] in
                let error = TransportError(.shutdown, "transport \(localNode) shut down")
                for peer in peers { peer.close(error) }
                for inbox in inboxes { inbox.close(on: loop) }
                inboxes.removeAll()
                if let zapRegistration { loop.unregister(zapRegistration) }
                zap?.close()
                zap = nil
                let context = self.context
                loop.stop {
                    context.terminate()
                    continuation.resume()
                }
            }
            if !accepted { continuation.resume() }
        }
    }

    /// Delivers `event` to the event handler. Loop only.
    func emit(_ event: TransportEvent) {
        eventHandler.withLock { $0 }?(event)
    }
}
