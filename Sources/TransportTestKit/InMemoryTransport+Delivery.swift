import Synchronization
import Transport

extension InMemoryTransport {
    /// Hands `message` to the network unless its link is full. Returns false when full; true when the message was
    /// queued, or vanished (fault injection, receiver not running).
    func admit(_ message: Message, to peer: String, lane: Lane) throws(TransportError) -> Bool {
        var header = message.header
        header.sender = localNode
        let size = header.encodedSize + message.payloadSize
        let key = LinkKey(peer: peer, lane: lane)
        let limit = network.settings.maxMessageSize(lane)
        let capacity = network.settings.queueCapacity
        let verdict = try state.withLock { (state) throws(TransportError) -> Bool in
            guard state.status == .running else { throw TransportError(.shutdown, "node \(localNode) has stopped") }
            guard state.peers[peer] != nil else { throw TransportError(.unknownPeer, "no peer named '\(peer)'") }
            guard size <= limit else {
                state.statistics.dropped[.oversize, default: 0] += 1
                throw TransportError(.messageTooLarge, "\(header.kind) to '\(peer)' is \(size) bytes; the \(lane) lane allows \(limit)")
            }
            return state.links[key, default: Link()].queued < capacity
        }
        guard verdict else { return false }

        let decision = faults.decide(peer: peer, direction: .outbound, lane: lane)
        if decision == .drop {
            state.withLock { $0.statistics.dropped[.injectedFault, default: 0] += 1 }
            return true
        }
        let admitted = state.withLock { state in
            guard state.links[key, default: Link()].queued < capacity else { return false }
            state.links[key, default: Link()].queued += 1
            state.statistics.messagesSent += 1
            state.statistics.bytesSent += UInt64(size)
            return true
        }
        guard admitted else { return false }

        let outgoing = Message(header: header, frames: message.frames)
        guard let receiver = network.node(named: peer) else {
            releaseSlot(key)
            return true
        }
        let deliver = { [self] in
            receiver.receive(outgoing, from: self, lane: lane, size: size)
            releaseSlot(key)
        }
        let queued: Bool
        if case .delay(let delay) = decision {
            queued = receiver.thread.schedule(after: delay, deliver)
        } else {
            queued = receiver.thread.execute(deliver)
        }
        if !queued { releaseSlot(key) }
        return true
    }

    /// Runs on this node's I/O thread: applies the header rules and calls the handler for the message's kind.
    func receive(_ message: Message, from sender: InMemoryTransport, lane: Lane, size: Int) {
        if sender.state.withLock({ $0.status == .crashed }) { return }
        let header = message.header
        if faults.decide(peer: header.sender.name, direction: .inbound, lane: lane) == .drop {
            count(.injectedFault)
            return
        }
        enum Outcome { case drop, deliver(Handler?, EventHandler?, restartedFrom: UInt64?) }
        let outcome = state.withLock { state -> Outcome in
            guard state.status == .running else { return .drop }
            if header.targetIncarnation != 0, header.targetIncarnation != localNode.incarnation {
                state.statistics.dropped[.wrongTarget, default: 0] += 1
                return .drop
            }
            if header.deadline.isExpired {
                state.statistics.dropped[.expired, default: 0] += 1
                return .drop
            }
            let known = state.known[header.sender.name, default: 0]
            if header.sender.incarnation < known {
                state.statistics.dropped[.staleIncarnation, default: 0] += 1
                return .drop
            }
            state.known[header.sender.name] = header.sender.incarnation
            let handler = state.handlers[header.kind]
            if handler == nil {
                state.statistics.dropped[.noHandler, default: 0] += 1
            } else {
                state.statistics.messagesReceived += 1
                state.statistics.bytesReceived += UInt64(size)
            }
            let restarted = known != 0 && header.sender.incarnation > known ? known : nil
            return .deliver(handler, state.eventHandler, restartedFrom: restarted)
        }
        guard case .deliver(let handler, let events, let restartedFrom) = outcome else { return }
        if let restartedFrom {
            events?(.peerRestarted(old: NodeID(name: header.sender.name, incarnation: restartedFrom), new: header.sender))
        }
        handler?(InboundMessage(header: header, frames: message.frames, lane: lane))
    }

