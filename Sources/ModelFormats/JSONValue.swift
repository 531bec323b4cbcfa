/// A JSON value, as found in `config.json`, safetensors headers and `tokenizer.json`.
///
/// Parse with `JSONValue.parse(_:file:)`, then read with the typed accessors (`object`, `int`, `string`…) or by
/// key (`value["vocab_size"]?.int`). Integers that fit in `Int` keep full precision.
public enum JSONValue: Sendable, Hashable, Codable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without a fraction or exponent that fits in `Int`.
    case int(Int)
    /// Any other number.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; key order is not kept.
    case object([String: JSONValue])

    /// The integer value, also for a double with no fractional part.
    public var int: Int? {
        switch self {
        case .int(let v): v
        case .double(let v): v.rounded() == v && abs(v) < 9.0e15 ? Int(v) : nil
        default: nil
        }
    }

    /// Any number as `Double`.
    public var double: Double? {
        switch self {
        case .int(let v): Double(v)
        case .double(let v): v
        default: nil
        }
    }

    /// The value if it is a bool.
    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The value if it is a string.
    public var string: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// The elements if the value is an array.
    public var array: [JSONValue]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// The members if the value is an object.
    public var object: [String: JSONValue]? {
        if case .object(let v) = self { return v }
        return nil
    }

    /// Whether the value is `null`.
    public var isNull: Bool { self == .null }

    /// The member `key` if the value is an object holding it.
    public subscript(key: String) -> JSONValue? { object?[key] }

    /// Decodes any JSON value through `Codable` (for embedding in other Codable types).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let v = try? container.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? container.decode(Int.self) {
            self = .int(v)
        } else if let v = try? container.decode(Double.self) {
            self = .double(v)
        } else if let v = try? container.decode(String.self) {
            self = .string(v)
        } else if let v = try? container.decode([JSONValue].self) {
            self = .array(v)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value through `Codable`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }
}
