#if canImport(Glibc)
import Glibc
#endif

/// Why a child process could not be started or talked to.
public struct PipedProcessError: Error, Sendable, CustomStringConvertible {
    /// What failed; an open set.
    public struct Code: Hashable, Sendable {
        private let value: String
        private init(_ value: String) { self.value = value }
        /// The executable could not be spawned.
        public static let spawnFailed = Code("spawnFailed")
        /// No complete line arrived before the deadline.
        public static let timedOut = Code("timedOut")
        /// The child closed its output or exited.
        public static let endOfOutput = Code("endOfOutput")
        /// Writing to the child failed.
        public static let writeFailed = Code("writeFailed")
    }

    /// What failed.
    public var code: Code
    /// Names the executable and what went wrong.
    public var message: String

    /// - Parameters:
    ///   - code: what failed.
    ///   - message: names the executable and the problem.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "PipedProcessError: \(message)" }
}

/// A child process with pipes to its standard input and output (its standard error is inherited), for line-based
/// conversations in multi-process tests and benchmarks (ProcessSupport.ChildProcess supervises long-lived
/// children instead). The child should exit when its input closes; `terminate()` (also run when
/// the value dies) kills it with SIGKILL and reaps it by PID.
public final class PipedProcess: @unchecked Sendable {
    /// The child's process id.
    public let pid: pid_t
    /// The executable path, for messages.
    public let executable: String
    private var input: Int32
    private let output: Int32
    private var pending: [UInt8] = []
    private var reaped = false

    /// Spawns `executable` with `arguments`, inheriting this process's environment.
    public init(executable: String, arguments: [String]) throws(PipedProcessError) {
        self.executable = executable
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw PipedProcessError(.spawnFailed, "pipes for \(executable): \(String(cString: strerror(errno)))")
        }
        // Keep these pipes out of other children, or a sibling would hold this child's input open.
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = Self.environment().map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard rc == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw PipedProcessError(.spawnFailed, "posix_spawn \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        input = toChild[1]
        output = fromChild[0]
    }

    deinit {
        terminate()
        close(output)
    }

    /// The next line the child writes (without its newline). Throws `.timedOut` after `timeout`, `.endOfOutput`
    /// when the child closes its output.
    public func readLine(timeout: Duration = .seconds(10)) throws(PipedProcessError) -> String {
        let (seconds, attoseconds) = timeout.components
        let deadline = monotonicNow() + UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let now = monotonicNow()
            guard now < deadline else {
                throw PipedProcessError(.timedOut, "\(executable) (pid \(pid)) wrote no line within \(timeout)")
            }
            var item = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&item, 1, Int32(min((deadline - now) / 1_000_000 + 1, 60_000)))
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(output, &chunk, chunk.count)
            if count > 0 {
                pending += chunk[..<count]
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                throw PipedProcessError(.endOfOutput, "\(executable) (pid \(pid)) closed its output")
            }
        }
    }

    /// Reads lines until one starts with `prefix`; returns the rest of that line.
    public func readLine(startingWith prefix: String, timeout: Duration = .seconds(10)) throws(PipedProcessError) -> String {
        while true {
            let line = try readLine(timeout: timeout)
            if line.hasPrefix(prefix) { return String(line.dropFirst(prefix.count)) }
        }
    }

    /// Writes `line` and a newline to the child's input.
    public func writeLine(_ line: String) throws(PipedProcessError) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            guard count > 0 else { throw PipedProcessError(.writeFailed, "writing to \(executable) (pid \(pid))") }
            offset += count
        }
    }

    /// Closes the child's input (a well-behaved child then exits).
    public func closeInput() {
        if input >= 0 {
            close(input)
            input = -1
        }
    }

    /// Sends `signal` (e.g. SIGKILL, SIGSTOP, SIGCONT) to the child, if it has not been reaped.
    public func signal(_ signal: Int32) {
        if !reaped { kill(pid, signal) }
    }

    /// Waits for the child to exit and returns its raw wait status.
    @discardableResult
    public func waitForExit() -> Int32 {
        guard !reaped else { return 0 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        return status
    }

    /// Kills the child with SIGKILL and reaps it. Idempotent.
    public func terminate() {
        closeInput()
        guard !reaped else { return }
        kill(pid, SIGKILL)
        waitForExit()
    }

    private func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// This process's environment, read from /proc (Swift 6 forbids touching `environ` directly).
    private static func environment() -> [String] {
        guard let file = fopen("/proc/self/environ", "r") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
