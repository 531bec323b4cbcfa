/// Holds generated text back until it cannot be the start of a stop string, and cuts the text at the first stop
/// string. Works on UTF-8 bytes of valid strings, so matches and cuts fall on character boundaries.
public struct StopStringFilter: Sendable {
    /// The strings that end generation (empty strings are ignored).
    public let stopStrings: [[UInt8]]
    private var pending: [UInt8] = []
    /// Whether a stop string has been seen; later text is dropped.
    public private(set) var stopped = false

    /// Creates a filter for `stopStrings`.
    public init(_ stopStrings: [String]) {
        self.stopStrings = stopStrings.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Adds newly decoded text; returns the text that is now safe to show. After a stop string, returns the text
    /// before it and sets `stopped`.
    public mutating func append(_ text: String) -> String {
        guard !stopped else { return "" }
        pending += Array(text.utf8)
        if let cut = firstMatch() {
            stopped = true
            let out = String(decoding: pending[..<cut], as: UTF8.self)
            pending = []
            return out
        }
        let hold = longestPrefixSuffix()
        let out = String(decoding: pending[..<(pending.count - hold)], as: UTF8.self)
        pending.removeFirst(pending.count - hold)
        return out
    }

    /// Releases the held-back text at the end of generation (unless stopped).
    public mutating func finish() -> String {
        defer { pending = [] }
        return stopped ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Where the earliest stop string starts in `pending`.
    private func firstMatch() -> Int? {
        var best: Int?
        for stop in stopStrings where stop.count <= pending.count {
            for start in 0...(pending.count - stop.count) where best.map({ start < $0 }) ?? true {
                if pending[start..<(start + stop.count)].elementsEqual(stop) {
                    best = start
                    break
                }
            }
        }
        return best
    }

    /// The length of the longest end of `pending` that is a proper prefix of a stop string.
    private func longestPrefixSuffix() -> Int {
        var hold = 0
        for stop in stopStrings {
            for length in stride(from: min(stop.count - 1, pending.count), to: hold, by: -1)
            where pending[(pending.count - length)...].elementsEqual(stop[..<length]) {
                hold = length
                break
            }
        }
        return hold
    }
}
