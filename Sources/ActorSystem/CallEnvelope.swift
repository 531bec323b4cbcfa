import Transport

/// The payload frame of a call: the arguments first, then a head and the head's length, so the arguments are
/// written straight into the frame while the runtime records them and the head is appended when the target is known:
/// ```
/// [argument values…][head][u32 head length]
/// head: u8 version (1) · u8 path kind (0 numbered, 1 named) · varint number | string name
///       · string target identifier · varint generic substitution count · varint argument count
/// ```
/// A reply's frame is the encoded result (empty for Void). A failure's frame is
/// `u8 1 · u16 code · string message` (the actor system refused the call) or
/// `u8 2 · string type name · string description · u8 has payload · [encoded error]` (the method threw).
struct CallHead {
    static let version: UInt8 = 1

    var path: ActorID.Path
    var target: String
    var genericCount: Int
    var argumentCount: Int

    /// Appends the head and its length to `writer`, after the arguments.
    func append(to writer: inout ByteWriter) {
        let start = writer.count
        writer.writeByte(Self.version)
        switch path {
        case .numbered(let number):
            writer.writeByte(0)
            writer.writeVarint(number)
        case .named(let name):
            writer.writeByte(1)
            writer.writeString(name)
        }
        writer.writeString(target)
        writer.writeVarint(UInt64(genericCount))
        writer.writeVarint(UInt64(argumentCount))
        writer.writeFixed(UInt32(writer.count - start))
    }

    /// Parses the head at the end of `frame`; the arguments are the bytes before it.
    static func parse(_ frame: UnsafeRawBufferPointer) throws(ActorSystemError) -> (CallHead, arguments: Range<Int>) {
        func malformed(_ what: String) -> ActorSystemError { ActorSystemError(.malformedMessage, "call envelope: \(what)") }
        guard frame.count >= 4 else { throw malformed("\(frame.count) bytes, too short for a head") }
        let headLength = Int(UInt32(littleEndian: frame.loadUnaligned(fromByteOffset: frame.count - 4, as: UInt32.self)))
        guard headLength >= 4, headLength <= frame.count - 4 else { throw malformed("head length \(headLength) in a \(frame.count)-byte frame") }
        let headStart = frame.count - 4 - headLength
        var reader = ByteReader(base: frame.baseAddress, range: headStart..<(frame.count - 4))
        do {
            let version = try reader.readByte()
            guard version == CallHead.version else { throw malformed("unsupported version \(version)") }
            let path: ActorID.Path
            switch try reader.readByte() {
            case 0: path = .numbered(try reader.readVarint())
            case 1:
                guard let name = try reader.readString() else { throw malformed("actor name is not UTF-8") }
                path = .named(name)
            case let kind: throw malformed("actor path kind \(kind)")
            }
            guard let target = try reader.readString() else { throw malformed("target identifier is not UTF-8") }
            let generics = try reader.readVarint()
            let arguments = try reader.readVarint()
            guard arguments <= UInt64(headStart) + 1, generics < 256 else { throw malformed("\(arguments) arguments, \(generics) generics") }
            guard reader.isAtEnd else { throw malformed("\(reader.remaining) bytes after the head") }
            return (CallHead(path: path, target: target, genericCount: Int(generics), argumentCount: Int(arguments)), 0..<headStart)
        } catch let error as ActorSystemError {
            throw error
        } catch {
            throw malformed("truncated head")
        }
    }
}

/// Why a call failed, as it travels back to the caller.
enum CallFailure {
    case refused(ActorSystemError.Code, String)
    case thrown(typeName: String, description: String, payload: Range<Int>?)

    static func refusal(_ error: ActorSystemError) -> Buffer {
        var writer = ByteWriter(capacity: 32 + error.message.utf8.count)
        writer.writeByte(1)
        writer.writeFixed(error.code.rawValue)
        writer.writeString(error.message)
        return writer.take()
    }

    static func thrown(_ error: any Error, userInfo: [CodingUserInfoKey: any Sendable]) -> Buffer {
        let core = EncoderCore(userInfo: userInfo)
        core.writer.writeByte(2)
        core.writer.writeString(String(reflecting: type(of: error as Any)))
        core.writer.writeString(String(describing: error))
        let flag = core.writer.count
        core.writer.writeByte(0)
        if let encodable = error as? any Encodable {
            let before = core.writer.count
            if (try? core.writeValue(encodable, path: [])) != nil {
                core.writer.setByte(1, at: flag)
            } else {
                core.writer.truncate(to: before)
            }
        }
        return core.take()
    }

    static func parse(_ frame: UnsafeRawBufferPointer) throws(ActorSystemError) -> CallFailure {
        var reader = ByteReader(frame)
        let malformed = ActorSystemError(.malformedMessage, "failure reply of \(frame.count) bytes does not parse")
        do {
            switch try reader.readByte() {
            case 1:
                let code = ActorSystemError.Code(rawValue: try reader.readFixed(UInt16.self))
                guard let message = try reader.readString() else { throw malformed }
                return .refused(code, message)
            case 2:
                guard let typeName = try reader.readString(), let description = try reader.readString() else { throw malformed }
                let hasPayload = try reader.readByte() == 1
                return .thrown(typeName: typeName, description: description, payload: hasPayload ? reader.offset..<reader.end : nil)
            default:
                throw malformed
            }
        } catch {
            throw malformed
        }
    }
}
