import Tokenizer

/// Turns generated token ids into text as they come: decodes them (holding back incomplete UTF-8) and cuts at
/// stop strings (holding back text that may start one).
public struct TextStream: Sendable {
    private var decoder: TokenDecoder
    private var filter: StopStringFilter

    /// Creates a stream that decodes with `tokenizer` and stops at any of `stopStrings`.
    public init(tokenizer: BPETokenizer, stopStrings: [String] = []) {
        decoder = TokenDecoder(tokenizer, skipSpecial: true)
        filter = StopStringFilter(stopStrings)
    }

    /// Whether a stop string was seen.
    public var stopped: Bool { filter.stopped }

    /// Adds a token; returns the text that can be shown now.
    public mutating func append(_ token: Int32) -> String { filter.append(decoder.append(token)) }

    /// Returns the rest at the end of generation.
    public mutating func finish() -> String {
        let tail = filter.append(decoder.finish())
        return tail + filter.finish()
    }
}
