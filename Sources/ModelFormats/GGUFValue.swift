/// One GGUF metadata value: any of the format's thirteen value types, arrays included.
///
/// Use the typed accessors (`int`, `string`, `stringArray`…) rather than matching cases: they widen integers and
/// floats so callers need not know which width a writer chose.
public enum GGUFValue: Sendable, Hashable {
    /// GGUF type 0.
    case uint8(UInt8)
    /// GGUF type 1.
    case int8(Int8)
    /// GGUF type 2.
    case uint16(UInt16)
    /// GGUF type 3.
    case int16(Int16)
    /// GGUF type 4.
    case uint32(UInt32)
    /// GGUF type 5.
    case int32(Int32)
    /// GGUF type 10.
    case uint64(UInt64)
    /// GGUF type 11.
    case int64(Int64)
    /// GGUF type 6.
    case float32(Float)
    /// GGUF type 12.
    case float64(Double)
    /// GGUF type 7 (one byte, 0 or 1).
    case bool(Bool)
    /// GGUF type 8 (u64 length, then UTF-8).
    case string(String)
    /// An array; GGUF arrays hold elements of one type (nested arrays are allowed).
    case array([GGUFValue])

    /// Any integer value as `Int` (nil for non-integers and for a `uint64` too large for `Int`).
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// Any numeric value as `Double` (integers included).
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: int.map(Double.init)
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
    public var array: [GGUFValue]? {
        if case .array(let v) = self { return v }
        return nil
    }

    /// The elements if the value is an array of strings.
    public var stringArray: [String]? {
        guard let array else { return nil }
        var result: [String] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard case .string(let s) = element else { return nil }
            result.append(s)
        }
        return result
    }

    /// The elements if the value is an array of integers.
    public var intArray: [Int]? {
        guard let array else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let v = element.int else { return nil }
            result.append(v)
        }
        return result
    }

    /// The elements if the value is an array of numbers.
    public var doubleArray: [Double]? {
        guard let array else { return nil }
        var result: [Double] = []
        result.reserveCapacity(array.count)
        for element in array {
            guard let v = element.double else { return nil }
            result.append(v)
        }
        return result
    }
}
