/// A message as the transport carries it: a header plus zero or more payload frames.
///
/// The transport never looks into the payload frames; the actor system puts its serialized invocation there, the
/// data plane its activation or KV metadata and raw float buffers.
public struct Message: Sendable {
    public var header: FrameHeader
    public var frames: [Buffer]

    public init(header: FrameHeader, frames: [Buffer] = []) {
        self.header = header
        self.frames = frames
    }

    /// Total payload bytes (header excluded).
    public var payloadSize: Int { frames.reduce(0) { $0 + $1.count } }
}

/// A message that arrived, with where it came from.
public struct InboundMessage: Sendable {
    public var header: FrameHeader
    public var frames: [Buffer]
    /// The lane it arrived on.
    public var lane: Lane
    /// The node name the security layer authenticated for the connection (the ZAP user id under CURVE), or nil on an
    /// insecure transport. When present it always equals `header.sender.name`: a transport drops messages whose
    /// claimed sender does not match the authenticated one.
    public var authenticatedName: String?

    public init(header: FrameHeader, frames: [Buffer], lane: Lane, authenticatedName: String? = nil) {
        self.header = header
        self.frames = frames
        self.lane = lane
        self.authenticatedName = authenticatedName
    }

    /// The sending node.
    public var sender: NodeID { header.sender }
}
