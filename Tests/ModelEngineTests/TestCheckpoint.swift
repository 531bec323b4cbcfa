import Kernels
import ModelFormats
import Synchronization

/// A byte source in memory that records every range read, to check that a stage reads only its own tensors.
final class RecordingSource: ByteRangeSource, @unchecked Sendable {
    let name: String
    let bytes: [UInt8]
    let reads = Mutex<[Range<Int>]>([])

    init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    func size() throws -> Int { bytes.count }

    func read(offset: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        guard offset >= 0, count >= 0, offset + count <= bytes.count else {
            throw ModelFormatError(.truncated, file: name, "range \(offset)..<\(offset + count) past \(bytes.count)")
        }
        reads.withLock { $0.append(offset..<(offset + count)) }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
    }
}

/// A checkpoint built in memory: named tensors with their bytes, and GGUF metadata or a config.json object.
struct TestCheckpoint: TensorStore {
    let name: String
    let tensors: [String: TensorInfo]
    let modelMetadata: ModelMetadata
    let data: RecordingSource

    func source(named sourceName: String) throws -> any ByteRangeSource {
        guard sourceName == data.name else { throw ModelFormatError(.missingTensor, file: name, "no source \(sourceName)") }
        return data
    }

    /// Lays out `parts` (name, shape, dtype, bytes) one after another.
    init(name: String = "tiny.gguf", metadata: ModelMetadata, parts: [(String, [Int], TensorDType, [UInt8])]) {
        var bytes: [UInt8] = []
        var tensors: [String: TensorInfo] = [:]
        for (tensor, shape, dtype, data) in parts {
            tensors[tensor] = TensorInfo(name: tensor, shape: shape, dtype: dtype, byteOffset: bytes.count,
                                         byteCount: data.count, source: name)
            bytes += data
            while bytes.count % 32 != 0 { bytes.append(0) }
        }
        self.name = name
        self.tensors = tensors
        self.modelMetadata = metadata
        self.data = RecordingSource(name: name, bytes: bytes)
    }

    /// The same tensors with one changed (nil removes it).
    func replacing(_ tensor: String, with part: (String, [Int], TensorDType, [UInt8])?) -> TestCheckpoint {
        var parts: [(String, [Int], TensorDType, [UInt8])] = []
        for (n, info) in tensors.sorted(by: { $0.key < $1.key }) where n != tensor {
            parts.append((n, info.shape, info.dtype, Array(data.bytes[info.byteOffset..<(info.byteOffset + info.byteCount)])))
        }
        if let part { parts.append(part) }
        return TestCheckpoint(name: name, metadata: modelMetadata, parts: parts)
    }

    func with(metadata: ModelMetadata) -> TestCheckpoint {
        TestCheckpoint(name: name, metadata: metadata, parts: tensors.sorted(by: { $0.key < $1.key }).map { n, info in
            (n, info.shape, info.dtype, Array(data.bytes[info.byteOffset..<(info.byteOffset + info.byteCount)]))
        })
    }
}

func f32Bytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
