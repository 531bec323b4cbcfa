/// Finds special tokens in UTF-8 text: at each position, the longest special token that starts there.
struct SpecialTokenMatcher: Sendable {
    /// Candidates by first byte, longest first.
    private let byFirstByte: [[(bytes: [UInt8], id: Int32)]]

    init(_ tokens: [([UInt8], Int32)]) {
        var table = [[(bytes: [UInt8], id: Int32)]](repeating: [], count: 256)
        for (bytes, id) in tokens where !bytes.isEmpty {
            table[Int(bytes[0])].append((bytes, id))
        }
        byFirstByte = table.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
    }

    /// The special token starting at `position` in `text`, with its length in bytes.
    func match(_ text: UnsafeBufferPointer<UInt8>, at position: Int) -> (id: Int32, length: Int)? {
        let candidates = byFirstByte[Int(text[position])]
        if candidates.isEmpty { return nil }
        let left = text.count - position
        for candidate in candidates where candidate.bytes.count <= left {
            var equal = true
            for k in 1..<candidate.bytes.count where text[position + k] != candidate.bytes[k] {
                equal = false
                break
            }
            if equal { return (candidate.id, candidate.bytes.count) }
        }
        return nil
    }
}
