import Transport

/// The metadata keys the shell puts in every member's gossip, so that members can dial each other.
public enum MembershipMetadata {
    public static let control = "control"
    public static let bulk = "bulk"
    public static let publicKey = "key"

    /// `address` as metadata entries (merged over `extra`).
    public static func entries(for address: PeerAddress, extra: [String: String] = [:]) -> [String: String] {
        var metadata = extra
        metadata[control] = address.control
        metadata[bulk] = address.bulk
        if let key = address.publicKey { metadata[publicKey] = key }
        return metadata
    }

    /// The address of member `name` from its metadata; nil when it carries none.
    public static func address(name: String, from metadata: [String: String]) -> PeerAddress? {
        guard let control = metadata[control], let bulk = metadata[bulk] else { return nil }
        return PeerAddress(name: name, control: control, bulk: bulk, publicKey: metadata[publicKey])
    }
}
