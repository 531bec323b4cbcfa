import Foundation

extension RemoteLaunch {
    /// The marker before the PID a launch script prints.
    static let pidMarker = "brigade-launch-pid "

    /// A POSIX sh script that checks `executable` and `topology`, then starts `executable arguments` detached from
    /// the session (`setsid nohup`, stdin from /dev/null, output appended to `log`) and prints its PID after
    /// `pidMarker`. It exits 127 when the binary is missing and 126 when the topology cannot be read.
    /// `BRIGADE_HOME` is passed on when it is set here.
    static func backgroundScript(executable: String, arguments: [String], log: String, topology: String) -> String {
        let q = RemoteShell.quote
        var lines = [
            "if [ ! -x \(q(executable)) ]; then echo \(q("brigade-launch: no brigade executable at \(executable) (use --remote-brigade)")) >&2; exit 127; fi",
            "if [ ! -r \(q(topology)) ]; then echo \(q("brigade-launch: cannot read the topology \(topology) (use --remote-topology)")) >&2; exit 126; fi",
            "mkdir -p \(q((log as NSString).deletingLastPathComponent)) || exit 125",
        ]
        if let home = ProcessInfo.processInfo.environment["BRIGADE_HOME"], !home.isEmpty {
            lines.append("BRIGADE_HOME=\(q(home)); export BRIGADE_HOME")
        }
        lines.append("if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=; fi")
        let command = ([executable] + arguments).map(q).joined(separator: " ")
        lines.append("$detach nohup \(command) >>\(q(log)) 2>&1 </dev/null &")
        lines.append("echo \"\(pidMarker)$!\"")
        return lines.joined(separator: "\n")
    }

    /// The PID a launch script printed.
    static func launchedPID(_ output: String) -> Int32? {
        for line in output.split(separator: "\n") where line.hasPrefix(pidMarker) {
            return Int32(line.dropFirst(pidMarker.count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A POSIX sh script that stops process `pid` if its command line contains `match` (so a reused PID is left
    /// alone): SIGTERM, then SIGKILL after `graceSeconds`; children it had (an agent's workers) that still run 5 s
    /// after it ended get SIGKILL too, so a killed agent leaves no worker behind. It prints `brigade-launch-stopped`,
    /// `-killed`, `-gone` (not running, or a zombie) or `-other` (the PID now belongs to another program), and
    /// `brigade-launch-child-killed PID` per child it had to kill.
    static func stopScript(pid: Int32, match: String, graceSeconds: Int) -> String {
        """
        pid=\(pid)
        alive() { kill -0 $pid 2>/dev/null && [ "$(sed -n 's/.*) \\(.\\).*/\\1/p' /proc/$pid/stat 2>/dev/null)" != Z ]; }
        if ! alive; then echo brigade-launch-gone; exit 0; fi
        args=$(tr '\\000' ' ' </proc/$pid/cmdline 2>/dev/null || ps -o args= -p $pid 2>/dev/null)
        case "$args" in *\(RemoteShell.quote(match))*) ;; *) echo brigade-launch-other; exit 0;; esac
        kids=$(for f in /proc/[0-9]*/stat; do s=$(cat "$f" 2>/dev/null) || continue; set -- ${s##*") "}; \
          if [ "$2" = "$pid" ]; then n=${f#/proc/}; echo "${n%/stat}"; fi; done)
        [ -n "$kids" ] || kids=$(pgrep -P $pid 2>/dev/null)
        kill -TERM $pid
        i=0
        while alive && [ $i -lt \(graceSeconds * 10) ]; do sleep 0.1; i=$((i+1)); done
        if alive; then kill -KILL $pid; echo brigade-launch-killed; else echo brigade-launch-stopped; fi
        i=0
        for k in $kids; do
          while kill -0 $k 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
          if kill -0 $k 2>/dev/null; then kill -KILL $k; echo "brigade-launch-child-killed $k"; fi
        done
        """
    }

    /// The last lines of a local file, for an error message.
    static func tail(ofFile path: String, lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(no log at \(path))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: Stop

    /// Stops what the last launch started, as its record in the state folder says: every agent over SSH, by PID
    /// (SIGTERM, which stops its workers, then SIGKILL after `grace`), then the coordinator if the launch started it.
    /// Removes the record when every process is stopped.
    /// - Throws: `ClusterError(.notReady)` when there is no record, or naming each node that could not be stopped.
    public func stop(grace: Duration = .seconds(10), progress: @escaping @Sendable (String) -> Void) async throws {
        guard let record = try LaunchRecord.load(stateDirectory: stateDirectory) else {
            throw ClusterError(.notReady, "no launch record in \(stateDirectory) (nothing was launched from this machine for this topology, or it was stopped already)")
        }
        let failures = await stop(record, grace: grace, progress: progress)
        guard failures.isEmpty else {
            throw ClusterError(.spawnFailed, failures.joined(separator: "\n"))
        }
        LaunchRecord.remove(stateDirectory: stateDirectory)
    }

    /// Stops the processes of `record`; returns one message per process that could not be stopped.
    @discardableResult
    func stop(_ record: LaunchRecord, grace: Duration, progress: @escaping @Sendable (String) -> Void) async -> [String] {
        let seconds = Int(grace.components.seconds)
        let failures = await withTaskGroup(of: String?.self) { group in
            for process in record.agents {
                group.addTask {
                    let shell = self.topology.node(named: process.node).map(self.shell(for:)) ?? RemoteShell.local
                    let script = Self.stopScript(pid: process.pid, match: "--node \(process.node)", graceSeconds: seconds)
                    return await self.runStop(script, shell: shell, what: "agent \(process.node)", process: process, progress: progress)
                }
            }
            return await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
        }
        guard let coordinator = record.coordinator else { return failures }
        let script = Self.stopScript(pid: coordinator.pid, match: " coordinator --topology ", graceSeconds: seconds)
        let failure = await runStop(script, shell: .local, what: "the coordinator", process: coordinator, progress: progress)
        return failures + (failure.map { [$0] } ?? [])
    }

    private func runStop(
        _ script: String, shell: RemoteShell, what: String, process: LaunchRecord.Process,
        progress: @Sendable (String) -> Void
    ) async -> String? {
        do {
            let result = try await shell.run(script, timeout: sshTimeout + .seconds(Int(60)), scratch: stateDirectory)
            guard result.status == 0 else { return "\(what) (\(shell)): \(shell.explain(result))" }
            let outcome: String
            if result.output.contains("brigade-launch-stopped") {
                outcome = "stopped"
            } else if result.output.contains("brigade-launch-killed") {
                outcome = "killed (it did not stop within the grace period)"
            } else if result.output.contains("brigade-launch-other") {
                outcome = "not stopped: pid \(process.pid) now belongs to another program"
            } else {
                outcome = "was not running"
            }
            let children = result.output.split(separator: "\n").filter { $0.hasPrefix("brigade-launch-child-killed") }.count
            progress("\(what) (pid \(process.pid) on \(process.host)): \(outcome)"
                + (children > 0 ? "; \(children) of its child processes did not stop and were killed" : ""))
            return nil
        } catch {
            return "\(what): \(error)"
        }
    }
}
