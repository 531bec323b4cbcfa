/// A forward-only little-endian cursor over the start of a source, fetching it in chunks as it goes.
///
/// Every read is checked against the source size first, so a corrupt length or count is caught before anything is
/// allocated for it. `field` names what is being read, for error messages.
struct HeaderReader {
    let source: any ByteRangeSource
    let fileSize: Int
    private(set) var position = 0
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private let chunk: Int

    init(source: any ByteRangeSource, chunk: Int = 1 << 20) throws {
        self.source = source
        self.fileSize = try source.size()
        self.chunk = chunk
    }

    /// Bytes left between the cursor and the end of the source.
    var remaining: Int { fileSize - position }

    private func error(_ code: ModelFormatError.Code, _ message: String) -> ModelFormatError {
        ModelFormatError(code, file: source.name, message)
    }

    /// Makes sure `count` bytes at the cursor are buffered; throws `.truncated` naming `field` if the file ends first.
    private mutating func ensure(_ count: Int, _ field: @autoclosure () -> String) throws {
        guard count <= remaining else {
            throw error(
                .truncated, "file ends at byte \(fileSize) inside \(field()) (needs \(count) bytes at \(position))")
        }
        let offsetInBuffer = position - bufferStart
        if offsetInBuffer + count <= buffer.count { return }
        let want = min(max(count, chunk), remaining)
        buffer = try source.read(offset: position, count: want)
        bufferStart = position
    }

    mutating func bytes(_ count: Int, _ field: @autoclosure () -> String) throws -> ArraySlice<UInt8> {
        try ensure(count, field())
        let start = position - bufferStart
        position += count
        return buffer[start..<(start + count)]
    }

    mutating func skip(_ count: Int, _ field: @autoclosure () -> String) throws {
        guard count <= remaining else {
            throw error(
                .truncated, "file ends at byte \(fileSize) inside \(field()) (needs \(count) bytes at \(position))")
        }
        position += count
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type, _ field: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        try ensure(size, field())
        let start = position - bufferStart
        position += size
        return buffer.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: T.self)) }
    }

    /// A u64 that must fit in `Int` and be at most `limit`.
    mutating func count(_ field: @autoclosure () -> String, limit: Int) throws -> Int {
        let raw = try integer(UInt64.self, field())
        guard raw <= UInt64(max(0, limit)) else {
            throw error(.outOfRange, "\(field()) is \(raw), more than this file of \(fileSize) bytes can hold")
        }
        return Int(raw)
    }

    /// A GGUF string: u64 length, then that many bytes of UTF-8.
    mutating func string(_ field: @autoclosure () -> String) throws -> String {
        let length = try count("length of \(field())", limit: remaining - 8)
        let raw = try bytes(length, field())
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw error(.invalidUTF8, "\(field()) is not valid UTF-8")
        }
        return text
    }
}
