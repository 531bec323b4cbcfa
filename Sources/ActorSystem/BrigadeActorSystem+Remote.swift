import Distributed
import Synchronization
import Transport

/// A call waiting for its reply.
struct PendingCall {
    var continuation: UnsafeContinuation<InboundMessage, any Error>
    var peer: String
    /// The incarnation the call was sent to (0: whichever was running).
    var incarnation: UInt64
    var actor: ActorID
    /// False while the message waits for room in the transport's queue.
    var sent = true
}

/// What the system knows about a peer node.
struct PeerState {
    /// The newest incarnation heard of.
    var incarnation: UInt64 = 0
    /// Incarnations up to this one are dead.
    var dead: UInt64 = 0
    /// Set while the control connection is down: the grace timer's generation.
    var disconnectedGeneration: UInt64?
    /// The connection stayed down past the grace period: calls fail at once until it is back.
    var unreachable = false
}

/// The system's mutable call state, under one lock.
struct CallState {
    var stopped = false
    var pending: [UInt64: PendingCall] = [:]
    /// Outbound calls holding a slot (registered or about to be).
    var inFlight = 0
    var slotWaiters: [(id: UInt64, continuation: UnsafeContinuation<Bool, Never>)] = []
    var nextWaiter: UInt64 = 0
    var peers: [String: PeerState] = [:]
    var graceGeneration: UInt64 = 0
    var inbound: [InboundKey: InboundEntry] = [:]

    /// Frees an outbound slot; returns the waiter to wake, if any.
    mutating func releaseSlot() -> UnsafeContinuation<Bool, Never>? {
        inFlight -= 1
        return slotWaiters.isEmpty ? nil : slotWaiters.removeFirst().continuation
    }

    /// Records that `node` is alive (it sent us something, or membership says so). Returns the previous incarnation
    /// when this one is newer: that one is gone, and the caller fails what was pending on it.
    mutating func heard(from node: NodeID) -> UInt64? {
        let known = peers[node.name]?.incarnation ?? 0
        guard known < node.incarnation else { return nil }
        peers[node.name, default: PeerState()].incarnation = node.incarnation
        return known == 0 ? nil : known
    }
}

extension BrigadeActorSystem {
    /// The deadline of remote calls made in this task, when set (`withCallTimeout`).
    @TaskLocal static var callTimeout: Duration?

    /// Runs `body` with remote calls made in it (in this task and its children) using `timeout` instead of
    /// `settings.defaultCallTimeout`.
    public static func withCallTimeout<R>(_ timeout: Duration, _ body: () async throws -> R) async rethrows -> R {
        try await $callTimeout.withValue(timeout) { try await body() }
    }

