import CZeroMQ
import Transport
import ZeroMQ

extension ZMQTransport {
    /// Connects mailboxes to `peer` (a hello goes first on each). Adding the same address again does nothing; a new
    /// address replaces the old mailboxes. Under CURVE the name must be allowed, and a key in `peer` must be the
    /// allowed one (`.securityRejected` otherwise). Throws `.invalidAddress` for an endpoint libzmq cannot dial.
    public func addPeer(_ peer: PeerAddress) throws(TransportError) {
        guard !peer.name.isEmpty, peer.name.utf8.count <= 255 else {
            throw TransportError(.invalidConfiguration, "peer name must be 1...255 UTF-8 bytes, got '\(peer.name)'")
        }
        guard peer.name != localNode.name else {
            throw TransportError(.invalidConfiguration, "peer '\(peer.name)' has this node's own name")
        }
        var address = peer
        if configuration.isSecure {
            guard let allowed = keyRing.key(for: peer.name) else {
                throw TransportError(.securityRejected, "peer '\(peer.name)' is not among the allowed CURVE peers")
            }
            if let claimed = peer.publicKey, claimed != allowed {
                throw TransportError(.securityRejected, "peer '\(peer.name)' presents key \(claimed), allowed is \(allowed)")
            }
            address.publicKey = allowed
        } else {
            address.publicKey = nil
        }
        let current = try registry.withLock { (registry) throws(TransportError) -> Peer? in
            guard registry.running else { throw TransportError(.shutdown, "transport \(localNode) has shut down") }
            return registry.peers[peer.name]
        }
        if current?.address == address { return }
        let created = try makePeer(address)
        let (installed, replaced) = registry.withLock { registry -> (Bool, Peer?) in
            guard registry.running else { return (false, nil) }
            defer { registry.peers[address.name] = created }
            return (true, registry.peers[address.name])
        }
        guard installed else {
            created.close(TransportError(.shutdown, "transport \(localNode) has shut down"))
            throw TransportError(.shutdown, "transport \(localNode) has shut down")
        }
        let name = address.name
        let accepted = loop.execute {
            replaced?.close(TransportError(.unknownPeer, "peer '\(name)' was replaced by a new address"))
            created.start()
        }
        if !accepted { created.close(TransportError(.shutdown, "transport \(localNode) has shut down")) }
    }

