import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// The polling step of the I/O thread's loop (see `IOThread` for the rules it keeps).
extension IOThread {
    /// Brings the epoll set in line with the registrations that want events: one `epoll_ctl` per change.
    private func rebuildPollSet() {
        var wanted: [Int32: (events: UInt32, owner: Registration)] = [:]
        for registration in registrations where !registration.events.isEmpty {
            // A socket's ZMQ_FD signals any change of state; ZMQ_EVENTS says which.
            var events = brigade_epoll_in
            if registration.socket == nil {
                events = (registration.events.contains(.readable) ? brigade_epoll_in : 0)
                    | (registration.events.contains(.writable) ? brigade_epoll_out : 0)
            }
            wanted[registration.fd] = (events, registration)
        }
        for fd in watched.keys where wanted[fd] == nil { brigade_epoll_forget(epollFD, fd) }
        for (fd, entry) in wanted {
            if let current = watched[fd], current.events == entry.events, current.owner === entry.owner { continue }
            // A descriptor reused by a new registration was dropped from the set when it closed: watch adds it again.
            let error = brigade_epoll_watch(epollFD, fd, entry.events)
            if error != 0 {
                // Not pollable (closed under its registration): its handler learns of it, as poll(2) would say.
                entry.owner.mayBeReady = true
                wanted[fd] = nil
            }
        }
        watched = wanted
        pollSetDirty = false
    }

    /// Services sockets that have work; blocks in epoll only when none has.
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
        let count = readyFDs.withUnsafeMutableBufferPointer { fds in
            readyEvents.withUnsafeMutableBufferPointer { events in
                brigade_epoll_wait(epollFD, fds.baseAddress, events.baseAddress, Int32(fds.count), timeout)
            }
        }
        if parked { inbox.withLock { $0.parked = false } }
        guard count > 0 else { return }
        for index in 0..<Int(count) {
            let fd = readyFDs[index]
            if fd == wakeFD {
                var value: UInt64 = 0
                _ = read(wakeFD, &value, 8)
                continue
            }
            guard let owner = watched[fd]?.owner, owner.isActive else { continue }
            if owner.socket != nil {
                owner.mayBeReady = true
            } else {
                let ready = readyEvents[index]
                var events: PollEvents = []
                if ready & (brigade_epoll_in | brigade_epoll_hup) != 0 { events.insert(.readable) }
                if ready & brigade_epoll_out != 0 { events.insert(.writable) }
                if ready & brigade_epoll_err != 0 { events.insert(.error) }
                owner.handler(events)
            }
        }
    }
}
