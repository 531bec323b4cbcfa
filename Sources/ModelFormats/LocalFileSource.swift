#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A model file on the local disk, read with `pread` so any number of threads can read ranges at once.
///
/// The file descriptor is opened in `init` and closed when the source is released. The size is taken once at
/// opening; a file that changes while open is not supported.
public final class LocalFileSource: ByteRangeSource {
    /// The path, used in error messages.
    public let name: String
    private let fd: Int32
    private let fileSize: Int

    /// Opens `path` for reading.
    /// - Throws: `ModelFormatError` with code `.io` if the file cannot be opened or is not a regular file.
    public init(path: String) throws {
        name = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ModelFormatError(.io, file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ModelFormatError(.io, file: path, "cannot stat: \(reason)")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw ModelFormatError(.io, file: path, "not a regular file")
        }
        fd = descriptor
        fileSize = Int(status.st_size)
    }

    deinit { close(fd) }

    /// The file size taken when it was opened.
    public func size() throws -> Int { fileSize }

    /// Reads the range with `pread`, retrying short reads and EINTR.
    public func read(offset: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try checkRange(offset: offset, count: count, size: fileSize, buffer: buffer)
        var done = 0
        while done < count {
            let got = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw ModelFormatError(
                    .io, file: name,
                    "read of \(count) bytes at \(offset) failed: \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                throw ModelFormatError(.truncated, file: name, "file ended at \(offset + done) during a read")
            }
            done += got
        }
    }
}
