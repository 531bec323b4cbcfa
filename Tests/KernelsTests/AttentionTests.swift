import Kernels
import Testing

@Suite struct AttentionTests {
    /// Lays keys/values [positions][kvDim] out in 16-position blocks `[K|V][16][kvDim]` and runs the kernel.
    func run(q: [Float], k: [Float], v: [Float], tokens: Int, first: Int, heads: Int, kvHeads: Int, headDim: Int,
             pool: ThreadPool?) -> [Float] {
        let kvDim = kvHeads * headDim, positions = first + tokens
        let blockCount = (positions + 15) / 16
        var storage = [Float](repeating: .nan, count: blockCount * 2 * 16 * kvDim)
        for p in 0..<positions {
            let base = (p / 16) * 2 * 16 * kvDim + (p % 16) * kvDim
            for i in 0..<kvDim {
                storage[base + i] = k[p * kvDim + i]
                storage[base + 16 * kvDim + i] = v[p * kvDim + i]
            }
        }
        var out = [Float](repeating: .nan, count: tokens * heads * headDim)
        storage.withUnsafeBufferPointer { s in
            let blocks = (0..<blockCount).map { Optional(s.baseAddress! + $0 * 2 * 16 * kvDim) }
            q.withUnsafeBufferPointer { qp in
                out.withUnsafeMutableBufferPointer { op in
                    Ops.attention(AttentionInput(
                        queries: qp.baseAddress!, queryStride: heads * headDim, output: op.baseAddress!,
                        outputStride: heads * headDim, tokens: tokens, firstPosition: first, heads: heads,
                        kvHeads: kvHeads, headDim: headDim, scale: 1 / Float(headDim).squareRoot(), keyBlocks: blocks,
                        valueOffset: 16 * kvDim, blockTokens: 16, kvStride: kvDim), pool: pool)
                }
            }
        }
        return out
    }

    @Test func groupedQueryAttentionMatchesNaive() throws {
        var rng = TestRandom(seed: 9)
        let (heads, kvHeads, headDim, first, tokens) = (6, 2, 24, 21, 15)
        let q = rng.floats(tokens * heads * headDim, scale: 2)
        let k = rng.floats((first + tokens) * kvHeads * headDim, scale: 2)
        let v = rng.floats((first + tokens) * kvHeads * headDim)
        let ref = Naive.attention(q: q, k: k, v: v, tokens: tokens, first: first, heads: heads, kvHeads: kvHeads, headDim: headDim)
        var results: [[UInt32]] = []
        try forEachInstructionSet { isa in
            let out = run(q: q, k: k, v: v, tokens: tokens, first: first, heads: heads, kvHeads: kvHeads,
                          headDim: headDim, pool: try ThreadPool(threads: 3))
            results.append(bits(out))
            #expect(worstError(out, ref, abs: 1e-5, rel: 1e-4) <= 1, "\(isa)")
        }
        #expect(Set(results).count == 1)
    }

    @Test func aQueryDoesNotDependOnTheOtherQueriesInTheCall() throws {
        var rng = TestRandom(seed: 10)
        let (heads, kvHeads, headDim, tokens) = (4, 4, 16, 20)
        let q = rng.floats(tokens * heads * headDim), k = rng.floats(tokens * kvHeads * headDim)
        let v = rng.floats(tokens * kvHeads * headDim)
        let all = run(q: q, k: k, v: v, tokens: tokens, first: 0, heads: heads, kvHeads: kvHeads, headDim: headDim,
                      pool: try ThreadPool(threads: 2))
        // The last query alone, with the same cache contents, gives the same bits as in the 20-token call.
        let qd = heads * headDim
        let last = run(q: Array(q[((tokens - 1) * qd)...]), k: k, v: v, tokens: 1, first: tokens - 1, heads: heads,
                       kvHeads: kvHeads, headDim: headDim, pool: nil)
        #expect(bits(last) == bits(Array(all[((tokens - 1) * qd)...])))
    }
}
