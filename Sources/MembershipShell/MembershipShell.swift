import Foundation
import Membership
import Synchronization
import Transport

/// Runs a `SWIMInstance` on a real `Transport` (the *shell* around the *instance*, in swift-cluster-membership's
/// words).
///
/// - Membership messages travel as `MessageKind.membership` on `Lane.control` and are handled on the transport's
///   I/O thread, never behind model work or an actor mailbox, so a busy process keeps answering probes.
/// - Ticks come from one small thread that sleeps until the instance's next `scheduleTick`.
/// - Members carry their `PeerAddress` in metadata (`MembershipMetadata`); the shell adds them as transport peers
///   when they appear, tells the transport (`observe`) about each new life, and removes members that left.
/// - Every status change goes to `events`; convictions (`dead`) also go to `onConviction`, which the caller wires to
///   `BrigadeActorSystem.peerTerminated` so that calls pending on the dead node fail at once.
public final class MembershipShell: Sendable {
    /// Every status change this member sees, in order, plus its own conviction and rejoin.
    public let events: AsyncStream<MemberEvent>

    private let transport: any Transport
    private let state: Mutex<SWIMInstance>
    private let continuation: AsyncStream<MemberEvent>.Continuation
    private let onConviction: @Sendable (NodeID) -> Void
    private let ticks: Mutex<TickThread?> = Mutex(nil)
    private let stats = Mutex(ShellStatistics())

    /// Traffic and decoding counters of the shell itself.
    public struct ShellStatistics: Sendable {
        public var messagesSent = 0
        public var bytesSent = 0
        public var sendFailures = 0
        public var messagesReceived = 0
        public var malformed = 0
    }

    /// - Parameters:
    ///   - transport: the node's transport; its `localNode` is this member's identity (name + uid).
    ///   - metadata: role, what it serves…; the transport's address is added.
    ///   - seeds: members to join through (this node's own address is skipped). Empty: start a new cluster.
    ///   - settings: failure-detector knobs.
    ///   - seed: random seed for the instance (probe order, relays).
    ///   - onConviction: called (on the I/O or tick thread; must not block) with each life convicted dead.
    public init(transport: any Transport, metadata: [String: String] = [:], seeds: [PeerAddress] = [],
                settings: Settings = Settings(), seed: UInt64 = UInt64.random(in: 1...UInt64.max),
                onConviction: @escaping @Sendable (NodeID) -> Void = { _ in }) throws(TransportError) {
        self.transport = transport
        self.onConviction = onConviction
        let local = transport.localNode
        let seedNames = seeds.map(\.name).filter { $0 != local.name }
        for address in seeds where address.name != local.name { try transport.addPeer(address) }
        state = Mutex(SWIMInstance(
            me: MemberID(name: local.name, uid: local.incarnation),
            metadata: MembershipMetadata.entries(for: transport.localAddress, extra: metadata),
            seeds: seedNames, settings: settings, seed: seed))
        (events, continuation) = AsyncStream.makeStream(of: MemberEvent.self, bufferingPolicy: .bufferingNewest(4096))
    }

    /// Starts handling membership messages and ticking.
    public func start() {
        transport.setHandler(for: .membership) { [weak self] inbound in self?.receive(inbound) }
        let thread = TickThread { [weak self] in self?.tick() }
        ticks.withLock { $0 = thread }
        run { $0.start(now: $1) }
    }

    /// Hard evidence that `node` is gone (its agent saw the process exit; a disconnect then a failed ping).
    public func reportUnreachable(_ node: NodeID, evidence: HardEvidence) {
        run { $0.reportUnreachable(MemberID(name: node.name, uid: node.incarnation), evidence: evidence, now: $1) }
    }

