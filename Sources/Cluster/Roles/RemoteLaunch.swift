import Foundation
import HTTPAPI
import Topology

#if canImport(Glibc)
import Glibc
#endif

/// `brigade launch`: starts a topology's agents on their hosts over SSH (and, unless one answers already, the
/// coordinator on this machine), each detached with `setsid nohup` and logging into the state folder; then waits
/// until every launched agent is a member of the cluster. `stop()` stops what a launch started, by PID.
///
/// Remote hosts must see the same files at the same paths as this machine (a shared or identically laid out file
/// system) unless `remoteExecutable` and `remoteTopology` say otherwise: the `brigade` binary, the topology file,
/// the keys folder and the model cache (`BRIGADE_HOME` is passed on when it is set here).
public final class RemoteLaunch: Sendable {
    /// What to start and how.
    public struct Options: Sendable {
        /// The `brigade` binary on the remote hosts; nil means the same path as this machine's.
        public var remoteExecutable: String?
        /// The topology file on the remote hosts; nil means the same absolute path as here.
        public var remoteTopology: String?
        /// The nodes to launch; empty means every node of the topology.
        public var nodes: [String]
        /// Start the coordinator on this machine: true always, false never, nil unless one answers already.
        public var coordinator: Bool?
        /// Seconds ssh may take to connect.
        public var connectTimeout: Int
        /// Extra `ssh -o` options.
        public var sshOptions: [String]

        public init(
            remoteExecutable: String? = nil, remoteTopology: String? = nil, nodes: [String] = [],
            coordinator: Bool? = nil, connectTimeout: Int = 10, sshOptions: [String] = []
        ) {
            self.remoteExecutable = remoteExecutable
            self.remoteTopology = remoteTopology
            self.nodes = nodes
            self.coordinator = coordinator
            self.connectTimeout = connectTimeout
            self.sshOptions = sshOptions
        }
    }

    public let topologyPath: String
    public let topology: Topology
    public let options: Options
    let executable: String
    /// The state folder on this machine (the launch record, the coordinator's log); remote logs go to the same path.
    public let stateDirectory: String
    let client: ClusterHTTPClient

    /// - Parameters:
    ///   - topologyPath: the topology file (made absolute against the working directory).
    ///   - executable: this machine's `brigade` binary.
    /// - Throws: `ClusterError(.configuration)` for a topology that does not load or an unknown node name.
    public init(topologyPath: String, executable: String, options: Options = Options()) throws(ClusterError) {
        self.topologyPath = URL(fileURLWithPath: topologyPath).standardizedFileURL.path
        do {
            topology = try TopologyLoader.load(path: self.topologyPath)
        } catch {
            throw ClusterError(.configuration, error.description)
        }
        let loaded = topology
        let unknown = options.nodes.filter { loaded.node(named: $0) == nil }
        guard unknown.isEmpty else {
            throw ClusterError(.unknownNode, "\(topologyPath) has no node named \(unknown.map { "'\($0)'" }.joined(separator: ", ")) (nodes: \(loaded.nodes.map(\.name).joined(separator: ", ")))")
        }
        self.executable = executable
        self.options = options
        stateDirectory = topology.stateDirectoryPath()
        var token: String?
        if let variable = topology.security.apiTokenEnvironmentVariable {
            token = ProcessInfo.processInfo.environment[variable]
        }
        client = ClusterHTTPClient(baseURL: Self.apiURL(topology), token: token)
    }

    /// The API's base URL (an API on every address is dialled at the coordinator's host).
    public static func apiURL(_ topology: Topology) -> String {
        let http = topology.cluster.coordinator.http
        let host = (http.host == "0.0.0.0" || http.host == "::") ? topology.cluster.coordinator.host : http.host
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(http.port)"
    }

    public var apiURL: String { client.baseURL }

    /// The nodes this launch starts, in topology order.
    public var selectedNodes: [Topology.Node] {
        topology.nodes.filter { options.nodes.isEmpty || options.nodes.contains($0.name) }
    }

    /// The shell that reaches `node`.
    public func shell(for node: Topology.Node) -> RemoteShell {
        RemoteShell.forNode(node, in: topology, connectTimeout: options.connectTimeout, options: options.sshOptions)
    }

    var logDirectory: String { stateDirectory + "/logs" }
    var sshTimeout: Duration { .seconds(options.connectTimeout + 30) }

    // MARK: Start

