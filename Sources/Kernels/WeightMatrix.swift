import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// How a weight matrix's values are stored in memory.
public enum WeightEncoding: String, Sendable, Hashable, CaseIterable {
    /// 32-bit floats.
    case f32
    /// GGML Q8_0 blocks of 32: an f16 scale d and 32 signed bytes q; value = d·q.
    case q8_0
    /// GGML Q4_1 blocks of 32: f16 d, f16 m and 32 nibbles q; value = d·q + m.
    case q4_1

    var ckCode: Int32 {
        switch self {
        case .f32: return Int32(CK_WEIGHT_F32)
        case .q8_0: return Int32(CK_WEIGHT_Q8_0)
        case .q4_1: return Int32(CK_WEIGHT_Q4_1)
        }
    }

    /// Bytes of one row of `columns` values; nil when a quantised row is not a whole number of 32-value blocks.
    public func rowBytes(columns: Int) -> Int? {
        if self != .f32 && columns % 32 != 0 { return nil }
        return ck_row_bytes(ckCode, columns)
    }
}

/// A weight matrix stored [rows, columns] row-major (a Llama projection is [out, in]) in one 64-byte-aligned
/// buffer that it owns. Quantised matrices are expanded block by block inside the kernels.
public final class WeightMatrix: @unchecked Sendable {
    /// Output rows.
    public let rows: Int
    /// Values per row (the input size).
    public let columns: Int
    /// The storage encoding.
    public let encoding: WeightEncoding
    /// Bytes between consecutive rows.
    public let rowBytes: Int
    /// The storage; `rows · rowBytes` bytes.
    public let bytes: UnsafeMutableRawBufferPointer

    /// The arena the storage comes from (kept alive by the matrix), or nil when the matrix owns its buffer.
    public let arena: WeightArena?

    /// Allocates an uninitialised matrix, from `arena` when given; fill it through `bytes` (or `floats` for f32).
    /// - Throws: `KernelError.invalidArgument` for a quantised row that is not whole blocks, `.outOfMemory`.
    public init(rows: Int, columns: Int, encoding: WeightEncoding, arena: WeightArena? = nil) throws(KernelError) {
        guard rows >= 0, columns > 0, let rowBytes = encoding.rowBytes(columns: columns) else {
            throw KernelError(.invalidArgument, "a \(encoding) matrix cannot have \(rows)×\(columns) values")
        }
        self.rows = rows
        self.columns = columns
        self.encoding = encoding
        self.rowBytes = rowBytes
        self.arena = arena
        if let arena {
            self.bytes = try arena.allocate(byteCount: rows * rowBytes)
        } else {
            self.bytes = try alignedAllocate(byteCount: rows * rowBytes)
        }
    }

    deinit { if arena == nil { alignedFree(bytes) } }

    /// The values as floats; only for f32 matrices.
    public var floats: UnsafeMutableBufferPointer<Float> {
        precondition(encoding == .f32, "floats of a \(encoding) matrix")
        return bytes.bindMemory(to: Float.self)
    }

    /// Expands row `row` into `out` (at least `columns` floats), exactly as the kernels expand it.
    public func dequantizeRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "row \(row) of \(rows)")
        ck_dequantize_row(encoding.ckCode, bytes.baseAddress! + row * rowBytes, out, columns)
    }

    /// A copy of this matrix with every row expanded to f32 (the same values the kernels use).
    public func dequantized() throws(KernelError) -> WeightMatrix {
        let out = try WeightMatrix(rows: rows, columns: columns, encoding: .f32)
        let dst = out.floats.baseAddress!
        for r in 0..<rows { dequantizeRow(r, into: dst + r * columns) }
        return out
    }
}

/// Allocates `byteCount` bytes aligned to 64 (a cache line, one AVX-512 vector); free with `alignedFree`.
/// - Throws: `KernelError.outOfMemory` when the system has no memory left.
public func alignedAllocate(byteCount: Int) throws(KernelError) -> UnsafeMutableRawBufferPointer {
    var raw: UnsafeMutableRawPointer?
    guard byteCount >= 0, posix_memalign(&raw, 64, max(byteCount, 64)) == 0, let raw else {
        throw KernelError(.outOfMemory, "could not allocate \(byteCount) bytes")
    }
    return UnsafeMutableRawBufferPointer(start: raw, count: byteCount)
}

/// Frees a buffer from `alignedAllocate`.
public func alignedFree(_ buffer: UnsafeMutableRawBufferPointer) {
    free(buffer.baseAddress)
}
