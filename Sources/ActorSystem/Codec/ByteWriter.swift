#if canImport(Glibc)
import Glibc
#endif
import Transport

/// A growable byte buffer in malloc'ed memory that the binary codec and the call envelope write into; `take()`
/// hands the bytes to a `Buffer` without copying.
///
/// Integers are little-endian; `varint` is LEB128 and `zigzag` maps signed values onto it. The writer is a plain
/// struct: its owner (`EncoderCore`) frees the memory or hands it on with `take()`, exactly once.
struct ByteWriter {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = malloc(self.capacity)!
    }

    /// Frees the memory; the writer must not be used afterwards.
    func deallocate() { free(base) }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        base = realloc(base, newCapacity)!
        capacity = newCapacity
    }

    @inline(__always)
    mutating func writeByte(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    mutating func writeFixed<T: FixedWidthInteger>(_ value: T) {
        reserve(MemoryLayout<T>.size)
        base.storeBytes(of: value.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inline(__always)
    mutating func writeVarint(_ value: UInt64) {
        reserve(10)
        var value = value
        while value >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: value) | 0x80, toByteOffset: count, as: UInt8.self)
            count += 1
            value >>= 7
        }
        base.storeBytes(of: UInt8(value), toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    mutating func writeZigzag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        memcpy(base + count, bytes.baseAddress!, bytes.count)
        count += bytes.count
    }

    /// A varint length followed by the string's UTF-8 bytes.
    mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            writeBytes(UnsafeRawBufferPointer(utf8))
        }
    }

    /// Reserves a 4-byte length to be filled by `patchLength(at:)`; returns its offset.
    @inline(__always)
    mutating func reserveLength() -> Int {
        reserve(4)
        let offset = count
        count += 4
        return offset
    }

    /// Stores the number of bytes written since the placeholder at `offset`.
    @inline(__always)
    mutating func patchLength(at offset: Int) {
        let length = UInt32(truncatingIfNeeded: count - offset - 4)
        base.storeBytes(of: length.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Overwrites a byte written earlier.
    mutating func setByte(_ byte: UInt8, at offset: Int) {
        base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
    }

    /// The bytes written so far, valid until the next write.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Hands the bytes to a `Buffer` (no copy); the writer must not be used or deallocated afterwards.
    func take() -> Buffer {
        Buffer(adoptingMalloced: base, count: count)
    }
}

extension ByteWriter {
    /// Forgets the bytes after `count` (to undo a failed write).
    mutating func truncate(to count: Int) {
        precondition(count <= self.count)
        self = ByteWriter(adopting: base, capacity: capacity, count: count)
    }

    private init(adopting base: UnsafeMutableRawPointer, capacity: Int, count: Int) {
        self.base = base
        self.capacity = capacity
        self.count = count
    }
}
