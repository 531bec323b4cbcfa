import Transport

/// The identity of a distributed actor in Brigade: the node it lives on and its name or number there.
///
/// Well-known actors (`"coordinator"`, `"agent"`, `"membership"`…) have a name, so a peer can address them knowing
/// only the node's name; other actors get a number from the actor system. A `node.incarnation` of 0 means "whichever
/// incarnation of that node is running"; the system then targets the newest incarnation it has heard of.
public struct ActorID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Where the actor lives on its node.
    public enum Path: Hashable, Sendable, Codable {
        /// A well-known actor, one per name and node.
        case named(String)
        /// An actor numbered by its node's actor system.
        case numbered(UInt64)
    }

    /// The node that hosts the actor (incarnation 0 when not yet known).
    public var node: NodeID
    /// The actor on that node.
    public var path: Path

    /// - Parameters:
    ///   - node: the hosting node (incarnation 0: whichever is running).
    ///   - path: name or number on that node.
    public init(node: NodeID, path: Path) {
        self.node = node
        self.path = path
    }

    /// The well-known actor `name` on the node called `nodeName`, in whichever incarnation is running.
    public static func wellKnown(_ name: String, onNode nodeName: String) -> ActorID {
        ActorID(node: NodeID(name: nodeName, incarnation: 0), path: .named(name))
    }

    /// `node#incarnation/name` or `node#incarnation/#number`.
    public var description: String {
        switch path {
        case .named(let name): "\(node)/\(name)"
        case .numbered(let number): "\(node)/#\(number)"
        }
    }
}
