import ActorSystem
import Foundation
import Topology
import Transport
import ZMQTransport

/// One process's place in the cluster: its transport and actor system, made from the topology.
///
/// Every role (coordinator, agent, worker) starts one. Under `curve` security the process loads its key pair from
/// the topology's keys folder (a worker uses its agent's keys) and admits exactly the keys of the coordinator and the
/// topology's nodes; under `insecure` it binds loopback addresses only (the topology validator enforces that). Its
/// I/O threads run under the topology's `cluster.io_scheduling`.
public struct ClusterNode: Sendable {
    public let transport: ZMQTransport
    public let system: BrigadeActorSystem

    /// Starts the transport and the actor system.
    /// - Parameters:
    ///   - name: this process's node name (`coordinator`, `node-a`, `node-a/main-0`).
    ///   - keyOwner: whose key pair to use under curve (`coordinator` or the agent's node name).
    ///   - host: the address to bind and advertise.
    ///   - controlPort, bulkPort: 0 picks free ports.
    ///   - topologyFolder: the topology file's folder (relative key folders are resolved against it).
    public static func start(
        name: String, keyOwner: String, host: String, controlPort: Int, bulkPort: Int, topology: Topology,
        topologyFolder: String?
    ) throws(ClusterError) -> ClusterNode {
        let node = NodeID.fresh(name: name)
        let security: ZMQTransportConfiguration.Security
        switch topology.security.mode {
        case .curve:
            let folder = topology.resolvedPath(topology.security.effectiveKeysDirectory, relativeTo: topologyFolder)
            do {
                let keys = try CurveKeyFiles.load(secretKeyFile: CurveKeyFiles.paths(for: keyOwner, in: folder).secret)
                var allowed: [String: String] = [:]
                for peer in ["coordinator"] + topology.nodes.map(\.name) {
                    allowed[peer] = try CurveKeyFiles.loadPublicKey(CurveKeyFiles.paths(for: peer, in: folder).public)
                }
                security = .curve(.init(keyPair: keys, allowedPeers: allowed))
            } catch {
                throw ClusterError(.configuration, "security keys in \(folder): \(error.message)")
            }
        default:
            security = .insecure
        }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        var configuration = ZMQTransportConfiguration(
            node: node, security: security,
            controlEndpoint: "tcp://\(bracketed):\(controlPort)", bulkEndpoint: "tcp://\(bracketed):\(bulkPort)")
        configuration.advertisedHost = host
        switch topology.cluster.effectiveIOScheduling {
        case .standard: configuration.ioScheduling = .standard
        case .batch: configuration.ioScheduling = .batch
        }
        do {
            let transport = try ZMQTransport(configuration: configuration)
            return ClusterNode(transport: transport, system: BrigadeActorSystem(transport: transport))
        } catch {
            throw ClusterError(.configuration, "\(name) cannot listen on \(host) ports \(controlPort)/\(bulkPort): \(error.message)")
        }
    }

    /// The coordinator's address as the topology gives it.
    public static func coordinatorAddress(_ topology: Topology, publicKey: String? = nil) -> PeerAddress {
        let c = topology.cluster.coordinator
        let host = c.host.contains(":") ? "[\(c.host)]" : c.host
        return PeerAddress(
            name: "coordinator", control: "tcp://\(host):\(c.controlPort)", bulk: "tcp://\(host):\(c.effectiveBulkPort)",
            publicKey: publicKey)
    }

    /// Stops the actor system and the transport.
    public func shutdown() async {
        system.shutdown()
        await transport.shutdown()
    }
}
