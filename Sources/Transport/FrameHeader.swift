/// The versioned fixed header carried as the first frame of every message (DESIGN.md §3).
///
/// Wire layout, little-endian, 44 bytes plus the sender's name:
/// ```
/// offset size field
///      0    2 magic 0xB71D
///      2    1 version (1)
///      3    1 kind
///      4    2 flags
///      6    2 reserved, zero
///      8    8 call id
///     16    8 sender incarnation
///     24    8 target incarnation (0: whichever incarnation of the target is running)
///     32    8 deadline, ns since the Unix epoch (0: none)
///     40    4 sender name length n (1...255)
///     44    n sender name, UTF-8
/// ```
public struct FrameHeader: Sendable, Hashable {
    /// Identifies a Brigade frame.
    public static let magic: UInt16 = 0xB71D
    /// The current wire version; a frame with another version is malformed to this build.
    public static let version: UInt8 = 1
    /// Size of the fixed part, before the sender's name.
    public static let fixedSize = 44
    /// Largest encoded header.
    public static let maxSize = fixedSize + 255

    public var kind: MessageKind
    /// Kind-specific bits; the transport reserves none.
    public var flags: UInt16
    /// Correlates a call with its reply, failure or cancel; unique per sender incarnation. Zero for one-way traffic.
    public var callID: UInt64
    public var sender: NodeID
    /// The incarnation of the receiver this message is meant for, or 0 when the sender does not know it yet. A
    /// receiver drops messages meant for another incarnation of itself.
    public var targetIncarnation: UInt64
    /// After this instant the message is worthless and is dropped instead of delivered.
    public var deadline: Deadline

    public init(
        kind: MessageKind, flags: UInt16 = 0, callID: UInt64 = 0, sender: NodeID,
        targetIncarnation: UInt64 = 0, deadline: Deadline = .none
    ) {
        self.kind = kind
        self.flags = flags
        self.callID = callID
        self.sender = sender
        self.targetIncarnation = targetIncarnation
        self.deadline = deadline
    }

    /// The encoded size of this header.
    public var encodedSize: Int { Self.fixedSize + sender.name.utf8.count }

    /// Writes the header into `buffer`, which must hold at least `encodedSize` bytes. Returns the bytes written.
    /// - Precondition: the sender's name is 1...255 UTF-8 bytes (checked by `TransportError` at configuration time).
    @discardableResult
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let name = sender.name.utf8
        precondition(!name.isEmpty && name.count <= 255, "node name must be 1...255 UTF-8 bytes: \(sender.name)")
        precondition(buffer.count >= Self.fixedSize + name.count, "header buffer too small")
        buffer.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt16.self)
        buffer.storeBytes(of: Self.version, toByteOffset: 2, as: UInt8.self)
        buffer.storeBytes(of: kind.rawValue, toByteOffset: 3, as: UInt8.self)
        buffer.storeBytes(of: flags.littleEndian, toByteOffset: 4, as: UInt16.self)
        buffer.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: callID.littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: sender.incarnation.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: targetIncarnation.littleEndian, toByteOffset: 24, as: UInt64.self)
        buffer.storeBytes(of: deadline.nanosecondsSinceEpoch.littleEndian, toByteOffset: 32, as: UInt64.self)
        buffer.storeBytes(of: UInt32(name.count).littleEndian, toByteOffset: 40, as: UInt32.self)
        var offset = Self.fixedSize
        for byte in name {
            buffer[offset] = byte
            offset += 1
        }
        return offset
    }

    /// The header as a new byte array.
    public func encoded() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedSize) { buffer, count in
            count = encode(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// Parses a header frame. Throws `TransportError` with code `.malformedFrame` naming the first field that is
    /// wrong; never traps, whatever the bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> FrameHeader {
        func malformed(_ what: String) -> TransportError {
            TransportError(.malformedFrame, "header: \(what)")
        }
        guard bytes.count >= fixedSize else { throw malformed("\(bytes.count) bytes, need at least \(fixedSize)") }
        let magic = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
        guard magic == Self.magic else { throw malformed("bad magic 0x\(String(magic, radix: 16))") }
        let version = bytes[2]
        guard version == Self.version else { throw malformed("unsupported version \(version)") }
        let kind = MessageKind(rawValue: bytes[3])
        guard kind.rawValue != 0 else { throw malformed("kind 0") }
        let flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self) == 0 else { throw malformed("reserved bits set") }
        let callID = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let incarnation = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard incarnation != 0 else { throw malformed("sender incarnation 0") }
        let target = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let deadline = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        let nameLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 40, as: UInt32.self)))
        guard (1...255).contains(nameLength) else { throw malformed("sender name length \(nameLength)") }
        guard bytes.count == fixedSize + nameLength else {
            throw malformed("\(bytes.count) bytes for a \(nameLength)-byte sender name")
        }
        let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[fixedSize...])
        guard let name = String(exactUTF8: nameBytes) else {
            throw malformed("sender name is not valid UTF-8")
        }
        return FrameHeader(
            kind: kind, flags: flags, callID: callID,
            sender: NodeID(name: name, incarnation: incarnation),
            targetIncarnation: target, deadline: Deadline(nanosecondsSinceEpoch: deadline))
    }
}
