import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import ProcessSupport

@Suite struct ChildProcessTests {
    @Test func reportsExitStatus() async throws {
        let child = try ChildProcess(name: "sh", executable: "/bin/sh", arguments: ["-c", "exit 7"])
        #expect(await child.waitForExit() == .exited(7))
        #expect(!child.isRunning)
    }

    @Test func stopEscalatesToKill() async throws {
        // A child that ignores SIGTERM must still be stopped, by SIGKILL after the grace period.
        let child = try ChildProcess(name: "stubborn", executable: "/bin/sh", arguments: ["-c", "trap '' TERM; while :; do sleep 0.05; done"])
        let ended = await child.stop(grace: .milliseconds(300))
        #expect(ended == .signalled(SIGKILL))
    }

    @Test func exitHandlerRunsOnce() async throws {
        let child = try ChildProcess(name: "true", executable: "/bin/true", arguments: [])
        let result: ChildProcess.Termination = await withCheckedContinuation { continuation in
            child.onExit { continuation.resume(returning: $0) }
        }
        #expect(result == .exited(0))
    }

    @Test func missingExecutableIsAClearError() {
        #expect(throws: ProcessError.self) {
            _ = try ChildProcess(name: "nope", executable: "/nonexistent/brigade", arguments: [])
        }
    }

    @Test func writesOutputToFile() async throws {
        let path = "/tmp/brigade-child-\(getpid()).log"
        defer { unlink(path) }
        let child = try ChildProcess(name: "echo", executable: "/bin/sh", arguments: ["-c", "echo hello; echo oops >&2"], output: path)
        _ = await child.waitForExit()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "hello\noops\n")
    }
}
