import ActorSystem
import Foundation
import Transport
import ZMQTransport

/// A `brigade-test-peer actor-host` child process. Kill it by PID (`kill()`); `deinit` kills it too, so no path
/// leaves it running.
final class PeerProcess: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    let lines = Recorder<String>()
    private let exits = Recorder<Int32>()
    /// The node as it announced itself.
    private(set) var node = NodeID(name: "?", incarnation: 1)
    private(set) var address = PeerAddress(name: "?", control: "", bulk: "")

    /// The test peer binary, built next to the test bundle.
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

    /// Starts `actor-host` and waits (up to `timeout`) for its READY line.
    init(name: String, arguments: [String] = [], timeout: Duration = .seconds(20)) async throws {
        process.executableURL = try Self.binary
        process.arguments = ["actor-host", "--name", name] + arguments
        process.standardInput = input
        process.standardOutput = output
        let exits = self.exits
        process.terminationHandler = { exits.append($0.terminationStatus) }
        try process.run()
        let lines = self.lines
        let handle = output.fileHandleForReading
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
        }
        let ready: String
        do {
            ready = try await lines.wait(for: 1, timeout: timeout)[0]
        } catch {
            kill()
            throw Failure(description: "\(name) did not report READY within \(timeout)")
        }
        let fields = ready.split(separator: " ").map(String.init)
        guard fields.count == 5, fields[0] == "READY", let incarnation = UInt64(fields[2]) else {
            kill()
            throw Failure(description: "unexpected first line from \(name): \(ready)")
        }
        node = NodeID(name: fields[1], incarnation: incarnation)
        address = PeerAddress(name: fields[1], control: fields[3], bulk: fields[4])
    }

    var pid: pid_t { process.processIdentifier }

    /// SIGKILL, then reap. Idempotent.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) the process, and waits until the kernel reports it stopped or
    /// continued.
    func setStopped(_ stopped: Bool) {
        guard process.isRunning else { return }
        Glibc.kill(pid, stopped ? SIGSTOP : SIGCONT)
        var info = siginfo_t()
        _ = waitid(P_PID, id_t(pid), &info, stopped ? WSTOPPED : WCONTINUED)
    }

    /// Asks the child to exit (closes its stdin) and waits for it; kills it after `timeout`. Returns true when it
    /// exited by itself.
    @discardableResult
    func stop(timeout: Duration = .seconds(5)) async -> Bool {
        try? input.fileHandleForWriting.close()
        let exited = (try? await exits.wait(for: 1, timeout: timeout)) != nil
        kill()
        return exited
    }

    deinit { kill() }
}

/// The calling side of a multi-process test: a ZMQTransport and an actor system in this process.
struct LocalNode {
    let transport: ZMQTransport
    let system: BrigadeActorSystem

    init(name: String = "tester", settings: ActorSystemSettings = .init(),
         limits: ZMQTransportConfiguration.Limits = .init()) throws {
        var configuration = ZMQTransportConfiguration(node: .fresh(name: name), security: .insecure)
        configuration.limits = limits
        transport = try ZMQTransport(configuration: configuration)
        system = BrigadeActorSystem(transport: transport, settings: settings)
    }

    /// The echo service on `peer`, after making the peer reachable.
    func echo(on peer: PeerProcess) throws -> EchoService {
        try transport.addPeer(peer.address)
        return try EchoService.resolve(id: .wellKnown(EchoService.wellKnownName, onNode: peer.node.name), using: system)
    }

    func shutdown() async {
        system.shutdown()
        await transport.shutdown()
    }
}
