import Distributed
import Transport

/// Records a remote call's arguments straight into the call's payload frame (see `CallHead`).
public struct BrigadeInvocationEncoder: DistributedTargetInvocationEncoder {
    public typealias SerializationRequirement = Codable

    let core: EncoderCore
    var argumentCount = 0
    var genericCount = 0

    init(userInfo: [CodingUserInfoKey: any Sendable]) {
        core = EncoderCore(userInfo: userInfo)
    }

    /// Counts generic substitutions; a generic call is refused with `.genericsUnsupported`.
    public mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        genericCount += 1
    }

    /// Encodes one argument into the frame.
    /// - Throws: `.serializationFailed` naming the argument.
    public mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        do {
            try core.writeValue(argument.value, path: [])
        } catch {
            throw ActorSystemError(.serializationFailed, "argument '\(argument.label ?? argument.name)' of type \(Value.self) does not encode", cause: error)
        }
        argumentCount += 1
    }

    /// Not recorded: the method identifier fixes the return type.
    public mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}

    /// Not recorded: errors travel with their type name.
    public mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}

    /// Nothing to do; the head is appended when the target is known.
    public mutating func doneRecording() throws {}

    /// Appends the head and hands over the frame.
    func finish(path: ActorID.Path, target: String) -> Buffer {
        CallHead(path: path, target: target, genericCount: genericCount, argumentCount: argumentCount).append(to: &core.writer)
        return core.take()
    }
}

/// Where the arguments of one inbound call are read from, shared by the decoder and the result handler: the handler
/// checks that the method consumed exactly the arguments sent before answering.
final class ArgumentCursor {
    var reader: ByteReader
    let argumentCount: Int
    let target: String
    var decoded = 0
    /// Set when an argument failed to decode (the runtime reports that through `onThrow`).
    var failure: ActorSystemError?

    init(reader: ByteReader, argumentCount: Int, target: String) {
        self.reader = reader
        self.argumentCount = argumentCount
        self.target = target
    }

    /// Nil when every argument sent was consumed exactly; otherwise what was wrong.
    var leftoverProblem: String? {
        if let failure { return failure.message }
        if decoded != argumentCount { return "\(target) took \(decoded) arguments, \(argumentCount) were sent" }
        if !reader.isAtEnd { return "\(reader.remaining) bytes left after the arguments of \(target): wrong argument types" }
        return nil
    }
}

/// Reads a call's arguments, in order, from its payload frame. The method identifier fixes the parameter types;
/// the decoder checks the count, and decoding must consume the arguments exactly.
public struct BrigadeInvocationDecoder: DistributedTargetInvocationDecoder {
    public typealias SerializationRequirement = Codable

    let frame: Buffer
    let core: DecoderCore
    let cursor: ArgumentCursor

    init(frame: Buffer, arguments: Range<Int>, argumentCount: Int, target: String, system: BrigadeActorSystem) {
        self.frame = frame
        core = DecoderCore(base: frame.baseAddress, userInfo: system.codingUserInfo, actorSystem: system)
        cursor = ArgumentCursor(reader: ByteReader(base: frame.baseAddress, range: arguments), argumentCount: argumentCount, target: target)
    }

    /// Always empty: generic calls are refused before they get here.
    public mutating func decodeGenericSubstitutions() throws -> [Any.Type] { [] }

    /// Decodes the next argument.
    /// - Throws: `.invalidArguments` naming the argument and the type it should have had.
    public mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        guard cursor.decoded < cursor.argumentCount else {
            let error = ActorSystemError(.invalidArguments, "\(cursor.target) takes more than the \(cursor.argumentCount) arguments sent")
            cursor.failure = error
            throw error
        }
        let value: Argument
        do {
            value = try withExtendedLifetime(frame) { try core.readValue(Argument.self, from: &cursor.reader, path: []) }
        } catch {
            let error = ActorSystemError(
                .invalidArguments, "argument \(cursor.decoded + 1) of \(cursor.target) does not decode as \(Argument.self)", cause: error)
            cursor.failure = error
            throw error
        }
        cursor.decoded += 1
        return value
    }

    /// Nil: the runtime uses the target's signature.
    public mutating func decodeErrorType() throws -> Any.Type? { nil }

    /// Nil: the runtime uses the target's signature.
    public mutating func decodeReturnType() throws -> Any.Type? { nil }
}

/// Sends the outcome of an inbound call back to the caller.
public final class BrigadeResultHandler: DistributedTargetInvocationResultHandler, @unchecked Sendable {
    public typealias SerializationRequirement = Codable

    let system: BrigadeActorSystem
    let call: InboundCall
    let cursor: ArgumentCursor
    /// Set once a reply or failure was sent, so the executor's own error path does not answer twice.
    var answered = false

    init(system: BrigadeActorSystem, call: InboundCall, cursor: ArgumentCursor) {
        self.system = system
        self.call = call
        self.cursor = cursor
    }

    /// Answers with `.invalidArguments` (and returns true) when the arguments were not consumed exactly.
    private func refusedForArguments() async -> Bool {
        guard let problem = cursor.leftoverProblem else { return false }
        await system.reply(to: call, kind: .failure, frame: CallFailure.refusal(ActorSystemError(.invalidArguments, problem)))
        return true
    }

    /// Sends the encoded result as the reply.
    public func onReturn<Success: Codable>(value: Success) async throws {
        answered = true
        if await refusedForArguments() { return }
        let frame: Buffer
        do {
            frame = try BinaryEncoder(userInfo: system.codingUserInfo).encodeToBuffer(value)
        } catch {
            await system.reply(to: call, kind: .failure, frame: CallFailure.refusal(
                ActorSystemError(.serializationFailed, "result \(Success.self) of \(call.target) does not encode", cause: error)))
            return
        }
        await system.reply(to: call, kind: .reply, frame: frame)
    }

    /// Sends an empty reply.
    public func onReturnVoid() async throws {
        answered = true
        if await refusedForArguments() { return }
        await system.reply(to: call, kind: .reply, frame: .empty)
    }

    /// Sends the thrown error (its type name, description and, when Encodable, its fields).
    public func onThrow<Err: Error>(error: Err) async throws {
        answered = true
        if await refusedForArguments() { return }
        await system.reply(to: call, kind: .failure, frame: CallFailure.thrown(error, userInfo: system.codingUserInfo))
    }
}
