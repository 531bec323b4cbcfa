import DataPlane
import Synchronization
import Transport

/// Sends data-plane messages on the bulk lane, in order per destination, from any thread without blocking.
///
/// The common case is one `trySend` straight to the network. When a peer's queue is full, messages for it wait here
/// (in order) and a task hands them over as room appears; until that queue drains, later messages join it, so
/// order is kept. A message that cannot be delivered by its deadline is dropped and counted, and `onDrop` hears of
/// it (the stage fails the sequence rather than waiting forever).
public final class DataPlaneSender: Sendable {
    private let transport: any Transport
    private let deadline: Duration
    private let onDrop: @Sendable (PipelineMessage, TransportError) -> Void
    private let backlog = Mutex<[String: [(Message, PipelineMessage)]]>([:])
    private let dropped = Counter()

    /// - Parameters:
    ///   - deadline: how long a message may wait for room before it is dropped.
    ///   - onDrop: told about every dropped message.
    public init(
        transport: any Transport, deadline: Duration = .seconds(30),
        onDrop: @escaping @Sendable (PipelineMessage, TransportError) -> Void = { _, _ in }
    ) {
        self.transport = transport
        self.deadline = deadline
        self.onDrop = onDrop
    }

    /// Messages dropped so far.
    public var droppedCount: UInt64 { dropped.value }

    /// Sends `message` to `node` (its incarnation is the target: a restarted peer does not get it).
    public func send(_ message: PipelineMessage, to node: NodeID) {
        let header = FrameHeader(
            kind: .data, sender: transport.localNode, targetIncarnation: node.incarnation, deadline: .after(deadline))
        let wire = Message(header: header, frames: message.frames())
        // Decided under the lock: only the caller that creates a backlog starts its drain.
        enum Outcome { case sent, queued, startDrain, failed(TransportError) }
        let outcome = backlog.withLock { backlog -> Outcome in
            if var waiting = backlog[node.name] {
                waiting.append((wire, message))
                backlog[node.name] = waiting
                return .queued
            }
            do {
                try transport.trySend(wire, to: node.name, lane: .bulk)
                return .sent
            } catch let error as TransportError where error.code == .overloaded {
                backlog[node.name] = [(wire, message)]
                return .startDrain
            } catch {
                return .failed(error as? TransportError ?? TransportError(.io, "\(error)"))
            }
        }
        switch outcome {
        case .sent, .queued: break
        case .startDrain: Task { await drain(node.name) }
        case .failed(let error):
            dropped.increment()
            onDrop(message, error)
        }
    }

    private func drain(_ name: String) async {
        while let (wire, message) = backlog.withLock({ $0[name]?.first }) {
            do {
                try await transport.send(wire, to: name, lane: .bulk)
            } catch {
                dropped.increment()
                onDrop(message, error)
            }
            let empty = backlog.withLock { backlog -> Bool in
                backlog[name]?.removeFirst()
                if backlog[name]?.isEmpty == true { backlog[name] = nil; return true }
                return false
            }
            if empty { return }
        }
    }
}
