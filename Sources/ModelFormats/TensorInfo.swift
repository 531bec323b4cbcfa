/// Where one tensor lives and how it is stored.
public struct TensorInfo: Sendable, Hashable {
    /// The tensor's name in the checkpoint ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight").
    public var name: String
    /// Dimensions, outermost first, row-major: a Llama weight is [out, in]. GGUF lists dims innermost first; they
    /// are reversed here, so a GGUF tensor listed as [576, 49152] has shape [49152, 576].
    public var shape: [Int]
    /// How the elements are stored.
    public var dtype: TensorDType
    /// Absolute offset of the first byte in `source`.
    public var byteOffset: Int
    /// Number of stored bytes.
    public var byteCount: Int
    /// The name of the `ByteRangeSource` (file or shard) that holds the bytes.
    public var source: String

    /// Creates a tensor description.
    public init(name: String, shape: [Int], dtype: TensorDType, byteOffset: Int, byteCount: Int, source: String) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
        self.byteOffset = byteOffset
        self.byteCount = byteCount
        self.source = source
    }

    /// The number of elements (1 for a rank-0 tensor).
    public var elementCount: Int { shape.reduce(1, *) }
}
