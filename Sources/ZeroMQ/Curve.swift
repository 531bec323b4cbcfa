import CZeroMQ

/// Z85, ZeroMQ's printable encoding of binary keys (RFC 32): 4 bytes become 5 characters.
public enum Z85 {
    /// The 85 characters, in value order.
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
    private static let valid: Set<UInt8> = Set(alphabet)

    /// Encodes `bytes`, whose count must be a multiple of 4.
    public static func encode(_ bytes: [UInt8]) throws(ZMQError) -> String {
        guard bytes.count % 4 == 0 else {
            throw ZMQError(.invalidArgument, "Z85 encodes a multiple of 4 bytes, got \(bytes.count)")
        }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else {
            throw ZMQError.last("zmq_z85_encode(\(bytes.count) bytes)")
        }
        return zText(text)
    }

    /// Decodes `text`, whose length must be a multiple of 5 and whose characters must all be Z85.
    public static func decode(_ text: String) throws(ZMQError) -> [UInt8] {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0 else {
            throw ZMQError(.invalidArgument, "Z85 text must be a multiple of 5 characters, got \(characters.count)")
        }
        if let bad = characters.firstIndex(where: { !valid.contains($0) }) {
            throw ZMQError(.invalidArgument, "Z85 text has an invalid character at offset \(bad)")
        }
        var bytes = [UInt8](repeating: 0, count: characters.count * 4 / 5)
        guard zmq_z85_decode(&bytes, text) != nil else {
            throw ZMQError(.invalidArgument, "Z85 text does not decode (value out of range)")
        }
        return bytes
    }
}

/// A CURVE key pair (Curve25519), both keys as 40-character Z85 text. Its description never shows the secret key.
public struct CurveKeyPair: Sendable, Hashable, CustomStringConvertible {
    /// The public key: give it to peers.
    public let publicKey: String
    /// The secret key: keep it private (files holding it should be mode 0600).
    public let secretKey: String

    /// A new random key pair (`zmq_curve_keypair`, libsodium).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(checkedPublic: zText(publicKey), secret: zText(secretKey))
    }

    /// The pair whose secret key is `secretKey` (Z85); the public key is derived from it.
    /// - Throws: `ZMQError` naming the problem when `secretKey` is not a 40-character Z85 key.
    public init(secretKey: String) throws(ZMQError) {
        try Self.validate(secretKey, role: "secret")
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else { throw ZMQError.last("zmq_curve_public") }
        self.init(checkedPublic: zText(publicKey), secret: secretKey)
    }

    private init(checkedPublic: String, secret: String) {
        publicKey = checkedPublic
        secretKey = secret
    }

    /// Checks that `key` is a 40-character Z85 CURVE key; `role` names it in the error ("public", "server"…).
    public static func validate(_ key: String, role: String) throws(ZMQError) {
        guard key.utf8.count == 40 else {
            throw ZMQError(.invalidArgument, "CURVE \(role) key must be 40 Z85 characters, got \(key.utf8.count)")
        }
        do {
            _ = try Z85.decode(key)
        } catch {
            throw ZMQError(.invalidArgument, "CURVE \(role) key is not valid Z85: \(error.message)")
        }
    }

    public var description: String { "CurveKeyPair(public: \(publicKey))" }

    /// The 32 raw bytes of a Z85 key.
    public static func rawKey(_ key: String) throws(ZMQError) -> [UInt8] {
        try validate(key, role: "public")
        return try Z85.decode(key)
    }
}

/// The text before the first NUL of a C character buffer.
private func zText(_ characters: [CChar]) -> String {
    String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
