/// One model checkpoint, whatever its format: a table of tensors and a way to read any of them alone.
///
/// Open the checkpoint (which reads only headers), pick the tensors you need from `tensors`, then read just those:
/// each read fetches only that tensor's bytes. `byteRanges(for:)` tells a loader what to fetch ahead of time.
/// Conformers provide the table, the metadata and the sources; the reads come from the extension below.
public protocol TensorStore: Sendable {
    /// Every tensor, by name.
    var tensors: [String: TensorInfo] { get }

    /// The checkpoint's own description: GGUF metadata, or the Hugging Face `config.json`.
    var modelMetadata: ModelMetadata { get }

    /// A name for error messages (the file or directory path).
    var name: String { get }

    /// The source a `TensorInfo.source` names.
    /// - Throws: `ModelFormatError` with code `.missingTensor` if no source has that name.
    func source(named: String) throws -> any ByteRangeSource

    /// The description of tensor `name`.
    /// - Throws: `ModelFormatError` with code `.missingTensor`, naming the tensor and the file.
    func info(_ name: String) throws -> TensorInfo

    /// The tensor's values as `Float`, dequantised, row-major (outermost dimension first).
    func readFloat32(_ name: String) throws -> [Float]

    /// Dequantises the tensor straight into `buffer`, which must hold exactly its element count.
    func readFloat32(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws

    /// The tensor's stored bytes, unconverted (for kernels that work on quantised blocks).
    func readRaw(_ name: String) throws -> [UInt8]

    /// The byte ranges holding the named tensors, one per tensor, in the order given (unknown names are skipped).
    func byteRanges(for names: [String]) -> [(offset: Int, count: Int, source: String)]
}

extension TensorStore {
    /// Looks the tensor up in `tensors`.
    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else {
            throw ModelFormatError(.missingTensor, file: self.name, "no tensor named '\(name)'")
        }
        return info
    }

    /// Reads exactly the tensor's byte range from its source.
    public func readRaw(_ name: String) throws -> [UInt8] {
        let info = try info(name)
        return try source(named: info.source).read(offset: info.byteOffset, count: info.byteCount)
    }

    /// Allocates the result and fills it with `readFloat32(_:into:)`.
    public func readFloat32(_ name: String) throws -> [Float] {
        let info = try info(name)
        let count = info.elementCount
        guard count > 0 else {
            // Not through `init(unsafeUninitializedCapacity:)`, which writes into the shared empty storage.
            try readFloat32(name, into: UnsafeMutableBufferPointer(start: nil, count: 0))
            return []
        }
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try readFloat32(name, into: buffer)
            initialized = count
        }
    }

    /// Reads the tensor in bounded chunks and dequantises each into `buffer` (f32 is read straight in).
    public func readFloat32(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let info = try info(name)
        guard info.dtype.canDequantize else {
            throw ModelFormatError(
                .unsupportedDType, file: info.source,
                "tensor '\(name)' has type \(info.dtype), which cannot be converted to f32")
        }
        guard buffer.count == info.elementCount else {
            throw ModelFormatError(
                .bufferSize, file: info.source,
                "tensor '\(name)' has \(info.elementCount) elements, buffer holds \(buffer.count)")
        }
        try TensorReader.readFloat32(info, from: source(named: info.source), into: buffer)
    }

    /// One range per known tensor, from `tensors`.
    public func byteRanges(for names: [String]) -> [(offset: Int, count: Int, source: String)] {
        names.compactMap { name in
            tensors[name].map { (offset: $0.byteOffset, count: $0.byteCount, source: $0.source) }
        }
    }
}

/// Reads a tensor in bounded chunks and converts it, so a large quantised tensor never needs a second full-size copy.
enum TensorReader {
    /// Bytes read per step when converting.
    static let chunkBytes = 4 << 20

    static func readFloat32(
        _ info: TensorInfo, from source: any ByteRangeSource,
        into buffer: UnsafeMutableBufferPointer<Float>
    ) throws {
        let dtype = info.dtype
        if dtype == .f32 {
            try source.read(offset: info.byteOffset, count: info.byteCount, into: UnsafeMutableRawBufferPointer(buffer))
            return
        }
        let blocksPerChunk = max(1, chunkBytes / dtype.blockBytes)
        let totalBlocks = info.byteCount / dtype.blockBytes
        let scratch = UnsafeMutableRawBufferPointer.allocate(
            byteCount: min(totalBlocks, blocksPerChunk) * dtype.blockBytes, alignment: 16)
        defer { scratch.deallocate() }
        var block = 0
        while block < totalBlocks {
            let blocks = min(blocksPerChunk, totalBlocks - block)
            let bytes = blocks * dtype.blockBytes
            let chunk = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<bytes])
            try source.read(offset: info.byteOffset + block * dtype.blockBytes, count: bytes, into: chunk)
            let first = block * dtype.blockSize
            let out = UnsafeMutableBufferPointer(rebasing: buffer[first..<(first + blocks * dtype.blockSize)])
            try Dequantize.toFloat32(dtype, from: UnsafeRawBufferPointer(chunk), into: out)
            block += blocks
        }
    }
}
