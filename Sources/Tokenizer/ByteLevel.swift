/// GPT-2's reversible map between bytes and printable characters, used by byte-level BPE vocabularies.
///
/// Bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` map to the character with the same code; the other 68 bytes map, in order,
/// to U+0100 onwards (so space is `Ġ` U+0120 and newline `Ċ` U+010A).
enum ByteLevel {
    /// The character for each byte.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte for each character of the map (keyed by scalar value), the inverse of `byteToScalar`.
    static let scalarToByte: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        for (byte, scalar) in byteToScalar.enumerated() { table[scalar.value] = UInt8(byte) }
        return table
    }()

    /// The mapped string for `bytes` (what a byte-level vocabulary stores).
    static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(byteToScalar[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes a vocabulary string stands for, or nil if it holds a character outside the map.
    static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = scalarToByte[scalar.value] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
