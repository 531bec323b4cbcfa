#if canImport(Glibc)
import Glibc
#endif
import ActorSystem
import Synchronization
import Transport

/// Transport-level probes for `brigade bench rpc`, on message kinds no Brigade layer uses, so they share the
/// transports of the actor-call measurements:
/// - ping: a message to the server's handler, which answers with `trySend` from its I/O thread (the transport's own
///   round trip; the difference to an actor call is the actor system's cost);
/// - bulk: large messages on the bulk lane to a handler that counts bytes, then a marker on the same lane that the
///   server answers with the total, so the time from the first send to that answer covers every byte.
enum TransportProbe {
    static let pingRequest = MessageKind(rawValue: 0xF0)
    static let pingResponse = MessageKind(rawValue: 0xF1)
    static let bulkData = MessageKind(rawValue: 0xF2)
    static let bulkTotal = MessageKind(rawValue: 0xF3)

    /// On the server: answer pings and count bulk bytes.
    static func serve(on transport: any Transport) {
        transport.setHandler(for: pingRequest) { [weak transport] message in
            guard let transport else { return }
            let header = FrameHeader(kind: pingResponse, callID: message.header.callID, sender: transport.localNode)
            try? transport.trySend(Message(header: header, frames: message.frames), to: message.sender.name, lane: .control)
        }
        let received = Atomic<UInt64>(0)
        transport.setHandler(for: bulkData) { [weak transport] message in
            guard let transport else { return }
            guard !message.frames.isEmpty else {
                var total = received.exchange(0, ordering: .relaxed).littleEndian
                let header = FrameHeader(kind: bulkTotal, callID: message.header.callID, sender: transport.localNode)
                let frame = withUnsafeBytes(of: &total) { Buffer(copying: $0) }
                try? transport.trySend(Message(header: header, frames: [frame]), to: message.sender.name, lane: .control)
                return
            }
            received.wrappingAdd(UInt64(message.frames.reduce(0) { $0 + $1.count }), ordering: .relaxed)
        }
    }

    /// On the client: one outstanding probe at a time.
    final class Client: Sendable {
        private let transport: any Transport
        private let peer: String
        private let waiting = Mutex<CheckedContinuation<InboundMessage?, Never>?>(nil)
        private let frame = Buffer([UInt8](repeating: 0x5A, count: 100))

        init(transport: any Transport, peer: String) {
            self.transport = transport
            self.peer = peer
            for kind in [TransportProbe.pingResponse, TransportProbe.bulkTotal] {
                transport.setHandler(for: kind) { [weak self] message in
                    self?.waiting.withLock { $0.take() }?.resume(returning: message)
                }
            }
        }

        /// Sends `message` and waits for the answer (nil when it could not be sent).
        private func exchange(_ message: Message, lane: Lane) async -> InboundMessage? {
            await withCheckedContinuation { continuation in
                waiting.withLock { $0 = continuation }
                do {
                    try transport.trySend(message, to: peer, lane: lane)
                } catch {
                    waiting.withLock { $0.take() }?.resume(returning: nil)
                }
            }
        }

        /// One ping round trip.
        func ping() async throws {
            let header = FrameHeader(kind: TransportProbe.pingRequest, callID: 1, sender: transport.localNode)
            guard await exchange(Message(header: header, frames: [frame]), lane: .control) != nil else {
                throw TransportError(.io, "ping to \(peer) could not be sent")
            }
        }

        /// Sends `count` messages of `size` bytes on the bulk lane; returns bytes per second, first send to the
        /// server's count of every byte.
        func bulk(count: Int, size: Int) async throws -> Double {
            let memory = malloc(size)!
            memset(memory, 0xA5, size)
            let payload = Buffer(adoptingMalloced: memory, count: size)
            let start = RPCBenchmark.now()
            for _ in 0..<count {
                let header = FrameHeader(kind: TransportProbe.bulkData, sender: transport.localNode, deadline: .after(.seconds(60)))
                try await transport.send(Message(header: header, frames: [payload]), to: peer, lane: .bulk)
            }
            let marker = FrameHeader(kind: TransportProbe.bulkData, sender: transport.localNode, deadline: .after(.seconds(60)))
            guard let answer = await exchange(Message(header: marker), lane: .bulk), let frame = answer.frames.first,
                frame.count == 8
            else { throw TransportError(.io, "bulk total from \(peer) missing") }
            let total = frame.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            let seconds = Double(RPCBenchmark.now() - start) / 1e9
            guard total == UInt64(count * size) else {
                throw TransportError(.io, "bulk: \(peer) counted \(total) of \(count * size) bytes")
            }
            return Double(total) / seconds
        }
    }
}
