import Transport

/// The line a peer process prints when it is ready, so its parent can reach it:
/// `READY <name> <incarnation> <control> <bulk> <public key or ->`.
public struct PeerAnnouncement: Sendable, Equatable {
    /// The line's first word.
    public static let prefix = "READY "

    /// The peer's identity.
    public var node: NodeID
    /// Where it listens.
    public var address: PeerAddress

    /// - Parameters:
    ///   - node: the peer's identity.
    ///   - address: its addresses (name must equal `node.name`).
    public init(node: NodeID, address: PeerAddress) {
        self.node = node
        self.address = address
    }

    /// Parses the text after `READY `.
    /// - Throws: `TransportError(.malformedFrame)` naming the missing or bad field.
    public init(parsing text: String) throws(TransportError) {
        let fields = text.split(separator: " ").map(String.init)
        guard fields.count == 5 else {
            throw TransportError(.malformedFrame, "announcement has \(fields.count) fields, expected 5: '\(text)'")
        }
        guard let incarnation = UInt64(fields[1], radix: 16) else {
            throw TransportError(.malformedFrame, "announcement incarnation '\(fields[1])' is not hexadecimal")
        }
        node = NodeID(name: fields[0], incarnation: incarnation)
        address = PeerAddress(name: fields[0], control: fields[2], bulk: fields[3], publicKey: fields[4] == "-" ? nil : fields[4])
    }

    /// The whole line, `READY` included.
    public var line: String {
        Self.prefix + [node.name, String(node.incarnation, radix: 16), address.control, address.bulk, address.publicKey ?? "-"]
            .joined(separator: " ")
    }

    /// The announcement of `transport`.
    public init(of transport: some Transport) {
        self.init(node: transport.localNode, address: transport.localAddress)
    }
}
