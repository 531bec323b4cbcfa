import Foundation
import Testing
import Topology

@testable import Cluster

/// The pieces of `brigade launch` that need no network: ssh arguments, the scripts it runs, and its reading of
/// ssh's failures. The scripts run for real under /bin/sh.
@Suite(.serialized)
struct LaunchScriptTests {
    @Test func sshArgumentsCarryTheNodesSettings() {
        let target = RemoteShell.SSHTarget(
            host: "10.0.0.2", user: "brigade", port: 2222, identityFile: "/keys/id", connectTimeout: 5,
            options: ["StrictHostKeyChecking=no"])
        #expect(target.arguments(command: "true") == [
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-p", "2222", "-i", "/keys/id", "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=no", "--", "brigade@10.0.0.2", "true",
        ])
        #expect(RemoteShell.SSHTarget(host: "h").destination == "h")
    }

    @Test func aLoopbackNodeWithoutSSHRunsHereAndOthersOverSSH() throws {
        let topology = Topology(
            cluster: .init(name: "t"),
            nodes: [
                .init(name: "a", host: "127.0.0.1", memory: .init(bytes: 1 << 30)),
                .init(name: "b", host: "10.0.0.2", ssh: .init(user: "u", identityFile: "/id"), memory: .init(bytes: 1 << 30)),
                .init(name: "c", host: "10.0.0.3", memory: .init(bytes: 1 << 30)),
            ], models: [], pipelines: [])
        #expect(RemoteShell.forNode(topology.nodes[0], in: topology) == .local)
        #expect(RemoteShell.forNode(topology.nodes[1], in: topology).ssh?.destination == "u@10.0.0.2")
        #expect(RemoteShell.forNode(topology.nodes[2], in: topology).ssh == .init(host: "10.0.0.3"))
    }

    @Test func quotingSurvivesTheShell() async throws {
        let text = "it's a \"test\" $HOME `x` \\"
        let result = try await RemoteShell.local.run("printf %s \(RemoteShell.quote(text))", timeout: .seconds(10), scratch: NSTemporaryDirectory())
        #expect(result.status == 0)
        #expect(result.output == text)
    }

    @Test func theLaunchScriptStartsADetachedProcessAndStopScriptStopsIt() async throws {
        let folder = NSTemporaryDirectory() + "brigade-launch-script-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A stand-in for brigade: logs its arguments and waits for a signal.
        let fake = folder + "/brigade"
        try "#!/bin/sh\necho \"args: $*\"\ntrap 'kill $!; exit 0' TERM\nsleep 600 &\nwait\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        try "cluster: {name: t}\n".write(toFile: folder + "/t.yaml", atomically: true, encoding: .utf8)
        let log = folder + "/logs/node-a.log"
        let script = RemoteLaunch.backgroundScript(
            executable: fake, arguments: ["agent", "--topology", folder + "/t.yaml", "--node", "node-a"], log: log,
            topology: folder + "/t.yaml")
        let started = try await RemoteShell.local.run(script, timeout: .seconds(10), scratch: folder)
        let pid = try #require(RemoteLaunch.launchedPID(started.output), "\(started.output)")
        #expect(kill(pid, 0) == 0)
        // The stop script leaves a PID alone whose command line does not match.
        let other = try await RemoteShell.local.run(
            RemoteLaunch.stopScript(pid: pid, match: "--node node-b", graceSeconds: 5), timeout: .seconds(10), scratch: folder)
        #expect(other.output.contains("brigade-launch-other"), "\(other.output)")
        let stopped = try await RemoteShell.local.run(
            RemoteLaunch.stopScript(pid: pid, match: "--node node-a", graceSeconds: 5), timeout: .seconds(20), scratch: folder)
        #expect(stopped.output.contains("brigade-launch-stopped"), "\(stopped.output)")
        let gone = try await RemoteShell.local.run(
            RemoteLaunch.stopScript(pid: pid, match: "--node node-a", graceSeconds: 5), timeout: .seconds(10), scratch: folder)
        #expect(gone.output.contains("brigade-launch-gone"), "\(gone.output)")

        let missing = RemoteLaunch.backgroundScript(
            executable: folder + "/nothing", arguments: ["agent"], log: log, topology: folder + "/t.yaml")
        let failed = try await RemoteShell.local.run(missing, timeout: .seconds(10), scratch: folder)
        #expect(failed.status == 127)
        #expect(RemoteShell.local.explain(failed).contains("no brigade executable at \(folder)/nothing"))
    }

    @Test func theStopScriptKillsChildrenThatOutliveTheirParent() async throws {
        let folder = NSTemporaryDirectory() + "brigade-launch-orphan-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // An "agent" that exits on SIGTERM and leaves its "worker" running.
        let fake = folder + "/brigade"
        try "#!/bin/sh\ntrap 'exit 0' TERM\nsleep 600 &\necho $! > \(folder)/child.pid\nwait\n"
            .write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let script = RemoteLaunch.backgroundScript(
            executable: fake, arguments: ["agent", "--node", "node-a"], log: folder + "/a.log", topology: fake)
        let started = try await RemoteShell.local.run(script, timeout: .seconds(10), scratch: folder)
        let pid = try #require(RemoteLaunch.launchedPID(started.output), "\(started.output)")
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: folder + "/child.pid"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let text = try String(contentsOfFile: folder + "/child.pid", encoding: .utf8)
        let child = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let stopped = try await RemoteShell.local.run(
            RemoteLaunch.stopScript(pid: pid, match: "--node node-a", graceSeconds: 5), timeout: .seconds(30), scratch: folder)
        #expect(stopped.output.contains("brigade-launch-stopped"), "\(stopped.output)")
        #expect(stopped.output.contains("brigade-launch-child-killed \(child)"), "\(stopped.output)")
        // Killed; init reaps it in a moment (a zombie counts as gone).
        func running() -> Bool {
            guard kill(child, 0) == 0 else { return false }
            let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
            return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
        }
        let gone = ContinuousClock.now + .seconds(5)
        while running(), ContinuousClock.now < gone { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!running(), "the orphaned child is gone")
    }

    @Test func sshFailuresAreToldApart() {
        let shell = RemoteShell(ssh: .init(host: "h", identityFile: "/id"))
        func explain(_ output: String) -> String { shell.explain(.init(status: 255, output: output)) }
        #expect(explain("root@h: Permission denied (publickey).\n").hasPrefix("authentication failed"))
        #expect(explain("ssh: connect to host h port 22: Connection refused\n").hasPrefix("cannot reach the SSH server"))
        #expect(explain("ssh: connect to host h port 22: Connection timed out\n").hasPrefix("cannot reach the SSH server"))
        #expect(explain("ssh: Could not resolve hostname h: Name or service not known\n").hasPrefix("unknown host name"))
        #expect(explain("Host key verification failed.\n").hasPrefix("the host key is unknown"))
        #expect(shell.explain(.init(status: 1, output: "boom\n")) == "boom (exit status 1)")
    }
}
