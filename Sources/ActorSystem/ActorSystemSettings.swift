/// Tunables of a `BrigadeActorSystem`. The defaults suit a small cluster on a LAN.
public struct ActorSystemSettings: Sendable {
    /// Deadline of a remote call when the caller sets none (`BrigadeActorSystem.withCallTimeout`).
    public var defaultCallTimeout: Duration = .seconds(5)
    /// Calls this node may have waiting for replies; more wait for a slot until their deadline, then fail with
    /// `.overloaded`.
    public var maxPendingCalls = 10_000
    /// Inbound calls this node runs at once; beyond that callers get an `.overloaded` failure at once.
    public var maxInboundCalls = 10_000
    /// How long the control connection to a peer may stay down, while calls to it are pending, before those calls
    /// fail with `.peerUnreachable` (transport evidence, used until membership declares the peer dead).
    public var disconnectGrace: Duration = .milliseconds(500)
    /// Largest call or reply payload, in bytes; bigger arguments fail with `.messageTooLarge` before sending.
    public var maxMessageSize = 4 << 20
    /// Bytes of calls that may wait for room in a full transport queue (until their deadlines); beyond this, calls
    /// fail with `.overloaded` at once, so a stalled peer cannot make callers pile up memory.
    public var maxWaitingBytes = 64 << 20

    /// The defaults above.
    public init() {}
}