    /// Starts the coordinator (see `Options.coordinator`) and the agents, records them, and waits until every
    /// agent has joined. On any failure it stops what it started (logs stay) and throws.
    /// - Parameter progress: one line per step.
    /// - Throws: `ClusterError` naming the node and what went wrong (ssh's error, a missing binary, an agent that
    ///   exited, or the deadline).
    @discardableResult
    public func start(joinTimeout: Duration, progress: @escaping @Sendable (String) -> Void) async throws -> LaunchRecord {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        var record = LaunchRecord(topology: topologyPath)
        let old = try? LaunchRecord.load(stateDirectory: stateDirectory)
        if let old {
            progress("note: replacing the record of an earlier launch (\(old.started)); its agents, if still running, are not stopped")
        }
        var started: LaunchRecord.Process?
        do {
            started = try await startCoordinatorIfNeeded(timeout: joinTimeout, progress: progress)
            // A coordinator an earlier launch started and that still runs stays in the record, for --stop.
            record.coordinator = started ?? old?.coordinator.flatMap { kill($0.pid, 0) == 0 ? $0 : nil }
            try record.save(stateDirectory: stateDirectory)
            let nodes = selectedNodes
            let outcomes = await withTaskGroup(of: Result<LaunchRecord.Process, any Error>.self) { group in
                for node in nodes {
                    group.addTask {
                        do {
                            return .success(try await self.startAgent(node, progress: progress))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: [Result<LaunchRecord.Process, any Error>]()) { $0.append($1) }
            }
            // In topology order, whichever ssh finished first.
            let order = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
            record.agents = outcomes.compactMap { try? $0.get() }.sorted { order[$0.node, default: 0] < order[$1.node, default: 0] }
            try record.save(stateDirectory: stateDirectory)
            let failures = outcomes.compactMap { outcome -> String? in
                if case .failure(let error) = outcome { return "\(error)" }
                return nil
            }
            guard failures.isEmpty else {
                throw ClusterError(.spawnFailed, failures.joined(separator: "\n"))
            }
            try await waitUntilJoined(record, timeout: joinTimeout, progress: progress)
        } catch {
            progress("launch failed; stopping what it started (logs stay in \(logDirectory))")
            // Only what this launch started.
            record.coordinator = started
            await stop(record, grace: .seconds(5), progress: progress)
            LaunchRecord.remove(stateDirectory: stateDirectory)
            throw error
        }
        return record
    }

    /// Starts the coordinator here in the background when asked to (or, by default, when none answers).
    func startCoordinatorIfNeeded(timeout: Duration, progress: @escaping @Sendable (String) -> Void) async throws -> LaunchRecord.Process? {
        let answering = (try? await client.get("/v1/cluster", timeout: .seconds(2))) != nil
        switch options.coordinator {
        case false?:
            progress(answering ? "using the coordinator at \(apiURL)" : "not starting a coordinator (none answers at \(apiURL) yet)")
            return nil
        case nil where answering:
            progress("a coordinator answers at \(apiURL); not starting another")
            return nil
        case true? where answering:
            throw ClusterError(.configuration, "a coordinator already answers at \(apiURL); stop it first, or launch with --no-coordinator")
        default:
            break
        }
        let log = logDirectory + "/coordinator.log"
        let script = Self.backgroundScript(
            executable: executable, arguments: ["coordinator", "--topology", topologyPath], log: log,
            topology: topologyPath)
        let result = try await RemoteShell.local.run(script, timeout: sshTimeout, scratch: logDirectory)
        guard result.status == 0, let pid = Self.launchedPID(result.output) else {
            throw ClusterError(.spawnFailed, "coordinator: cannot start it on this machine: \(RemoteShell.local.explain(result))")
        }
        progress("started the coordinator here (pid \(pid)); log: \(log)")
        // Wait for its API, so that a coordinator that cannot start (keys, ports, model) is reported as such.
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await client.get("/v1/cluster", timeout: .seconds(2))) != nil {
                progress("the coordinator answers at \(apiURL)")
                return LaunchRecord.Process(node: "coordinator", host: "local", pid: pid, log: log)
            }
            guard kill(pid, 0) == 0 else {
                throw ClusterError(.spawnFailed, "coordinator (pid \(pid)) exited while starting:\n\(Self.tail(ofFile: log))")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        kill(pid, SIGTERM)
        throw ClusterError(.notReady, "coordinator: its API did not answer at \(apiURL) within \(timeout); see \(log)")
    }

    /// Starts one agent over SSH (or here, for a loopback node without `ssh`); returns its PID.
    func startAgent(_ node: Topology.Node, progress: @escaping @Sendable (String) -> Void) async throws -> LaunchRecord.Process {
        let shell = shell(for: node)
        let remoteExecutable = options.remoteExecutable ?? executable
        let remoteTopology = options.remoteTopology ?? topologyPath
        let log = logDirectory + "/\(node.name).log"
        let script = Self.backgroundScript(
            executable: remoteExecutable, arguments: ["agent", "--topology", remoteTopology, "--node", node.name],
            log: log, topology: remoteTopology)
        progress("starting agent \(node.name) on \(shell)")
        let result = try await shell.run(script, timeout: sshTimeout, scratch: logDirectory)
        guard result.status == 0, let pid = Self.launchedPID(result.output) else {
            throw ClusterError(.spawnFailed, "node \(node.name) (\(shell)): \(shell.explain(result))")
        }
        progress("started agent \(node.name) on \(node.host) (pid \(pid)); log there: \(log)")
        return LaunchRecord.Process(node: node.name, host: node.host, pid: pid, log: log)
    }

    // MARK: Joining

    /// Polls `/v1/cluster` until every agent of `record` is a member with role `agent`. Every few seconds it
    /// checks, over SSH, that the agents still missing are alive, and fails at once with the log's tail when one
    /// has exited.
    public func waitUntilJoined(_ record: LaunchRecord, timeout: Duration, progress: @escaping @Sendable (String) -> Void) async throws {
        let deadline = ContinuousClock.now + timeout
        let start = ContinuousClock.now
        var lastLine = ""
        var nextLivenessCheck = ContinuousClock.now + .seconds(3)
        var missing = record.agents.map(\.node)
        while true {
            if let status = try? await client.clusterStatus() {
                let agents = Set(status.members.filter { $0.role == "agent" }.map(\.nodeID))
                missing = record.agents.map(\.node).filter { !agents.contains($0) }
                let joined = record.agents.map(\.node).filter { agents.contains($0) }
                let line = "joined: \(joined.isEmpty ? "none" : joined.joined(separator: ", "))"
                    + (missing.isEmpty ? "" : "; waiting for \(missing.joined(separator: ", "))")
                if line != lastLine {
                    progress("\(line) (after \((ContinuousClock.now - start).components.seconds) s)")
                    lastLine = line
                }
                if missing.isEmpty { return }
            } else if lastLine.isEmpty {
                progress("waiting for the coordinator's API at \(apiURL)")
                lastLine = "waiting"
            }
            if ContinuousClock.now >= nextLivenessCheck {
                for process in record.agents where missing.contains(process.node) {
                    try await checkAlive(process)
                }
                nextLivenessCheck = ContinuousClock.now + .seconds(5)
            }
            guard ContinuousClock.now < deadline else {
                throw ClusterError(.notReady, "\(missing.joined(separator: ", ")) did not join the coordinator at \(apiURL) within \(timeout); see the agents' logs in \(logDirectory) on their hosts")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Throws, with the tail of its log, when the agent's process is gone.
    func checkAlive(_ process: LaunchRecord.Process) async throws {
        guard let node = topology.node(named: process.node) else { return }
        let shell = shell(for: node)
        let script = "if kill -0 \(process.pid) 2>/dev/null; then echo brigade-launch-alive; else echo brigade-launch-dead; "
            + "tail -n 20 \(RemoteShell.quote(process.log)) 2>&1; fi"
        let result = try await shell.run(script, timeout: sshTimeout, scratch: logDirectory)
        if result.status == 0, result.output.contains("brigade-launch-dead") {
            let log = result.output.replacingOccurrences(of: "brigade-launch-dead\n", with: "")
            throw ClusterError(.notReady, "node \(process.node): the agent (pid \(process.pid) on \(process.host)) exited before joining; the end of \(process.log):\n\(log)")
        }
    }

    /// Polls `/v1/cluster` until every pipeline serves.
    public func waitUntilServing(timeout: Duration, progress: @escaping @Sendable (String) -> Void) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            if let status = try? await client.clusterStatus(), !status.pipelines.isEmpty {
                let line = status.pipelines.map { p in
                    "\(p.id): \(p.state) (" + p.stages.map { "\($0.nodeID) \($0.state)" }.joined(separator: ", ") + ")"
                }.joined(separator: "; ")
                if line != last { progress(line); last = line }
                if status.pipelines.allSatisfy({ $0.state == "serving" }) { return }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ClusterError(.notReady, "the pipelines did not serve within \(timeout); last: \(last)")
    }
}
