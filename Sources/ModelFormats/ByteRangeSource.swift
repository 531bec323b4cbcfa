/// Something that holds the bytes of one model file and can hand out any byte range of it: a local file, a buffer
/// in memory, later a remote object fetched with HTTP Range requests.
///
/// Readers fetch the header first, then only the ranges of the tensors they need, so a pipeline stage never reads
/// the layers it does not own. Implementations must be safe to call from several threads at once.
public protocol ByteRangeSource: Sendable {
    /// A name for error messages (a path or a URL).
    var name: String { get }

    /// The total size in bytes.
    func size() throws -> Int

    /// Copies `count` bytes starting at `offset` into `buffer`, which must hold at least `count` bytes.
    /// - Throws: `ModelFormatError` with code `.truncated` if the range runs past the end, `.io` if reading fails.
    func read(offset: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws
}

extension ByteRangeSource {
    /// Reads `count` bytes starting at `offset` into a new array.
    public func read(offset: Int, count: Int) throws -> [UInt8] {
        guard count >= 0, offset >= 0 else {
            throw ModelFormatError(.outOfRange, file: name, "negative range \(offset), count \(count)")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 {
            try bytes.withUnsafeMutableBytes { try read(offset: offset, count: count, into: $0) }
        }
        return bytes
    }

    /// Checks that `offset..<offset+count` lies within `0..<size` and that `buffer` can hold `count` bytes.
    func checkRange(offset: Int, count: Int, size: Int, buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset >= 0, count >= 0 else {
            throw ModelFormatError(.outOfRange, file: name, "negative range \(offset), count \(count)")
        }
        guard buffer.count >= count else {
            throw ModelFormatError(.bufferSize, file: name, "buffer of \(buffer.count) bytes for a read of \(count)")
        }
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= size else {
            throw ModelFormatError(
                .truncated, file: name,
                "range \(offset)..<\(offset &+ count) runs past the end of \(size) bytes")
        }
    }
}
