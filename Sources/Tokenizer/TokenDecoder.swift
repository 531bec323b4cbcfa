/// Turns a stream of token ids into text piece by piece, never splitting a UTF-8 sequence across pieces.
///
/// A token can end in the middle of a multi-byte character (byte-level BPE splits emoji and CJK into byte tokens);
/// the decoder holds such a tail back until the bytes that complete it arrive. Bytes that can never form a valid
/// character come out as U+FFFD at once. The concatenation of every piece plus `finish()` equals
/// `tokenizer.decode(ids)`.
///
/// ```swift
/// var decoder = TokenDecoder(tokenizer)
/// for id in generated { send(decoder.append(id)) }
/// send(decoder.finish())
/// ```
public struct TokenDecoder: Sendable {
    private let tokenizer: BPETokenizer
    private let skipSpecial: Bool
    private var pending: [UInt8] = []

    /// A decoder for `tokenizer`'s ids; special tokens are left out when `skipSpecial`.
    public init(_ tokenizer: BPETokenizer, skipSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// Adds one token and returns the text it completes (often empty while a character is incomplete).
    public mutating func append(_ id: Int32) -> String {
        guard let bytes = tokenizer.bytes(for: id), !(skipSpecial && tokenizer.isSpecial(id)) else { return "" }
        pending.append(contentsOf: bytes)
        let keep = Self.incompleteTail(pending)
        let ready = pending.count - keep
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Returns whatever is held back (as U+FFFD, since the stream ended inside a character) and resets.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// The number of bytes at the end of `bytes` that start a UTF-8 sequence still missing bytes (0 if none).
    static func incompleteTail(_ bytes: [UInt8]) -> Int {
        // Look back at most 3 bytes for the lead byte of the last sequence.
        var back = 0
        var i = bytes.count - 1
        while i >= 0, back < 4 {
            let byte = bytes[i]
            back += 1
            if byte & 0xC0 != 0x80 {  // a lead byte or ASCII
                let need: Int
                switch byte {
                case 0xC2...0xDF: need = 2
                case 0xE0...0xEF: need = 3
                case 0xF0...0xF4: need = 4
                default: return 0  // ASCII, or a byte that never starts a sequence: nothing to wait for
                }
                guard back < need else { return 0 }
                // Hold the tail only if what is there could still become valid.
                let tail = Array(bytes[i...])
                return Self.isValidPrefix(tail) ? back : 0
            }
            i -= 1
        }
        return 0
    }

    /// Whether `bytes` (a lead byte and fewer continuation bytes than it needs) can still be completed validly.
    private static func isValidPrefix(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2 else { return true }
        let second = bytes[1]
        switch bytes[0] {
        case 0xE0: return (0xA0...0xBF).contains(second)
        case 0xED: return (0x80...0x9F).contains(second)
        case 0xF0: return (0x90...0xBF).contains(second)
        case 0xF4: return (0x80...0x8F).contains(second)
        default: return true
        }
    }
}