    /// Sends a call and decodes its result; throws the callee's error or an `ActorSystemError`.
    public func remoteCall<Act, Err, Res>(
        on actor: Act, target: RemoteCallTarget, invocation: inout InvocationEncoder, throwing: Err.Type, returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ActorID, Err: Error, Res: Codable {
        let reply = try await call(actor.id, target: target, invocation: &invocation)
        guard let frame = reply.frames.first else {
            throw failed(ActorSystemError(.malformedMessage, "reply from \(actor.id) has no payload frame"))
        }
        do {
            let core = DecoderCore(base: frame.baseAddress, userInfo: codingUserInfo, actorSystem: self)
            var reader = ByteReader(base: frame.baseAddress, range: 0..<frame.count)
            let value = try withExtendedLifetime(frame) { try core.readValue(Res.self, from: &reader, path: []) }
            counters.callsSucceeded.increment()
            return value
        } catch {
            throw failed(ActorSystemError(.serializationFailed, "reply from \(actor.id) does not decode as \(Res.self)", cause: error))
        }
    }

    /// Sends a call to a method that returns nothing; throws like `remoteCall`.
    public func remoteCallVoid<Act, Err>(
        on actor: Act, target: RemoteCallTarget, invocation: inout InvocationEncoder, throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ActorID, Err: Error {
        _ = try await call(actor.id, target: target, invocation: &invocation)
        counters.callsSucceeded.increment()
    }

    /// Counts a failure and returns it.
    func failed(_ error: ActorSystemError) -> ActorSystemError {
        counters.failed(error.code.description)
        return error
    }

    /// Sends the call and waits for its reply (`.reply`); a `.failure` is thrown as the error it carries.
    private func call(_ id: ActorID, target: RemoteCallTarget, invocation: inout InvocationEncoder) async throws -> InboundMessage {
        counters.callsSent.increment()
        let reply: InboundMessage
        do {
            reply = try await send(id, target: target, invocation: &invocation)
        } catch let error as ActorSystemError {
            throw failed(error)
        }
        guard reply.header.kind == .failure else { return reply }
        throw failure(in: reply, from: id)
    }

    private func send(_ id: ActorID, target: RemoteCallTarget, invocation: inout InvocationEncoder) async throws -> InboundMessage {
        guard invocation.genericCount == 0 else {
            throw ActorSystemError(.genericsUnsupported, "\(target.identifier) on \(id) is generic; distributed methods must use concrete types")
        }
        let frame = invocation.finish(path: id.path, target: target.identifier)
        guard frame.count <= settings.maxMessageSize else {
            throw ActorSystemError(.messageTooLarge, "call to \(id) is \(frame.count) bytes; the limit is \(settings.maxMessageSize)")
        }
        let deadline = Deadline.after(Self.callTimeout ?? settings.defaultCallTimeout)
        let incarnation = try await acquireSlot(for: id, deadline: deadline)
        let callID = nextCallID.wrappingAdd(1, ordering: .relaxed).newValue
        let message = Message(
            header: FrameHeader(kind: .call, callID: callID, sender: localNode, targetIncarnation: incarnation, deadline: deadline),
            frames: [frame])
        let peer = id.node.name
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                let registered = calls.withLock { state -> Bool in
                    guard !state.stopped else { return false }
                    state.pending[callID] = PendingCall(continuation: continuation, peer: peer, incarnation: incarnation, actor: id)
                    return true
                }
                guard registered else {
                    calls.withLock { $0.releaseSlot() }?.resume(returning: true)
                    continuation.resume(throwing: ActorSystemError(.shutdown, "actor system of \(localNode) has shut down"))
                    return
                }
                timers.schedule(.callDeadline(callID), at: deadline)
                if Task.isCancelled {
                    cancelCall(callID, reason: ActorSystemError(.cancelled, "call to \(id) was cancelled"))
                    return
                }
                do throws(TransportError) {
                    try transport.trySend(message, to: peer, lane: .control)
                } catch where error.code == .overloaded {
                    let size = frame.count
                    let waiting = waitingBytes.wrappingAdd(size, ordering: .relaxed).newValue
                    guard waiting <= settings.maxWaitingBytes else {
                        waitingBytes.wrappingSubtract(size, ordering: .relaxed)
                        completeCall(callID, with: .failure(ActorSystemError(.overloaded,
                            "the transport queue to \(peer) is full and \(waiting - size) bytes of calls already wait for it")))
                        return
                    }
                    calls.withLock { $0.pending[callID]?.sent = false }
                    Task { [self] in
                        defer { waitingBytes.wrappingSubtract(size, ordering: .relaxed) }
                        do throws(TransportError) {
                            try await transport.send(message, to: peer, lane: .control)
                            calls.withLock { $0.pending[callID]?.sent = true }
                        } catch {
                            completeCall(callID, with: .failure(ActorSystemError.from(error, "call to \(id)")))
                        }
                    }
                } catch {
                    completeCall(callID, with: .failure(ActorSystemError.from(error, "call to \(id)")))
                }
            }
        } onCancel: {
            cancelCall(callID, reason: ActorSystemError(.cancelled, "call to \(id) was cancelled"))
        }
    }

