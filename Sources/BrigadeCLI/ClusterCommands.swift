import ArgumentParser
import Cluster
import Foundation
import ProcessSupport
import Topology
import Transport

/// Writes one line to stderr (process logs and progress).
func logLine(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// The path of the running `brigade` binary (agents start workers from it, `up` starts agents from it).
func brigadeExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// The default topology file: `topologies/local.yaml` next to the working directory, or next to the binary's
/// checkout (`.build/release/brigade` → `topologies/local.yaml`).
func defaultTopologyPath() -> String {
    let candidates = [
        FileManager.default.currentDirectoryPath + "/topologies/local.yaml",
        ((brigadeExecutable() as NSString).deletingLastPathComponent as NSString).appendingPathComponent("../../topologies/local.yaml"),
    ]
    return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
}

/// `brigade coordinator`: runs the coordinator (gateway, HTTP API, reconciliation) for a topology.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator of a cluster: HTTP API, placement, pipeline wiring.",
        discussion: "Listens on the topology's coordinator address and API address. Agents register with it. Stops on SIGINT/SIGTERM; running workers keep serving and are adopted again when a coordinator restarts.")

    @Option(help: "The topology file.")
    var topology: String = defaultTopologyPath()

    @Flag(help: "Exit when the parent process exits (used by 'brigade up').")
    var exitWithParent = false

    func run() async throws {
        if exitWithParent { ParentWatch.exitWithParent() }
        try await CoordinatorProcess.run(topologyPath: topology, log: logLine)
    }
}

/// `brigade agent`: runs the agent of one topology node.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the agent of one node: registers with the coordinator, starts and supervises stage workers.",
        discussion: "Stops its workers on SIGINT/SIGTERM.")

    @Option(help: "The topology file.")
    var topology: String = defaultTopologyPath()

    @Option(help: "This machine's node name in the topology.")
    var node: String

    @Flag(help: "Exit when the parent process exits (used by 'brigade up').")
    var exitWithParent = false

    func run() async throws {
        if exitWithParent { ParentWatch.exitWithParent() }
        try await AgentProcess.run(topologyPath: topology, nodeName: node, executable: brigadeExecutable(), log: logLine)
    }
}

/// `brigade worker`: one stage worker (agents start these; not usually run by hand).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run one pipeline stage worker (started by an agent).",
        discussion: "Loads the layers of --spec from --model-path, tells its agent and the coordinator it is ready, and serves until SIGTERM or until its agent exits.")

    @Option(help: "The topology file.")
    var topology: String

    @Option(help: "The stage to run, as the JSON of a WorkerSpec.")
    var spec: String

    @Option(help: "The weights file on this machine.")
    var modelPath: String

    @Option(help: "The agent's control address.")
    var agentAddress: String

    @Option(help: "The agent's bulk address.")
    var agentBulkAddress: String

    @Option(help: "The agent's process id: the worker stops at once if that is not its parent, and when its parent exits.")
    var agentPid: Int32?

    func run() async throws {
        let decoded: WorkerSpec
        do {
            decoded = try JSONDecoder().decode(WorkerSpec.self, from: Data(spec.utf8))
        } catch {
            throw ValidationError("--spec is not a worker spec: \(error)")
        }
        let agent = PeerAddress(name: decoded.agent, control: agentAddress, bulk: agentBulkAddress)
        try await WorkerProcess.run(
            topologyPath: topology, spec: decoded, modelPath: modelPath, agentAddress: agent, agentPID: agentPid, log: logLine)
    }
}
