import CEpoll
#if canImport(Glibc)
import Glibc
#endif

/// The few epoll calls the I/O thread makes, level-triggered.
enum Epoll {
    static let readable = UInt32(EPOLLIN.rawValue)
    static let writable = UInt32(EPOLLOUT.rawValue)
    static let error = UInt32(EPOLLERR.rawValue)
    static let hangUp = UInt32(EPOLLHUP.rawValue)

    /// Watches `fd` for `events`, whether or not it was watched before; 0 or an errno value.
    static func watch(_ epollFD: Int32, _ fd: Int32, events: UInt32) -> Int32 {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        if epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0 { return 0 }
        guard errno == ENOENT else { return errno }
        return epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 ? 0 : errno
    }

    /// Stops watching `fd` (nothing happens when it was not watched, or is closed already).
    static func forget(_ epollFD: Int32, _ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }
}
