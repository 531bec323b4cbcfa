import Locks
import Synchronization
import Transport
import ZeroMQ

/// Measurements of a `Transport` for `brigade bench`: message round trips through the handler path, calls per
/// second with concurrent callers, and bulk throughput. The far side must answer `.call` with a `.reply` carrying
/// the same call id (see `installEcho`).
public enum TransportBenchmark {
    /// Makes `transport` answer every `.call` with a `.reply` of the same call id and payload, from its handler on
    /// the I/O thread (the reply goes out with `trySend`, on the lane the call came in on).
    public static func installEcho(on transport: some Transport) {
        transport.setHandler(for: .call) { [weak transport] call in
            guard let transport else { return }
            let reply = Message(
                header: FrameHeader(kind: .reply, callID: call.header.callID, sender: transport.localNode,
                                    targetIncarnation: call.sender.incarnation),
                frames: call.frames)
            try? transport.trySend(reply, to: call.sender.name, lane: call.lane)
        }
    }

    /// Sequential round trips from `client` to `peer` and back: send a call, wait until the reply's handler runs.
    /// Returns each measured round trip in nanoseconds (after `warmup` unmeasured ones). With `onIOThread` the
    /// caller runs on the transport's I/O thread (`ioExecutor`), so no thread hop separates it from the handler.
    public static func roundTrips(
        client: some Transport, peer: String, calls: Int, warmup: Int = 1000, payloadSize: Int = 100,
        onIOThread: Bool = false
    ) async throws(TransportError) -> [UInt64] {
        let table = ReplyTable(client)
        let payload = Buffer([UInt8](repeating: 0x5A, count: payloadSize))
        let body = { () async throws(TransportError) -> [UInt64] in
            var samples: [UInt64] = []
            samples.reserveCapacity(calls)
            for index in 0..<(warmup + calls) {
                let start = monotonicNanoseconds()
                try await table.call(peer: peer, payload: payload)
                if index >= warmup { samples.append(monotonicNanoseconds() - start) }
            }
            return samples
        }
        guard onIOThread, let executor = client.ioExecutor else { return try await body() }
        let result: Result<[UInt64], TransportError> = await withTaskExecutorPreference(executor) {
            do throws(TransportError) { return .success(try await body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Calls per second with `concurrency` callers each making `callsPerCaller` sequential calls. With
    /// `onIOThread` the callers run on the transport's I/O thread.
    public static func callsPerSecond(
        client: some Transport, peer: String, concurrency: Int, callsPerCaller: Int, payloadSize: Int = 100,
        onIOThread: Bool = false
    ) async throws(TransportError) -> Double {
        let table = ReplyTable(client)
        let payload = Buffer([UInt8](repeating: 0x5A, count: payloadSize))
        let executor = onIOThread ? client.ioExecutor : nil
        let start = monotonicNanoseconds()
        let failure: TransportError? = await withTaskGroup(of: TransportError?.self) { group in
            for _ in 0..<concurrency {
                group.addTask(executorPreference: executor) {
                    do throws(TransportError) {
                        for _ in 0..<callsPerCaller { try await table.call(peer: peer, payload: payload) }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            for await result in group where result != nil { return result }
            return nil
        }
        if let failure { throw failure }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return Double(concurrency * callsPerCaller) / seconds
    }

    /// Bulk throughput in bytes per second: `count` messages of `messageSize` bytes from `sender` to `receiver`
    /// (already peers of each other) on the bulk lane, timed from the first send to the last delivery.
    public static func bulkBytesPerSecond(
        sender: some Transport, receiver: some Transport, messageSize: Int, count: Int
    ) async throws(TransportError) -> Double {
        let payload = Buffer([UInt8](repeating: 0xA5, count: messageSize))
        let arrivals = Arrivals(expected: count)
        receiver.setHandler(for: .data) { message in
            arrivals.record(bytes: message.frames.reduce(0) { $0 + $1.count })
        }
        let start = monotonicNanoseconds()
        for _ in 0..<count {
            let message = Message(
                header: FrameHeader(kind: .data, sender: sender.localNode, deadline: .after(.seconds(60))),
                frames: [payload])
            try await sender.send(message, to: receiver.localNode.name, lane: .bulk)
        }
        let received = await arrivals.wait(timeout: .seconds(60))
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        guard received == count * messageSize else {
            throw TransportError(.deadlineExceeded, "bulk benchmark: \(received) of \(count * messageSize) bytes arrived")
        }
        return Double(received) / seconds
    }
}

/// Outstanding calls by call id; the reply handler resumes them.
private final class ReplyTable: Sendable {
    private final class Pending: Sendable {
        let calls = Locked<[UInt64: CheckedContinuation<TransportError?, Never>]>([:])
    }

    private let pending = Pending()
    private let nextCallID = Atomic<UInt64>(0)
    private let transport: any Transport

    init(_ transport: some Transport) {
        self.transport = transport
        transport.setHandler(for: .reply) { [pending] reply in
            pending.calls.withLock { $0.removeValue(forKey: reply.header.callID) }?.resume(returning: nil)
        }
    }

    /// Sends a call and waits for its reply. The continuation is registered before sending, so a reply that
    /// arrives at once is never missed.
    func call(peer: String, payload: Buffer) async throws(TransportError) {
        let id = nextCallID.add(1, ordering: .relaxed).newValue
        let transport = self.transport
        let message = Message(
            header: FrameHeader(kind: .call, callID: id, sender: transport.localNode, deadline: .after(.seconds(10))),
            frames: [payload])
        let error: TransportError? = await withCheckedContinuation { (continuation: CheckedContinuation<TransportError?, Never>) in
            pending.calls.withLock { $0[id] = continuation }
            do throws(TransportError) {
                try transport.trySend(message, to: peer, lane: .control)
            } catch {
                pending.calls.withLock { $0.removeValue(forKey: id) }?.resume(returning: error)
            }
        }
        if let error { throw error }
    }
}

/// Counts delivered bytes and wakes the benchmark when all have arrived (or the deadline passes).
private final class Arrivals: Sendable {
    private struct State {
        var messages = 0
        var bytes = 0
        var waiter: CheckedContinuation<Int, Never>?
    }

    private let expected: Int
    private let state = Locked(State())

    init(expected: Int) { self.expected = expected }

    func record(bytes: Int) {
        let done = state.withLock { state -> (CheckedContinuation<Int, Never>, Int)? in
            state.messages += 1
            state.bytes += bytes
            guard state.messages == expected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, state.bytes)
        }
        if let (waiter, bytes) = done { waiter.resume(returning: bytes) }
    }

    func wait(timeout: Duration) async -> Int {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Int? in
                if state.messages >= expected { return state.bytes }
                state.waiter = continuation
                return nil
            }
            if let now { return continuation.resume(returning: now) }
            Task {
                try? await Task.sleep(for: timeout)
                let late = self.state.withLock { state -> (CheckedContinuation<Int, Never>, Int)? in
                    defer { state.waiter = nil }
                    return state.waiter.map { ($0, state.bytes) }
                }
                if let (waiter, bytes) = late { waiter.resume(returning: bytes) }
            }
        }
    }
}
