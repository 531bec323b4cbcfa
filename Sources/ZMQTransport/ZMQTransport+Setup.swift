import CZeroMQ
import Transport
import ZeroMQ

extension ZMQTransport {
    /// The CPU the I/O threads are confined to, if any.
    static func ioCPU(_ placement: ZMQTransportConfiguration.IOPlacement) -> Int? {
        switch placement {
        case .anywhere: nil
        case .currentCPU: CPUPlacement.currentCPU
        case .cpu(let cpu): cpu
        }
    }

    static func validate(_ configuration: ZMQTransportConfiguration) throws(TransportError) {
        func invalid(_ message: String) -> TransportError { TransportError(.invalidConfiguration, message) }
        let name = configuration.node.name
        guard !name.isEmpty, name.utf8.count <= 255 else { throw invalid("node name must be 1...255 UTF-8 bytes, got '\(name)'") }
        guard configuration.node.incarnation != 0 else { throw invalid("node \(name): incarnation must not be 0") }
        let limits = configuration.limits
        guard limits.bulkChunkSize >= 4096, limits.bulkChunkSize <= Int(UInt32.max) else {
            throw invalid("bulkChunkSize must be 4 KiB...4 GiB, got \(limits.bulkChunkSize)")
        }
        guard limits.maxControlMessageSize > FrameHeader.maxSize, limits.maxBulkMessageSize > 0, limits.maxFrames > 0,
            limits.queueMessages > 0, limits.controlQueueBytes > 0, limits.bulkQueueBytes > 0,
            limits.maxTransfersPerPeer > 0, limits.maxTransfers > 0, limits.receiveBatch > 0
        else { throw invalid("every size and count limit must be positive") }
        guard configuration.ioThreads >= 1 else { throw invalid("ioThreads must be at least 1") }
        // Linux thread names hold 15 bytes: "999/ZMQbg/IO/99" fits, a longer prefix would leave the threads unnamed.
        if let prefix = configuration.ioThreadNamePrefix, !(0...999).contains(prefix) {
            throw invalid("ioThreadNamePrefix must be 0...999, got \(prefix)")
        }
        if case .cpu(let cpu) = configuration.ioPlacement, !CPUPlacement.isAllowed(cpu) {
            throw invalid("ioPlacement: CPU \(cpu) does not exist or is outside this process's affinity mask")
        }
        if case .curve(let curve) = configuration.security {
            for (peer, key) in curve.allowedPeers {
                do { try CurveKeyPair.validate(key, role: "public key of allowed peer '\(peer)'") } catch {
                    throw invalid(error.message)
                }
            }
        }
    }

    /// Creates the ZAP handler (first, so no socket is ever unauthenticated) and binds both inboxes; on failure
    /// closes whatever it created.
    static func bindInboxes(
        _ configuration: ZMQTransportConfiguration, _ context: ZMQContext, _ keyRing: KeyRing
    ) throws(TransportError) -> (ZAPHandler?, [Inbox]) {
        var zap: ZAPHandler?
        var inboxes: [Inbox] = []
        do throws(TransportError) {
            if case .curve = configuration.security {
                do {
                    zap = try ZAPHandler(context: context) { request in keyRing.authorize(request) }
                } catch {
                    throw TransportError(.io, "binding the ZAP handler: \(error.message)")
                }
            }
            inboxes.append(try bindInbox(.control, configuration.controlEndpoint, configuration, context))
            inboxes.append(try bindInbox(.bulk, configuration.bulkEndpoint, configuration, context))
            return (zap, inboxes)
        } catch {
            for inbox in inboxes {
                inbox.monitor.close()
                inbox.socket.close()
            }
            zap?.close()
            throw error
        }
    }

