import Kernels
import Testing

/// Random Q8_0 or Q4_1 rows (valid f16 scales), for the quantised paths.
func randomQuantisedRows(_ encoding: WeightEncoding, rows: Int, columns: Int, rng: inout TestRandom) throws -> WeightMatrix {
    let m = try WeightMatrix(rows: rows, columns: columns, encoding: encoding)
    let raw = m.bytes.bindMemory(to: UInt8.self)
    for i in raw.indices { raw[i] = UInt8(truncatingIfNeeded: rng.next()) }
    let blockBytes = encoding == .q8_0 ? 34 : 20
    for r in 0..<rows {
        for b in 0..<(columns / 32) {
            let base = r * m.rowBytes + b * blockBytes
            // Scales (and mins) as small positive/negative f16 values: exponent 8...13, random sign and mantissa.
            for field in 0..<(encoding == .q8_0 ? 1 : 2) {
                let half = UInt16(truncatingIfNeeded: rng.next()) & 0x83FF | UInt16(8 + Int(rng.next() % 6)) << 10
                raw[base + 2 * field] = UInt8(half & 0xFF)
                raw[base + 2 * field + 1] = UInt8(half >> 8)
            }
        }
    }
    return m
}

func floatMatrix(rows: Int, columns: Int, values: [Float]) throws -> WeightMatrix {
    let m = try WeightMatrix(rows: rows, columns: columns, encoding: .f32)
    _ = m.floats.initialize(from: values)
    return m
}

func runMatmul(_ w: WeightMatrix, _ x: [Float], tokens: Int, pool: ThreadPool?) -> [Float] {
    var y = [Float](repeating: .nan, count: tokens * w.rows)
    x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { yp in
            Ops.matmul(w, x: xp.baseAddress!, ldx: w.columns, tokens: tokens, y: yp.baseAddress!, ldy: w.rows, pool: pool)
        }
    }
    return y
}

@Suite struct MatmulTests {
    // Shapes with every kind of tail: rows not a multiple of the tile, columns not a multiple of 16.
    static let shapes: [(rows: Int, columns: Int, tokens: Int)] = [(37, 83, 13), (64, 576, 1), (5, 16, 7), (129, 200, 3)]

    @Test(arguments: 0..<4) func f32MatchesNaiveWithinBound(shape: Int) throws {
        let (rows, columns, tokens) = Self.shapes[shape]
        var rng = TestRandom(seed: UInt64(shape) + 1)
        let w = try floatMatrix(rows: rows, columns: columns, values: rng.floats(rows * columns))
        let x = rng.floats(tokens * columns)
        let pool = try ThreadPool(threads: 3)
        forEachInstructionSet { isa in
            let y = runMatmul(w, x, tokens: tokens, pool: pool)
            for t in 0..<tokens {
                for r in 0..<rows {
                    let ref = Naive.dot(w.floats[(r * columns)..<((r + 1) * columns)].asArraySlice,
                                        x[(t * columns)..<((t + 1) * columns)])
                    // Rounding bound of a 16-lane accumulation: (K/16 + 4) roundings, each ≤ 2^-24 of the magnitude.
                    let bound = Double(columns / 16 + 5) * 0x1p-23 * ref.magnitude + 1e-30
                    #expect(abs(Double(y[t * rows + r]) - ref.value) <= bound, "\(isa) row \(r) token \(t)")
                }
            }
        }
    }

    @Test func everyInstructionSetGivesTheSameBits() throws {
        var rng = TestRandom(seed: 7)
        let w = try floatMatrix(rows: 37, columns: 83, values: rng.floats(37 * 83))
        let x = rng.floats(13 * 83)
        var results: [[UInt32]] = []
        try forEachInstructionSet { _ in results.append(bits(runMatmul(w, x, tokens: 13, pool: try ThreadPool(threads: 2)))) }
        #expect(Set(results).count == 1, "\(InstructionSet.allSupported)")
    }

    @Test func rowResultsDoNotDependOnBatchOrThreads() throws {
        var rng = TestRandom(seed: 11)
        let (rows, columns, tokens) = (70, 96, 9)
        let w = try floatMatrix(rows: rows, columns: columns, values: rng.floats(rows * columns))
        let x = rng.floats(tokens * columns)
        try forEachInstructionSet { isa in
            let together = runMatmul(w, x, tokens: tokens, pool: try ThreadPool(threads: 4))
            for t in 0..<tokens {
                let alone = runMatmul(w, Array(x[(t * columns)..<((t + 1) * columns)]), tokens: 1, pool: nil)
                #expect(bits(alone) == bits(Array(together[(t * rows)..<((t + 1) * rows)])), "\(isa) token \(t)")
            }
        }
    }

    @Test(arguments: [WeightEncoding.q8_0, .q4_1]) func quantisedEqualsFloatOfDequantised(encoding: WeightEncoding) throws {
        var rng = TestRandom(seed: 5)
        let (rows, columns) = (21, 96)
        let q = try randomQuantisedRows(encoding, rows: rows, columns: columns, rng: &rng)
        let f = try q.dequantized()
        for tokens in [1, 3, 8] {  // block by block (decode), and expanded into scratch (prefill)
            let x = rng.floats(tokens * columns)
            try forEachInstructionSet { isa in
                let pool = try ThreadPool(threads: 2)
                #expect(bits(runMatmul(q, x, tokens: tokens, pool: pool)) == bits(runMatmul(f, x, tokens: tokens, pool: pool)),
                        "\(isa), \(tokens) tokens")
            }
        }
    }

    @Test func dequantisationFollowsTheGGMLFormulas() throws {
        // Q8_0 block: d = 0.5 (f16 0x3800), q = -3 → -1.5. Q4_1 block: d = 2 (0x4000), m = -1 (0xBC00);
        // byte 0 = 0x5A holds q0 = 0xA (10) and q16 = 0x5 (5): values 19 and 9.
        let q8 = try WeightMatrix(rows: 1, columns: 32, encoding: .q8_0)
        let b8 = q8.bytes.bindMemory(to: UInt8.self)
        for i in b8.indices { b8[i] = 0 }
        b8[0] = 0x00; b8[1] = 0x38; b8[2] = UInt8(bitPattern: -3)
        let q4 = try WeightMatrix(rows: 1, columns: 32, encoding: .q4_1)
        let b4 = q4.bytes.bindMemory(to: UInt8.self)
        for i in b4.indices { b4[i] = 0 }
        b4[0] = 0x00; b4[1] = 0x40; b4[2] = 0x00; b4[3] = 0xBC; b4[4] = 0x5A
        var out = [Float](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { q8.dequantizeRow(0, into: $0.baseAddress!) }
        #expect(out[0] == -1.5 && out[1] == 0)
        out.withUnsafeMutableBufferPointer { q4.dequantizeRow(0, into: $0.baseAddress!) }
        #expect(out[0] == 19 && out[16] == 9 && out[1] == -1)
    }

    @Test func quantisedRowsMustBeWholeBlocks() {
        #expect(throws: KernelError.self) { try WeightMatrix(rows: 2, columns: 40, encoding: .q4_1) }
    }
}

extension UnsafeMutableBufferPointer where Element == Float {
    var asArraySlice: ArraySlice<Float> { ArraySlice(self) }
}
extension Slice where Base == UnsafeMutableBufferPointer<Float> {
    var asArraySlice: ArraySlice<Float> { ArraySlice(self) }
}
