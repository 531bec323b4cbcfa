/// Conversion of stored tensor bytes to `Float`: F32, F16, BF16 and GGML's Q8_0, Q4_0 and Q4_1 blocks.
///
/// The byte layouts are GGML's (little-endian). Readers use these; kernels that work on quantised blocks can use
/// them as the reference to check against.
public enum Dequantize {
    /// Converts `bytes`, holding whole blocks of `dtype`, into `output`, which must hold exactly their elements.
    /// - Throws: `ModelFormatError` with code `.unsupportedDType` for other types, `.bufferSize` on a size mismatch.
    public static func toFloat32(
        _ dtype: TensorDType, from bytes: UnsafeRawBufferPointer,
        into output: UnsafeMutableBufferPointer<Float>
    ) throws {
        guard bytes.count % dtype.blockBytes == 0,
            bytes.count / dtype.blockBytes * dtype.blockSize == output.count
        else {
            throw ModelFormatError(
                .bufferSize, file: "<memory>",
                "\(bytes.count) bytes of \(dtype) do not fill \(output.count) floats")
        }
        guard let input = bytes.baseAddress, let out = output.baseAddress else { return }
        let blocks = bytes.count / dtype.blockBytes
        switch dtype {
        case .f32:
            out.withMemoryRebound(to: UInt8.self, capacity: bytes.count) {
                $0.update(from: input.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            }
        case .f16:
            for i in 0..<blocks { out[i] = half(input, 2 * i) }
        case .bf16:
            for i in 0..<blocks {
                let bits = UInt32(input.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                out[i] = Float(bitPattern: bits << 16)
            }
        case .q8_0:
            for b in 0..<blocks {
                let base = b * 34
                let d = half(input, base)
                let q = (input + base + 2).assumingMemoryBound(to: Int8.self)
                let o = out + b * 32
                for j in 0..<32 { o[j] = Float(q[j]) * d }
            }
        case .q4_0:
            for b in 0..<blocks {
                let base = b * 18
                let d = half(input, base)
                let q = (input + base + 2).assumingMemoryBound(to: UInt8.self)
                let o = out + b * 32
                for j in 0..<16 {
                    o[j] = Float(Int(q[j] & 0x0F) - 8) * d
                    o[j + 16] = Float(Int(q[j] >> 4) - 8) * d
                }
            }
        case .q4_1:
            for b in 0..<blocks {
                let base = b * 20
                let d = half(input, base)
                let m = half(input, base + 2)
                let q = (input + base + 4).assumingMemoryBound(to: UInt8.self)
                let o = out + b * 32
                for j in 0..<16 {
                    o[j] = Float(q[j] & 0x0F) * d + m
                    o[j + 16] = Float(q[j] >> 4) * d + m
                }
            }
        default:
            throw ModelFormatError(.unsupportedDType, file: "<memory>", "cannot convert \(dtype) to f32")
        }
    }

    /// The little-endian IEEE half at `offset`, widened to `Float`.
    @inline(__always)
    static func half(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian))
    }
}
