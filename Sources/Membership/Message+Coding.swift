/// Why bytes could not be decoded as a membership message. Decoding never traps: every malformed input ends here.
public struct MembershipCodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The input ended inside a field.
        case truncated
        /// The first byte is not a format version this build reads.
        case unsupportedVersion
        /// An enum tag (message kind, status) has no meaning.
        case invalidTag
        /// A string is not valid UTF-8.
        case invalidString
        /// A count is larger than the format allows.
        case limitExceeded
        /// Bytes were left over after the message.
        case trailingBytes
        /// A field has a value the protocol forbids (e.g. uid 0 for a sender).
        case invalidValue
    }

    public var code: Code
    /// Where in the input the problem was found.
    public var offset: Int
    public var message: String

    public var description: String { "malformed membership message at byte \(offset): \(message)" }
}

/// The compact binary encoding of `Envelope` (all integers little-endian):
///
/// ```
/// u8 version (1) | u8 kind | member from | member to | body fields | u8 gossip count | gossip*
/// member  = u8 name length | name (UTF-8) | u64 uid
/// body    = ping: u32 seq; pingRequest/ack/nack: u32 seq + member target; join/joinAck/gossip: nothing
/// gossip  = member | u64 incarnation | u8 status | u8 suspector count | (u8 len + name)* |
///           u8 metadata count | (u8 key length + key + u16 value length + value)*, keys sorted
/// ```
public enum MembershipCodec {
    public static let version: UInt8 = 1
    /// At most this many gossip items in one message (a `joinAck` of a large cluster is the biggest user).
    public static let maxGossipItems = 255
    public static let maxMetadataEntries = 32

