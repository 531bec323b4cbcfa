// Kernels: the numeric building blocks of the model engine (matrix products on f32, Q8_0 and Q4_1 weights,
// RMSNorm, RoPE, softmax, SwiGLU, attention over a paged KV cache, a thread pool). Knows nothing of models.
// Written by hand (DESIGN.md §9): the SIMD loops live in the C target CKernels, chosen at run time among AVX-512,
// AVX2 and portable C, all bitwise identical; OpenBLAS is not used because its results depend on the batch shape,
// and this GEMM matches cblas_sgemm's speed here (research/inference-perf.md; scripts/bench).
import CKernels

/// The numeric kernels, on raw buffers. Every reduction follows the canonical order described in `ckernels.h`
/// (16 lane accumulators, fused multiply-adds, a fixed folding tree), so a value never depends on the instruction
/// set, the thread count, or which other rows or tokens are computed in the same call.
public enum Ops {
    /// `y[t·ldy + r] = dot(w[r], x[t·ldx ..< t·ldx + w.columns])` for every row `r` of `w` and token `t`, split
    /// by rows across `pool`.
    public static func matmul(
        _ w: WeightMatrix, x: UnsafePointer<Float>, ldx: Int, tokens: Int,
        y: UnsafeMutablePointer<Float>, ldy: Int, pool: ThreadPool?
    ) {
        precondition(ldx >= w.columns && ldy >= w.rows && tokens >= 0, "matmul shapes")
        ck_matmul(pool?.raw, w.encoding.ckCode, w.bytes.baseAddress, w.rowBytes, w.rows, w.columns, x, ldx, tokens, y, ldy)
    }

    /// Expands one row of `columns` weights stored in `encoding` at `source` into floats, exactly as the matrix
    /// kernels expand it (d·q for Q8_0; d·q then + m for Q4_1; a copy for f32).
    public static func dequantizeRow(
        _ encoding: WeightEncoding, _ source: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, columns: Int
    ) {
        ck_dequantize_row(encoding.ckCode, source, out, columns)
    }

    /// The canonical dot product of `count` elements.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        ck_dot(a, b, count)
    }

    /// The canonical exponential (relative error below 2e-7 on [-87, 88]; 0 below, +inf above).
    public static func exp(_ x: Float) -> Float { ck_expf(x) }

    /// RMSNorm: `out[i] = x[i] · (1 / sqrt(dot(x, x)/count + epsilon)) · weight[i]`. `out` may be `x`.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int,
        epsilon: Float
    ) {
        ck_rmsnorm(x, weight, out, count, epsilon)
    }

    /// In place: `x[i] += y[i]` for `count` elements (the residual connection).
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) { ck_add(x, y, count) }

    /// In-place softmax over `count` elements.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) { ck_softmax(x, count) }

    /// SwiGLU: `out[i] = silu(gate[i]) · up[i]`, silu(g) = g / (1 + exp(-g)). `out` may be `gate` or `up`.
    public static func swiglu(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int
    ) {
        ck_swiglu(gate, up, out, count)
    }

    /// The index of the first largest element, or nil when `count` is 0 or an element is NaN.
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int? {
        let i = ck_argmax(x, count)
        return i < 0 ? nil : i
    }

    /// How many of `count` elements are NaN or infinite.
    public static func countNonFinite(_ x: UnsafePointer<Float>, count: Int) -> Int { ck_count_nonfinite(x, count) }

    /// Rotary position embedding in place on `heads` heads of `headDim` floats, with this position's angles
    /// (`cos`/`sin`: headDim/2 values each, from `RoPE.angles`).
    public static func rope(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, cos: UnsafePointer<Float>,
        sin: UnsafePointer<Float>, pairing: RoPEPairing
    ) {
        ck_rope(x, heads, headDim, cos, sin, pairing == .interleaved ? 1 : 0)
    }

    /// Causal grouped-query attention for one sequence's query tokens over a block-paged KV cache (see
    /// `AttentionInput`), split across `pool` by (token, head).
    public static func attention(_ input: AttentionInput, pool: ThreadPool?) {
        let threads = pool?.threads ?? 1
        let scratchCount = threads * (input.firstPosition + input.tokens)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchCount) { scratch in
            input.keyBlocks.withUnsafeBufferPointer { blocks in
                var args = ck_attention_args(
                    q: input.queries, q_stride: input.queryStride, out: input.output, out_stride: input.outputStride,
                    ntok: input.tokens, first_pos: input.firstPosition, n_heads: input.heads,
                    n_kv_heads: input.kvHeads, head_dim: input.headDim, scale: input.scale,
                    k_blocks: UnsafePointer(OpaquePointer(blocks.baseAddress)), v_offset: input.valueOffset,
                    block_tokens: input.blockTokens, kv_stride: input.kvStride, scratch: scratch.baseAddress)
                ck_attention(pool?.raw, &args)
            }
        }
    }
}

/// The operands of `Ops.attention`.
public struct AttentionInput {
    /// `tokens` rows of `heads·headDim` floats, `queryStride` apart (already rotated).
    public var queries: UnsafePointer<Float>
    /// Floats between consecutive query rows.
    public var queryStride: Int
    /// Where the result goes: `tokens` rows of `heads·headDim`, `outputStride` apart.
    public var output: UnsafeMutablePointer<Float>
    /// Floats between consecutive output rows.
    public var outputStride: Int
    /// Query tokens; token t sits at position `firstPosition + t` and sees positions 0...firstPosition+t.
    public var tokens: Int
    /// The position of the first query token.
    public var firstPosition: Int
    /// Query heads.
    public var heads: Int
    /// Key/value heads; query head h reads KV head h / (heads / kvHeads).
    public var kvHeads: Int
    /// Floats per head.
    public var headDim: Int
    /// Multiplies every score (usually 1/sqrt(headDim)).
    public var scale: Float
    /// Per cache block, its first key row for this layer; positions run `blockTokens` per block.
    public var keyBlocks: [UnsafePointer<Float>?]
    /// Floats from a block's key rows to its value rows.
    public var valueOffset: Int
    /// Positions per block.
    public var blockTokens: Int
    /// Floats between consecutive positions' rows.
    public var kvStride: Int

    /// Gathers the operands; see each property.
    public init(
        queries: UnsafePointer<Float>, queryStride: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
        tokens: Int, firstPosition: Int, heads: Int, kvHeads: Int, headDim: Int, scale: Float,
        keyBlocks: [UnsafePointer<Float>?], valueOffset: Int, blockTokens: Int, kvStride: Int
    ) {
        precondition(heads % kvHeads == 0, "heads must be a multiple of kv heads")
        precondition(keyBlocks.count * blockTokens >= firstPosition + tokens, "too few KV blocks")
        self.queries = queries
        self.queryStride = queryStride
        self.output = output
        self.outputStride = outputStride
        self.tokens = tokens
        self.firstPosition = firstPosition
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.scale = scale
        self.keyBlocks = keyBlocks
        self.valueOffset = valueOffset
        self.blockTokens = blockTokens
        self.kvStride = kvStride
    }
}
