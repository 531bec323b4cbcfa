/// Typed access to the fields of a JSON request object, with errors that name the field.
///
/// A field that is absent or `null` reads as nil (OpenAI treats them alike); a field of the wrong type or out of
/// range throws `APIError.invalidField` naming it. Fields nobody asks for are ignored.
struct RequestFields {
    /// The request object.
    let object: [String: JSONValue]
    /// Prefix for field names in errors, e.g. "messages[2]." for a nested object.
    let path: String

    init(_ object: [String: JSONValue], path: String = "") {
        self.object = object
        self.path = path
    }

    /// The value of `key`, or nil when it is absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    /// The full name of `key` for error messages.
    func name(_ key: String) -> String { path + key }

    /// A string field.
    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw typeError(key, "a string", value) }
        return text
    }

    /// A string field that must be present and non-empty.
    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw APIError.missingField(name(key)) }
        guard !text.isEmpty else { throw APIError.invalidField(name(key), "'\(name(key))' must not be empty") }
        return text
    }

    /// A boolean field.
    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw typeError(key, "a boolean", value) }
        return flag
    }

    /// An integer field within `range`; a number with no fractional part counts as an integer.
    func integer(_ key: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = value(key) else { return nil }
        let integer: Int64
        switch value {
        case .integer(let number):
            integer = number
        case .number(let number) where number.rounded() == number && abs(number) < 9.2e18:
            integer = Int64(number)
        default:
            throw typeError(key, "an integer", value)
        }
        guard range.contains(integer) else {
            throw APIError.invalidField(
                name(key), "'\(name(key))' must be \(Self.describe(range)), got \(integer)")
        }
        return integer
    }

    /// A number field within `range`.
    func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = value(key) else { return nil }
        let number: Double
        switch value {
        case .integer(let integer): number = Double(integer)
        case .number(let double): number = double
        default: throw typeError(key, "a number", value)
        }
        guard range.contains(number) else {
            throw APIError.invalidField(
                name(key),
                "'\(name(key))' must be a number from \(Self.format(range.lowerBound)) to "
                    + "\(Self.format(range.upperBound)), got \(Self.format(number))")
        }
        return number
    }

    /// A field that may be one string or an array of strings (`stop`); nil when absent.
    func stringOrStrings(_ key: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let text):
            return [text]
        case .array(let items):
            return try items.enumerated().map { index, item in
                guard case .string(let text) = item else {
                    throw APIError.invalidField(
                        name(key), "'\(name(key))[\(index)]' must be a string, got \(item.kind)")
                }
                return text
            }
        default:
            throw typeError(key, "a string or an array of strings", value)
        }
    }

    /// An object field, as fields of its own (error names get this field's name as prefix).
    func object(_ key: String) throws -> RequestFields? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else { throw typeError(key, "an object", value) }
        return RequestFields(object, path: name(key) + ".")
    }

    /// An array field.
    func array(_ key: String) throws -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw typeError(key, "an array", value) }
        return items
    }

    private func typeError(_ key: String, _ expected: String, _ value: JSONValue) -> APIError {
        APIError.invalidField(name(key), "'\(name(key))' must be \(expected), got \(value.kind)")
    }

    private static func describe(_ range: ClosedRange<Int64>) -> String {
        if range.upperBound == .max { return "an integer ≥ \(range.lowerBound)" }
        return "an integer from \(range.lowerBound) to \(range.upperBound)"
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
