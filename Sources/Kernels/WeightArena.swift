#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One memory mapping that a stage's weight matrices are carved from, back to back.
///
/// Decode streams every weight once per token, so it is bound by memory bandwidth and sensitive to TLB misses:
/// the mapping asks for transparent huge pages (`MADV_HUGEPAGE`), which measured 34 GB/s for a one-core GEMV here
/// against 19–27 GB/s on 4 KiB pages (scripts/bench). Packing the matrices into one mapping also keeps the
/// huge-page slack to at most one 2 MiB page per stage, where a mapping per matrix could waste one per matrix.
/// Memory is committed only as it is written.
public final class WeightArena: @unchecked Sendable {
    /// Bytes that may be carved out.
    public let capacity: Int
    private let mapping: UnsafeMutableRawPointer
    private let mappedBytes: Int
    private let base: UnsafeMutableRawPointer
    private let used = Mutex(0)

    static let hugePage = 2 << 20

    /// Maps `byteCount` bytes (rounded up to whole 2 MiB pages) of zeroed memory.
    /// - Throws: `KernelError.outOfMemory` when the system refuses the mapping.
    public init(byteCount: Int) throws(KernelError) {
        let size = max(1, (byteCount + Self.hugePage - 1) / Self.hugePage) * Self.hugePage
        // One extra huge page of address space (never touched) lets the start sit on a 2 MiB boundary.
        let mapped = size + Self.hugePage
        guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else {
            throw KernelError(.outOfMemory, "could not map \(mapped) bytes for weights")
        }
        let aligned = (Int(bitPattern: raw) + Self.hugePage - 1) / Self.hugePage * Self.hugePage
        base = UnsafeMutableRawPointer(bitPattern: aligned)!
        _ = madvise(base, size, Int32(MADV_HUGEPAGE))  // advice only: without THP it is plain memory
        mapping = raw
        mappedBytes = mapped
        capacity = size
    }

    deinit { munmap(mapping, mappedBytes) }

    /// Bytes handed out so far.
    public var usedBytes: Int { used.withLock { $0 } }

    /// The next `byteCount` bytes, 64-byte aligned.
    /// - Throws: `KernelError.outOfMemory` when the arena is exhausted.
    public func allocate(byteCount: Int) throws(KernelError) -> UnsafeMutableRawBufferPointer {
        let offset: Int? = used.withLock { used in
            let start = (used + 63) / 64 * 64
            guard byteCount >= 0, start + byteCount <= capacity else { return nil }
            used = start + byteCount
            return start
        }
        guard let offset else {
            throw KernelError(.outOfMemory, "weight arena of \(capacity) bytes cannot hold \(byteCount) more")
        }
        return UnsafeMutableRawBufferPointer(start: base + offset, count: byteCount)
    }

    /// The arena size that holds buffers of these sizes, each 64-byte aligned.
    public static func bytesNeeded(_ sizes: [Int]) -> Int { sizes.reduce(0) { $0 + ($1 + 63) / 64 * 64 } }
}
