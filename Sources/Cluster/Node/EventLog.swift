import Foundation
import HTTPAPI
import Synchronization

/// The coordinator's recent events (member changes, starts, exits, wiring), kept in memory for `/v1/cluster` and
/// handed to an optional sink (the durable store, the log).
public final class EventLog: Sendable {
    private let events = Mutex<[ClusterStatus.Event]>([])
    private let capacity: Int
    private let sink: @Sendable (ClusterStatus.Event) -> Void

    /// - Parameters:
    ///   - capacity: how many recent events to keep.
    ///   - sink: also receives every event (e.g. to print it or store it).
    public init(capacity: Int = 256, sink: @escaping @Sendable (ClusterStatus.Event) -> Void = { _ in }) {
        self.capacity = capacity
        self.sink = sink
    }

    /// Records an event.
    public func record(_ kind: String, subject: String, _ message: String) {
        let event = ClusterStatus.Event(time: Date(), kind: kind, subject: subject, message: message)
        events.withLock { events in
            events.append(event)
            if events.count > capacity { events.removeFirst(events.count - capacity) }
        }
        sink(event)
    }

    /// Adds events recorded earlier (e.g. loaded from the durable store), oldest first.
    public func restore(_ earlier: [ClusterStatus.Event]) {
        events.withLock { events in
            events = Array((earlier + events).suffix(capacity))
        }
    }

    /// The kept events, oldest first.
    public func recent() -> [ClusterStatus.Event] { events.withLock { $0 } }
}
