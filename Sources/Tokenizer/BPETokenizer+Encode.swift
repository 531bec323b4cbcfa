extension BPETokenizer {
    /// Token ids for `text`.
    /// - Parameters:
    ///   - addSpecial: add the BOS/EOS tokens the vocabulary asks for (`addBOS`, `addEOS`; SmolLM2 asks for none).
    ///   - parseSpecial: match special token strings (`<|im_start|>`) as their single ids; when false they are
    ///     tokenised as ordinary text.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        var text = text
        return text.withUTF8 { encodeValidUTF8($0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// Token ids for raw bytes, which must be valid UTF-8.
    /// - Throws: `TokenizerError` with code `.invalidUTF8` giving the offset of the first bad byte.
    public func encode(bytes: [UInt8], addSpecial: Bool = true, parseSpecial: Bool = true) throws -> [Int32] {
        if let bad = Self.firstInvalidUTF8(bytes) {
            throw TokenizerError(
                .invalidUTF8,
                "input is not valid UTF-8: bad byte 0x\(String(bytes[bad], radix: 16)) "
                    + "at offset \(bad)")
        }
        return bytes.withUnsafeBufferPointer { encodeValidUTF8($0, addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// The text of `ids`: the bytes of each token concatenated and read as UTF-8 (ill-formed sequences become
    /// U+FFFD). Special tokens appear as their text unless `skipSpecial`. Unknown ids are skipped.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            guard let piece = self.bytes(for: id) else { continue }
            if skipSpecial && isSpecial(id) { continue }
            bytes.append(contentsOf: piece)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func encodeValidUTF8(_ text: UnsafeBufferPointer<UInt8>, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.count / 3 + 2)
        if addSpecial && addBOS, let bosID { out.append(bosID) }
        var start = 0
        if parseSpecial {
            var i = 0
            while i < text.count {
                if let (id, length) = specialMatcher.match(text, at: i) {
                    encodeOrdinary(UnsafeBufferPointer(rebasing: text[start..<i]), into: &out)
                    out.append(id)
                    i += length
                    start = i
                } else {
                    i += 1
                }
            }
        }
        encodeOrdinary(UnsafeBufferPointer(rebasing: text[start..<text.count]), into: &out)
        if addSpecial && addEOS, let eosID { out.append(eosID) }
        return out
    }

    /// Pre-tokenises valid UTF-8 without special tokens and merges each piece.
    private func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        if text.isEmpty { return }
        var scalars: [Unicode.Scalar] = []
        var offsets: [Int] = []  // byte offset of each scalar, plus the end
        scalars.reserveCapacity(text.count)
        offsets.reserveCapacity(text.count + 1)
        var i = 0
        while i < text.count {
            let lead = text[i]
            let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            var value = length == 1 ? UInt32(lead) : UInt32(lead) & (0xFF >> (length + 1))
            for k in 1..<max(length, 1) { value = value << 6 | UInt32(text[i + k] & 0x3F) }
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            offsets.append(i)
            i += length
        }
        offsets.append(text.count)
        let bytes = Array(text)
        for range in preTokenizer.split(scalars) {
            word(bytes[offsets[range.lowerBound]..<offsets[range.upperBound]], into: &out)
        }
    }

    /// The offset of the first byte that breaks UTF-8 well-formedness, or nil if `bytes` is valid.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0x00...0x7F:
                i += 1
                continue
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                high = 0x9F
            case 0xF0:
                length = 4
                low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                high = 0x8F
            default: return i
            }
            for k in 1..<length {
                guard i + k < bytes.count else { return i }
                let byte = bytes[i + k]
                let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard byte >= lo, byte <= hi else { return i + k }
            }
            i += length
        }
        return nil
    }
}
