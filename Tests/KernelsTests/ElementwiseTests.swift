import Foundation
import Kernels
import Testing

@Suite struct ElementwiseTests {
    @Test func expIsAccurateAndIdenticalOnEveryInstructionSet() {
        let xs: [Float] = stride(from: Float(-87), through: 88, by: 0.37).map { $0 } + [0, -0.0, 1, -1, 1e-8]
        var results: [[UInt32]] = []
        forEachInstructionSet { _ in
            let ys = xs.map(Ops.exp)
            results.append(bits(ys))
            for (x, y) in zip(xs, ys) {
                let ref = Foundation.exp(Double(x))
                #expect(abs(Double(y) - ref) <= 2e-7 * ref, "exp(\(x))")
            }
        }
        #expect(Set(results).count == 1)
    }

    @Test func expEdges() {
        forEachInstructionSet { isa in
            #expect(Ops.exp(-100) == 0, "\(isa)")
            #expect(Ops.exp(100) == .infinity, "\(isa)")
            #expect(Ops.exp(.nan).isNaN, "\(isa)")
            #expect(Ops.exp(-.infinity) == 0, "\(isa)")
        }
    }

    @Test func rmsNormMatchesNaive() {
        var rng = TestRandom(seed: 3)
        let x = rng.floats(83, scale: 3), w = rng.floats(83)
        forEachInstructionSet { isa in
            var out = [Float](repeating: 0, count: 83)
            Ops.rmsNorm(x, weight: w, out: &out, count: 83, epsilon: 1e-5)
            #expect(worstError(out, Naive.rmsNorm(x, w, eps: 1e-5)) <= 1, "\(isa)")
        }
    }

    @Test func softmaxMatchesNaiveAndSumsToOne() {
        var rng = TestRandom(seed: 4)
        let x = rng.floats(301, scale: 20)
        var results: [[UInt32]] = []
        forEachInstructionSet { isa in
            var y = x
            Ops.softmax(&y, count: y.count)
            results.append(bits(y))
            #expect(worstError(y, Naive.softmax(x), abs: 1e-9, rel: 1e-5) <= 1, "\(isa)")
            #expect(abs(y.reduce(0, +) - 1) < 1e-5)
        }
        #expect(Set(results).count == 1)
    }

    @Test func swigluMatchesNaive() {
        var rng = TestRandom(seed: 5)
        let g = rng.floats(77, scale: 12) + [-100, 100, 0], u = rng.floats(80, scale: 2)
        var results: [[UInt32]] = []
        forEachInstructionSet { isa in
            var out = [Float](repeating: 0, count: 80)
            Ops.swiglu(gate: g, up: u, out: &out, count: 80)
            results.append(bits(out))
            #expect(worstError(out, Naive.swiglu(g, u)) <= 1, "\(isa)")
        }
        #expect(Set(results).count == 1)
    }

    @Test(arguments: [RoPEPairing.interleaved, .halfSplit]) func ropeMatchesNaive(pairing: RoPEPairing) {
        var rng = TestRandom(seed: 6)
        let (heads, headDim) = (3, 16)
        for position in [0, 1, 17, 5000] {
            let x = rng.floats(heads * headDim)
            var cos = [Float](repeating: 0, count: headDim / 2), sin = cos
            RoPE.angles(position: position, headDim: headDim, base: 10000, cos: &cos, sin: &sin)
            var y = x
            Ops.rope(&y, heads: heads, headDim: headDim, cos: cos, sin: sin, pairing: pairing)
            let ref = Naive.rope(x, heads: heads, headDim: headDim, position: position, base: 10000, pairing: pairing)
            #expect(worstError(y, ref) <= 1, "position \(position)")
        }
    }

    @Test func ropePairingsRotateDifferentElements() {
        let x: [Float] = [1, 2, 3, 4]
        var cos: [Float] = [0, 1], sin: [Float] = [1, 0]  // pair 0 turns by 90°, pair 1 stays
        var a = x, b = x
        Ops.rope(&a, heads: 1, headDim: 4, cos: &cos, sin: &sin, pairing: .interleaved)
        Ops.rope(&b, heads: 1, headDim: 4, cos: &cos, sin: &sin, pairing: .halfSplit)
        #expect(a == [-2, 1, 3, 4])  // (x0, x1) → (-x1, x0)
        #expect(b == [-3, 2, 1, 4])  // (x0, x2) → (-x2, x0)
    }

    @Test func argmaxTakesTheFirstMaximumAndRefusesNaN() {
        #expect(Ops.argmax([1, 5, 2, 5], count: 4) == 1)
        #expect(Ops.argmax([1, .nan, 2], count: 3) == nil)
        #expect(Ops.argmax([], count: 0) == nil)
        #expect(Ops.countNonFinite([1, .nan, .infinity, -.infinity, 0], count: 5) == 3)
    }
}
