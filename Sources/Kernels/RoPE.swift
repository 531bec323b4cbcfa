#if canImport(Glibc)
import Glibc
#endif

/// Which elements of a head rotary position embedding rotates together.
public enum RoPEPairing: String, Sendable, Hashable, Codable {
    /// Pairs (2i, 2i+1): the layout of GGUF weights (llama.cpp undoes Hugging Face's permutation).
    case interleaved
    /// Pairs (i, i + headDim/2): the "rotate_half" layout of Hugging Face checkpoints.
    case halfSplit
}

/// Rotary position embedding angles.
public enum RoPE {
    /// Writes the cosines and sines of position `position`'s angles: pair i turns by
    /// `position · base^(-2i/headDim)`, computed in double precision and rounded once to float.
    /// `cos` and `sin` hold headDim/2 floats each.
    public static func angles(
        position: Int, headDim: Int, base: Double, cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>
    ) {
        let half = headDim / 2
        for i in 0..<half {
            let angle = Double(position) * pow(base, -2.0 * Double(i) / Double(headDim))
            cos[i] = Float(Glibc.cos(angle))
            sin[i] = Float(Glibc.sin(angle))
        }
    }
}
