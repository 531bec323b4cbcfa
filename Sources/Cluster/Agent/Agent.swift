import ActorSystem
import Distributed
import Foundation
import MembershipShell
import ModelEngine
import ProcessSupport
import Topology
import Transport

/// The agent of one machine (DESIGN.md §2): registers with the coordinator and keeps telling it it is alive,
/// starts, supervises and stops stage-worker processes on the coordinator's order, and reports a worker's exit at
/// once (hard evidence of a failure).
public actor Agent {
    struct RunningWorker {
        var spec: WorkerSpec
        var process: ChildProcess
        var report: WorkerReport?
        var stopping = false
    }

    public let node: Topology.Node
    let topology: Topology
    let topologyPath: String
    let system: BrigadeActorSystem
    /// The `brigade` executable that runs workers.
    let executable: String
    let logDirectory: String
    var workers: [String: RunningWorker] = [:]
    /// Set when the agent shuts down: it starts no more workers.
    var shuttingDown = false
    var coordinator: NodeID?
    /// This agent's membership, which hears first-hand when a worker process exits (hard evidence).
    var membership: MembershipShell?
    let log: @Sendable (String) -> Void

    public init(
        node: Topology.Node, topology: Topology, topologyPath: String, system: BrigadeActorSystem, executable: String,
        logDirectory: String, log: @escaping @Sendable (String) -> Void
    ) {
        self.node = node
        self.topology = topology
        self.topologyPath = topologyPath
        self.system = system
        self.executable = executable
        self.logDirectory = logDirectory
        self.log = log
    }

    /// Installs the membership this agent reports worker exits to.
    public func setMembership(_ membership: MembershipShell) { self.membership = membership }

    // MARK: Workers

    func startWorker(_ spec: WorkerSpec) async throws(ClusterError) -> Int32 {
        guard !shuttingDown else {
            throw ClusterError(.noCapacity, "\(node.name) is shutting down and starts no workers")
        }
        guard spec.agent == node.name else {
            throw ClusterError(.invalidSpec, "\(spec.workerName) is for agent \(spec.agent), this is \(node.name)")
        }
        if let running = workers[spec.workerName], running.process.isRunning {
            if running.spec == spec { return running.process.pid }
            await stopWorker(named: spec.workerName)
        }
        let others = workers.values.filter { $0.process.isRunning && $0.spec.workerName != spec.workerName }.count
        guard others < node.slots else {
            throw ClusterError(.noCapacity, "\(node.name) runs \(others) worker(s) and has \(node.slots) slot(s)")
        }
        let folder = (topologyPath as NSString).deletingLastPathComponent
        let modelPath = try ModelLocator.localPath(of: spec.modelSource, relativeTo: folder) { [log] line in log(line) }
        let specJSON: String
        do {
            specJSON = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        } catch {
            throw ClusterError(.invalidSpec, "cannot encode \(spec.workerName)'s spec: \(error)")
        }
        try? FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        let logFile = logDirectory + "/" + spec.workerName.replacingOccurrences(of: "/", with: "_") + ".log"
        let process: ChildProcess
        do {
            process = try ChildProcess(
                name: spec.workerName, executable: executable,
                arguments: [
                    "worker", "--topology", topologyPath, "--spec", specJSON, "--model-path", modelPath,
                    "--agent-address", system.transport.localAddress.control,
                    "--agent-bulk-address", system.transport.localAddress.bulk,
                    "--agent-pid", String(getpid()),
                ],
                output: logFile)
        } catch {
            throw ClusterError(.spawnFailed, "cannot start \(spec.workerName): \(error)")
        }
        workers[spec.workerName] = RunningWorker(spec: spec, process: process)
        log("started \(spec.workerName) (pid \(process.pid), layers \(spec.firstLayer)..<\(spec.endLayer)); log: \(logFile)")
        let name = spec.workerName
        let pid = process.pid
        process.onExit { termination in
            Task { await self.workerExited(name, pid: pid, termination) }
        }
        return pid
    }

    func stopWorker(named name: String) async {
        guard var running = workers[name] else { return }
        running.stopping = true
        workers[name] = running
        await running.process.stop(grace: .seconds(3))
    }

    /// A worker tells its agent it is ready (before telling the coordinator).
    func workerReady(_ report: WorkerReport) {
        guard var running = workers[report.spec.workerName], running.process.pid == report.pid else { return }
        running.report = report
        workers[report.spec.workerName] = running
        try? system.transport.addPeer(report.address)
    }

    private func workerExited(_ name: String, pid: Int32, _ termination: ChildProcess.Termination) async {
        guard let running = workers[name], running.process.pid == pid else { return }
        workers[name] = nil
        let reason = running.stopping ? "was stopped (\(termination))" : "died: \(termination)"
        log("\(name) (pid \(pid)) \(reason)")
        let worker = running.report?.node ?? NodeID(name: name, incarnation: 0)
        if let report = running.report {
            _ = system.peerTerminated(report.node)
            membership?.reportUnreachable(report.node, evidence: .processExited("\(termination)"))
        }
        // Hard evidence goes to the coordinator at once; retry briefly if it is restarting.
        let agentName = node.name
        for attempt in 0..<5 {
            do {
                let endpoint = try CoordinatorEndpoint.resolve(id: .wellKnown(CoordinatorEndpoint.name, onNode: "coordinator"), using: system)
                try await BrigadeActorSystem.withCallTimeout(.seconds(2)) {
                    try await endpoint.workerExited(agent: agentName, worker: worker, reason: reason)
                }
                return
            } catch {
                try? await Task.sleep(for: .milliseconds(200 << attempt))
            }
        }
    }

    func workerReports() -> [WorkerReport] {
        workers.values.compactMap { $0.process.isRunning ? $0.report : nil }
    }

    /// Stops every worker (agent shutdown).
    public func stopAll() async {
        shuttingDown = true
        for name in workers.keys { await stopWorker(named: name) }
    }

    // MARK: Registration

    /// Registers with the coordinator and heartbeats until cancelled; registers again whenever the coordinator does
    /// not know this agent (it restarted or forgot it).
    public func run(coordinatorAddress: PeerAddress, interval: Duration = .milliseconds(1000)) async {
        try? system.transport.addPeer(coordinatorAddress)
        var registered = false
        while !Task.isCancelled {
            do {
                let endpoint = try CoordinatorEndpoint.resolve(id: .wellKnown(CoordinatorEndpoint.name, onNode: "coordinator"), using: system)
                let ack: CoordinatorAck
                if registered {
                    let me = system.localNode
                    ack = try await BrigadeActorSystem.withCallTimeout(.seconds(2)) {
                        try await endpoint.heartbeat(agent: me)
                    }
                } else {
                    let registration = registration()
                    ack = try await BrigadeActorSystem.withCallTimeout(.seconds(5)) {
                        try await endpoint.register(registration)
                    }
                    log("registered with \(ack.coordinator)")
                }
                if coordinator != nil && coordinator != ack.coordinator {
                    log("the coordinator restarted (now \(ack.coordinator))")
                }
                coordinator = ack.coordinator
                registered = ack.known
                if !ack.known { continue }
            } catch {
                registered = false
            }
            try? await Task.sleep(for: interval)
        }
    }

    private func registration() -> AgentRegistration {
        let cache = ModelCache()
        let cached = (try? FileManager.default.contentsOfDirectory(atPath: cache.modelsDirectory)) ?? []
        return AgentRegistration(
            node: system.localNode, address: system.transport.localAddress,
            resources: NodeResources(
                cores: ProcessInfo.processInfo.activeProcessorCount, memoryBytes: ProcessInfo.processInfo.physicalMemory,
                cachedModels: cached.filter { $0.hasSuffix(".gguf") }.sorted()),
            workers: workerReports())
    }
}