    /// The transport lost its connection to `peer` (e.g. `TransportEvent.disconnected(peer, .control)`): ping it at
    /// once; if that ping fails too, it is hard evidence and conviction follows within `hardEvidenceTimeout`. The
    /// owner of the transport's event handler forwards these (the shell does not take the handler over).
    public func connectionLost(peer name: String) {
        run { instance, now in
            guard let member = instance.member(named: name) else { return [] }
            return instance.connectionLost(member.id, now: now)
        }
    }

    /// Leaves the cluster gracefully (tells every member), then stops ticking.
    public func leave() {
        run { $0.leave(now: $1) }
        stop()
    }

    /// Stops ticking and handling messages (without telling anyone: to the others this looks like a crash).
    public func stop() {
        transport.setHandler(for: .membership) { _ in }
        ticks.withLock { $0?.stop(); $0 = nil }
        continuation.finish()
    }

    /// This member's view of the others.
    public var members: [MemberSnapshot] { state.withLock { $0.members } }
    public var metrics: MembershipMetrics { state.withLock { $0.metrics } }
    public var incarnation: UInt64 { state.withLock { $0.incarnation } }
    public var statistics: ShellStatistics { stats.withLock { $0 } }

    /// Monotonic nanoseconds (CLOCK_MONOTONIC keeps counting while the process is stopped, as real time does).
    static var monotonicNow: UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    // MARK: - Inputs

    private func receive(_ inbound: InboundMessage) {
        stats.withLock { $0.messagesReceived += 1 }
        let bytes = inbound.frames.first?.bytes ?? []
        let envelope: Envelope
        do {
            envelope = try MembershipCodec.decode(bytes)
        } catch {
            stats.withLock { $0.malformed += 1 }
            return
        }
        // The transport authenticated the sender; a message claiming another sender is dropped.
        guard envelope.from.name == inbound.sender.name, envelope.from.uid == inbound.sender.incarnation else {
            stats.withLock { $0.malformed += 1 }
            return
        }
        run { $0.receive(envelope, now: $1) }
    }

    private func tick() {
        run { $0.tick(now: $1) }
    }

    /// Runs one input under the lock, then carries out its directives outside it.
    private func run(_ input: (inout SWIMInstance, Timestamp) -> [Directive]) {
        let directives = state.withLock { instance in
            input(&instance, Timestamp(nanoseconds: Int64(Self.monotonicNow)))
        }
        for directive in directives { carryOut(directive) }
    }

    private func carryOut(_ directive: Directive) {
        switch directive {
        case .send(let envelope):
            let bytes = MembershipCodec.encode(envelope)
            let header = FrameHeader(kind: .membership, sender: transport.localNode, targetIncarnation: envelope.to.uid,
                                     deadline: .after(.seconds(2)))
            do {
                try transport.trySend(Message(header: header, frames: [Buffer(bytes)]), to: envelope.to.name, lane: .control)
                stats.withLock { $0.messagesSent += 1; $0.bytesSent += bytes.count }
            } catch {
                stats.withLock { $0.sendFailures += 1 }
            }
        case .statusChanged(let event):
            apply(event)
            continuation.yield(event)
        case .scheduleTick:
            // Inputs run on two threads (I/O and ticks) and carry out their directives outside the lock, so an
            // older input's request could land after a newer one's: read the instance's current wakeup instead.
            guard let at = state.withLock({ $0.nextWakeup }) else { return }
            ticks.withLock { $0?.schedule(at: UInt64(max(0, at.nanoseconds))) }
        }
    }

    /// Keeps the transport in step with membership.
    private func apply(_ event: MemberEvent) {
        let node = NodeID(name: event.member.name, incarnation: event.member.uid)
        guard node != transport.localNode else { return }
        switch event.status {
        case .alive, .suspect:
            if event.previous == nil || event.previous?.isGone == true,
               let address = MembershipMetadata.address(name: node.name, from: event.metadata) {
                try? transport.addPeer(address)
                transport.observe(node)
            }
        case .dead:
            onConviction(node)
        case .left:
            onConviction(node)
            transport.removePeer(named: node.name)
        }
    }
}
