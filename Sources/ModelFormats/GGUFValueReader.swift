/// Reads GGUF metadata values (type tag already read) with every length checked against the file.
enum GGUFValueReader {
    /// The smallest encoded size of one value of each type, used to bound array counts before allocating.
    static func minimumSize(of type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 10, 11, 12: 8
        case 8: 8  // u64 length
        case 9: 12  // u32 type + u64 count
        default: nil
        }
    }

    static func value(
        type: UInt32, from reader: inout HeaderReader, field: @autoclosure () -> String,
        depth: Int
    ) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try reader.integer(UInt8.self, field()))
        case 1: return .int8(try reader.integer(Int8.self, field()))
        case 2: return .uint16(try reader.integer(UInt16.self, field()))
        case 3: return .int16(try reader.integer(Int16.self, field()))
        case 4: return .uint32(try reader.integer(UInt32.self, field()))
        case 5: return .int32(try reader.integer(Int32.self, field()))
        case 6: return .float32(Float(bitPattern: try reader.integer(UInt32.self, field())))
        case 7:
            let raw = try reader.integer(UInt8.self, field())
            guard raw <= 1 else {
                throw ModelFormatError(.invalidValue, file: reader.source.name, "\(field()): bool byte is \(raw)")
            }
            return .bool(raw == 1)
        case 8: return .string(try reader.string(field()))
        case 9: return try array(from: &reader, field: field(), depth: depth)
        case 10: return .uint64(try reader.integer(UInt64.self, field()))
        case 11: return .int64(try reader.integer(Int64.self, field()))
        case 12: return .float64(Double(bitPattern: try reader.integer(UInt64.self, field())))
        default:
            throw ModelFormatError(.invalidValue, file: reader.source.name, "\(field()) has unknown value type \(type)")
        }
    }

    private static func array(
        from reader: inout HeaderReader, field: @autoclosure () -> String,
        depth: Int
    ) throws -> GGUFValue {
        let elementType = try reader.integer(UInt32.self, "element type of \(field())")
        guard let minimum = minimumSize(of: elementType) else {
            throw ModelFormatError(
                .invalidValue, file: reader.source.name,
                "\(field()) is an array of unknown value type \(elementType)")
        }
        guard depth < 4 else {
            throw ModelFormatError(.outOfRange, file: reader.source.name, "\(field()) nests arrays too deeply")
        }
        let count = try reader.count("element count of \(field())", limit: (reader.remaining - 8) / minimum)
        var elements: [GGUFValue] = []
        elements.reserveCapacity(count)
        for index in 0..<count {
            elements.append(
                try value(type: elementType, from: &reader, field: "\(field())[\(index)]", depth: depth + 1))
        }
        return .array(elements)
    }
}
