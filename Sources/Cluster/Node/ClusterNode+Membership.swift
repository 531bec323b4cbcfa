import ActorSystem
import Membership
import MembershipShell
import Topology
import Transport

extension ClusterNode {
    /// Joins the cluster's SWIM/Lifeguard membership (DESIGN.md §4) as `role`, through `seeds` (none: the coordinator
    /// starts it). When membership convicts a node, every call pending on it fails at once (`peerTerminated`).
    public func joinMembership(role: String, seeds: [PeerAddress], topology: Topology) throws(ClusterError) -> MembershipShell {
        let system = self.system
        do {
            let shell = try MembershipShell(
                transport: transport, metadata: ["role": role], seeds: seeds,
                settings: Self.membershipSettings(topology.failureDetector)
            ) { node in _ = system.peerTerminated(node) }
            shell.start()
            // A lost control connection, followed by a failed ping, is hard evidence (the shell checks the ping).
            system.observeTransport { [weak shell] event in
                if case .disconnected(let peer, .control) = event { shell?.connectionLost(peer: peer) }
            }
            return shell
        } catch {
            throw ClusterError(.configuration, "\(transport.localNode.name) cannot join the membership: \(error.message)")
        }
    }

    /// The failure detector's settings from the topology's `failure_detector` section.
    static func membershipSettings(_ written: Topology.FailureDetectorSettings) -> Settings {
        var settings = Settings()
        settings.probeInterval = .milliseconds(written.probeIntervalMilliseconds)
        settings.probeTimeout = .milliseconds(written.pingTimeoutMilliseconds)
        settings.suspicionMin = .milliseconds(written.suspicionMinMilliseconds)
        settings.suspicionMax = .milliseconds(written.suspicionMaxMilliseconds)
        settings.indirectProbes = written.indirectProbes
        return settings
    }
}

extension MemberEvent {
    /// The node this event is about, as the transport and actor system name it.
    public var node: NodeID { NodeID(name: member.name, incarnation: member.uid) }
}
