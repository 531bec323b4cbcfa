import CEpoll
import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import Locks

/// The one thread that owns a set of ZeroMQ sockets (research/zeromq.md §6).
///
/// It polls its registered sockets and file descriptors plus an eventfd. Other threads hand it work with
/// `execute`/`schedule` through a locked queue; the eventfd is written only when the loop is parked in `poll`, so a
/// busy loop costs producers no system call. Registered handlers, timers and commands all run on this thread, one
/// at a time. It is also a `TaskExecutor`: tasks that prefer it run their jobs here, next to the sockets, without
/// a thread hop.
///
/// Polling keeps `zmq_poll`'s level-triggered guarantee — block on the sockets' `ZMQ_FD` only when no socket has
/// work — with fewer system calls (`zmq_poll` re-reads every socket's `ZMQ_EVENTS` twice per call, one poll(2) each
/// inside libzmq, which dominated a round trip on two cores). It blocks in epoll, whose cost does not grow with the
/// number of registrations (each peer adds two mailboxes and their monitors), and changes the epoll set only when
/// registrations or their interests change:
/// - *readers* (`register(reader:)`) read until libzmq answers `EAGAIN`, which settles the socket: any later
///   message signals its fd. They run when their fd fires, and again while they report work left over;
/// - other sockets (`register(_:events:)`, e.g. waiting to write) have their `ZMQ_EVENTS` re-read only when they
///   may have changed: their fd fired, their handler ran, or their interest changed.
///
/// Methods marked "loop only" must be called on this thread (from a handler, a timer or a command).
public final class IOThread: @unchecked Sendable {
    /// Poll conditions.
    public struct PollEvents: OptionSet, Sendable {
        /// The `ZMQ_POLL*` bits.
        public let rawValue: Int16
        /// - Parameter rawValue: `ZMQ_POLL*` bits.
        public init(rawValue: Int16) { self.rawValue = rawValue }
        /// A message (or bytes) can be read.
        public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
        /// A message can be written without blocking.
        public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
        /// An error condition on a file descriptor.
        public static let error = PollEvents(rawValue: Int16(ZMQ_POLLERR))
    }

    /// A socket or descriptor the loop polls. Loop only.
    public final class Registration {
        let socket: UnsafeMutableRawPointer?
        let fd: Int32
        // Loop-confined, like the loop's own state: no runtime exclusivity checks.
        @exclusivity(unchecked) var events: PollEvents
        let handler: (PollEvents) -> Void
        let reader: (() -> Bool)?
        /// The socket may have work: run its reader, or read its `ZMQ_EVENTS`, before blocking.
        @exclusivity(unchecked) var mayBeReady = true
        /// False once unregistered: its handler never runs again.
        @exclusivity(unchecked) public fileprivate(set) var isActive = true
        /// The conditions currently polled for.
        public var polledEvents: PollEvents { events }

        fileprivate init(
            socket: UnsafeMutableRawPointer?, fd: Int32, events: PollEvents, handler: @escaping (PollEvents) -> Void,
            reader: (() -> Bool)? = nil
        ) {
            self.socket = socket
            self.fd = fd
            self.events = events
            self.handler = handler
            self.reader = reader
        }
    }

    enum Command {
        case run(@Sendable () -> Void)
        case job(UnownedJob)
    }

    struct Inbox {
        var commands: [Command] = []
        var parked = false
        var stopping = false
        var stopped = false
        var finalizers: [@Sendable () -> Void] = []
    }

    /// The thread's name, for error messages.
    public let name: String
    let inbox = Locked(Inbox())
    let wakeFD: Int32
    let epollFD: Int32
    private let threadID = Atomic<UInt>(0)

    // Loop-confined state: only the loop thread touches it, so the runtime's exclusivity checks (a thread-local
    // access set, on every access) are skipped.
    @exclusivity(unchecked) var registrations: [Registration] = []
    /// What the epoll set watches: descriptor → its epoll events and the registrations polling it (usually one).
    @exclusivity(unchecked) var watched: [Int32: Watch] = [:]
    @exclusivity(unchecked) var pollSetDirty = true
    @exclusivity(unchecked) var ready = [epoll_event](repeating: epoll_event(), count: 64)

    struct Watch {
        var events: UInt32
        var owners: [Registration]
    }
    @exclusivity(unchecked) var timers = TimerQueue()

