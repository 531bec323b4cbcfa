import Distributed
import Locks
import Synchronization
import Transport

/// Brigade's `DistributedActorSystem`: Swift distributed actors whose remote calls travel over a `Transport`.
///
/// One system per process (node). It hosts local actors, turns calls on remote references into call messages with a
/// deadline, and runs inbound calls as tasks. Arguments, results and Codable errors use `BinaryEncoder`.
///
/// ```swift
/// let system = BrigadeActorSystem(transport: transport)
/// let coordinator = system.makeWellKnown("coordinator") { Coordinator(actorSystem: system) }
/// // on another node, knowing only the node's name:
/// let remote = try Coordinator.resolve(id: .wellKnown("coordinator", onNode: "node-a"), using: system)
/// let answer = try await remote.status()
/// ```
///
/// Failures come back as `ActorSystemError` (peer dead or unreachable, deadline, overload, unknown actor or method,
/// bad arguments…) or as the callee's own thrown error. When membership declares a peer dead (`peerTerminated`), or
/// the transport sees it restart, every call pending on it fails at once. Keep distributed methods non-generic.
public final class BrigadeActorSystem: DistributedActorSystem, @unchecked Sendable {
    public typealias ActorID = ActorSystem.ActorID
    public typealias InvocationEncoder = BrigadeInvocationEncoder
    public typealias InvocationDecoder = BrigadeInvocationDecoder
    public typealias ResultHandler = BrigadeResultHandler
    public typealias SerializationRequirement = Codable

    /// The transport this system sends and receives on. The system installs its handlers for `.call`, `.reply`,
    /// `.failure` and `.cancel` messages and its transport event handler.
    public let transport: any Transport
    /// Deadlines, bounds and grace periods this system runs with.
    public let settings: ActorSystemSettings
    /// This node's identity (the transport's).
    public let localNode: NodeID

    let counters = StatisticsCounters()
    let registry = Locked(Registry())
    let calls = Locked(CallState())
    /// Others interested in the transport's events (membership: a lost connection is evidence); see `observeTransport`.
    let transportObservers = Locked<[@Sendable (TransportEvent) -> Void]>([])
    private let nextActorNumber = Atomic<UInt64>(0)
    let nextCallID = Atomic<UInt64>(0)
    /// Bytes of call frames waiting for room in the transport (bounded by `settings.maxWaitingBytes`).
    let waitingBytes = Atomic<Int>(0)
    /// The `userInfo` of this system's encoders (decoders add the system itself, so actor references decode).
    let codingUserInfo: [CodingUserInfoKey: any Sendable] = [:]
    /// Inbound call targets with their signatures read once.
    let targets = TargetTable()
    private(set) var timers: TimerThread!
    private let errorTypes = Locked<[String: any (Error & Codable).Type]>([:])

    /// - Parameters:
    ///   - transport: a running transport; the system takes over its call, reply, failure and cancel handlers and its
    ///     event handler.
    ///   - settings: deadlines, bounds and grace periods.
    public init(transport: any Transport, settings: ActorSystemSettings = ActorSystemSettings()) {
        self.transport = transport
        self.settings = settings
        localNode = transport.localNode
        timers = nil
        timers = TimerThread(
            fire: { [weak self] event in self?.timerFired(event) },
            isLive: { [weak self] event in self?.timerIsLive(event) ?? false })
        installHandlers()
    }

    deinit {
        timers?.stop()
    }

    /// The counters so far.
    public var statistics: ActorSystemStatistics { counters.snapshot }

    // MARK: Local actors

    struct LocalActor {
        weak var actor: (any DistributedActor)?
        var onIOThread: Bool
        /// "$s" plus the actor type's mangled name: every method identifier of the type starts with it. The runtime
        /// does not check that a target belongs to the actor it runs on, so the system does.
        var methodPrefix: String
    }

    struct Registry {
        var actors: [ActorID.Path: LocalActor] = [:]
    }

