import CEpoll
import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

// The polling step of the I/O thread's loop (see `IOThread` for the rules it keeps).
extension IOThread {
    /// Brings the epoll set in line with the registrations that want events: one `epoll_ctl` per change.
    private func rebuildPollSet() {
        var wanted: [Int32: Watch] = [:]
        for registration in registrations where !registration.events.isEmpty {
            // A socket's ZMQ_FD signals any change of state; ZMQ_EVENTS says which.
            var events = Epoll.readable
            if registration.socket == nil {
                events = (registration.events.contains(.readable) ? Epoll.readable : 0)
                    | (registration.events.contains(.writable) ? Epoll.writable : 0)
            }
            var watch = wanted[registration.fd] ?? Watch(events: 0, owners: [])
            watch.events |= events
            watch.owners.append(registration)
            wanted[registration.fd] = watch
        }
        for fd in watched.keys where wanted[fd] == nil { Epoll.forget(epollFD, fd) }
        for (fd, watch) in wanted {
            if let current = watched[fd], current.events == watch.events, current.owners.elementsEqual(watch.owners, by: ===) {
                continue
            }
            // A descriptor reused by a new registration left the set when it closed: watching adds it again.
            if Epoll.watch(epollFD, fd, events: watch.events) != 0 {
                // Not pollable (closed under its registrations): sockets get a fresh look, which reports the error.
                for owner in watch.owners { owner.mayBeReady = true }
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
        let count = ready.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, Int32($0.count), timeout) }
        if parked { inbox.withLock { $0.parked = false } }
        guard count > 0 else { return }
        for index in 0..<Int(count) {
            let fd = ready[index].data.fd
            if fd == wakeFD {
                var value: UInt64 = 0
                _ = read(wakeFD, &value, 8)
                continue
            }
            guard let owners = watched[fd]?.owners else { continue }
            let readyEvents = ready[index].events
            for owner in owners where owner.isActive {
                if owner.socket != nil {
                    owner.mayBeReady = true
                    continue
                }
                var events: PollEvents = []
                if readyEvents & (Epoll.readable | Epoll.hangUp) != 0 { events.insert(.readable) }
                if readyEvents & Epoll.writable != 0 { events.insert(.writable) }
                if readyEvents & Epoll.error != 0 { events.insert(.error) }
                owner.handler(events)
            }
        }
    }
}
