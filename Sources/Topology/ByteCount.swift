/// An amount of memory, written in a topology file as a number with an optional unit: `B`, binary `KiB` `MiB`
/// `GiB` `TiB` (also `Ki` `Mi` `Gi` `Ti`), or decimal `K` `M` `G` `T` (also `KB` `MB` `GB` `TB`). A bare number is
/// bytes; a fraction is allowed with a unit (`1.5GiB`), and the result is rounded down to whole bytes.
public struct ByteCount: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The amount in bytes.
    public var bytes: Int

    /// Makes an amount of `bytes`.
    public init(bytes: Int) { self.bytes = bytes }

    /// `count` KiB (1024 bytes each).
    public static func kibibytes(_ count: Int) -> ByteCount { ByteCount(bytes: count << 10) }
    /// `count` MiB.
    public static func mebibytes(_ count: Int) -> ByteCount { ByteCount(bytes: count << 20) }
    /// `count` GiB.
    public static func gibibytes(_ count: Int) -> ByteCount { ByteCount(bytes: count << 30) }

    /// The multipliers of the unit suffixes, by suffix.
    static let units: [String: Double] = [
        "": 1, "B": 1,
        "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12, "TB": 1e12,
        "Ki": 1024, "KiB": 1024, "Mi": 1_048_576, "MiB": 1_048_576,
        "Gi": 1_073_741_824, "GiB": 1_073_741_824, "Ti": 1_099_511_627_776, "TiB": 1_099_511_627_776,
    ]

    /// Parses `text` such as `4GiB`, `512 MiB`, `2G` or `1048576`; nil when it is not a valid amount (the
    /// topology loader reports why).
    public init?(parsing text: String) {
        guard case .success(let count) = ByteCount.parse(text) else { return nil }
        self = count
    }

    /// Parses `text`, or says what is wrong with it (no number, an unknown unit, a negative or too large amount).
    static func parse(_ text: String) -> Result<ByteCount, ValueProblem> {
        let trimmed = text.trimmingSpaces
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        let numberText = String(trimmed[..<numberEnd])
        let unit = String(trimmed[numberEnd...]).trimmingSpaces
        if trimmed.hasPrefix("-") { return .failure(ValueProblem("'\(text)' is negative")) }
        guard !numberText.isEmpty, let number = Double(numberText) else {
            return .failure(ValueProblem("'\(text)' does not start with a number"))
        }
        guard let multiplier = ByteCount.units[unit] else {
            return .failure(
                ValueProblem("'\(text)' has an unknown unit '\(unit)' (use B, KiB, MiB, GiB, TiB or K, M, G, T)"))
        }
        if unit.isEmpty || unit == "B", numberText.contains(".") {
            return .failure(ValueProblem("'\(text)' is a fraction of a byte"))
        }
        let value = number * multiplier
        guard value < 9.0e18 else { return .failure(ValueProblem("'\(text)' is too large")) }
        return .success(ByteCount(bytes: Int(value)))
    }

    /// The amount with the largest binary unit that keeps it readable: `4 GiB`, `1.5 MiB`, `300 B`.
    public var description: String {
        let steps: [(String, Int)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (unit, size) in steps where bytes >= size {
            let value = Double(bytes) / Double(size)
            let rounded = (value * 100).rounded() / 100
            return rounded == rounded.rounded() ? "\(Int(rounded)) \(unit)" : "\(rounded) \(unit)"
        }
        return "\(bytes) B"
    }

    /// Orders amounts by size.
    public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool { lhs.bytes < rhs.bytes }

    /// Decodes a whole number of bytes (JSON stores the amount as a plain integer).
    public init(from decoder: any Decoder) throws {
        bytes = try decoder.singleValueContainer().decode(Int.self)
    }

    /// Encodes the amount as a whole number of bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes)
    }
}

/// What is wrong with a value, as a sentence for a diagnostic (internal: the loader wraps it in a `Diagnostic`).
struct ValueProblem: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