    /// Starts the thread.
    /// - Parameters:
    ///   - name: names the thread in error messages, and to the OS (`top -H`, `perf`; first 15 bytes).
    ///   - cpu: run the thread only on this CPU (nil: wherever the kernel puts it); see `CPUPlacement`.
    ///   - batchScheduling: run the thread under `SCHED_BATCH` (see `ThreadScheduling`).
    public init(name: String, cpu: Int? = nil, batchScheduling: Bool = false) throws(ZMQError) {
        self.name = name
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            throw ZMQError(ZMQError.Code(errno: errno), "eventfd for I/O thread \(name): \(String(cString: strerror(errno)))")
        }
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        // Every stored property is set from here on, so a throw runs deinit, which closes both descriptors.
        let watchError = epollFD >= 0 ? Epoll.watch(epollFD, wakeFD, events: Epoll.readable) : errno
        guard watchError == 0 else {
            throw ZMQError(ZMQError.Code(errno: watchError), "epoll for I/O thread \(name): \(String(cString: strerror(watchError)))")
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let cpu {
            let rc = brigade_attr_set_cpu(&attributes, Int32(clamping: cpu))
            guard rc == 0 else {
                throw ZMQError(ZMQError.Code(errno: rc), "placing I/O thread \(name) on CPU \(cpu): \(String(cString: strerror(rc)))")
            }
        }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, &attributes, { context in
            let loop = Unmanaged<IOThread>.fromOpaque(context!).takeRetainedValue()
            loop.threadMain()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<IOThread>.fromOpaque(context).release()
            throw ZMQError(ZMQError.Code(errno: rc), "pthread_create for I/O thread \(name): \(String(cString: strerror(rc)))")
        }
        if batchScheduling {
            let rc = brigade_thread_set_batch(thread)
            if rc != 0 {
                // The loop runs already: stop it (it exits once it sees the stop), then report.
                stop()
                pthread_detach(thread)
                throw ZMQError(ZMQError.Code(errno: rc), "scheduling I/O thread \(name) as SCHED_BATCH: \(String(cString: strerror(rc)))")
            }
        }
        pthread_detach(thread)
    }

    deinit {
        if epollFD >= 0 { close(epollFD) }
        close(wakeFD)
    }

    /// True when the caller runs on this thread.
    public var isCurrent: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    /// Runs `body` on the thread, after the commands queued before it. Returns false (and drops `body`) once the
    /// thread has stopped.
    @discardableResult
    public func execute(_ body: @escaping @Sendable () -> Void) -> Bool {
        submit(.run(body))
    }

    /// Runs `action` on the thread after `delay`. Returns false once the thread has stopped.
    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Bool {
        let due = monotonicNanoseconds() &+ Self.nanoseconds(delay)
        return execute { [self] in _ = timers.schedule(at: due, action) }
    }

    /// Runs `action` on the thread after `delay`. Loop only.
    @discardableResult
    public func scheduleOnLoop(after delay: Duration, _ action: @escaping () -> Void) -> IOTimerID {
        precondition(isCurrent, "IOThread.scheduleOnLoop called off the I/O thread \(name)")
        return timers.schedule(at: monotonicNanoseconds() &+ Self.nanoseconds(delay), action)
    }

    /// Cancels a timer that has not fired. Loop only.
    public func cancelTimer(_ id: IOTimerID) {
        precondition(isCurrent, "IOThread.cancelTimer called off the I/O thread \(name)")
        timers.cancel(id)
    }

    /// Polls `socket` for `events` and calls `handler` with those that are ready. Loop only; the socket must stay
    /// open until it is unregistered.
    public func register(_ socket: ZMQSocket, events: PollEvents, handler: @escaping (PollEvents) -> Void) -> Registration {
        add(Registration(socket: socket.handle, fd: Self.signalFD(socket), events: events, handler: handler))
    }

    /// Reads `socket` with `reader` whenever it may have messages. `reader` must receive with `ZMQ_DONTWAIT` until
    /// libzmq answers `EAGAIN` (then return false), or return true when it stops early (a batch limit) and must run
    /// again soon. Loop only; the socket must stay open until it is unregistered.
    public func register(reader socket: ZMQSocket, _ reader: @escaping () -> Bool) -> Registration {
        add(Registration(socket: socket.handle, fd: Self.signalFD(socket), events: .readable, handler: { _ in }, reader: reader))
    }

