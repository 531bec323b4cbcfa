import ModelFormats

/// Writes small GGUF files in memory for tests: metadata of every value type and tensors of any GGML type.
struct GGUFWriter {
    var version: UInt32 = 3
    var alignment = 32
    private(set) var metadata: [(String, GGUFValue)] = []
    private(set) var tensors: [(name: String, dims: [Int], type: UInt32, data: [UInt8])] = []

    mutating func add(_ key: String, _ value: GGUFValue) { metadata.append((key, value)) }

    /// Adds a tensor; `shape` is outermost first (as `TensorInfo.shape`) and is reversed into GGUF's dim order.
    mutating func addTensor(_ name: String, shape: [Int], dtype: TensorDType, data: [UInt8]) {
        tensors.append((name, shape.reversed(), dtype.ggmlType!, data))
    }

    /// Adds a tensor with a raw GGML type number and dims as GGUF lists them (innermost first).
    mutating func addRawTensor(_ name: String, dims: [Int], type: UInt32, data: [UInt8]) {
        tensors.append((name, dims, type, data))
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: Array("GGUF".utf8))
        out.append(le: version)
        out.append(le: UInt64(tensors.count))
        out.append(le: UInt64(metadata.count))
        for (key, value) in metadata {
            out.append(string: key)
            out.append(le: Self.typeTag(value))
            Self.write(value, into: &out)
        }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            offset = (offset + tensor.data.count + alignment - 1) / alignment * alignment
        }
        for (tensor, tensorOffset) in zip(tensors, offsets) {
            out.append(string: tensor.name)
            out.append(le: UInt32(tensor.dims.count))
            for d in tensor.dims { out.append(le: UInt64(d)) }
            out.append(le: tensor.type)
            out.append(le: UInt64(tensorOffset))
        }
        out.pad(to: alignment)
        for tensor in tensors {
            out.append(contentsOf: tensor.data)
            out.pad(to: alignment)
        }
        return out
    }

    static func typeTag(_ value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    static func write(_ value: GGUFValue, into out: inout [UInt8]) {
        switch value {
        case .uint8(let v): out.append(v)
        case .int8(let v): out.append(UInt8(bitPattern: v))
        case .uint16(let v): out.append(le: v)
        case .int16(let v): out.append(le: v)
        case .uint32(let v): out.append(le: v)
        case .int32(let v): out.append(le: v)
        case .uint64(let v): out.append(le: v)
        case .int64(let v): out.append(le: v)
        case .float32(let v): out.append(le: v.bitPattern)
        case .float64(let v): out.append(le: v.bitPattern)
        case .bool(let v): out.append(v ? 1 : 0)
        case .string(let v): out.append(string: v)
        case .array(let items):
            out.append(le: items.first.map(typeTag) ?? 4)
            out.append(le: UInt64(items.count))
            for item in items { write(item, into: &out) }
        }
    }
}

extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func append(string: String) {
        append(le: UInt64(string.utf8.count))
        append(contentsOf: Array(string.utf8))
    }

    mutating func pad(to alignment: Int) {
        while count % alignment != 0 { append(0) }
    }
}

/// Builders for quantised blocks with known values (scales chosen exactly representable in f16).
enum Blocks {
    static func half(_ value: Float) -> [UInt8] {
        var out: [UInt8] = []
        out.append(le: Float16(value).bitPattern)
        return out
    }

    static func f32(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values { out.append(le: v.bitPattern) }
        return out
    }

    static func f16(_ values: [Float]) -> [UInt8] { values.flatMap(half) }

    static func bf16(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values { out.append(le: UInt16(v.bitPattern >> 16)) }
        return out
    }

    /// One Q8_0 block: scale d, then 32 signed quants.
    static func q8_0(d: Float, q: [Int8]) -> [UInt8] {
        precondition(q.count == 32)
        return half(d) + q.map { UInt8(bitPattern: $0) }
    }

    /// One Q4_0 block: scale d, then quants 0…15 for 32 elements (element j in the low nibble of byte j for
    /// j < 16, element j + 16 in its high nibble).
    static func q4_0(d: Float, q: [UInt8]) -> [UInt8] {
        precondition(q.count == 32)
        return half(d) + (0..<16).map { q[$0] | q[$0 + 16] << 4 }
    }

    /// One Q4_1 block: scale d, minimum m, then nibbles as in Q4_0.
    static func q4_1(d: Float, m: Float, q: [UInt8]) -> [UInt8] {
        precondition(q.count == 32)
        return half(d) + half(m) + (0..<16).map { q[$0] | q[$0 + 16] << 4 }
    }
}
