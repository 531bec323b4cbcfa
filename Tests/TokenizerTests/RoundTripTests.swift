import Testing

@testable import Tokenizer

/// `decode(encode(s)) == s` over seeded random Unicode text, on the tiny in-code tokenizer and on SmolLM2's.
struct RoundTripTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Scalars from every plane that matters: ASCII (controls included), Latin, combining marks, CJK, emoji,
    /// private use, supplementary planes; `excluded` bytes' scalars are skipped.
    static func randomText(_ rng: inout Generator, length: Int, excluding excluded: Set<UInt8>) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0x00...0x7F, 0x20...0x7E, 0x20...0x7E, 0xA0...0x24F, 0x300...0x36F,
            0x370...0x52F, 0x3040...0x30FF, 0x4E00...0x9FFF, 0xAC00...0xD7A3,
            0xE000...0xF8FF, 0x1F300...0x1FAFF, 0x10000...0x3FFFF, 0xC0000...0x10FFFF,
        ]
        var scalars = String.UnicodeScalarView()
        while scalars.count < length {
            let range = ranges.randomElement(using: &rng)!
            guard let scalar = Unicode.Scalar(UInt32.random(in: range, using: &rng)) else { continue }
            if String(scalar).utf8.contains(where: excluded.contains) { continue }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    static func roundTrip(_ tokenizer: BPETokenizer, seed: UInt64, count: Int) {
        var rng = Generator(state: seed)
        let excluded = Set(tokenizer.missingByteTokens)
        for _ in 0..<count {
            let text = randomText(&rng, length: Int.random(in: 0...40, using: &rng), excluding: excluded)
            let ids = tokenizer.encode(text)
            let back = tokenizer.decode(ids, skipSpecial: tokenizer.addBOS)
            #expect(back == text, "seed \(seed): \(text.debugDescription) → \(ids) → \(back.debugDescription)")
            var decoder = TokenDecoder(tokenizer, skipSpecial: tokenizer.addBOS)
            let streamed = ids.map { decoder.append($0) }.joined() + decoder.finish()
            #expect(streamed == back)
        }
    }

    @Test func tinyTokenizerRoundTrips() throws {
        let tiny = try TinyTokenizer.make()
        #expect(tiny.missingByteTokens.isEmpty)
        Self.roundTrip(tiny, seed: 1, count: 300)
        #expect(tiny.encode("hello world") == [tiny.bosID!, tiny.tokenID(for: "hello")!, tiny.tokenID(for: "Ġworld")!])
    }

    @Test(.enabled(if: RealTokenizer.isAvailable, "SmolLM2 GGUF not found"))
    func smolLM2RoundTrips() throws {
        let tokenizer = try RealTokenizer.tokenizer()
        Self.roundTrip(tokenizer, seed: 2, count: 400)
    }
}

/// One tokenizer shared by many tasks (its word cache is behind a lock) gives each the same ids as alone.
struct ConcurrentEncodeTests {
    @Test func sharedTokenizerEncodesConsistently() async throws {
        let tokenizer = try TinyTokenizer.make()
        var rng = RoundTripTests.Generator(state: 9)
        let texts = (0..<64).map { _ in RoundTripTests.randomText(&rng, length: 30, excluding: []) }
        let fresh = try TinyTokenizer.make()
        let expected = texts.map { fresh.encode($0) }
        await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { round in
                        let i = (task * 7 + round) % texts.count
                        return tokenizer.encode(texts[i]) == expected[i]
                    }
                }
            }
            for await agreed in group { #expect(agreed) }
        }
    }
}
