import Foundation

/// Any JSON value. Request bodies are decoded into this first, so that each field can be checked by hand with an
/// error naming it, and unknown fields are ignored as OpenAI ignores them.
enum JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses a request body, which must be a JSON object.
    /// - Throws: `APIError.invalidJSON` naming what is wrong.
    static func parseObject(_ bytes: some DataProtocol) throws -> [String: JSONValue] {
        let data = Data(bytes)
        guard !data.isEmpty else { throw APIError.invalidJSON("the request body is empty; expected a JSON object") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw APIError.invalidJSON("the request body is not valid JSON: \(Self.reason(error))")
        }
        guard case .object(let object) = value else {
            throw APIError.invalidJSON("the request body must be a JSON object, not \(value.kind)")
        }
        return object
    }

    /// What kind of value this is, for error messages ("a string", "an array"…).
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError as NSError?,
                let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
            {
                return detail
            }
            return context.debugDescription
        }
        return String(describing: error)
    }
}
