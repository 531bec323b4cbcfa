import Foundation
@testable import ModelEngine
import Testing

@Suite struct SamplerTests {
    let logits: [Float] = [1.0, 3.0, 2.5, -1.0, 3.0, 0.5, 2.9, -4.0]

    func draw(_ p: SamplingParameters, _ n: Int = 200) throws -> [Int32] {
        var s = try Sampler(p)
        return try (0..<n).map { _ in try s.sample(logits) }
    }

    @Test func greedyTakesTheFirstLargest() throws {
        #expect(Set(try draw(.greedy, 5)) == [1])
    }

    @Test func theSameSeedGivesTheSameTokens() throws {
        let p = SamplingParameters(temperature: 1, seed: 42)
        #expect(try draw(p) == draw(p))
        #expect(try draw(p) != draw(SamplingParameters(temperature: 1, seed: 43)))
    }

    @Test func aSamplersStateCanBeSavedAndRestored() throws {
        var a = try Sampler(SamplingParameters(temperature: 0.8, seed: 7))
        _ = try (0..<10).map { _ in try a.sample(logits) }
        var b = a  // e.g. migrated with its sequence
        #expect(try (0..<20).map { _ in try a.sample(logits) } == (0..<20).map { _ in try b.sample(logits) })
    }

    @Test func topKAndTopPKeepTheLikelyTokens() throws {
        #expect(Set(try draw(SamplingParameters(temperature: 1, topK: 2, seed: 1))) == [1, 4])  // ties: both 3.0
        #expect(Set(try draw(SamplingParameters(temperature: 5, topK: 1, seed: 1))) == [1])
        #expect(Set(try draw(SamplingParameters(temperature: 1, topP: 0.01, seed: 1))) == [1])
        // p = 0.6 of softmax(logits): tokens 1, 4 (0.27 each) and 6 (0.25) are needed.
        #expect(Set(try draw(SamplingParameters(temperature: 1, topP: 0.6, seed: 1), 500)) == [1, 4, 6])
    }

    @Test func frequenciesFollowTheSoftmax() throws {
        let tokens = try draw(SamplingParameters(temperature: 1, seed: 9), 20000)
        let z = logits.map { exp(Double($0)) }.reduce(0, +)
        for (i, l) in logits.enumerated() {
            let expected = exp(Double(l)) / z
            let seen = Double(tokens.filter { $0 == i }.count) / Double(tokens.count)
            #expect(abs(seen - expected) < 0.015, "token \(i): \(seen) vs \(expected)")
        }
    }

    @Test func badParametersAndLogitsAreErrors() throws {
        #expect(throws: EngineError.self) { try Sampler(SamplingParameters(temperature: -1)) }
        #expect(throws: EngineError.self) { try Sampler(SamplingParameters(topP: 0)) }
        #expect(throws: EngineError.self) { try Sampler(SamplingParameters(topK: -2)) }
        var s = try Sampler(.greedy)
        let e = #expect(throws: EngineError.self) { try s.sample([1, .nan, 2], sequence: 12) }
        #expect(e?.code == .nonFinite && e?.message.contains("sequence 12") == true)
    }

    @Test func seededGenerationIsReproducible() throws {
        let p = try pipeline(TinyModel.checkpoint())
        let request = GenerationRequest(prompt: Array(samplePrompt.prefix(8)),
                                        sampling: SamplingParameters(temperature: 0.9, topP: 0.95, seed: 5), maxTokens: 12)
        let a = try p.generate(request) { _ in true }
        let b = try p.generate(request, sequence: 77) { _ in true }
        #expect(a == b && a.tokens.count == 12)
    }

    @Test func stopTokensAndCallbacksEndGeneration() throws {
        let p = try pipeline(TinyModel.checkpoint())
        let free = try p.generate(GenerationRequest(prompt: [1, 2, 3], maxTokens: 10)) { _ in true }
        let stop = free.tokens[3]
        let stopped = try p.generate(GenerationRequest(prompt: [1, 2, 3], maxTokens: 10, stopTokenIDs: [stop])) { _ in true }
        #expect(stopped.finishReason == .stop)
        #expect(stopped.tokens == Array(free.tokens.prefix(while: { $0 != stop })))
        var seen = 0
        let cut = try p.generate(GenerationRequest(prompt: [1, 2, 3], maxTokens: 10)) { _ in seen += 1; return seen < 2 }
        #expect(cut.finishReason == .stop && cut.tokens == Array(free.tokens.prefix(2)))
    }
}

@Suite struct StopStringTests {
    func run(_ pieces: [String], stops: [String]) -> (text: [String], stopped: Bool) {
        var f = StopStringFilter(stops)
        var out = pieces.map { f.append($0) }
        out.append(f.finish())
        return (out, f.stopped)
    }

    @Test func textThatMightStartAStopStringIsHeldBack() {
        let r = run(["Hello", " wor", "ld", "!"], stops: ["world!"])
        #expect(r.text == ["Hello", " ", "", "", ""] && r.stopped)
    }

    @Test func aPrefixThatDoesNotCompleteIsReleased() {
        let r = run(["a<", "|en", "x", "b"], stops: ["<|end|>"])
        #expect(r.text == ["a", "", "<|enx", "b", ""] && !r.stopped)
        #expect(run(["a<|e"], stops: ["<|end|>"]).text == ["a", "<|e"])  // released at the end
    }

    @Test func theEarliestStopWinsAndUnicodeStaysWhole() {
        let r = run(["naïve ⏹ café STOP", " more"], stops: ["STOP", "⏹"])
        #expect(r.text == ["naïve ", "", ""] && r.stopped)
        #expect(run(["日本語です。"], stops: ["。"]).text == ["日本語です", ""])
    }
}

/// Top-p sorts only the heavy candidates; it must pick exactly what a full sort picks.
@Suite struct TopPAgreesWithAFullSortTests {
    /// The textbook nucleus: sort everything, keep the smallest prefix reaching p, draw with the same generator.
    func reference(_ logits: [Float], _ p: SamplingParameters, state: inout Sampler) -> Int32 {
        let m = Double(logits.max()!)
        let ids = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        let weight = { (id: Int) in Foundation.exp((Double(logits[id]) - m) * (1 / Double(p.temperature))) }
        let w = ids.map(weight)
        let total = logits.indices.map(weight).reduce(0, +)  // summed in id order, as the sampler defines it
        var mass = 0.0, keep = 0
        while keep < w.count { mass += w[keep]; keep += 1; if mass >= Double(p.topP) * total { break } }
        let u = state.nextUniform() * mass
        var c = 0.0
        for i in 0..<keep { c += w[i]; if u < c { return Int32(ids[i]) } }
        return Int32(ids[keep - 1])
    }

    @Test(arguments: [0.5, 0.9, 1 - 0x1p-24] as [Float]) func sameTokens(topP: Float) throws {
        var rng = TestRandom(seed: 21)
        for trial in 0..<8 {  // 1 - 2^-24 with peaked logits reaches below the filter: the full-sort fallback
            // Peaked and flat distributions over a vocabulary-sized array.
            let scale: Float = trial % 2 == 0 ? 12 : 0.5
            let logits = rng.floats(2000, scale: scale)
            let p = SamplingParameters(temperature: 0.7, topP: topP, seed: UInt64(trial))
            var fast = try Sampler(p), slow = try Sampler(p)
            for _ in 0..<5 { #expect(try fast.sample(logits) == reference(logits, p, state: &slow), "trial \(trial)") }
        }
    }
}
