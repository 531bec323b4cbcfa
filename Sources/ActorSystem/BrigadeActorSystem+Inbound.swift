import Distributed
import Synchronization
import Transport

/// An inbound call being executed: who to answer and until when.
struct InboundCall: Sendable {
    var sender: NodeID
    var callID: UInt64
    var deadline: Deadline
    var target: String
}

struct InboundKey: Hashable {
    var sender: NodeID
    var callID: UInt64

    /// Hashes the call id and the sender's incarnation (random per start), not the sender's name: the name would
    /// cost a string hash on each of the several lookups per call, and adds nothing to how keys spread.
    func hash(into hasher: inout Hasher) {
        hasher.combine(callID)
        hasher.combine(sender.incarnation)
    }
}

struct InboundEntry {
    var task: Task<Void, Never>?
    var cancelled = false
}

extension BrigadeActorSystem {
    func installHandlers() {
        transport.setHandler(for: .call) { [weak self] in self?.handleCall($0) }
        transport.setHandler(for: .reply) { [weak self] in self?.handleReply($0) }
        transport.setHandler(for: .failure) { [weak self] in self?.handleReply($0) }
        transport.setHandler(for: .cancel) { [weak self] in self?.handleCancel($0) }
        transport.setEventHandler { [weak self] in self?.handleEvent($0) }
    }

    /// On the I/O thread: a reply or failure for one of our calls.
    func handleReply(_ message: InboundMessage) {
        let callID = message.header.callID
        let (entry, waiter, restartedFrom) = calls.withLock { state -> (PendingCall?, UnsafeContinuation<Bool, Never>?, UInt64?) in
            let restartedFrom = state.heard(from: message.sender)
            guard state.pending[callID]?.peer == message.sender.name else { return (nil, nil, restartedFrom) }
            return (state.pending.removeValue(forKey: callID), state.releaseSlot(), restartedFrom)
        }
        waiter?.resume(returning: true)
        if let restartedFrom { peerReplaced(NodeID(name: message.sender.name, incarnation: restartedFrom), by: message.sender) }
        guard let entry else {
            counters.unmatchedReplies.increment()
            return
        }
        entry.continuation.resume(returning: message)
    }

    /// On the I/O thread: the caller gave up on a call.
    func handleCancel(_ message: InboundMessage) {
        counters.cancelsReceived.increment()
        let key = InboundKey(sender: message.sender, callID: message.header.callID)
        let task = calls.withLock { state -> Task<Void, Never>? in
            guard let index = state.inbound.index(forKey: key) else { return nil }
            state.inbound.values[index].cancelled = true
            return state.inbound.values[index].task
        }
        task?.cancel()
    }

    /// On the I/O thread: parse, admit and start an inbound call. Anything wrong is answered with a failure.
    func handleCall(_ message: InboundMessage) {
        let call = InboundCall(sender: message.sender, callID: message.header.callID, deadline: message.header.deadline, target: "")
        guard message.frames.count == 1, let frame = message.frames.first else {
            counters.malformedMessages.increment()
            refuse(call, ActorSystemError(.malformedMessage, "call with \(message.frames.count) payload frames, expected 1"))
            return
        }
        let parsed: (CallHead, arguments: Range<Int>)
        do throws(ActorSystemError) {
            parsed = try frame.withUnsafeBytes { bytes throws(ActorSystemError) in try CallHead.parse(bytes) }
        } catch {
            counters.malformedMessages.increment()
            refuse(call, error)
            return
        }
        let (head, arguments) = parsed
        var inbound = call
        inbound.target = head.target
        guard head.genericCount == 0 else {
            refuse(inbound, ActorSystemError(.genericsUnsupported, "\(head.target) is generic; distributed methods must use concrete types"))
            return
        }
        guard let entry = localActor(at: head.path), let actor = entry.actor else {
            refuse(inbound, ActorSystemError(.unknownActor, "no actor \(ActorID(node: localNode, path: head.path)) on \(localNode)"))
            return
        }
        guard head.target.hasPrefix(entry.methodPrefix) else {
            refuse(inbound, ActorSystemError(.unknownMethod, "\(type(of: actor)) has no distributed method \(head.target)"))
            return
        }
        let onIOThread = entry.onIOThread
        let key = InboundKey(sender: call.sender, callID: call.callID)
        enum Admission { case admitted, stopped, full }
        var restartedFrom: UInt64?
        let admission = calls.withLock { state -> Admission in
            restartedFrom = state.heard(from: message.sender)
            if state.stopped { return .stopped }
            if state.inbound.count >= settings.maxInboundCalls { return .full }
            state.inbound[key] = InboundEntry()
            return .admitted
        }
        if let restartedFrom { peerReplaced(NodeID(name: message.sender.name, incarnation: restartedFrom), by: message.sender) }
        switch admission {
        case .stopped:
            refuse(inbound, ActorSystemError(.shutdown, "actor system of \(localNode) is shutting down"))
            return
        case .full:
            counters.callsRejected.increment()
            refuse(inbound, ActorSystemError(.overloaded, "\(localNode) is running \(settings.maxInboundCalls) calls already"))
            return
        case .admitted:
            counters.callsReceived.increment()
        }
        let decoder = BrigadeInvocationDecoder(
            frame: frame, arguments: arguments, argumentCount: head.argumentCount, target: head.target, system: self)
        let task: Task<Void, Never>
        if onIOThread, let executor = transport.ioExecutor {
            // Light actors: run the call right here on the I/O thread until it first suspends (for a synchronous
            // method, through to the reply), with no job queued and no thread woken.
            task = Task.immediate(executorPreference: executor) { [self] in
                await execute(inbound, on: actor, decoder: decoder)
                _ = calls.withLock { $0.inbound.removeValue(forKey: key) }
            }
        } else {
            task = Task { [self] in
                await execute(inbound, on: actor, decoder: decoder)
                _ = calls.withLock { $0.inbound.removeValue(forKey: key) }
            }
        }
        let cancelNow = calls.withLock { state -> Bool in
            guard let index = state.inbound.index(forKey: key) else { return false }
            state.inbound.values[index].task = task
            return state.inbound.values[index].cancelled
        }
        if cancelNow { task.cancel() }
    }