    /// Waits for an outbound slot (bounded by `maxPendingCalls`) and returns the incarnation to target; throws at
    /// once when the peer is known dead or unreachable.
    private func acquireSlot(for id: ActorID, deadline: Deadline) async throws -> UInt64 {
        while true {
            enum Verdict { case go(UInt64), wait, fail(ActorSystemError) }
            let verdict = calls.withLock { state -> Verdict in
                if state.stopped { return .fail(ActorSystemError(.shutdown, "actor system of \(localNode) has shut down")) }
                let peer = state.peers[id.node.name] ?? PeerState()
                let incarnation = id.node.incarnation != 0 ? id.node.incarnation : peer.incarnation
                if peer.dead != 0, incarnation <= peer.dead {
                    return .fail(ActorSystemError(.peerTerminated, "\(id.node.name) (incarnation \(String(peer.dead, radix: 16))) was declared dead"))
                }
                if peer.unreachable {
                    return .fail(ActorSystemError(.peerUnreachable, "no connection to \(id.node.name)"))
                }
                guard state.inFlight < settings.maxPendingCalls else { return .wait }
                state.inFlight += 1
                return .go(incarnation)
            }
            switch verdict {
            case .go(let incarnation): return incarnation
            case .fail(let error): throw error
            case .wait:
                let gotSlot = await withUnsafeContinuation { continuation in
                    enum Wait { case retry, stopped, waiting(UInt64) }
                    let wait = calls.withLock { state -> Wait in
                        if state.stopped { return .stopped }
                        // A slot may have freed since the verdict: then nobody would wake us.
                        if state.inFlight < settings.maxPendingCalls { return .retry }
                        state.nextWaiter += 1
                        state.slotWaiters.append((state.nextWaiter, continuation))
                        return .waiting(state.nextWaiter)
                    }
                    switch wait {
                    case .retry: continuation.resume(returning: true)
                    case .stopped: continuation.resume(returning: false)
                    case .waiting(let id): timers.schedule(.slotWait(id), at: deadline)
                    }
                }
                if calls.withLock({ $0.stopped }) {
                    throw ActorSystemError(.shutdown, "actor system of \(localNode) has shut down")
                }
                if !gotSlot || deadline.isExpired {
                    throw ActorSystemError(.overloaded, "\(settings.maxPendingCalls) calls pending until the deadline; call to \(id) not sent")
                }
            }
        }
    }

    /// Resolves a pending call (reply, failure or error) exactly once. Returns false when it was no longer pending.
    @discardableResult
    func completeCall(_ callID: UInt64, with result: Result<InboundMessage, ActorSystemError>) -> Bool {
        let (entry, waiter) = calls.withLock { state -> (PendingCall?, UnsafeContinuation<Bool, Never>?) in
            guard let entry = state.pending.removeValue(forKey: callID) else { return (nil, nil) }
            return (entry, state.releaseSlot())
        }
        waiter?.resume(returning: true)
        guard let entry else { return false }
        switch result {
        case .success(let message): entry.continuation.resume(returning: message)
        case .failure(let error): entry.continuation.resume(throwing: error)
        }
        return true
    }

    /// Fails a pending call and tells the callee to stop working on it.
    func cancelCall(_ callID: UInt64, reason: ActorSystemError) {
        let target = calls.withLock { $0.pending[callID].map { ($0.peer, $0.incarnation) } }
        guard completeCall(callID, with: .failure(reason)), let (peer, incarnation) = target else { return }
        let cancel = Message(header: FrameHeader(kind: .cancel, callID: callID, sender: localNode, targetIncarnation: incarnation,
                                                 deadline: .after(.seconds(5))))
        if (try? transport.trySend(cancel, to: peer, lane: .control)) != nil { counters.cancelsSent.increment() }
    }

    /// Rebuilds the error a `.failure` reply carries.
    private func failure(in reply: InboundMessage, from id: ActorID) -> any Error {
        guard let frame = reply.frames.first else {
            return failed(ActorSystemError(.malformedMessage, "failure from \(id) has no payload frame"))
        }
        return frame.withUnsafeBytes { bytes -> any Error in
            let parsed: CallFailure
            do throws(ActorSystemError) {
                parsed = try CallFailure.parse(bytes)
            } catch {
                return failed(error)
            }
            switch parsed {
            case .refused(let code, let message):
                return failed(ActorSystemError(code, "\(id) refused the call: \(message)"))
            case .thrown(let typeName, let description, let payload):
                counters.failed("remoteError")
                if let payload, let type = errorType(named: typeName),
                    let error = try? decodeError(type, bytes: bytes, range: payload)
                {
                    return error
                }
                return RemoteCallError(typeName: typeName, message: description)
            }
        }
    }

    private func decodeError<E: Error & Codable>(_ type: E.Type, bytes: UnsafeRawBufferPointer, range: Range<Int>) throws -> any Error {
        let core = DecoderCore(base: bytes.baseAddress, userInfo: codingUserInfo, actorSystem: self)
        var reader = ByteReader(base: bytes.baseAddress, range: range)
        return try core.readValue(E.self, from: &reader, path: [])
    }
}