    private static func signalFD(_ socket: ZMQSocket) -> Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        zmq_getsockopt(socket.handle, ZMQ_FD, &fd, &size)
        return fd
    }

    /// Polls a file descriptor. Loop only.
    public func register(fd: Int32, events: PollEvents, handler: @escaping (PollEvents) -> Void) -> Registration {
        add(Registration(socket: nil, fd: fd, events: events, handler: handler))
    }

    /// Changes what `registration` polls for; empty events leave it registered but not polled. Also marks the
    /// socket for a fresh look at its state: call it after using a registered socket outside its handler. Loop only.
    public func update(_ registration: Registration, events: PollEvents) {
        precondition(isCurrent, "IOThread.update called off the I/O thread \(name)")
        guard registration.isActive else { return }
        registration.mayBeReady = true
        guard registration.events != events else { return }
        registration.events = events
        pollSetDirty = true
    }

    /// Stops polling `registration`; its handler never runs again. Loop only.
    public func unregister(_ registration: Registration) {
        precondition(isCurrent, "IOThread.unregister called off the I/O thread \(name)")
        guard registration.isActive else { return }
        registration.isActive = false
        registrations.removeAll { $0 === registration }
        pollSetDirty = true
    }

    /// Asks the thread to finish: it runs the commands already queued, then `finalize`, then exits. Commands
    /// submitted afterwards are dropped (`execute` returns false); executor jobs go to the global executor.
    public func stop(then finalize: @escaping @Sendable () -> Void = {}) {
        let wake = inbox.withLock { inbox -> Bool in
            inbox.stopping = true
            inbox.finalizers.append(finalize)
            defer { inbox.parked = false }
            return inbox.parked
        }
        if wake { signal() }
    }

    /// Whether `stop` has completed.
    public var isStopped: Bool { inbox.withLock { $0.stopped } }

    // MARK: - Internals

    private func add(_ registration: Registration) -> Registration {
        precondition(isCurrent, "IOThread.register called off the I/O thread \(name)")
        registrations.append(registration)
        pollSetDirty = true
        return registration
    }

    /// Queues a command; writes the eventfd only when the loop is parked. Returns false after the thread stopped.
    private func submit(_ command: Command) -> Bool {
        let (accepted, wake) = inbox.withLock { inbox -> (Bool, Bool) in
            guard !inbox.stopped else { return (false, false) }
            inbox.commands.append(command)
            defer { inbox.parked = false }
            return (true, inbox.parked)
        }
        if wake { signal() }
        return accepted
    }

    private func signal() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// `duration` in whole nanoseconds, 0 when negative.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    private func threadMain() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        brigade_name_thread(name)
        runLoop()
    }

    private func runLoop() {
        var batch: [Command] = []
        while true {
            let stopping = inbox.withLock { inbox -> Bool in
                swap(&batch, &inbox.commands)
                return inbox.stopping
            }
            for command in batch { run(command) }
            batch.removeAll(keepingCapacity: true)
            if stopping { break }
            runDueTimers()
            poll()
        }
        finish()
    }

    private func run(_ command: Command) {
        switch command {
        case .run(let body): body()
        case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    private func runDueTimers() {
        guard !timers.isEmpty else { return }
        let now = monotonicNanoseconds()
        while let action = timers.popDue(now: now) { action() }
    }

    private func finish() {
        // Run what was queued before the stop; `stopped` is set under the same lock that finds the queue empty, so
        // nothing accepted is ever left behind.
        while true {
            let leftovers = inbox.withLock { inbox -> [Command] in
                if inbox.commands.isEmpty { inbox.stopped = true }
                defer { inbox.commands.removeAll() }
                return inbox.commands
            }
            if leftovers.isEmpty { break }
            for command in leftovers { run(command) }
        }
        let finalizers = inbox.withLock { $0.finalizers }
        for finalize in finalizers { finalize() }
        for registration in registrations { registration.isActive = false }
        registrations.removeAll()
        watched.removeAll()
    }
}

extension IOThread: TaskExecutor {
    /// Runs a task's job on the I/O thread (or, once stopped, on the global executor so the task never hangs).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if !submit(.job(job)) {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// This thread as an unowned task executor.
    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }
}
