import Transport
import ZeroMQ

/// A peer's two mailboxes (control and bulk) and the address they dial.
final class Peer: Sendable {
    let address: PeerAddress
    let control: Mailbox
    let bulk: Mailbox

    init(address: PeerAddress, control: Mailbox, bulk: Mailbox) {
        self.address = address
        self.control = control
        self.bulk = bulk
    }

    func mailbox(_ lane: Lane) -> Mailbox { lane == .control ? control : bulk }

    /// Registers both mailboxes with the I/O thread. Loop only.
    func start() {
        control.start()
        bulk.start()
    }

    /// Closes both mailboxes; waiting senders fail with `error`. Loop only, or before `start` on any thread.
    func close(_ error: TransportError) {
        control.close(error)
        bulk.close(error)
    }
}

/// A node's receive-only ROUTER for one lane, with the monitor that reports failed handshakes on it.
final class Inbox {
    let lane: Lane
    let socket: ZMQSocket
    let monitor: ZMQMonitor
    /// The endpoint as bound (ephemeral port resolved).
    let endpoint: String
    var registration: IOThread.Registration?
    var monitorRegistration: IOThread.Registration?

    init(lane: Lane, socket: ZMQSocket, monitor: ZMQMonitor, endpoint: String) {
        self.lane = lane
        self.socket = socket
        self.monitor = monitor
        self.endpoint = endpoint
    }

    /// Stops polling and closes the socket and its monitor. Loop only.
    func close(on loop: IOThread) {
        for registration in [registration, monitorRegistration].compactMap({ $0 }) { loop.unregister(registration) }
        registration = nil
        monitorRegistration = nil
        monitor.close()
        socket.close()
    }
}
