/// A GGUF model file (versions 2 and 3, little-endian), as llama.cpp writes it.
///
/// Opening reads only the header: metadata and the tensor table, each offset and size checked against the file.
/// Tensor data is read on demand through `TensorStore`. Dims are reversed into `TensorInfo.shape` (outermost first).
///
/// ```swift
/// let model = try GGUFFile(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
/// let layers = model.metadata["llama.block_count"]?.int
/// let embeddings = try model.readFloat32("token_embd.weight")   // [49152 * 576]
/// ```
public struct GGUFFile: TensorStore {
    /// The source's name (the path for a local file).
    public let name: String
    /// The format version (2 or 3).
    public let version: Int
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Every tensor, by name.
    public let tensors: [String: TensorInfo]
    /// Tensor names in file order.
    public let tensorNames: [String]
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute offset where tensor data starts.
    public let dataOffset: Int
    private let fileSource: any ByteRangeSource

    /// Opens the GGUF file at `path`, reading only its header.
    public init(path: String) throws {
        try self.init(source: LocalFileSource(path: path))
    }

    /// Parses the header of a GGUF file held by `source`.
    /// - Throws: `ModelFormatError` naming the file and the field or tensor that is wrong.
    public init(source: any ByteRangeSource) throws {
        fileSource = source
        name = source.name
        var reader = try HeaderReader(source: source)
        let magic = try reader.integer(UInt32.self, "magic")
        guard magic == 0x4655_4747 else {  // "GGUF"
            throw ModelFormatError(
                .badMagic, file: source.name,
                "magic is 0x\(String(magic, radix: 16)), expected \"GGUF\" (0x46554747)")
        }
        let version = try reader.integer(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            throw ModelFormatError(
                .unsupportedVersion, file: source.name,
                "GGUF version \(version) is not supported (only 2 and 3)")
        }
        self.version = Int(version)
        // Each tensor entry takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; each
        // key/value at least 8 (key length) + 4 (type) + 1 byte. Counts beyond that are rejected before allocating.
        let tensorCount = try reader.count("tensor count", limit: reader.remaining / 24)
        let kvCount = try reader.count("metadata count", limit: reader.remaining / 13)

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(kvCount)
        keys.reserveCapacity(kvCount)
        for index in 0..<kvCount {
            let key = try reader.string("key of metadata entry \(index)")
            let type = try reader.integer(UInt32.self, "type of metadata '\(key)'")
            let value = try GGUFValueReader.value(type: type, from: &reader, field: "metadata '\(key)'", depth: 0)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw ModelFormatError(.duplicate, file: source.name, "metadata key '\(key)' appears twice")
            }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a & (a - 1) == 0, a <= 1 << 16 else {
                throw ModelFormatError(
                    .invalidValue, file: source.name,
                    "general.alignment is \(value), expected a power of two")
            }
            alignment = a
        }
        self.alignment = alignment

        let entries = try Self.readTensorTable(count: tensorCount, from: &reader)
        let padded = (reader.position + alignment - 1) / alignment * alignment
        dataOffset = padded
        let fileSize = reader.fileSize
        var tensors: [String: TensorInfo] = [:]
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            guard entry.offset % alignment == 0 else {
                throw ModelFormatError(
                    .invalidValue, file: source.name,
                    "tensor '\(entry.name)': offset \(entry.offset) is not a multiple of \(alignment)")
            }
            let (start, o1) = padded.addingReportingOverflow(entry.offset)
            let (end, o2) = start.addingReportingOverflow(entry.byteCount)
            guard !o1, !o2, end <= fileSize else {
                throw ModelFormatError(
                    .outOfRange, file: source.name,
                    "tensor '\(entry.name)': data at \(entry.offset) + \(entry.byteCount) bytes runs "
                        + "past the end of the file (\(fileSize) bytes)")
            }
            let info = TensorInfo(
                name: entry.name, shape: entry.shape, dtype: entry.dtype, byteOffset: start,
                byteCount: entry.byteCount, source: source.name)
            guard tensors.updateValue(info, forKey: entry.name) == nil else {
                throw ModelFormatError(.duplicate, file: source.name, "tensor '\(entry.name)' appears twice")
            }
        }
        self.tensors = tensors
        tensorNames = entries.map(\.name)
    }

    private struct Entry {
        var name: String
        var shape: [Int]
        var dtype: TensorDType
        var offset: Int
        var byteCount: Int
    }

    private static func readTensorTable(count: Int, from reader: inout HeaderReader) throws -> [Entry] {
        let file = reader.source.name
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let name = try reader.string("name of tensor \(index)")
            let rank = try reader.integer(UInt32.self, "rank of tensor '\(name)'")
            guard rank <= 4 else {
                throw ModelFormatError(.outOfRange, file: file, "tensor '\(name)' has \(rank) dims (at most 4)")
            }
            var dims: [Int] = []
            var elements = 1
            for d in 0..<Int(rank) {
                let dim = try reader.count("dim \(d) of tensor '\(name)'", limit: Int(Int32.max))
                dims.append(dim)
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow, product <= reader.fileSize * 256 else {
                    throw ModelFormatError(.outOfRange, file: file, "tensor '\(name)': dims \(dims) are too large")
                }
                elements = product
            }
            let rawType = try reader.integer(UInt32.self, "type of tensor '\(name)'")
            guard let dtype = TensorDType(ggmlType: rawType) else {
                throw ModelFormatError(.invalidValue, file: file, "tensor '\(name)' has unknown GGML type \(rawType)")
            }
            if let inner = dims.first, inner % dtype.blockSize != 0 {
                throw ModelFormatError(
                    .invalidValue, file: file,
                    "tensor '\(name)': row of \(inner) is not a multiple of the \(dtype) block "
                        + "(\(dtype.blockSize))")
            }
            guard let byteCount = dtype.byteCount(elements: elements) else {
                throw ModelFormatError(.outOfRange, file: file, "tensor '\(name)': size of \(dims) \(dtype) overflows")
            }
            let offset = try reader.count("offset of tensor '\(name)'", limit: reader.fileSize)
            entries.append(
                Entry(
                    name: name, shape: dims.reversed(), dtype: dtype, offset: offset,
                    byteCount: byteCount))
        }
        return entries
    }

    /// The file's one source; a GGUF file is a single source.
    public func source(named sourceName: String) throws -> any ByteRangeSource {
        guard sourceName == fileSource.name else {
            throw ModelFormatError(.missingTensor, file: name, "no source named '\(sourceName)' in this file")
        }
        return fileSource
    }
}

extension GGUFFile {
    /// The metadata wrapped for format-independent callers (`TensorStore.modelMetadata`).
    public var modelMetadata: ModelMetadata { .gguf(metadata) }
}
