import ActorSystem
import Foundation
import ProcessSupport
import Topology
import Transport

/// Runs the agent role for one topology node in this process until SIGINT/SIGTERM, then stops its workers.
public enum AgentProcess {
    /// - Parameters:
    ///   - executable: the `brigade` binary workers are started from.
    public static func run(topologyPath: String, nodeName: String, executable: String, log: @escaping @Sendable (String) -> Void) async throws {
        let topology: Topology
        do {
            topology = try TopologyLoader.load(path: topologyPath)
        } catch {
            throw ClusterError(.configuration, error.description)
        }
        guard let node = topology.node(named: nodeName) else {
            throw ClusterError(.unknownNode, "\(topologyPath) has no node named '\(nodeName)' (nodes: \(topology.nodes.map(\.name).joined(separator: ", ")))")
        }
        let folder = (topologyPath as NSString).deletingLastPathComponent
        let cluster = try ClusterNode.start(
            name: node.name, keyOwner: node.name, host: node.host, controlPort: node.controlPort, bulkPort: node.bulkPort,
            topology: topology, topologyFolder: folder)
        let logs = topology.stateDirectoryPath() + "/logs"
        let agent = Agent(
            node: node, topology: topology, topologyPath: topologyPath, system: cluster.system, executable: executable,
            logDirectory: logs, log: log)
        let endpoint = cluster.system.makeWellKnown(AgentEndpoint.name) { AgentEndpoint(agent: agent, actorSystem: cluster.system) }
        var coordinatorKey: String?
        if case .curve(let security) = cluster.transport.configuration.security {
            coordinatorKey = security.allowedPeers["coordinator"]
        }
        let coordinator = ClusterNode.coordinatorAddress(topology, publicKey: coordinatorKey)
        let membership = try cluster.joinMembership(role: "agent", seeds: [coordinator], topology: topology)
        await agent.setMembership(membership)
        log("agent \(cluster.system.localNode) listening on \(cluster.transport.localAddress.control); coordinator at \(coordinator.control)")
        let registration = Task { await agent.run(coordinatorAddress: coordinator) }
        let signal = await ShutdownSignal.wait()
        log("agent \(node.name) stopping (signal \(signal)): stopping its workers")
        registration.cancel()
        await agent.stopAll()
        withExtendedLifetime(endpoint) {}
        membership.leave()
        await cluster.shutdown()
    }
}