    static func address(_ configuration: ZMQTransportConfiguration, _ inboxes: [Inbox]) -> PeerAddress {
        var publicKey: String?
        if case .curve(let curve) = configuration.security { publicKey = curve.keyPair.publicKey }
        func advertised(_ endpoint: String) -> String {
            guard let host = configuration.advertisedHost, endpoint.hasPrefix("tcp://") else { return endpoint }
            for wildcard in ["tcp://0.0.0.0:", "tcp://*:", "tcp://[::]:"] where endpoint.hasPrefix(wildcard) {
                return "tcp://\(host):" + endpoint.dropFirst(wildcard.count)
            }
            return endpoint
        }
        return PeerAddress(
            name: configuration.node.name, control: advertised(inboxes[0].endpoint), bulk: advertised(inboxes[1].endpoint),
            publicKey: publicKey)
    }

    private static func bindInbox(
        _ lane: Lane, _ endpoint: String, _ configuration: ZMQTransportConfiguration, _ context: ZMQContext
    ) throws(TransportError) -> Inbox {
        let limits = configuration.limits
        let node = configuration.node
        do {
            let socket = try ZMQSocket(context, type: .router)
            try applyCommonOptions(socket, configuration.timing)
            try socket.set(.routerMandatory, true)
            try socket.set(.receiveHighWaterMark, lane == .control ? limits.controlHighWaterMark : limits.bulkHighWaterMark)
            let largestFrame = lane == .control ? limits.maxControlMessageSize : limits.bulkChunkSize + 65536
            try socket.set(.maxMessageSize, Int64(largestFrame))
            if case .curve(let curve) = configuration.security {
                try socket.set(.curveServer, true)
                try socket.set(.curveSecretKey, curve.keyPair.secretKey)
                try socket.set(.zapDomain, KeyRing.zapDomain)
                try socket.set(.zapEnforceDomain, true)
            }
            let monitor = try ZMQMonitor(watching: socket, in: context, events: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            let bound: String
            do {
                bound = try socket.bind(endpoint)
            } catch {
                monitor.close()
                throw TransportError(.invalidAddress, "binding the \(lane) inbox of \(node) on \(endpoint): \(error.message)")
            }
            return Inbox(lane: lane, socket: socket, monitor: monitor, endpoint: bound)
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError(.io, "creating the \(lane) inbox of \(node): \(error)")
        }
    }

    /// Options every socket gets before bind/connect: no lingering, heartbeats, reconnect backoff, handshake limit.
    static func applyCommonOptions(_ socket: ZMQSocket, _ timing: ZMQTransportConfiguration.Timing) throws(ZMQError) {
        try socket.set(.linger, 0)
        try socket.set(.heartbeatInterval, timing.heartbeatInterval)
        try socket.set(.heartbeatTimeout, timing.heartbeatTimeout)
        try socket.set(.heartbeatTTL, timing.heartbeatTTL)
        try socket.set(.reconnectInterval, timing.reconnectInterval)
        try socket.set(.reconnectIntervalMax, timing.reconnectIntervalMax)
        try socket.set(.handshakeInterval, timing.handshakeInterval)
    }

    /// Registers the inboxes, their monitors and the ZAP handler, and starts the reassembly sweep. Loop only.
    func startOnLoop() {
        if let zap {
            zapRegistration = loop.register(reader: zap.socket) {
                _ = try? zap.handleRequests()
                return false
            }
        }
        for inbox in inboxes {
            inbox.registration = loop.register(reader: inbox.socket) { [self] in readInbox(inbox) }
            inbox.monitorRegistration = loop.register(reader: inbox.monitor.socket) { [self] in
                for event in (try? inbox.monitor.drain()) ?? [] where event.kind.isHandshakeFailure {
                    emit(.rejected(endpoint: "\(inbox.lane) inbox \(inbox.endpoint)", reason: event.description))
                }
                return false
            }
        }
        sweepTransfers()
    }

    private func sweepTransfers() {
        for rejection in reassembler.expire(now: monotonicNanoseconds()) {
            counters.dropped(rejection.reason, lane: .bulk, rejection.message)
        }
        loop.scheduleOnLoop(after: .seconds(1)) { [self] in sweepTransfers() }
    }
}
