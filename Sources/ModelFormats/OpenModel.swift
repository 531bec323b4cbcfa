#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens the model checkpoint at `path`, picking the format from the path: a `.gguf` file (or any file that starts
/// with the GGUF magic), or a directory holding `config.json` and safetensors.
///
/// Only headers are read; tensors are read later, one by one.
/// - Throws: `ModelFormatError` with code `.unknownFormat` if the path is neither, or the format's own errors.
public func openModel(at path: String) throws -> any TensorStore {
    var status = stat()
    guard stat(path, &status) == 0 else {
        throw ModelFormatError(.io, file: path, "cannot open: \(String(cString: strerror(errno)))")
    }
    if (status.st_mode & S_IFMT) == S_IFDIR {
        let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
        if access(dir + "/model.safetensors", F_OK) == 0 || access(dir + "/model.safetensors.index.json", F_OK) == 0 {
            return try SafetensorsCheckpoint(directory: dir)
        }
        throw ModelFormatError(
            .unknownFormat, file: path,
            "directory holds neither model.safetensors nor model.safetensors.index.json")
    }
    let source = try LocalFileSource(path: path)
    let head = try source.read(offset: 0, count: min(4, try source.size()))
    if path.hasSuffix(".gguf") || head == Array("GGUF".utf8) {
        return try GGUFFile(source: source)
    }
    throw ModelFormatError(.unknownFormat, file: path, "not a .gguf file or a safetensors directory")
}
