import Foundation
import HTTPAPI
import ProcessSupport
import Topology

/// A whole cluster on this machine, as separate processes: the coordinator and one agent per topology node whose
/// host is local. This is `brigade up`; the integration tests use it too.
public final class LocalCluster: Sendable {
    public let topologyPath: String
    public let topology: Topology
    let executable: String
    let logDirectory: String
    private let processes = NSLockLikeBox<[ChildProcess]>([])

    /// - Parameters:
    ///   - executable: the `brigade` binary.
    ///   - logDirectory: where each process's output goes (`coordinator.log`, `node-a.log`…).
    public init(topologyPath: String, executable: String, logDirectory: String? = nil) throws(ClusterError) {
        self.topologyPath = topologyPath
        do {
            topology = try TopologyLoader.load(path: topologyPath)
        } catch {
            throw ClusterError(.configuration, error.description)
        }
        self.executable = executable
        self.logDirectory = logDirectory ?? topology.stateDirectoryPath() + "/logs"
    }

    /// The API's base URL.
    public var apiURL: String {
        let http = topology.cluster.coordinator.http
        let host = (http.host == "0.0.0.0" || http.host == "::") ? "127.0.0.1" : http.host
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(http.port)"
    }

    /// The processes started so far (coordinator first).
    public var children: [ChildProcess] { processes.get() }

    /// Starts the coordinator and the agents, and waits until every pipeline serves or `timeout` passes.
    /// - Parameter progress: one line per step.
    public func start(timeout: Duration = .seconds(600), progress: @escaping @Sendable (String) -> Void) async throws {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let coordinator = try spawn("coordinator", ["coordinator", "--topology", topologyPath, "--exit-with-parent"])
        progress("started the coordinator (pid \(coordinator.pid)); log: \(logDirectory)/coordinator.log")
        for node in topology.nodes where Self.isLocal(node.host) {
            let agent = try spawn(node.name, ["agent", "--topology", topologyPath, "--node", node.name, "--exit-with-parent"])
            progress("started agent \(node.name) (pid \(agent.pid)); log: \(logDirectory)/\(node.name).log")
        }
        try await waitUntilServing(timeout: timeout, progress: progress)
    }

    /// Polls `/v1/cluster` until every pipeline serves; fails early when a process exits.
    public func waitUntilServing(timeout: Duration, progress: @escaping @Sendable (String) -> Void) async throws {
        let client = ClusterHTTPClient(baseURL: apiURL)
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            if let dead = children.first(where: { !$0.isRunning }) {
                throw ClusterError(.notReady, "\(dead.name) \(dead.termination!) while the cluster was starting; see \(logDirectory)/\(dead.name).log")
            }
            if let status = try? await client.clusterStatus(), !status.pipelines.isEmpty {
                let line = status.pipelines.map { p in
                    "\(p.id): \(p.state) (" + p.stages.map { "\($0.nodeID) \($0.state)" }.joined(separator: ", ") + ")"
                }.joined(separator: "; ")
                if line != last { progress(line); last = line }
                if status.pipelines.allSatisfy({ $0.state == "serving" }) { return }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ClusterError(.notReady, "the cluster did not serve within \(timeout); see the logs in \(logDirectory)")
    }

    /// Stops the agents (which stop their workers), then the coordinator.
    public func stop(grace: Duration = .seconds(5)) async {
        let all = children
        await withTaskGroup(of: Void.self) { group in
            for child in all.dropFirst() { group.addTask { await child.stop(grace: grace) } }
        }
        if let coordinator = all.first { await coordinator.stop(grace: grace) }
    }

    private func spawn(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        let child = try ChildProcess(name: name, executable: executable, arguments: arguments, output: "\(logDirectory)/\(name).log")
        processes.mutate { $0.append(child) }
        return child
    }

    static func isLocal(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "0.0.0.0"].contains(host) || host.hasPrefix("127.")
    }
}

/// A value behind a pthread mutex.
final class NSLockLikeBox<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLockLike()
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.run { value } }
    func mutate(_ body: (inout Value) -> Void) { lock.run { body(&value) } }
}
