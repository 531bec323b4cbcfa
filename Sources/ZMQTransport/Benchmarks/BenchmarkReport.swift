/// Percentiles of a set of latency samples.
public struct LatencySummary: Sendable, Equatable {
    /// Number of samples.
    public var count: Int
    /// Median, in microseconds.
    public var p50: Double
    /// 99th percentile, in microseconds.
    public var p99: Double
    /// 99.9th percentile, in microseconds.
    public var p999: Double
    /// Mean, in microseconds.
    public var mean: Double

    /// Summarises samples given in nanoseconds.
    public init(nanoseconds samples: [UInt64]) {
        let sorted = samples.sorted()
        count = sorted.count
        func percentile(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))
            return Double(sorted[index]) / 1000
        }
        p50 = percentile(0.5)
        p99 = percentile(0.99)
        p999 = percentile(0.999)
        mean = sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count) / 1000
    }
}

/// Builds one JSON object on one line (snake_case keys by convention), for benchmark output.
public struct JSONLine: Sendable {
    private var fields: [String] = []

    public init() {}

    /// Adds a string field.
    public mutating func add(_ key: String, _ value: String) {
        fields.append("\(Self.quote(key)):\(Self.quote(value))")
    }

    /// Adds a number field (rounded to 3 decimals; non-finite numbers become null).
    public mutating func add(_ key: String, _ value: Double) {
        guard value.isFinite else { return fields.append("\(Self.quote(key)):null") }
        let rounded = (value * 1000).rounded() / 1000
        fields.append("\(Self.quote(key)):\(rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : String(rounded))")
    }

    /// Adds an integer field.
    public mutating func add(_ key: String, _ value: Int) {
        fields.append("\(Self.quote(key)):\(value)")
    }

    /// Adds a latency summary as `<prefix>_p50_us`, `_p99_us`, `_p999_us`, `_mean_us`.
    public mutating func add(_ prefix: String, _ summary: LatencySummary) {
        add("\(prefix)_p50_us", summary.p50)
        add("\(prefix)_p99_us", summary.p99)
        add("\(prefix)_p999_us", summary.p999)
        add("\(prefix)_mean_us", summary.mean)
    }

    /// The object as text.
    public var text: String { "{" + fields.joined(separator: ",") + "}" }

    private static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
