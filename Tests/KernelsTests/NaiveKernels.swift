import Foundation
import Kernels
import Testing

/// A seeded generator for test data (SplitMix64).
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-scale, scale).
    mutating func float(_ scale: Float = 1) -> Float { (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in float(scale) } }
}

/// Straightforward double-precision versions of the kernels, the yardstick for the fast ones.
enum Naive {
    static func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> (value: Double, magnitude: Double) {
        var s = 0.0, m = 0.0
        for (x, y) in zip(a, b) {
            s += Double(x) * Double(y)
            m += abs(Double(x) * Double(y))
        }
        return (s, m)
    }

    static func rmsNorm(_ x: [Float], _ w: [Float], eps: Float) -> [Double] {
        let ms = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)
        let scale = 1 / (ms + Double(eps)).squareRoot()
        return zip(x, w).map { Double($0) * scale * Double($1) }
    }

    static func softmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max()!)
        let e = x.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    static func swiglu(_ g: [Float], _ u: [Float]) -> [Double] {
        zip(g, u).map { gv, uv in Double(gv) / (1 + Foundation.exp(-Double(gv))) * Double(uv) }
    }

    static func rope(_ x: [Float], heads: Int, headDim: Int, position: Int, base: Double, pairing: RoPEPairing) -> [Double] {
        var out = x.map(Double.init)
        let half = headDim / 2
        for h in 0..<heads {
            for i in 0..<half {
                let theta = Double(position) * Foundation.pow(base, -2 * Double(i) / Double(headDim))
                let (a, b) = pairing == .interleaved ? (h * headDim + 2 * i, h * headDim + 2 * i + 1)
                    : (h * headDim + i, h * headDim + i + half)
                let x0 = Double(x[a]), x1 = Double(x[b])
                out[a] = x0 * Foundation.cos(theta) - x1 * Foundation.sin(theta)
                out[b] = x0 * Foundation.sin(theta) + x1 * Foundation.cos(theta)
            }
        }
        return out
    }

    /// Attention of queries q [tokens][heads·hd] at positions first..first+tokens-1 over keys/values
    /// [positions][kvHeads·hd].
    static func attention(q: [Float], k: [Float], v: [Float], tokens: Int, first: Int, heads: Int, kvHeads: Int,
                          headDim hd: Int) -> [Double] {
        var out = [Double](repeating: 0, count: tokens * heads * hd)
        let group = heads / kvHeads
        for t in 0..<tokens {
            for h in 0..<heads {
                let kvh = h / group, n = first + t + 1
                var scores = [Double](repeating: 0, count: n)
                for p in 0..<n {
                    var s = 0.0
                    for d in 0..<hd { s += Double(q[(t * heads + h) * hd + d]) * Double(k[(p * kvHeads + kvh) * hd + d]) }
                    scores[p] = s / Double(hd).squareRoot()
                }
                let m = scores.max()!
                let e = scores.map { Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                for p in 0..<n {
                    for d in 0..<hd { out[(t * heads + h) * hd + d] += e[p] / z * Double(v[(p * kvHeads + kvh) * hd + d]) }
                }
            }
        }
        return out
    }
}

/// Runs `body` once per instruction set this CPU supports, on this thread only.
func forEachInstructionSet(_ body: (InstructionSet) throws -> Void) rethrows {
    for isa in InstructionSet.allSupported {
        try InstructionSet.withThreadOverride(isa) {
            #expect(InstructionSet.active == isa)
            try body(isa)
        }
    }
}

/// The largest |a - b| / (abs + rel·|b|) over the elements.
func worstError(_ a: [Float], _ b: [Double], abs: Double = 1e-6, rel: Double = 1e-5) -> Double {
    zip(a, b).map { Swift.abs(Double($0) - $1) / (abs + rel * Swift.abs($1)) }.max() ?? 0
}

/// Bit patterns, for exact comparisons that also see NaN payloads and signed zeros.
func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }
