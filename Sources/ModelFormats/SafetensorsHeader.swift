/// The parsed, validated header of one `.safetensors` file: its tensors with absolute byte ranges.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON (an object starting with `{`), then the data.
/// Each entry gives `dtype`, `shape` and `data_offsets` [begin, end) relative to the data. Validation follows the
/// reference implementation: header ≤ 100 MB, offsets in range, contiguous from 0 to the end of the file with no
/// gaps or overlaps, and dtype size × element count equal to the range's length.
struct SafetensorsHeader {
    /// Largest header accepted (the reference implementation's MAX_HEADER_SIZE).
    static let maxHeaderBytes = 100_000_000

    var tensors: [TensorInfo]
    var metadata: [String: String]

    init(source: any ByteRangeSource) throws {
        let file = source.name
        let size = try source.size()
        guard size >= 8 else {
            throw ModelFormatError(.truncated, file: file, "file of \(size) bytes has no 8-byte header length")
        }
        let lengthBytes = try source.read(offset: 0, count: 8)
        let length = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(Self.maxHeaderBytes) else {
            throw ModelFormatError(.outOfRange, file: file, "header length \(length) exceeds 100 MB")
        }
        guard length <= UInt64(size - 8) else {
            throw ModelFormatError(.truncated, file: file, "header length \(length) runs past the end (\(size) bytes)")
        }
        let headerBytes = try source.read(offset: 8, count: Int(length))
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw ModelFormatError(.invalidJSON, file: file, "header does not start with '{'")
        }
        guard case .object(let members) = try JSONValue.parse(headerBytes, file: file) else {
            throw ModelFormatError(.invalidJSON, file: file, "header is not a JSON object")
        }
        let dataStart = 8 + Int(length)
        let dataSize = size - dataStart
        var metadata: [String: String] = [:]
        var entries: [(info: TensorInfo, begin: Int, end: Int)] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw ModelFormatError(.invalidValue, file: file, "__metadata__ is not an object")
                }
                for (key, item) in pairs {
                    guard let text = item.string else {
                        throw ModelFormatError(.invalidValue, file: file, "__metadata__ '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            entries.append(try Self.entry(name: name, value: value, file: file, dataStart: dataStart))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for entry in entries {
            guard entry.begin == expected else {
                let what = entry.begin < expected ? "overlaps the tensor before it" : "leaves a gap before it"
                throw ModelFormatError(
                    .outOfRange, file: file,
                    "tensor '\(entry.info.name)' at data offset \(entry.begin) \(what) "
                        + "(previous ends at \(expected))")
            }
            expected = entry.end
        }
        guard expected == dataSize else {
            throw ModelFormatError(
                expected > dataSize ? .truncated : .outOfRange, file: file,
                "tensors cover \(expected) data bytes but the file holds \(dataSize)")
        }
        self.tensors = entries.map(\.info)
        self.metadata = metadata
    }

    private static func entry(
        name: String, value: JSONValue, file: String,
        dataStart: Int
    ) throws -> (info: TensorInfo, begin: Int, end: Int) {
        func fail(_ message: String) -> ModelFormatError {
            ModelFormatError(.invalidValue, file: file, "tensor '\(name)': \(message)")
        }
        guard case .object(let fields) = value else { throw fail("entry is not an object") }
        for key in fields.keys where !["dtype", "shape", "data_offsets"].contains(key) {
            throw fail("unknown field '\(key)'")
        }
        guard let dtypeName = fields["dtype"]?.string else { throw fail("missing or non-string 'dtype'") }
        guard let dtype = TensorDType(safetensorsName: dtypeName) else { throw fail("unknown dtype '\(dtypeName)'") }
        guard let shapeValues = fields["shape"]?.array else { throw fail("missing or non-array 'shape'") }
        var shape: [Int] = []
        var elements = 1
        for dim in shapeValues {
            guard case .int(let d) = dim, d >= 0 else {
                throw fail("shape \(shapeValues) has a non-integer or negative dim")
            }
            shape.append(d)
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape \(shape) overflows") }
            elements = product
        }
        guard let offsets = fields["data_offsets"]?.array, offsets.count == 2,
            case .int(let begin) = offsets[0], case .int(let end) = offsets[1], begin >= 0, end >= begin
        else { throw fail("'data_offsets' is not [begin, end] with 0 ≤ begin ≤ end") }
        guard let bytes = dtype.byteCount(elements: elements), bytes == end - begin else {
            throw ModelFormatError(
                .outOfRange, file: file,
                "tensor '\(name)': \(dtypeName) \(shape) needs \(elements) × \(dtype.blockBytes) "
                    + "bytes but data_offsets span \(end - begin)")
        }
        let info = TensorInfo(
            name: name, shape: shape, dtype: dtype, byteOffset: dataStart + begin,
            byteCount: end - begin, source: file)
        return (info, begin, end)
    }
}
