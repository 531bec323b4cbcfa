import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// The polling step of the I/O thread's loop (see `IOThread` for the rules it keeps).
extension IOThread {
    private func rebuildPollSet() {
        pollSet.removeAll(keepingCapacity: true)
        pollOwners.removeAll(keepingCapacity: true)
        pollSet.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
        for registration in registrations where !registration.events.isEmpty {
            var wanted = Int16(POLLIN)
            if registration.socket == nil {
                wanted = (registration.events.contains(.readable) ? Int16(POLLIN) : 0)
                    | (registration.events.contains(.writable) ? Int16(POLLOUT) : 0)
            }
            pollSet.append(pollfd(fd: registration.fd, events: wanted, revents: 0))
            pollOwners.append(registration)
        }
        pollSetDirty = false
    }

    /// Services sockets that have work; blocks in poll(2) only when none has.
    func poll() {
        // Level check, as zmq_poll does, but only for sockets that may have changed. A socket whose ZMQ_EVENTS
        // shows nothing has processed all its pending commands, so any later change signals its fd.
        var serviced = false
        for registration in registrations where registration.mayBeReady && registration.isActive {
            if let reader = registration.reader {
                serviced = true
                registration.mayBeReady = reader()
                continue
            }
            guard let socket = registration.socket, !registration.events.isEmpty else {
                registration.mayBeReady = false
                continue
            }
            var events: Int32 = 0
            var size = MemoryLayout<Int32>.size
            zmq_getsockopt(socket, ZMQ_EVENTS, &events, &size)
            let pending = PollEvents(rawValue: Int16(truncatingIfNeeded: events)).intersection(registration.events)
            if pending.isEmpty {
                registration.mayBeReady = false
                continue
            }
            serviced = true
            registration.handler(pending)
        }
        if serviced { return }
        if pollSetDirty { rebuildPollSet() }
        var timeout: Int32 = -1
        if let due = timers.nextDue() {
            let now = monotonicNanoseconds()
            timeout = due <= now ? 0 : Int32(clamping: (due - now + 999_999) / 1_000_000)
        }
        let parked = inbox.withLock { inbox -> Bool in
            guard inbox.commands.isEmpty, !inbox.stopping else { return false }
            inbox.parked = true
            return true
        }
        if !parked { timeout = 0 }
        let count = pollSet.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeout) }
        if parked { inbox.withLock { $0.parked = false } }
        guard count > 0 else { return }
        if pollSet[0].revents != 0 {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
        }
        for index in 1..<pollSet.count where pollSet[index].revents != 0 {
            let owner = pollOwners[index - 1]
            guard owner.isActive else { continue }
            if owner.socket != nil {
                owner.mayBeReady = true
            } else {
                let revents = Int32(pollSet[index].revents)
                var events: PollEvents = []
                if revents & Int32(POLLIN | POLLHUP) != 0 { events.insert(.readable) }
                if revents & Int32(POLLOUT) != 0 { events.insert(.writable) }
                if revents & Int32(POLLERR) != 0 { events.insert(.error) }
                owner.handler(events)
            }
        }
    }
}
