#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A child process this process started and supervises: spawned with `posix_spawn`, reaped by a waiter thread
/// that blocks in `waitpid` for exactly this PID, stopped by PID with SIGTERM and then SIGKILL.
///
/// Used by `brigade up` (coordinator and agents), by agents (stage workers) and by the multi-process tests.
/// Children should call `ParentWatch.exitWithParent()` early so that they die with a parent that is SIGKILLed.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// The child's process id.
    public let pid: pid_t
    /// A name for logs and errors.
    public let name: String

    private struct State {
        var termination: Termination?
        var waiters: [CheckedContinuation<Termination, Never>] = []
        var handlers: [@Sendable (Termination) -> Void] = []
    }
    private let state = Mutex(State())

    /// Starts `executable` with `arguments` (argv[1...]).
    /// - Parameters:
    ///   - environment: extra variables added to (or replacing those of) this process's environment.
    ///   - output: a file that receives the child's stdout and stderr (appended), or nil to inherit ours.
    /// - Throws: `ProcessError` naming the executable when it cannot be started.
    public init(
        name: String, executable: String, arguments: [String], environment: [String: String] = [:], output: String? = nil
    ) throws(ProcessError) {
        self.name = name
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let output {
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        var merged: [String: String] = [:]
        var index = 0
        while let entry = environ[index] {
            let pair = String(cString: entry)
            if let eq = pair.firstIndex(of: "=") { merged[String(pair[..<eq])] = String(pair[pair.index(after: eq)...]) }
            index += 1
        }
        for (key, value) in environment { merged[key] = value }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard rc == 0 else {
            throw ProcessError(.spawnFailed, "cannot start \(name) (\(executable)): \(String(cString: strerror(rc)))")
        }
        pid = child
        startWaiter()
    }

    private func startWaiter() {
        let pid = self.pid
        let thread = WaiterThread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let termination: Termination =
                (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
            let (waiters, handlers) = state.withLock { state in
                state.termination = termination
                defer { state.waiters.removeAll(); state.handlers.removeAll() }
                return (state.waiters, state.handlers)
            }
            waiters.forEach { $0.resume(returning: termination) }
            handlers.forEach { $0(termination) }
        }
        thread.start()
    }

    /// How the child ended, or nil while it runs.
    public var termination: Termination? { state.withLock { $0.termination } }

    /// True while the child has not been reaped.
    public var isRunning: Bool { termination == nil }

    /// Calls `handler` once when the child ends (at once if it already has), on the waiter thread.
    public func onExit(_ handler: @escaping @Sendable (Termination) -> Void) {
        let done: Termination? = state.withLock { state in
            if state.termination == nil { state.handlers.append(handler) }
            return state.termination
        }
        if let done { handler(done) }
    }

    /// Waits until the child ends.
    public func waitForExit() async -> Termination {
        await withCheckedContinuation { continuation in
            let done: Termination? = state.withLock { state in
                if state.termination == nil { state.waiters.append(continuation) }
                return state.termination
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Waits until the child ends or `timeout` passes; returns nil on timeout.
    public func waitForExit(timeout: Duration) async -> Termination? {
        // Not a task group: a group would wait for its uncancellable "wait for exit" child after the timeout.
        let once = ResumeOnce<Termination?>()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Termination?, Never>) in
            once.arm(continuation)
            let timer = Task {
                // Cancelled means the child ended first: only a sleep that ran its course is a timeout.
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                once.resume(returning: nil)
            }
            onExit { termination in
                once.resume(returning: termination)
                timer.cancel()
            }
        }
    }

    /// Sends `signal` to the child if it still runs.
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Stops the child: SIGTERM, then SIGKILL if it is still running after `grace`. Returns how it ended.
    @discardableResult
    public func stop(grace: Duration = .seconds(3)) async -> Termination {
        send(SIGTERM)
        if let done = await waitForExit(timeout: grace) { return done }
        send(SIGKILL)
        return await waitForExit()
    }
}

/// An error starting or supervising a process.
public struct ProcessError: Error, Sendable, CustomStringConvertible {
    /// What went wrong; an open set.
    public struct Code: Hashable, Sendable {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// `posix_spawn` failed (missing executable, permissions, limits).
        public static let spawnFailed = Code("spawnFailed")
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// A continuation that is resumed by whichever of several racers comes first.
final class ResumeOnce<Value: Sendable>: Sendable {
    private let slot = Mutex<CheckedContinuation<Value, Never>?>(nil)
    func arm(_ continuation: CheckedContinuation<Value, Never>) { slot.withLock { $0 = continuation } }
    func resume(returning value: Value) { slot.withLock { $0.take() }?.resume(returning: value) }
}

/// A detached OS thread running one closure (waitpid blocks, so it must not run on the Swift concurrency pool).
final class WaiterThread: @unchecked Sendable {
    private let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    func start() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let me = Unmanaged<WaiterThread>.fromOpaque(raw!).takeRetainedValue()
            me.body()
            return nil
        }, box.toOpaque())
        if rc == 0 {
            pthread_detach(thread)
        } else {
            box.release()
            body()
        }
    }
}