    public static func encode(_ envelope: Envelope) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + envelope.gossip.count * 48)
        out.append(version)
        switch envelope.body {
        case .ping: out.append(1)
        case .pingRequest: out.append(2)
        case .ack: out.append(3)
        case .nack: out.append(4)
        case .join: out.append(5)
        case .joinAck: out.append(6)
        case .gossip: out.append(7)
        }
        writeMember(envelope.from, to: &out)
        writeMember(envelope.to, to: &out)
        switch envelope.body {
        case .ping(let seq): writeInt(seq, to: &out)
        case .pingRequest(let seq, let target), .ack(let seq, let target), .nack(let seq, let target):
            writeInt(seq, to: &out)
            writeMember(target, to: &out)
        case .join, .joinAck, .gossip: break
        }
        let items = envelope.gossip.prefix(maxGossipItems)
        out.append(UInt8(items.count))
        for item in items {
            writeMember(item.member, to: &out)
            writeInt(item.incarnation, to: &out)
            out.append(item.status.rawValue)
            let suspectors = item.suspectors.prefix(255)
            out.append(UInt8(suspectors.count))
            for name in suspectors { writeShortString(name, to: &out) }
            let keys = item.metadata.keys.sorted().prefix(maxMetadataEntries)
            out.append(UInt8(keys.count))
            for key in keys {
                writeShortString(key, to: &out)
                let value = Array(item.metadata[key]!.utf8.prefix(Int(UInt16.max)))
                writeInt(UInt16(value.count), to: &out)
                out.append(contentsOf: value)
            }
        }
        return out
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(MembershipCodingError) -> Envelope {
        var reader = ByteReader(Array(bytes))
        let version = try reader.u8()
        guard version == Self.version else {
            throw MembershipCodingError(code: .unsupportedVersion, offset: 0, message: "version \(version), expected \(Self.version)")
        }
        let kindOffset = reader.offset
        let kind = try reader.u8()
        let from = try reader.member(allowAnyLife: false)
        let to = try reader.member(allowAnyLife: true)
        let body: MessageBody
        switch kind {
        case 1: body = .ping(sequence: try reader.u32())
        case 2: body = .pingRequest(sequence: try reader.u32(), target: try reader.member(allowAnyLife: false))
        case 3: body = .ack(sequence: try reader.u32(), target: try reader.member(allowAnyLife: false))
        case 4: body = .nack(sequence: try reader.u32(), target: try reader.member(allowAnyLife: false))
        case 5: body = .join
        case 6: body = .joinAck
        case 7: body = .gossip
        default: throw MembershipCodingError(code: .invalidTag, offset: kindOffset, message: "unknown message kind \(kind)")
        }
        let count = Int(try reader.u8())
        var gossip: [Gossip] = []
        gossip.reserveCapacity(count)
        for _ in 0..<count {
            let member = try reader.member(allowAnyLife: false)
            let incarnation = try reader.u64()
            let statusOffset = reader.offset
            guard let status = MemberStatus(rawValue: try reader.u8()) else {
                throw MembershipCodingError(code: .invalidTag, offset: statusOffset, message: "unknown member status")
            }
            let suspectorCount = Int(try reader.u8())
            var suspectors: [String] = []
            for _ in 0..<suspectorCount { suspectors.append(try reader.shortString()) }
            let metadataOffset = reader.offset
            let entries = Int(try reader.u8())
            guard entries <= maxMetadataEntries else {
                throw MembershipCodingError(code: .limitExceeded, offset: metadataOffset, message: "\(entries) metadata entries (at most \(maxMetadataEntries))")
            }
            var metadata: [String: String] = [:]
            for _ in 0..<entries {
                let key = try reader.shortString()
                let length = Int(try reader.u16())
                metadata[key] = try reader.string(length: length)
            }
            gossip.append(Gossip(member: member, incarnation: incarnation, status: status, metadata: metadata, suspectors: suspectors))
        }
        guard reader.isAtEnd else {
            throw MembershipCodingError(code: .trailingBytes, offset: reader.offset, message: "\(reader.remaining) bytes after the message")
        }
        return Envelope(from: from, to: to, body: body, gossip: gossip)
    }

    private static func writeInt<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Names and keys are cut to 255 bytes on a character boundary-agnostic byte cut; valid names are shorter.
    private static func writeShortString(_ string: String, to out: inout [UInt8]) {
        var bytes = Array(string.utf8.prefix(255))
        while String(validating: bytes, as: UTF8.self) == nil, !bytes.isEmpty { bytes.removeLast() }
        out.append(UInt8(bytes.count))
        out.append(contentsOf: bytes)
    }

    private static func writeMember(_ member: MemberID, to out: inout [UInt8]) {
        writeShortString(member.name, to: &out)
        writeInt(member.uid, to: &out)
    }
}

/// Reads the fields of a message; every read checks the length first and throws `.truncated` past the end.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) throws(MembershipCodingError) -> ArraySlice<UInt8> {
        guard count <= remaining else {
            throw MembershipCodingError(code: .truncated, offset: offset, message: "needed \(count) bytes, \(remaining) left")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(MembershipCodingError) -> T {
        let slice = try take(MemoryLayout<T>.size)
        var value: T = 0
        for (shift, byte) in slice.enumerated() { value |= T(byte) << (shift * 8) }
        return value
    }

    mutating func u8() throws(MembershipCodingError) -> UInt8 { try integer(UInt8.self) }
    mutating func u16() throws(MembershipCodingError) -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws(MembershipCodingError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(MembershipCodingError) -> UInt64 { try integer(UInt64.self) }

    mutating func string(length: Int) throws(MembershipCodingError) -> String {
        let start = offset
        let slice = try take(length)
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw MembershipCodingError(code: .invalidString, offset: start, message: "invalid UTF-8")
        }
        return string
    }

    mutating func shortString() throws(MembershipCodingError) -> String {
        try string(length: Int(try u8()))
    }

    mutating func member(allowAnyLife: Bool) throws(MembershipCodingError) -> MemberID {
        let start = offset
        let name = try shortString()
        let uid = try u64()
        guard !name.isEmpty, allowAnyLife || uid != 0 else {
            throw MembershipCodingError(code: .invalidValue, offset: start, message: name.isEmpty ? "empty member name" : "member uid 0")
        }
        return MemberID(name: name, uid: uid)
    }
}
