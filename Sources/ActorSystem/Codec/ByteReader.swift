import Transport

/// Reads what `ByteWriter` wrote, with every read bounds-checked: running past the end throws, never traps.
///
/// The reader borrows memory; whoever creates it keeps the bytes alive while it is used.
struct ByteReader {
    let base: UnsafeRawPointer?
    /// One past the last readable byte (an offset from `base`).
    let end: Int
    /// The next byte to read (an offset from `base`).
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress
        end = bytes.count
        offset = 0
    }

    init(base: UnsafeRawPointer?, range: Range<Int>) {
        self.base = base
        end = range.upperBound
        offset = range.lowerBound
    }

    var isAtEnd: Bool { offset >= end }
    var remaining: Int { end - offset }

    struct Underrun: Error {
        var needed: Int
        var available: Int
    }

    @inline(__always)
    mutating func need(_ n: Int) throws(Underrun) {
        if n < 0 || end - offset < n { throw Underrun(needed: n, available: end - offset) }
    }

    @inline(__always)
    mutating func readByte() throws(Underrun) -> UInt8 {
        try need(1)
        let byte = base!.load(fromByteOffset: offset, as: UInt8.self)
        offset += 1
        return byte
    }

    @inline(__always)
    func peekByte() -> UInt8? {
        offset < end ? base!.load(fromByteOffset: offset, as: UInt8.self) : nil
    }

    @inline(__always)
    mutating func readFixed<T: FixedWidthInteger>(_: T.Type) throws(Underrun) -> T {
        try need(MemoryLayout<T>.size)
        let value = T(littleEndian: base!.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    /// Reads a LEB128 varint; more than 10 bytes is an error (reported as an underrun of the longest valid form).
    @inline(__always)
    mutating func readVarint() throws(Underrun) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw Underrun(needed: 11, available: 10) }
        }
    }

    @inline(__always)
    mutating func readZigzag() throws(Underrun) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// Reads `count` bytes and returns their range (offsets from `base`).
    mutating func readRange(_ count: Int) throws(Underrun) -> Range<Int> {
        try need(count)
        defer { offset += count }
        return offset..<(offset + count)
    }

    /// The bytes of a range returned by `readRange`.
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { $0 + range.lowerBound }, count: range.count)
    }

    /// A varint length and that many bytes of UTF-8, as a String (nil when not valid UTF-8).
    mutating func readString() throws(Underrun) -> String? {
        let length = try readVarint()
        guard length <= UInt64(Int.max) else { throw Underrun(needed: Int.max, available: remaining) }
        let range = try readRange(Int(length))
        return String(exactUTF8: bytes(range))
    }
}
