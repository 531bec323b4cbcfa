import Transport
import ZeroMQ

extension ZMQTransport {
    /// Reads up to a batch of messages from `inbox`; returns true when it stopped at the batch limit with more
    /// perhaps waiting, false when libzmq said `EAGAIN`. Loop only.
    func readInbox(_ inbox: Inbox) -> Bool {
        for _ in 0..<configuration.limits.receiveBatch {
            do {
                guard try receiveOne(from: inbox) else { return false }
            } catch {
                return false
            }
        }
        return true
    }

    /// Reads one message: [routing id] [header] [payload frames…]. Every message is read to its last part, whatever
    /// happens to it. Returns false when nothing was waiting.
    private func receiveOne(from inbox: Inbox) throws(ZMQError) -> Bool {
        let socket = inbox.socket
        var part = ZMQMessage()
        guard try socket.receive(into: &part, dontWait: true) else { return false }
        guard part.hasMore, try socket.receive(into: &part, dontWait: true) else {
            counters.dropped(.malformed, lane: inbox.lane, "a message with no header frame")
            return true
        }
        var more = part.hasMore
        var wireBytes = part.count
        let header: FrameHeader
        do {
            header = try part.withUnsafeBytes { (bytes) throws(TransportError) in try FrameHeader.decode(bytes) }
        } catch {
            return drop(.malformed, "\(error.message)", discarding: more, on: inbox)
        }
        var authenticated: String?
        if configuration.isSecure {
            authenticated = part.property("User-Id")
            guard KeyRing.mayClaim(header.sender.name, authenticatedAs: authenticated) else {
                return drop(.forgedSender, "\(header.kind) claims sender '\(header.sender.name)' on a connection authenticated as '\(authenticated ?? "nobody")'", discarding: more, on: inbox)
            }
        }
        let admission = admit(header)
        if let (reason, detail) = admission.drop { return drop(reason, detail, discarding: more, on: inbox) }
        if header.kind == .chunk {
            try receiveChunk(header, more: more, from: inbox, authenticated: authenticated)
            return true
        }
        var frames: [Buffer] = []
        while more {
            guard frames.count < configuration.limits.maxFrames else {
                return drop(.malformed, "\(header.kind) from \(header.sender) has more than \(configuration.limits.maxFrames) frames", discarding: more, on: inbox)
            }
            guard try socket.receive(into: &part, dontWait: true) else {
                return drop(.malformed, "\(header.kind) from \(header.sender) ended early", discarding: false, on: inbox)
            }
            more = part.hasMore
            let count = part.count
            wireBytes += count
            if count == 0 {
                frames.append(.empty)
            } else {
                let frame = part.takeFrame()
                frames.append(Buffer(borrowing: frame.baseAddress!, count: count, owner: frame))
            }
        }
        if header.kind == .hello {
            handleHello(header, frames, lane: inbox.lane, restarted: admission.restarted)
        } else {
            deliver(InboundMessage(header: header, frames: frames, lane: inbox.lane, authenticatedName: authenticated), bytes: wireBytes)
        }
        return true
    }

    /// Reads one chunk straight into its transfer's buffer; delivers the message when the last chunk is in.
    private func receiveChunk(_ header: FrameHeader, more: Bool, from inbox: Inbox, authenticated: String?) throws(ZMQError) {
        let socket = inbox.socket
        var part = ZMQMessage()
        guard more, try socket.receive(into: &part, dontWait: true) else {
            _ = drop(.malformed, "chunk from \(header.sender) has no descriptor", discarding: false, on: inbox)
            return
        }
        var more = part.hasMore
        let descriptor: ChunkDescriptor
        do throws(TransportError) {
            descriptor = try part.withUnsafeBytes { (bytes) throws(TransportError) in
                try ChunkDescriptor.decode(bytes, maxFrames: configuration.limits.maxFrames)
            }
            guard descriptor.transferID == header.callID else {
                throw TransportError(.malformedFrame, "chunk header names transfer \(header.callID), its descriptor \(descriptor.transferID)")
            }
        } catch {
            _ = drop(.malformed, "chunk from \(header.sender): \(error.message)", discarding: more, on: inbox)
            return
        }
        let target: UnsafeMutableRawBufferPointer?
        do {
            target = try reassembler.begin(descriptor, from: header, now: monotonicNanoseconds())
        } catch {
            _ = drop(error.reason, "chunk from \(header.sender): \(error.message)", discarding: more, on: inbox)
            return
        }
        guard let target else {
            _ = drop(nil, "", discarding: more, on: inbox)
            return
        }
        var written = 0
        var overrun = false
        while more {
            guard try socket.receive(into: &part, dontWait: true) else { break }
            more = part.hasMore
            let count = part.count
            guard count > 0 else { continue }
            guard !overrun, written + count <= target.count else {
                overrun = true
                continue
            }
            part.withUnsafeBytes { (target.baseAddress! + written).copyMemory(from: $0.baseAddress!, byteCount: count) }
            written += count
        }
        if overrun {
            let rejection = reassembler.abort(sender: header.sender, transferID: descriptor.transferID, .malformed,
                                              "chunk \(descriptor.sequence) of transfer \(descriptor.transferID) from \(header.sender) carries more than its \(target.count) bytes")
            counters.dropped(rejection.reason, lane: inbox.lane, rejection.message)
            return
        }
        do {
            if let completed = try reassembler.finish(descriptor, from: header.sender, written: written) {
                let bytes = completed.frames.reduce(completed.header.encodedSize) { $0 + $1.count }
                deliver(InboundMessage(header: completed.header, frames: completed.frames, lane: inbox.lane,
                                       authenticatedName: authenticated), bytes: bytes)
            }
        } catch {
            counters.dropped(error.reason, lane: inbox.lane, "chunk from \(header.sender): \(error.message)")
        }
    }

