import Distributed
import Locks

/// Runs inbound calls without re-reading the target's signature on every call.
///
/// `executeDistributedTarget` demangles the method identifier three times per call (parameter count, parameter
/// types, return type): about a sixth of the I/O thread's time in `brigade bench rpc`. The table does that once per
/// identifier and keeps the parameter types and a typed result path; each call then goes straight to the runtime's
/// entry point, as the standard library's implementation does after its lookups.
///
/// Identifiers the table cannot resolve (generic methods, names that do not demangle) take the standard path, which
/// reports their errors as before; once the table is full, new identifiers are resolved again on each call. The fast
/// path needs the runtime entry point's signature of the toolchains it names below; other toolchains always take the
/// standard path.
final class TargetTable: Sendable {
    /// Resolved identifiers kept at most; a peer sending endless distinct names cannot grow the table past it.
    static let capacity = 1024

    /// Runs `target` on `actor` with the arguments of `decoder`; the outcome goes to `handler`, as with
    /// `executeDistributedTarget` (which this falls back to).
    func execute(
        on actor: any DistributedActor, target: String, decoder: inout BrigadeInvocationDecoder, handler: BrigadeResultHandler,
        system: BrigadeActorSystem
    ) async throws {
        #if compiler(>=6.0) && compiler(<6.4)
        if let resolved = resolved(target) {
            do {
                try await resolved.invoker.invoke(resolved, on: actor, decoder: &decoder, handler: handler)
            } catch {
                try await handler.onThrow(error: error)
            }
            return
        }
        #endif
        try await system.executeDistributedTarget(on: actor, target: RemoteCallTarget(target), invocationDecoder: &decoder, handler: handler)
    }

    /// How many identifiers are resolved.
    var count: Int {
        #if compiler(>=6.0) && compiler(<6.4)
        entries.withLock { $0.count }
        #else
        0
        #endif
    }

    #if compiler(>=6.0) && compiler(<6.4)
    private let entries = Locked<[String: ResolvedTarget]>([:])

    private func resolved(_ target: String) -> ResolvedTarget? {
        if let found = entries.withLock({ $0[target] }) { return found }
        guard let resolved = ResolvedTarget(target) else { return nil }
        return entries.withLock { table in
            if let raced = table[target] { return raced }
            guard table.count < Self.capacity else { return resolved }
            table[target] = resolved
            return resolved
        }
    }
    #endif
}

#if compiler(>=6.0) && compiler(<6.4)
/// A method identifier with its parameter types and how to deliver its result. Immutable once made.
final class ResolvedTarget: @unchecked Sendable {
    /// The identifier's UTF-8 bytes, as the runtime takes them.
    let name: UnsafeMutableBufferPointer<UInt8>
    /// The parameter types, in order.
    let argumentTypes: UnsafeMutableBufferPointer<any Any.Type>
    let invoker: any TargetInvoker

    /// Nil when the identifier is generic or its signature cannot be read.
    init?(_ target: String) {
        let utf8 = Array(target.utf8)
        let signature = utf8.withUnsafeBufferPointer { bytes -> (UnsafeMutableBufferPointer<any Any.Type>, any TargetInvoker)? in
            guard let start = bytes.baseAddress else { return nil }
            let length = UInt(bytes.count)
            guard _getGenericEnvironmentOfDistributedTarget(start, length) == nil else { return nil }
            let count = __getParameterCount(start, length)
            guard count >= 0, let returnType = __getReturnTypeInfo(start, length, nil, nil),
                let invoker = Self.invoker(returning: returnType)
            else { return nil }
            let types = UnsafeMutableBufferPointer<any Any.Type>.allocate(capacity: max(1, Int(count)))
            guard brigadeParameterTypes(start, length, nil, nil, UnsafeMutableRawPointer(types.baseAddress!), Int(count)) == count else {
                types.deallocate()
                return nil
            }
            return (types, invoker)
        }
        guard let (types, invoker) = signature else { return nil }
        name = .allocate(capacity: utf8.count)
        _ = name.initialize(from: utf8)
        argumentTypes = types
        self.invoker = invoker
    }

    deinit {
        name.deallocate()
        argumentTypes.deallocate()
    }

    private static func invoker(returning type: any Any.Type) -> (any TargetInvoker)? {
        if type == Void.self { return VoidInvoker() }
        guard let codable = type as? any Codable.Type else { return nil }
        func make<R: Codable>(_: R.Type) -> any TargetInvoker { ValueInvoker<R>() }
        return make(codable)
    }

    /// Runs the method through the runtime's accessor; its result (if any) is left in `result`.
    func run(on actor: any DistributedActor, decoder: inout BrigadeInvocationDecoder, result: UnsafeMutableRawPointer) async throws {
        try await brigadeExecuteTarget(
            on: actor as AnyObject, UnsafePointer(name.baseAddress!), UInt(name.count), argumentDecoder: &decoder,
            argumentTypes: UnsafeRawPointer(argumentTypes.baseAddress!), resultBuffer: result,
            substitutions: nil, witnessTables: nil, numWitnessTables: 0)
    }
}

/// Delivers a resolved target's result to the handler, typed.
protocol TargetInvoker: Sendable {
    func invoke(_ target: ResolvedTarget, on actor: any DistributedActor, decoder: inout BrigadeInvocationDecoder,
                handler: BrigadeResultHandler) async throws
}

private struct VoidInvoker: TargetInvoker {
    func invoke(_ target: ResolvedTarget, on actor: any DistributedActor, decoder: inout BrigadeInvocationDecoder,
                handler: BrigadeResultHandler) async throws {
        let slot = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { slot.deallocate() }
        try await target.run(on: actor, decoder: &decoder, result: slot)
        try await handler.onReturnVoid()
    }
}

private struct ValueInvoker<R: Codable>: TargetInvoker {
    func invoke(_ target: ResolvedTarget, on actor: any DistributedActor, decoder: inout BrigadeInvocationDecoder,
                handler: BrigadeResultHandler) async throws {
        let slot = UnsafeMutablePointer<R>.allocate(capacity: 1)
        defer { slot.deallocate() }
        // The accessor initializes the slot only when the method returns; it throws otherwise.
        try await target.run(on: actor, decoder: &decoder, result: UnsafeMutableRawPointer(slot))
        try await handler.onReturn(value: slot.move())
    }
}

// The runtime's entry points behind `executeDistributedTarget` (libswiftDistributed / libswiftCore), declared with the
// shapes these toolchains give them; raw pointers stand in for `Builtin.RawPointer`.

@_silgen_name("swift_distributed_execute_target")
private func brigadeExecuteTarget<D: DistributedTargetInvocationDecoder>(
    on actor: AnyObject, _ targetName: UnsafePointer<UInt8>, _ targetNameLength: UInt, argumentDecoder: inout D,
    argumentTypes: UnsafeRawPointer, resultBuffer: UnsafeMutableRawPointer, substitutions: UnsafeRawPointer?,
    witnessTables: UnsafeRawPointer?, numWitnessTables: UInt
) async throws

@_silgen_name("swift_func_getParameterTypeInfo")
private func brigadeParameterTypes(
    _ targetName: UnsafePointer<UInt8>, _ targetNameLength: UInt, _ genericEnvironment: UnsafeRawPointer?,
    _ genericArguments: UnsafeRawPointer?, _ types: UnsafeMutableRawPointer, _ capacity: Int
) -> Int32
#endif
