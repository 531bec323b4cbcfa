/// A model file held in memory: test files written in code, or byte ranges already fetched from a model store.
public struct MemorySource: ByteRangeSource {
    /// A name for error messages.
    public let name: String
    /// The file's bytes.
    public let bytes: [UInt8]

    /// Wraps `bytes` as a source called `name`.
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    /// The number of bytes held.
    public func size() throws -> Int { bytes.count }

    /// Copies the range out of the held bytes.
    public func read(offset: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try checkRange(offset: offset, count: count, size: bytes.count, buffer: buffer)
        guard count > 0 else { return }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
    }
}
