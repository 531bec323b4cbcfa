import Foundation
import ProcessSupport
import Topology

/// Where `brigade launch` runs a shell command for a node: on a host over SSH, or on this machine.
///
/// Over SSH, the command runs with `ssh -o BatchMode=yes` (never a password prompt), the node's `ssh.user`,
/// `ssh.port` and `ssh.identity_file`, and a connect timeout. Locally, it runs with `/bin/sh -c`.
public struct RemoteShell: Sendable, Equatable, CustomStringConvertible {
    /// How to reach a host over SSH.
    public struct SSHTarget: Sendable, Equatable {
        /// The host name or address (the topology node's `host`).
        public var host: String
        /// The remote user; nil means ssh's default.
        public var user: String?
        /// The SSH port.
        public var port: Int
        /// The private key file (an absolute path); nil means ssh's defaults.
        public var identityFile: String?
        /// Seconds ssh may take to connect (`-o ConnectTimeout`).
        public var connectTimeout: Int
        /// Extra `-o` options, e.g. `StrictHostKeyChecking=accept-new`.
        public var options: [String]

        public init(
            host: String, user: String? = nil, port: Int = 22, identityFile: String? = nil, connectTimeout: Int = 10,
            options: [String] = []
        ) {
            self.host = host
            self.user = user
            self.port = port
            self.identityFile = identityFile
            self.connectTimeout = connectTimeout
            self.options = options
        }

        /// `user@host` (or `host`).
        public var destination: String { user.map { "\($0)@\(host)" } ?? host }

        /// The arguments of `ssh` that run `command` on the host.
        public func arguments(command: String) -> [String] {
            var arguments = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=\(connectTimeout)", "-p", String(port)]
            if let identityFile { arguments += ["-i", identityFile, "-o", "IdentitiesOnly=yes"] }
            for option in options { arguments += ["-o", option] }
            return arguments + ["--", destination, command]
        }
    }

    /// Over SSH, or nil for this machine.
    public var ssh: SSHTarget?

    /// A shell on this machine.
    public static let local = RemoteShell(ssh: nil)

    public init(ssh: SSHTarget?) { self.ssh = ssh }

    /// The shell for `node`: SSH with its `ssh` settings; or this machine for a loopback node without `ssh`.
    /// - Parameters:
    ///   - topology: resolves a relative `identity_file` against the topology file's folder.
    public static func forNode(
        _ node: Topology.Node, in topology: Topology, connectTimeout: Int = 10, options: [String] = []
    ) -> RemoteShell {
        if node.ssh == nil, LocalCluster.isLocal(node.host) { return .local }
        let ssh = node.ssh ?? Topology.SSH()
        return RemoteShell(ssh: SSHTarget(
            host: node.host, user: ssh.user, port: ssh.port,
            identityFile: ssh.identityFile.map { topology.resolvedPath($0) }, connectTimeout: connectTimeout,
            options: options))
    }

    public var description: String {
        guard let ssh else { return "this machine" }
        return "\(ssh.destination) port \(ssh.port)"
    }

    /// The outcome of one command: its exit status and its output (stdout and stderr together).
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs `command` (POSIX sh) and waits for it, at most `timeout`; it is killed after that.
    /// - Parameter scratch: a folder for the output file.
    /// - Throws: `ClusterError(.spawnFailed)` when ssh or sh cannot start or does not finish in time.
    public func run(_ command: String, timeout: Duration, scratch: String) async throws -> Result {
        let (executable, arguments) = ssh.map { ("/usr/bin/env", ["ssh"] + $0.arguments(command: command)) }
            ?? ("/bin/sh", ["-c", command])
        let output = scratch + "/launch-\(UUID().uuidString.prefix(8)).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child: ChildProcess
        do {
            child = try ChildProcess(name: "ssh", executable: executable, arguments: arguments, output: output)
        } catch {
            throw ClusterError(.spawnFailed, "\(self): \(error.message)")
        }
        guard let ended = await child.waitForExit(timeout: timeout) else {
            _ = await child.stop(grace: .seconds(1))
            throw ClusterError(.spawnFailed, "\(self): the command did not finish within \(timeout)")
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        switch ended {
        case .exited(let status): return Result(status: status, output: text)
        case .signalled(let signal): return Result(status: 128 + signal, output: text)
        }
    }

    /// Says why a command failed, for an error message: ssh's own failures (status 255) are told apart into
    /// unreachable host, refused authentication and unknown host key; other statuses are the remote command's.
    public func explain(_ result: Result) -> String {
        let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("Warning: Permanently added") }
        let detail = lines.suffix(3).joined(separator: " / ")
        guard let ssh, result.status == 255 else {
            return detail.isEmpty ? "exit status \(result.status)" : "\(detail) (exit status \(result.status))"
        }
        let text = result.output
        let what: String
        if text.contains("Permission denied") || text.contains("Too many authentication failures") {
            what = "authentication failed (check ssh.user and ssh.identity_file"
                + (ssh.identityFile.map { ", \($0)" } ?? "") + ")"
        } else if text.contains("Host key verification failed") || text.contains("HOST IDENTIFICATION HAS CHANGED") {
            what = "the host key is unknown or changed (add it to known_hosts, or pass --ssh-option StrictHostKeyChecking=accept-new)"
        } else if text.contains("Could not resolve hostname") {
            what = "unknown host name"
        } else if ["Connection refused", "timed out", "No route to host", "Network is unreachable", "Connection closed",
                   "Connection reset"].contains(where: { text.contains($0) }) {
            what = "cannot reach the SSH server"
        } else {
            what = "ssh failed"
        }
        return detail.isEmpty ? what : "\(what): \(detail)"
    }

    /// `text` quoted for a POSIX shell.
    public static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