    /// Creates and connects the DEALERs to `address` (they start queued, with the hello first).
    private func makePeer(_ address: PeerAddress) throws(TransportError) -> Peer {
        let limits = configuration.limits
        func mailbox(_ lane: Lane, _ endpoint: String) throws(TransportError) -> Mailbox {
            let socket: ZMQSocket
            let monitor: ZMQMonitor
            do {
                socket = try ZMQSocket(context, type: .dealer)
                try Self.applyCommonOptions(socket, configuration.timing)
                try socket.set(.immediate, true)
                try socket.set(.sendHighWaterMark, lane == .control ? limits.controlHighWaterMark : limits.bulkHighWaterMark)
                // Mailboxes never receive; refuse anything large that a misbehaving peer might send back.
                try socket.set(.maxMessageSize, 65536)
                if case .curve(let curve) = configuration.security, let serverKey = address.publicKey {
                    try socket.set(.curveServerKey, serverKey)
                    try socket.set(.curvePublicKey, curve.keyPair.publicKey)
                    try socket.set(.curveSecretKey, curve.keyPair.secretKey)
                }
                monitor = try ZMQMonitor(watching: socket, in: context, events: ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                    | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                    | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            } catch {
                throw TransportError(.io, "creating the \(lane) mailbox to '\(address.name)': \(error.message)")
            }
            do {
                try socket.connect(endpoint)
            } catch {
                monitor.close()
                throw TransportError(.invalidAddress, "peer '\(address.name)' \(lane) address \(endpoint): \(error.message)")
            }
            let context = MailboxContext(
                loop: loop, writer: MessageWriter(zeroCopyThreshold: limits.zeroCopyThreshold, gauge: gauge),
                counters: counters, queueMessages: limits.queueMessages,
                queueBytes: lane == .control ? limits.controlQueueBytes : limits.bulkQueueBytes,
                hello: hello, emit: { [unowned self] event in emit(event) })
            return Mailbox(peer: address.name, lane: lane, endpoint: endpoint, socket: socket, monitor: monitor, context: context)
        }
        let control = try mailbox(.control, address.control)
        do {
            return Peer(address: address, control: control, bulk: try mailbox(.bulk, address.bulk))
        } catch {
            control.close(error)
            throw error
        }
    }

    /// Writes `message` on the caller's thread when the peer's socket has room, or queues it; throws `.overloaded`
    /// at once when the queue is full. The header's sender is set to this node. A bulk message larger than the
    /// chunk size is queued as chunks.
    public func trySend(_ message: Message, to peer: String, lane: Lane) throws(TransportError) {
        guard let (mailbox, batch, bytes) = try prepare(message, to: peer, lane: lane) else { return }
        switch mailbox.offer(batch, bytes: bytes) {
        case .accepted, .waiting:
            return
        case .full:
            throw TransportError(.overloaded, "queue to '\(peer)' (\(lane)) is full")
        case .failed(let error):
            throw error
        }
    }

    /// Like `trySend`, but when the queue is full waits (first come, first served) until there is room, the
    /// message's deadline passes (`.overloaded`), the task is cancelled (`.overloaded`), the peer is removed
    /// (`.unknownPeer`) or the transport shuts down (`.shutdown`). Without a deadline it waits for room.
    public func send(_ message: Message, to peer: String, lane: Lane) async throws(TransportError) {
        guard let (mailbox, batch, bytes) = try prepare(message, to: peer, lane: lane) else { return }
        switch mailbox.offer(batch, bytes: bytes) {
        case .accepted, .waiting:
            return
        case .failed(let error):
            throw error
        case .full:
            break
        }
        let deadline = message.header.deadline
        let full = TransportError(.overloaded, "queue to '\(peer)' (\(lane)) stayed full until the deadline")
        guard !deadline.isExpired, !Task.isCancelled else { throw full }
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        let loop = self.loop
        let error: TransportError? = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Mailbox.Continuation) in
                switch mailbox.offer(batch, bytes: bytes, waiter: (id, deadline, continuation)) {
                case .accepted:
                    continuation.resume(returning: nil)
                case .failed(let error):
                    continuation.resume(returning: error)
                case .full:
                    continuation.resume(returning: full)
                case .waiting:
                    if let remaining = deadline.remaining {
                        loop.schedule(after: remaining) { mailbox.expireWaiters() }
                    }
                }
            }
        } onCancel: {
            mailbox.cancelWaiter(id)
        }
        if let error { throw error }
    }

    /// Checks `message` and turns it into what the mailbox sends: one message, or a bulk message's chunks. Returns
    /// nil when fault injection takes the message (dropped, or re-offered later by the I/O thread).
    private func prepare(_ message: Message, to name: String, lane: Lane) throws(TransportError)
        -> (Mailbox, OutboundBatch, Int)?
    {
        let found = registry.withLock { registry -> (running: Bool, peer: Peer?) in (registry.running, registry.peers[name]) }
        guard found.running else { throw TransportError(.shutdown, "transport \(localNode) has shut down") }
        guard let peer = found.peer else { throw TransportError(.unknownPeer, "no peer named '\(name)'") }
        var header = message.header
        header.sender = localNode
        let limits = configuration.limits
        let payloadSize = message.payloadSize
        let size = header.encodedSize + payloadSize
        let limit = lane == .control ? limits.maxControlMessageSize : limits.maxBulkMessageSize
        guard size <= limit, message.frames.count <= limits.maxFrames else {
            let problem = "\(header.kind) to '\(name)' is \(size) bytes in \(message.frames.count) frames; the \(lane) lane allows \(limit) bytes in \(limits.maxFrames) frames"
            counters.dropped(.oversize, lane: lane, problem)
            throw TransportError(.messageTooLarge, problem)
        }
        let mailbox = peer.mailbox(lane)
        let batch: OutboundBatch
        if lane == .bulk, payloadSize > limits.bulkChunkSize {
            let transfer = nextTransferID.add(1, ordering: .relaxed).newValue
            batch = OutboundBatch(ChunkSplitter.split(header: header, frames: message.frames, transferID: transfer, chunkSize: limits.bulkChunkSize))
        } else {
            batch = OutboundBatch(OutboundMessage(header: header, frames: message.frames, payloadSize: payloadSize))
        }
        switch faults.decide(peer: name, direction: .outbound, lane: lane) {
        case .deliver:
            return (mailbox, batch, size)
        case .drop:
            counters.dropped(.injectedFault, lane: lane, "\(header.kind) to '\(name)' dropped by an outbound fault rule")
            return nil
        case .delay(let delay):
            let counters = self.counters
            loop.schedule(after: delay) {
                if case .full = mailbox.offer(batch, bytes: size) {
                    counters.dropped(.queueFull, lane: lane, "delayed message to '\(name)' found its queue full")
                }
            }
            return nil
        }
    }
}