    /// Frees one slot of the link `key` and wakes the first sender waiting for it.
    func releaseSlot(_ key: LinkKey) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard var link = state.links[key] else { return nil }
            link.queued -= 1
            let waiter = link.waiters.isEmpty ? nil : link.waiters.removeFirst().continuation
            state.links[key] = link
            return waiter
        }
        waiter?.resume(returning: true)
    }

    /// Suspends until the link has room (true), or the deadline passes or the node stops (false).
    func waitForSlot(_ key: LinkKey, deadline: Deadline) async -> Bool {
        let capacity = network.settings.queueCapacity
        return await withCheckedContinuation { continuation in
            enum Verdict { case now(Bool), waiting(UInt64) }
            let verdict = state.withLock { state -> Verdict in
                guard state.status == .running else { return .now(false) }
                if state.links[key, default: Link()].queued < capacity { return .now(true) }
                state.nextWaiter += 1
                state.links[key, default: Link()].waiters.append((state.nextWaiter, continuation))
                return .waiting(state.nextWaiter)
            }
            switch verdict {
            case .now(let result):
                continuation.resume(returning: result)
            case .waiting(let id):
                guard let remaining = deadline.remaining else { return }
                thread.schedule(after: remaining) { [self] in timeOutWaiter(id, key) }
            }
        }
    }

    private func timeOutWaiter(_ id: UInt64, _ key: LinkKey) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let index = state.links[key]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.links[key]!.waiters.remove(at: index).continuation
        }
        waiter?.resume(returning: false)
    }

    /// The network says `name` started: report the connection if it is one of our peers. Like a transport's hello
    /// on connecting, this tells us the peer's incarnation, so a restart is reported even before it sends anything.
    func peerCameUp(_ name: String) {
        guard let incarnation = network.node(named: name)?.localNode.incarnation else { return }
        let old = state.withLock { state -> UInt64? in
            guard state.status == .running, state.peers[name] != nil else { return nil }
            let known = state.known[name, default: 0]
            if incarnation > known { state.known[name] = incarnation }
            return known
        }
        guard let old else { return }
        var events: [TransportEvent] = [.connected(peer: name, lane: .control), .connected(peer: name, lane: .bulk)]
        if old != 0, old < incarnation {
            events.append(.peerRestarted(old: NodeID(name: name, incarnation: old), new: NodeID(name: name, incarnation: incarnation)))
        }
        emitIfPeer(name, events)
    }

    /// The network says `name` crashed or stopped.
    func peerWentDown(_ name: String) {
        emitIfPeer(name, [.disconnected(peer: name, lane: .control), .disconnected(peer: name, lane: .bulk)])
    }

    private func emitIfPeer(_ name: String, _ events: [TransportEvent]) {
        guard state.withLock({ $0.status == .running && $0.peers[name] != nil }) else { return }
        thread.execute { [self] in
            guard let handler = state.withLock({ $0.eventHandler }) else { return }
            for event in events { handler(event) }
        }
    }

    /// Stops the node: fails waiting senders, drops what is queued to it, ends its thread.
    func terminate(crashed: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            guard state.status == .running else { return [] }
            state.status = crashed ? .crashed : .shutdown
            var waiters: [CheckedContinuation<Bool, Never>] = []
            for key in state.links.keys {
                waiters += state.links[key]!.waiters.map(\.continuation)
                state.links[key]!.waiters.removeAll()
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: false) }
        thread.setPaused(false)
        thread.stop()
    }

    private func count(_ reason: DropReason) {
        state.withLock { $0.statistics.dropped[reason, default: 0] += 1 }
    }
}
