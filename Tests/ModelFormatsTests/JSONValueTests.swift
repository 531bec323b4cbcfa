import Testing

@testable import ModelFormats

/// The strict JSON parser behind safetensors headers, config.json and tokenizer.json.
struct JSONValueTests {
    @Test func parsesEveryKind() throws {
        let text =
            #"{"a": [1, -2, 3.5, 1e3, -0.0, 12345678901234], "b": {"c": null, "d": true, "e": false},"#
            + #" "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00 ✓"}"#
        let value = try JSONValue.parse(text, file: "x.json")
        #expect(value["a"]?.array?.compactMap(\.double) == [1, -2, 3.5, 1000, -0.0, 12_345_678_901_234])
        #expect(value["a"]?.array?[0] == .int(1))
        #expect(value["a"]?.array?[5].int == 12_345_678_901_234)
        #expect(value["b"]?["c"]?.isNull == true)
        #expect(value["b"]?["d"]?.bool == true)
        #expect(value["s"]?.string == "q\"\\/\u{8}\u{c}\n\r\té😀 ✓")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "tru", "{} x",
        "{\"a\":1,\"a\":2}", "\"a\u{1}b\"", "[" + String(repeating: "[", count: 600),
    ])
    func rejectsMalformedJSON(_ text: String) {
        let error = #expect(throws: ModelFormatError.self) { try JSONValue.parse(text, file: "bad.json") }
        #expect(error?.code == .invalidJSON)
        #expect(error?.file == "bad.json")
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        let error = #expect(throws: ModelFormatError.self) { try JSONValue.parse(bytes, file: "bad.json") }
        #expect(error?.message.contains("UTF-8") == true)
    }
}