    /// Creates a well-known actor: `make` must create exactly one actor of type `Act` on this system, which gets the
    /// id `name` on this node (any actors it creates itself get numbers). A later actor with the same name replaces
    /// the earlier one.
    public func makeWellKnown<Act: DistributedActor>(_ name: String, _ make: () throws -> Act) rethrows -> Act
    where Act.ActorSystem == BrigadeActorSystem {
        try Self.$wellKnownClaim.withValue(WellKnownClaim(name: name, type: ObjectIdentifier(Act.self))) {
            try make()
        }
    }

    @TaskLocal static var wellKnownClaim: WellKnownClaim?

    final class WellKnownClaim: Sendable {
        let name: String
        let type: ObjectIdentifier
        let used = Atomic<Bool>(false)
        init(name: String, type: ObjectIdentifier) {
            self.name = name
            self.type = type
        }
    }

    /// A number on this node, or the well-known name claimed by `makeWellKnown`.
    public func assignID<Act>(_ actorType: Act.Type) -> ActorID where Act: DistributedActor, Act.ID == ActorID {
        if let claim = Self.wellKnownClaim, claim.type == ObjectIdentifier(actorType),
            !claim.used.exchange(true, ordering: .relaxed)
        {
            return ActorID(node: localNode, path: .named(claim.name))
        }
        return ActorID(node: localNode, path: .numbered(nextActorNumber.wrappingAdd(1, ordering: .relaxed).newValue))
    }

    /// Registers a local actor (weakly) so inbound calls and `resolve` find it.
    public func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ActorID {
        let onIOThread = actor is any IOThreadActor
        let prefix = "$s" + _mangledTypeName(Act.self)!
        registry.withLock { $0.actors[actor.id.path] = LocalActor(actor: actor, onIOThread: onIOThread, methodPrefix: prefix) }
    }

    /// Forgets a local actor that went away (a live actor that took over its well-known name stays).
    public func resignID(_ id: ActorID) {
        registry.withLock { registry in
            if let entry = registry.actors[id.path], entry.actor == nil { registry.actors[id.path] = nil }
        }
    }

    /// True when `node` names this process (incarnation 0 matches any).
    func isLocal(_ node: NodeID) -> Bool {
        node.name == localNode.name && (node.incarnation == 0 || node.incarnation == localNode.incarnation)
    }

    /// The local actor for `id`, or nil (a remote reference) when `id` names another node.
    /// - Throws: `.unknownActor` for a local id with no live actor of that type.
    public func resolve<Act>(id: ActorID, as actorType: Act.Type) throws -> Act? where Act: DistributedActor, Act.ID == ActorID {
        guard id.node.name == localNode.name else { return nil }
        guard isLocal(id.node), let entry = registry.withLock({ $0.actors[id.path] }), let actor = entry.actor else {
            throw ActorSystemError(.unknownActor, "no actor \(id) on \(localNode)")
        }
        guard let typed = actor as? Act else {
            throw ActorSystemError(.unknownActor, "actor \(id) is a \(type(of: actor)), not a \(Act.self)")
        }
        return typed
    }

    /// The live local actor at `path`.
    func localActor(at path: ActorID.Path) -> LocalActor? {
        registry.withLock { registry in
            guard let entry = registry.actors[path], entry.actor != nil else { return nil }
            return entry
        }
    }

    /// A fresh encoder that writes arguments straight into a call frame.
    public func makeInvocationEncoder() -> InvocationEncoder {
        BrigadeInvocationEncoder(userInfo: codingUserInfo)
    }

    // MARK: Errors

    /// Lets errors of type `T` thrown by remote methods be rebuilt as `T` on this node (register on the calling side;
    /// the callee sends any `Encodable` error's fields).
    public func registerErrorType<T: Error & Codable>(_ type: T.Type) {
        errorTypes.withLock { $0[String(reflecting: type)] = type }
    }

    func errorType(named name: String) -> (any (Error & Codable).Type)? {
        errorTypes.withLock { $0[name] }
    }
}

/// Marks a distributed actor whose methods are light and never block: its inbound calls run on the transport's I/O
/// thread (task executor preference), so its replies go out without a thread hop and are never queued behind heavy
/// work. Membership probes use this. Heavy actors must not adopt it.
public protocol IOThreadActor: DistributedActor where ActorSystem == BrigadeActorSystem {}
