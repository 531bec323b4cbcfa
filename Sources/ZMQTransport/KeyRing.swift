import Locks
import Synchronization
import ZeroMQ

/// The CURVE public keys a node admits, by node name, and the ZAP decisions made with them.
final class KeyRing: Sendable {
    private struct Keys {
        var byName: [String: String] = [:]
        var byKey: [String: String] = [:]
    }

    /// The ZAP domain of every Brigade inbox; with ZAP_ENFORCE_DOMAIN a missing handler fails closed.
    static let zapDomain = "brigade"

    private let keys = Locked(Keys())
    private let denials = Atomic<UInt64>(0)

    init(_ allowed: [String: String]) {
        for (name, key) in allowed { allow(name, key) }
    }

    /// The key admitted for `name`.
    /// The key of `name`; a sub-node `owner/part` (a stage worker on an agent's machine) uses its owner's key.
    func key(for name: String) -> String? { keys.withLock { $0.byName[Self.owner(of: name)] } }

    /// The key owner of a node name: the part before the first `/`.
    static func owner(of name: String) -> String {
        name.firstIndex(of: "/").map { String(name[..<$0]) } ?? name
    }

    /// Whether a connection authenticated as `user` may send as `sender`: the same name, or one of its sub-nodes.
    static func mayClaim(_ sender: String, authenticatedAs user: String?) -> Bool {
        guard let user else { return false }
        return sender == user || owner(of: sender) == user
    }

    /// Admits `key` as `name`, replacing an earlier key for that name.
    func allow(_ name: String, _ key: String) {
        keys.withLock { keys in
            if let old = keys.byName[name] { keys.byKey[old] = nil }
            keys.byName[name] = key
            keys.byKey[key] = name
        }
    }

    /// Connections refused so far.
    var deniedCount: UInt64 { denials.load(ordering: .relaxed) }

    /// The ZAP decision: admit exactly the allowed keys, as their node names.
    func authorize(_ request: ZAPRequest) -> ZAPDecision {
        guard request.domain == Self.zapDomain else {
            denials.add(1, ordering: .relaxed)
            return .deny("unknown ZAP domain '\(request.domain)'")
        }
        guard let key = request.curvePublicKey, let name = keys.withLock({ $0.byKey[key] }) else {
            denials.add(1, ordering: .relaxed)
            return .deny("CURVE key not allowed")
        }
        return .allow(userID: name)
    }
}
