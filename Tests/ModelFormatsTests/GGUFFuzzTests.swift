import Testing

@testable import ModelFormats

/// A deterministic generator (SplitMix64) so a failing case can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Thousands of mutated GGUF files (bit flips, overwritten fields, truncations): parsing and reading each either
/// succeeds or throws `ModelFormatError`; nothing traps or allocates without bound.
struct GGUFFuzzTests {
    static let interesting: [UInt64] = [
        0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 32, 1 << 40,
        1 << 62, UInt64(Int64.max), UInt64.max,
    ]

    static func mutate(_ bytes: [UInt8], rng: inout SplitMix64) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:  // flip one bit
                let i = Int.random(in: 0..<out.count, using: &rng)
                out[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1:  // overwrite a random byte
                out[Int.random(in: 0..<out.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2:  // overwrite 8 bytes with an interesting little-endian value
                let i = Int.random(in: 0..<max(1, out.count - 8), using: &rng)
                let value = interesting.randomElement(using: &rng)!
                for k in 0..<min(8, out.count - i) { out[i + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
            default:  // truncate
                out = Array(out[0..<Int.random(in: 0..<out.count, using: &rng)])
            }
            if out.isEmpty { break }
        }
        return out
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func mutatedHeadersNeverTrap(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let original = GGUFReadTests.sampleFile().bytes()
        var parsed = 0
        var rejected = 0
        for iteration in 0..<1500 {
            let bytes = Self.mutate(original, rng: &rng)
            do {
                let file = try GGUFFile(source: MemorySource(name: "fuzz.gguf", bytes: bytes))
                parsed += 1
                for name in file.tensorNames {
                    do { _ = try file.readFloat32(name) } catch is ModelFormatError {}
                }
            } catch is ModelFormatError {
                rejected += 1
            } catch {
                Issue.record("seed \(seed) iteration \(iteration): unexpected error \(error)")
            }
        }
        #expect(parsed + rejected == 1500)
        #expect(rejected > 100, "the mutations should break most files (seed \(seed))")
    }
}
