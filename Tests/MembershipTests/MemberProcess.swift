import Foundation
import Synchronization

/// One membership event as a `membership-node` child prints it.
struct ObservedEvent: Sendable, Decodable {
    var observer: String
    var member: String
    var uid: UInt64
    var incarnation: UInt64
    var previous: String?
    var status: String
    var evidence: String
    var wallMs: Double

    enum CodingKeys: String, CodingKey {
        case observer, member, uid, incarnation, previous, status, evidence
        case wallMs = "wall_ms"
    }
}

/// Collects events and wakes waiters whose condition became true; every wait has a deadline.
final class EventLog: Sendable {
    struct TimedOut: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var events: [ObservedEvent] = []
        var waiters: [(id: Int, condition: @Sendable ([ObservedEvent]) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }

    private let state = Mutex(State())

    func append(_ event: ObservedEvent) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.events.append(event)
            let events = state.events
            let ready = state.waiters.filter { $0.condition(events) }
            state.waiters.removeAll { waiter in ready.contains { $0.id == waiter.id } }
            return ready.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    var events: [ObservedEvent] { state.withLock { $0.events } }

    /// Waits until `condition` holds over the events so far; returns false after `timeout`.
    func wait(timeout: Duration, until condition: @escaping @Sendable ([ObservedEvent]) -> Bool) async -> Bool {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let satisfied = state.withLock { state -> Bool in
                if condition(state.events) { return true }
                state.waiters.append((id, condition, continuation))
                return false
            }
            if satisfied { continuation.resume(returning: true) }
        }
    }
}

/// A `brigade-test-peer membership-node` child process. Killed by PID on `kill()` and in `deinit`, so no exit path
/// leaves it running.
final class MemberProcess: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let name: String
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let ready = EventLogLine()
    let log: EventLog
    /// The text after `READY ` (other members pass it as `--seed`).
    private(set) var announcement = ""
    private(set) var uid: UInt64 = 0

    static var binary: URL {
        get throws {
            let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var folder = exe.deletingLastPathComponent()
            if folder.lastPathComponent.hasSuffix(".xctest") { folder = folder.deletingLastPathComponent() }
            let peer = folder.appendingPathComponent("brigade-test-peer")
            guard FileManager.default.isExecutableFile(atPath: peer.path) else {
                throw Failure(description: "no brigade-test-peer next to the tests at \(peer.path): run `swift build` first")
            }
            return peer
        }
    }

    /// Starts a member and waits (up to `timeout`) for its READY line.
    init(name: String, seeds: [String], log: EventLog, arguments: [String] = [], timeout: Duration = .seconds(20)) async throws {
        self.name = name
        self.log = log
        process.executableURL = try Self.binary
        process.arguments = ["membership-node", "--name", name] + seeds.flatMap { ["--seed", $0] } + arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let handle = output.fileHandleForReading
        let ready = self.ready
        Thread.detachNewThread {
            var buffer = Data()
            let decoder = JSONDecoder()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Data(buffer[buffer.startIndex..<newline])
                    buffer.removeSubrange(buffer.startIndex...newline)
                    if line.starts(with: Array("READY ".utf8)) {
                        ready.set(String(decoding: line.dropFirst(6), as: UTF8.self))
                    } else if let event = try? decoder.decode(ObservedEvent.self, from: line) {
                        log.append(event)
                    }
                }
            }
        }
        guard let text = await ready.wait(timeout: timeout) else {
            kill()
            throw Failure(description: "\(name) did not report READY within \(timeout)")
        }
        announcement = text
        let fields = text.split(separator: " ")
        guard fields.count == 5, let uid = UInt64(fields[1], radix: 16) else {
            kill()
            throw Failure(description: "unexpected READY line from \(name): \(text)")
        }
        self.uid = uid
    }

    var pid: pid_t { process.processIdentifier }

    /// Sends a command line to the child's standard input.
    func command(_ line: String) {
        try? input.fileHandleForWriting.write(contentsOf: Array((line + "\n").utf8))
    }

    /// SIGKILL, then reap. Idempotent.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGCONT)
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGSTOP or SIGCONT, waiting until the kernel reports the change.
    func setStopped(_ stopped: Bool) {
        guard process.isRunning else { return }
        Glibc.kill(pid, stopped ? SIGSTOP : SIGCONT)
        var info = siginfo_t()
        _ = waitid(P_PID, id_t(pid), &info, stopped ? WSTOPPED : WCONTINUED)
    }

    deinit { kill() }
}

/// The READY line, handed from the reader thread to the starter.
final class EventLogLine: Sendable {
    private let state = Mutex<(text: String?, waiter: CheckedContinuation<String?, Never>?)>((nil, nil))

    func set(_ text: String) {
        let waiter = state.withLock { state -> CheckedContinuation<String?, Never>? in
            guard state.text == nil else { return nil }
            state.text = text
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: text)
    }

    func wait(timeout: Duration) async -> String? {
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            let waiter = state.withLock { state -> CheckedContinuation<String?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let text = state.withLock { state -> String? in
                if let text = state.text { return text }
                state.waiter = continuation
                return nil
            }
            if let text { continuation.resume(returning: text) }
        }
    }
}
