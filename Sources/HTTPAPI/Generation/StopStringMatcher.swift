/// Finds stop strings in streamed text and holds back text that could still be the start of one.
///
/// Text arrives piece by piece (decoded tokens); a stop string may span several pieces. `append` returns the text
/// that can safely go to the client: everything except a tail that is a proper prefix of some stop string. When a
/// stop string appears, the text before it is returned and the stop string and anything after are dropped.
/// Matching is on UTF-8 bytes, so it is exact and never cuts a character (a match or a held tail starts where a
/// stop string starts, at a character boundary).
///
/// ```swift
/// var matcher = StopStringMatcher(["\n\n"])
/// matcher.append("Hello\n")   // ("Hello", stopped: false), "\n" held
/// matcher.append("\nmore")    // ("", stopped: true)
/// ```
struct StopStringMatcher: Sendable {
    private let stops: [[UInt8]]
    private var pending: [UInt8] = []
    private(set) var stopped = false

    /// A matcher for `stops` (an empty list passes text straight through).
    init(_ stops: [String]) {
        self.stops = stops.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Adds decoded text; returns what may be sent now and whether a stop string was found.
    mutating func append(_ text: String) -> (text: String, stopped: Bool) {
        guard !stopped else { return ("", true) }
        if stops.isEmpty { return (text, false) }
        pending.append(contentsOf: text.utf8)
        if let match = firstMatch() {
            stopped = true
            let out = String(decoding: pending[..<match], as: UTF8.self)
            pending.removeAll()
            return (out, true)
        }
        let ready = pending.count - heldTail()
        guard ready > 0 else { return ("", false) }
        let out = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return (out, false)
    }

    /// Returns the held-back text at the end of the generation (it did not become a stop string).
    mutating func finish() -> String {
        defer { pending.removeAll() }
        return stopped ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// The offset of the earliest stop string in `pending`, if any.
    private func firstMatch() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= pending.count {
            let last = pending.count - stop.count
            var start = 0
            while start <= last, best.map({ start < $0 }) ?? true {
                if pending[start] == stop[0], pending[start..<(start + stop.count)].elementsEqual(stop) {
                    best = start
                    break
                }
                start += 1
            }
        }
        return best
    }

    /// The length of the longest tail of `pending` that is a proper prefix of a stop string.
    private func heldTail() -> Int {
        var longest = 0
        for stop in stops {
            var length = min(stop.count - 1, pending.count)
            while length > longest {
                if pending[(pending.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }
}
