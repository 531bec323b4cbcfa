import Transport

/// Appends little-endian fields to a byte array (transport-internal payloads: hello, chunk descriptors).
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func raw(_ value: [UInt8]) { bytes += value }

    /// A UTF-8 string with a 16-bit length prefix.
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        u16(UInt16(clamping: utf8.count))
        bytes += utf8.prefix(Int(UInt16.max))
    }
}

/// Reads little-endian fields with bounds checks; every failure names the field (for `.malformedFrame` errors).
struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    private let what: String

    init(_ bytes: UnsafeRawBufferPointer, what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, _ field: String) throws(TransportError) -> Int {
        guard count >= 0, count <= remaining else {
            throw TransportError(.malformedFrame, "\(what): \(field) needs \(count) bytes at offset \(offset), \(remaining) left")
        }
        defer { offset += count }
        return offset
    }

    mutating func u8(_ field: String) throws(TransportError) -> UInt8 {
        bytes[try take(1, field)]
    }

    mutating func u16(_ field: String) throws(TransportError) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2, field), as: UInt16.self))
    }

    mutating func u32(_ field: String) throws(TransportError) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, field), as: UInt32.self))
    }

    mutating func u64(_ field: String) throws(TransportError) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, field), as: UInt64.self))
    }

    mutating func raw(_ count: Int, _ field: String) throws(TransportError) -> UnsafeRawBufferPointer {
        let start = try take(count, field)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<start + count])
    }

    mutating func string(_ field: String) throws(TransportError) -> String {
        let count = Int(try u16("\(field) length"))
        guard let text = String(validating: try raw(count, field), as: UTF8.self) else {
            throw TransportError(.malformedFrame, "\(what): \(field) is not valid UTF-8")
        }
        return text
    }

    func expectEnd() throws(TransportError) {
        guard remaining == 0 else { throw TransportError(.malformedFrame, "\(what): \(remaining) unexpected trailing bytes") }
    }
}

/// The payload of a `.hello`: the sender's `PeerAddress`, so the receiver can reach it back.
///
/// Layout: version u8 (1), then name, control, bulk and public key (empty when none) as 16-bit-length UTF-8.
enum HelloCodec {
    static func encode(_ address: PeerAddress) -> [UInt8] {
        var writer = WireWriter(capacity: 128)
        writer.u8(1)
        writer.string(address.name)
        writer.string(address.control)
        writer.string(address.bulk)
        writer.string(address.publicKey ?? "")
        return writer.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> PeerAddress {
        var reader = WireReader(bytes, what: "hello")
        let version = try reader.u8("version")
        guard version == 1 else { throw TransportError(.malformedFrame, "hello: unsupported version \(version)") }
        let name = try reader.string("name")
        let control = try reader.string("control address")
        let bulk = try reader.string("bulk address")
        let key = try reader.string("public key")
        try reader.expectEnd()
        guard !name.isEmpty, name.utf8.count <= 255 else {
            throw TransportError(.malformedFrame, "hello: node name must be 1...255 bytes, got \(name.utf8.count)")
        }
        return PeerAddress(name: name, control: control, bulk: bulk, publicKey: key.isEmpty ? nil : key)
    }
}
