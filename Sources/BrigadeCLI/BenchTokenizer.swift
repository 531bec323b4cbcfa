import ArgumentParser
import Foundation
import ModelFormats
import Tokenizer

/// `brigade bench tokenizer`: tokenizer load time and encode speed on a 4 KB mixed text, cold and warm word cache.
///
/// Prints one JSON object per line. The baseline measured in the same run is the warm-cache encode (every word
/// already merged), so `cold_vs_warm` shows what BPE merging costs; `cold_vs_target_10ms` compares with the target.
struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Measure tokenizer load and encode speed (JSON lines)."
    )

    @Option(help: "GGUF file whose tokenizer to use (default: $BRIGADE_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf).")
    var model: String?

    @Option(help: "Timed repetitions; the median is reported.")
    var runs = 9

    @Option(help: "Bytes of text to encode.")
    var bytes = 4096

    @Option(help: "Encode this file's text instead of the generated mixed text (to compare with other tokenizers).")
    var textFile: String?

    func run() throws {
        let path = model ?? BenchModelPath.defaultModel()
        let file = try GGUFFile(path: path)
        var loads: [Double] = []
        var tokenizers: [BPETokenizer] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            tokenizers.append(try BPETokenizer(gguf: file.metadata))
            loads.append(BenchClock.ms(since: start))
        }
        let text = try textFile.map { try String(contentsOfFile: $0, encoding: .utf8) }
            ?? BenchText.mixed(bytes: bytes, seed: 7)
        var cold: [Double] = []
        var warm: [Double] = []
        var tokenCount = 0
        for tokenizer in tokenizers {
            var start = ContinuousClock.now
            tokenCount = tokenizer.encode(text).count
            cold.append(BenchClock.ms(since: start))
            start = ContinuousClock.now
            _ = tokenizer.encode(text)
            warm.append(BenchClock.ms(since: start))
        }
        let decodeStart = ContinuousClock.now
        let ids = tokenizers[0].encode(text)
        var decoder = TokenDecoder(tokenizers[0])
        var streamed = ""
        for id in ids { streamed += decoder.append(id) }
        streamed += decoder.finish()
        let decodeMs = BenchClock.ms(since: decodeStart)
        guard streamed == text else { throw ValidationError("round trip failed on the benchmark text") }
        let coldMs = BenchClock.median(cold)
        let warmMs = BenchClock.median(warm)
        // Worst case for merging: one pre-tokenised word as long as the whole text (no spaces, no digits).
        var state: UInt64 = 11
        let word = String(
            (0..<bytes).map { _ -> Character in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Character(Unicode.Scalar(UInt8(97 + (state >> 33) % 26)))
            })
        var worst: [Double] = []
        for tokenizer in tokenizers.prefix(3) {
            let start = ContinuousClock.now
            _ = tokenizer.encode(word)
            worst.append(BenchClock.ms(since: start))
        }
        BenchJSON.line([
            "bench": "tokenizer_load", "model": (path as NSString).lastPathComponent, "runs": runs,
            "load_ms_median": BenchClock.median(loads), "vocabulary": tokenizers[0].vocabularySize,
        ])
        BenchJSON.line([
            "bench": "tokenizer_encode", "text_bytes": text.utf8.count, "tokens": tokenCount, "runs": runs,
            "cold_cache_ms_median": coldMs, "warm_cache_ms_median": warmMs,
            "cold_vs_warm": coldMs / max(warmMs, 1e-9), "cold_vs_target_10ms": coldMs / 10,
            "cold_tokens_per_s": Double(tokenCount) / (coldMs / 1000),
            "encode_plus_stream_decode_ms": decodeMs,
        ])
        BenchJSON.line([
            "bench": "tokenizer_encode_one_long_word", "text_bytes": bytes, "runs": min(3, runs),
            "cold_cache_ms_median": BenchClock.median(worst), "vs_mixed_text_cold": BenchClock.median(worst) / coldMs,
        ])
    }
}

/// Timing helpers shared by the model-format benchmarks.
enum BenchClock {
    static func ms(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}

/// Prints one JSON object per line, keys sorted.
enum BenchJSON {
    static func line(_ object: [String: Any]) {
        let rounded = object.mapValues { value -> Any in
            if let d = value as? Double { return (d * 1000).rounded() / 1000 }
            return value
        }
        let data = try! JSONSerialization.data(
            withJSONObject: rounded, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Where the default model lives: $BRIGADE_HOME (default ~/.cache/brigade)/models.
enum BenchModelPath {
    static func defaultModel() -> String {
        let home = ProcessInfo.processInfo.environment["BRIGADE_HOME"] ?? (NSHomeDirectory() + "/.cache/brigade")
        return home + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }
}

/// Deterministic mixed text: English prose, numbers, code, accents, CJK and emoji.
enum BenchText {
    static func mixed(bytes: Int, seed: UInt64) -> String {
        let words =
            ("the of and to in is that for it as was with be by on not he this are or his from at which but "
            + "have an they you were her she there would their we him been has when who will more no if out so said "
            + "pipeline stage worker tensor cache token model layer cluster gossip failure recovery migration "
            + "naïve café résumé Zürich 東京 데이터 модель 🚀 👩‍💻").split(separator: " ")
        let code = [
            "func f(_ x: Int) -> Int { x * 2 }", "for i in 0..<n { sum += a[i] }", "if (err != nil) { return err }",
            "let url = \"https://example.com/v1/chat\"", "SELECT * FROM t WHERE id = 42;",
        ]
        var state = seed
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var text = ""
        while text.utf8.count < bytes {
            switch next(10) {
            case 0: text += "\n" + code[next(code.count)] + "\n"
            case 1: text += " \(next(100000)).\(next(100))"
            case 2: text += ", "
            case 3: text += ". "
            default: text += " " + words[next(words.count)]
            }
        }
        var view = Substring(text)
        while view.utf8.count > bytes { view = view.dropLast() }
        return String(view)
    }
}