    /// Counts a drop (unless `reason` is nil), reports `detail`, and reads the rest of the message away.
    private func drop(_ reason: DropReason?, _ detail: @autoclosure () -> String, discarding more: Bool, on inbox: Inbox) -> Bool {
        if let reason { counters.dropped(reason, lane: inbox.lane, detail()) }
        let socket = inbox.socket
        var more = more
        var part = ZMQMessage()
        while more {
            guard (try? socket.receive(into: &part, dontWait: true)) == true else { break }
            more = part.hasMore
        }
        return true
    }

    /// The header rules every message passes: right target incarnation, not from an older incarnation of its
    /// sender. A newer incarnation is recorded and reported as a restart. Loop only.
    private func admit(_ header: FrameHeader) -> (drop: (DropReason, String)?, restarted: Bool) {
        if header.targetIncarnation != 0, header.targetIncarnation != localNode.incarnation {
            let target = NodeID(name: localNode.name, incarnation: header.targetIncarnation)
            return ((.wrongTarget, "\(header.kind) from \(header.sender) is meant for \(target), this is \(localNode)"), false)
        }
        let sender = header.sender
        let known = registry.withLock { registry -> UInt64 in
            let known = registry.incarnations[sender.name, default: 0]
            if sender.incarnation > known { registry.incarnations[sender.name] = sender.incarnation }
            return known
        }
        if sender.incarnation < known {
            let current = NodeID(name: sender.name, incarnation: known)
            return ((.staleIncarnation, "\(header.kind) from \(sender), which \(current) has replaced"), false)
        }
        guard known != 0, sender.incarnation > known else { return (nil, false) }
        for rejection in reassembler.dropTransfers(from: sender.name, olderThan: sender.incarnation) {
            counters.dropped(rejection.reason, lane: .bulk, rejection.message)
        }
        emit(.peerRestarted(old: NodeID(name: sender.name, incarnation: known), new: sender))
        return (nil, true)
    }

    /// A hello: add an unknown sender as a peer, or follow a restarted one to its new address. Loop only.
    private func handleHello(_ header: FrameHeader, _ frames: [Buffer], lane: Lane, restarted: Bool) {
        var address: PeerAddress
        do throws(TransportError) {
            guard frames.count == 1 else { throw TransportError(.malformedFrame, "hello has \(frames.count) payload frames, expected 1") }
            address = try frames[0].withUnsafeBytes { (bytes) throws(TransportError) in try HelloCodec.decode(bytes) }
        } catch {
            counters.dropped(.malformed, lane: lane, "hello from \(header.sender): \(error.message)")
            return
        }
        guard address.name == header.sender.name else {
            counters.dropped(.forgedSender, lane: lane, "hello from \(header.sender) announces node '\(address.name)'")
            return
        }
        if configuration.isSecure {
            guard let key = keyRing.key(for: address.name), address.publicKey == nil || address.publicKey == key else {
                counters.dropped(.forgedSender, lane: lane, "hello from \(header.sender) announces a key that is not the one allowed for it")
                return
            }
            address.publicKey = key
        }
        let known = registry.withLock { $0.peers[address.name]?.address }
        guard known == nil || (restarted && known != address) else { return }
        try? addPeer(address)
    }

    /// Applies the deadline and inbound faults, then hands the message to its handler. Loop only.
    func deliver(_ message: InboundMessage, bytes: Int) {
        guard !message.header.deadline.isExpired else {
            counters.dropped(.expired, lane: message.lane, "\(message.header.kind) from \(message.sender) arrived after its deadline")
            return
        }
        switch faults.decide(peer: message.sender.name, direction: .inbound, lane: message.lane) {
        case .deliver:
            deliverNow(message, bytes: bytes)
        case .drop:
            counters.dropped(.injectedFault, lane: message.lane, "\(message.header.kind) from \(message.sender) dropped by an inbound fault rule")
        case .delay(let delay):
            loop.scheduleOnLoop(after: delay) { [self] in
                guard !message.header.deadline.isExpired else {
                    counters.dropped(.expired, lane: message.lane, "\(message.header.kind) from \(message.sender) expired while delayed by a fault rule")
                    return
                }
                deliverNow(message, bytes: bytes)
            }
        }
    }

    private func deliverNow(_ message: InboundMessage, bytes: Int) {
        guard let handler = handlers.withLock({ $0[message.header.kind.rawValue] }) else {
            counters.dropped(.noHandler, lane: message.lane, "no handler for \(message.header.kind) from \(message.sender)")
            return
        }
        counters.received(bytes: bytes)
        handler(message)
    }
}
