import Synchronization
import Transport

extension BrigadeActorSystem {
    /// Declares `node` dead (membership's verdict): every call pending on it, or on an older incarnation of its name,
    /// fails at once with `.peerTerminated`, and new calls to those incarnations fail without being sent. A newer
    /// incarnation of the name (seen in traffic or through `observe`) is reachable again.
    /// - Returns: the number of calls failed.
    @discardableResult
    public func peerTerminated(_ node: NodeID) -> Int {
        failCalls(to: node.name, upTo: node.incarnation, markDead: true,
                  ActorSystemError(.peerTerminated, "\(node) was declared dead"))
    }

    /// Tells the system (and its transport) that `node` is the current incarnation of its name (e.g. membership saw
    /// it join). Calls by name go to it from now on; calls pending on an older incarnation fail with `.peerTerminated`.
    public func observe(_ node: NodeID) {
        transport.observe(node)
        if let old = calls.withLock({ $0.heard(from: node) }) { peerReplaced(NodeID(name: node.name, incarnation: old), by: node) }
    }

    /// A newer incarnation of a peer appeared: the old one is gone.
    func peerReplaced(_ old: NodeID, by new: NodeID) {
        _ = failCalls(to: old.name, upTo: old.incarnation, markDead: true,
                      ActorSystemError(.peerTerminated, "\(old) was replaced by \(new)"))
    }

    /// Stops the system: pending calls fail with `.shutdown`, new calls and inbound calls are refused, the timer
    /// thread ends. The transport keeps running (its owner shuts it down). Idempotent.
    public func shutdown() {
        let (pending, waiters) = calls.withLock { state -> ([PendingCall], [UnsafeContinuation<Bool, Never>]) in
            guard !state.stopped else { return ([], []) }
            state.stopped = true
            let pending = Array(state.pending.values)
            state.pending.removeAll()
            state.inFlight -= pending.count
            let waiters = state.slotWaiters.map(\.continuation)
            state.slotWaiters.removeAll()
            return (pending, waiters)
        }
        for waiter in waiters { waiter.resume(returning: false) }
        for call in pending {
            call.continuation.resume(throwing: ActorSystemError(.shutdown, "actor system of \(localNode) shut down"))
        }
        timers.stop()
    }

    /// Fails the calls pending on `peer` whose target incarnation is at most `incarnation` (0 counts as any).
    func failCalls(to peer: String, upTo incarnation: UInt64, markDead: Bool, _ error: ActorSystemError) -> Int {
        let (failed, waiters) = calls.withLock { state -> ([PendingCall], [UnsafeContinuation<Bool, Never>]) in
            if markDead, state.peers[peer, default: PeerState()].dead < incarnation {
                state.peers[peer, default: PeerState()].dead = incarnation
            }
            var failed: [PendingCall] = []
            var waiters: [UnsafeContinuation<Bool, Never>] = []
            for (callID, call) in state.pending where call.peer == peer && call.incarnation <= incarnation {
                state.pending[callID] = nil
                failed.append(call)
                if let waiter = state.releaseSlot() { waiters.append(waiter) }
            }
            return (failed, waiters)
        }
        for waiter in waiters { waiter.resume(returning: true) }
        for call in failed { call.continuation.resume(throwing: error) }
        return failed.count
    }

    /// On the I/O thread: transport evidence about peers.
    /// Also hands every transport event to `observer` (on the transport's I/O thread; it must not block). The
    /// system owns the transport's event handler; this is how others listen beside it.
    public func observeTransport(_ observer: @escaping @Sendable (TransportEvent) -> Void) {
        transportObservers.withLock { $0.append(observer) }
    }

    func handleEvent(_ event: TransportEvent) {
        for observer in transportObservers.withLock({ $0 }) { observer(event) }
        switch event {
        case .peerRestarted(let old, let new):
            _ = calls.withLock { $0.heard(from: new) }
            peerReplaced(old, by: new)
        case .disconnected(let peer, .control):
            let generation = calls.withLock { state -> UInt64? in
                guard state.peers[peer]?.disconnectedGeneration == nil else { return nil }
                state.graceGeneration += 1
                state.peers[peer, default: PeerState()].disconnectedGeneration = state.graceGeneration
                return state.graceGeneration
            }
            if let generation { timers.schedule(.disconnectGrace(peer: peer, generation: generation), after: settings.disconnectGrace) }
        case .connected(let peer, .control):
            calls.withLock { state in
                state.peers[peer]?.disconnectedGeneration = nil
                state.peers[peer]?.unreachable = false
            }
        default:
            break
        }
    }

    /// Whether a timer entry still has work to do (for the timer heap's compaction).
    func timerIsLive(_ event: TimerThread.Event) -> Bool {
        switch event {
        case .callDeadline(let callID): calls.withLock { $0.pending[callID] != nil }
        case .slotWait(let waiter): calls.withLock { state in state.slotWaiters.contains { $0.id == waiter } }
        case .disconnectGrace: true
        }
    }

    /// On the timer thread.
    func timerFired(_ event: TimerThread.Event) {
        switch event {
        case .callDeadline(let callID):
            guard let (id, sent) = calls.withLock({ $0.pending[callID].map { ($0.actor, $0.sent) } }) else { return }
            if sent {
                cancelCall(callID, reason: ActorSystemError(.deadlineExceeded, "no reply from \(id) before the deadline"))
            } else {
                completeCall(callID, with: .failure(ActorSystemError(
                    .overloaded, "the transport queue to \(id.node.name) stayed full until the deadline; call to \(id) not sent")))
            }
        case .slotWait(let waiter):
            let continuation = calls.withLock { state -> UnsafeContinuation<Bool, Never>? in
                guard let index = state.slotWaiters.firstIndex(where: { $0.id == waiter }) else { return nil }
                return state.slotWaiters.remove(at: index).continuation
            }
            continuation?.resume(returning: false)
        case .disconnectGrace(let peer, let generation):
            let expired = calls.withLock { state -> Bool in
                guard state.peers[peer]?.disconnectedGeneration == generation else { return false }
                state.peers[peer]!.unreachable = true
                return true
            }
            guard expired else { return }
            _ = failCalls(to: peer, upTo: .max, markDead: false, ActorSystemError(
                .peerUnreachable, "connection to \(peer) down for more than \(settings.disconnectGrace)"))
        }
    }
}
