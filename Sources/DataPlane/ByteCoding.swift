/// Little-endian writer for the data plane's small binary headers.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }
    mutating func f32(_ value: Float) { u32(value.bitPattern) }
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    mutating func i32Array(_ values: [Int32]) {
        u32(UInt32(values.count))
        for value in values { i32(value) }
    }
}

/// Little-endian reader that throws `DataPlaneError` naming the field that is missing or out of range; never traps.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    private let context: String

    init(_ bytes: UnsafeRawBufferPointer, context: String) {
        self.bytes = bytes
        self.context = context
    }

    var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, _ field: String) throws(DataPlaneError) -> Int {
        guard count >= 0, remaining >= count else {
            throw DataPlaneError(.malformed, "\(context): truncated at \(field) (offset \(offset), need \(count) bytes, have \(remaining))")
        }
        defer { offset += count }
        return offset
    }

    mutating func u8(_ field: String) throws(DataPlaneError) -> UInt8 { bytes[try take(1, field)] }
    mutating func u32(_ field: String) throws(DataPlaneError) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, field), as: UInt32.self))
    }
    mutating func u64(_ field: String) throws(DataPlaneError) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, field), as: UInt64.self))
    }
    mutating func i32(_ field: String) throws(DataPlaneError) -> Int32 { Int32(bitPattern: try u32(field)) }
    mutating func f32(_ field: String) throws(DataPlaneError) -> Float { Float(bitPattern: try u32(field)) }

    /// A count that must fit in what is left, at `elementSize` bytes each (rejects absurd counts before allocating).
    mutating func count(_ field: String, elementSize: Int, max: Int = Int(Int32.max)) throws(DataPlaneError) -> Int {
        let value = Int(try u32(field))
        guard value <= max, value * elementSize <= remaining else {
            throw DataPlaneError(.malformed, "\(context): \(field) = \(value) does not fit the \(remaining) bytes left")
        }
        return value
    }

    mutating func string(_ field: String) throws(DataPlaneError) -> String {
        let length = try count(field, elementSize: 1)
        let start = try take(length, field)
        guard let value = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<start + length]), as: UTF8.self) else {
            throw DataPlaneError(.malformed, "\(context): \(field) is not valid UTF-8")
        }
        return value
    }

    mutating func i32Array(_ field: String) throws(DataPlaneError) -> [Int32] {
        let n = try count(field, elementSize: 4)
        var values = [Int32]()
        values.reserveCapacity(n)
        for _ in 0..<n { values.append(try i32(field)) }
        return values
    }

    func expectEnd() throws(DataPlaneError) {
        guard remaining == 0 else {
            throw DataPlaneError(.malformed, "\(context): \(remaining) unexpected trailing bytes")
        }
    }
}
