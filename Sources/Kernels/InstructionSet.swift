import CKernels

/// The SIMD instruction set the kernels run on, chosen at run time from what the CPU supports.
///
/// All levels compute bitwise-identical results (the kernels fix one reduction order), so the level changes only
/// speed. Tests lower it to check exactly that.
public struct InstructionSet: Hashable, Sendable, Comparable, CustomStringConvertible {
    let level: Int32

    /// Plain C with `fmaf`: runs anywhere, slowly.
    public static let portable = InstructionSet(level: Int32(CK_ISA_PORTABLE))
    /// AVX2 with FMA.
    public static let avx2 = InstructionSet(level: Int32(CK_ISA_AVX2))
    /// AVX-512 (F, BW, DQ, VL).
    public static let avx512 = InstructionSet(level: Int32(CK_ISA_AVX512))

    /// The best level this CPU supports.
    public static var supported: InstructionSet { InstructionSet(level: ck_isa_supported()) }

    /// The level kernels called from this thread use now. Setting it sets the process-wide level (capped at
    /// `supported`); a thread's `withThreadOverride` takes precedence.
    public static var active: InstructionSet {
        get { InstructionSet(level: ck_isa_active()) }
        set { _ = ck_isa_set(newValue.level) }
    }

    /// Runs `body` with kernels called from this thread (and the pool work they start) on `level`, capped at
    /// `supported`; other threads keep theirs.
    public static func withThreadOverride<R, E: Error>(_ level: InstructionSet, _ body: () throws(E) -> R) throws(E) -> R {
        _ = ck_isa_set_thread(level.level)
        defer { _ = ck_isa_set_thread(-1) }
        return try body()
    }

    /// Every level this CPU can run, lowest first.
    public static var allSupported: [InstructionSet] {
        [portable, avx2, avx512].filter { $0 <= supported }
    }

    public static func < (a: InstructionSet, b: InstructionSet) -> Bool { a.level < b.level }

    public var description: String {
        switch level {
        case Int32(CK_ISA_AVX512): return "avx512"
        case Int32(CK_ISA_AVX2): return "avx2"
        default: return "portable"
        }
    }
}
