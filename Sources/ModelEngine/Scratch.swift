import Kernels

/// Grow-only working memory for forward passes: one aligned buffer carved into named regions per pass.
final class Scratch {
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var used = 0

    deinit { if buffer.baseAddress != nil { alignedFree(buffer) } }

    /// Starts a pass that needs `floats` floats in all (each region rounded up to 64 bytes); reuses the buffer when
    /// it is large enough.
    func begin(floats: Int) throws(EngineError) {
        let bytes = floats * 4 + 64 * 16
        if buffer.count < bytes {
            if buffer.baseAddress != nil { alignedFree(buffer) }
            buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            do { buffer = try alignedAllocate(byteCount: bytes) } catch {
                throw EngineError(.resources, "cannot allocate \(bytes) bytes of scratch memory", cause: error)
            }
        }
        used = 0
    }

    /// The next region of `count` floats.
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let start = used
        used += (count * 4 + 63) / 64 * 64
        precondition(used <= buffer.count, "scratch overrun")
        return (buffer.baseAddress! + start).assumingMemoryBound(to: Float.self)
    }
}
