/// The element type of a stored tensor: plain floats and integers, or GGML's block-quantised types.
///
/// A tensor of a quantised type is stored as blocks of `blockSize` elements taking `blockBytes` bytes each, along its
/// innermost dimension. Every type a GGUF or safetensors file can name is known here, so offsets and sizes can be
/// checked; only those with `canDequantize` can be read as `Float`. Compare with `==` or match in a `switch`
/// (`case .q4_1:`); the set of types may grow.
public struct TensorDType: Hashable, Sendable, CustomStringConvertible {
    /// A short name ("f32", "q4_1", "bf16").
    public let name: String
    /// Elements per block (1 for plain types).
    public let blockSize: Int
    /// Bytes per block (the element size for plain types).
    public let blockBytes: Int
    /// The GGML type number in GGUF files, or nil for types GGUF cannot hold.
    public let ggmlType: UInt32?
    /// The safetensors dtype string, or nil for types safetensors cannot hold.
    public let safetensorsName: String?

    private init(_ name: String, _ blockSize: Int, _ blockBytes: Int, ggml: UInt32?, safetensors: String? = nil) {
        self.name = name
        self.blockSize = blockSize
        self.blockBytes = blockBytes
        self.ggmlType = ggml
        self.safetensorsName = safetensors
    }

    /// The short name.
    public var description: String { name }

    /// Whether `readFloat32` can convert this type.
    public var canDequantize: Bool { Self.dequantizable.contains(self) }

    /// The number of bytes `elements` elements take, or nil if it is not a whole number of blocks or overflows.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// 32-bit IEEE float.
    public static let f32 = TensorDType("f32", 1, 4, ggml: 0, safetensors: "F32")
    /// 16-bit IEEE float.
    public static let f16 = TensorDType("f16", 1, 2, ggml: 1, safetensors: "F16")
    /// bfloat16: the top 16 bits of an f32.
    public static let bf16 = TensorDType("bf16", 1, 2, ggml: 30, safetensors: "BF16")
    /// GGML Q8_0: blocks of 32, an f16 scale `d` then 32 int8 `q`; value = q·d.
    public static let q8_0 = TensorDType("q8_0", 32, 34, ggml: 8)
    /// GGML Q4_0: blocks of 32, an f16 scale `d` then 16 bytes of nibbles (low nibbles are elements 0–15, high
    /// nibbles 16–31); value = (q − 8)·d.
    public static let q4_0 = TensorDType("q4_0", 32, 18, ggml: 2)
    /// GGML Q4_1: blocks of 32, f16 `d`, f16 `m`, then 16 bytes of nibbles laid out as in Q4_0; value = q·d + m.
    public static let q4_1 = TensorDType("q4_1", 32, 20, ggml: 3)

    static let dequantizable: Set<TensorDType> = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

    // Known but not convertible. Sizes follow ggml's type traits (checked against gguf 0.19.0's GGML_QUANT_SIZES).
    static let others: [TensorDType] = [
        TensorDType("q5_0", 32, 22, ggml: 6), TensorDType("q5_1", 32, 24, ggml: 7),
        TensorDType("q8_1", 32, 40, ggml: 9), TensorDType("q2_k", 256, 84, ggml: 10),
        TensorDType("q3_k", 256, 110, ggml: 11), TensorDType("q4_k", 256, 144, ggml: 12),
        TensorDType("q5_k", 256, 176, ggml: 13), TensorDType("q6_k", 256, 210, ggml: 14),
        TensorDType("q8_k", 256, 292, ggml: 15), TensorDType("iq2_xxs", 256, 66, ggml: 16),
        TensorDType("iq2_xs", 256, 74, ggml: 17), TensorDType("iq3_xxs", 256, 98, ggml: 18),
        TensorDType("iq1_s", 256, 50, ggml: 19), TensorDType("iq4_nl", 32, 18, ggml: 20),
        TensorDType("iq3_s", 256, 110, ggml: 21), TensorDType("iq2_s", 256, 82, ggml: 22),
        TensorDType("iq4_xs", 256, 136, ggml: 23), TensorDType("i8", 1, 1, ggml: 24, safetensors: "I8"),
        TensorDType("i16", 1, 2, ggml: 25, safetensors: "I16"), TensorDType("i32", 1, 4, ggml: 26, safetensors: "I32"),
        TensorDType("i64", 1, 8, ggml: 27, safetensors: "I64"), TensorDType("f64", 1, 8, ggml: 28, safetensors: "F64"),
        TensorDType("iq1_m", 256, 56, ggml: 29), TensorDType("tq1_0", 256, 54, ggml: 34),
        TensorDType("tq2_0", 256, 66, ggml: 35), TensorDType("mxfp4", 32, 17, ggml: 39),
        TensorDType("nvfp4", 64, 36, ggml: 40), TensorDType("q1_0", 128, 18, ggml: 41),
        TensorDType("bool", 1, 1, ggml: nil, safetensors: "BOOL"),
        TensorDType("u8", 1, 1, ggml: nil, safetensors: "U8"),
        TensorDType("u16", 1, 2, ggml: nil, safetensors: "U16"),
        TensorDType("u32", 1, 4, ggml: nil, safetensors: "U32"),
        TensorDType("u64", 1, 8, ggml: nil, safetensors: "U64"),
        TensorDType("c64", 1, 8, ggml: nil, safetensors: "C64"),
        TensorDType("f8_e5m2", 1, 1, ggml: nil, safetensors: "F8_E5M2"),
        TensorDType("f8_e4m3", 1, 1, ggml: nil, safetensors: "F8_E4M3"),
        TensorDType("f8_e8m0", 1, 1, ggml: nil, safetensors: "F8_E8M0"),
        TensorDType("f8_e4m3fnuz", 1, 1, ggml: nil, safetensors: "F8_E4M3FNUZ"),
        TensorDType("f8_e5m2fnuz", 1, 1, ggml: nil, safetensors: "F8_E5M2FNUZ"),
    ]

    static let all: [TensorDType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1] + others
    private static let byGGML: [UInt32: TensorDType] = Dictionary(
        uniqueKeysWithValues: all.compactMap { type in type.ggmlType.map { ($0, type) } })
    private static let bySafetensors: [String: TensorDType] = Dictionary(
        uniqueKeysWithValues: all.compactMap { type in type.safetensorsName.map { ($0, type) } })

    /// The type with GGML number `raw`, or nil if unknown.
    public init?(ggmlType raw: UInt32) {
        guard let type = Self.byGGML[raw] else { return nil }
        self = type
    }

    /// The type with safetensors dtype string `name` ("F32", "BF16"…), or nil if unknown. Sub-byte safetensors
    /// types (F4, F6_*) are not modelled and give nil.
    public init?(safetensorsName name: String) {
        guard let type = Self.bySafetensors[name] else { return nil }
        self = type
    }
}