    private func execute(_ call: InboundCall, on actor: any DistributedActor, decoder: BrigadeInvocationDecoder) async {
        var decoder = decoder
        let handler = BrigadeResultHandler(system: self, call: call, cursor: decoder.cursor)
        do {
            try await targets.execute(on: actor, target: call.target, decoder: &decoder, handler: handler, system: self)
        } catch {
            guard !handler.answered else { return }
            await reply(to: call, kind: .failure, frame: CallFailure.refusal(refusalReason(error, call: call, actor: actor)))
        }
    }

    private func refusalReason(_ error: any Error, call: InboundCall, actor: any DistributedActor) -> ActorSystemError {
        if let error = error as? ActorSystemError { return error }
        if let error = error as? ExecuteDistributedTargetError {
            switch error.errorCode {
            case .targetAccessorNotFound:
                return ActorSystemError(.unknownMethod, "\(type(of: actor)) has no distributed method \(call.target)", cause: error)
            case .missingGenericSubstitutions, .invalidGenericSubstitutions:
                return ActorSystemError(.genericsUnsupported, "\(call.target): \(error.message)", cause: error)
            default:
                return ActorSystemError(.invalidArguments, "\(call.target): \(error.message)", cause: error)
            }
        }
        return ActorSystemError(.invalidArguments, "\(call.target) could not run: \(error)", cause: error)
    }

    /// Answers a call with a refusal (no task needed).
    private func refuse(_ call: InboundCall, _ error: ActorSystemError) {
        send(reply: call, kind: .failure, frame: CallFailure.refusal(error), mayWait: false)
    }

    /// Sends the reply or failure of `call`; waits for queue space (until the call's deadline) only off the I/O path.
    func reply(to call: InboundCall, kind: MessageKind, frame: Buffer) async {
        if let waiting = send(reply: call, kind: kind, frame: frame, mayWait: true) {
            do {
                try await transport.send(waiting, to: call.sender.name, lane: .control)
            } catch {
                counters.failed("replyNotSent")
            }
        }
    }

    /// Tries to send without waiting; returns the message when the queue was full and the caller may wait for room.
    @discardableResult
    private func send(reply call: InboundCall, kind: MessageKind, frame: Buffer, mayWait: Bool) -> Message? {
        let header = FrameHeader(kind: kind, callID: call.callID, sender: localNode, targetIncarnation: call.sender.incarnation,
                                 deadline: call.deadline)
        let message = Message(header: header, frames: [frame])
        do throws(TransportError) {
            try transport.trySend(message, to: call.sender.name, lane: .control)
        } catch where error.code == .overloaded && mayWait {
            return message
        } catch where error.code == .messageTooLarge && kind == .reply {
            let refusal = CallFailure.refusal(ActorSystemError(
                .messageTooLarge, "the result of \(call.target) is \(frame.count) bytes, more than the transport allows"))
            send(reply: call, kind: .failure, frame: refusal, mayWait: false)
        } catch {
            counters.failed("replyNotSent")
        }
        return nil
    }
}
