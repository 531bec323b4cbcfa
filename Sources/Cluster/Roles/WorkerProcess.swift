import ActorSystem
import Foundation
import Kernels
import ModelEngine
import ModelFormats
import ProcessSupport
import Topology
import Transport

/// Runs one stage worker in this process: loads its layers, listens, tells its agent and the coordinator it is
/// ready, and serves until SIGINT/SIGTERM or until its agent dies.
public enum WorkerProcess {
    public static func run(
        topologyPath: String, spec: WorkerSpec, modelPath: String, agentAddress: PeerAddress, agentPID: Int32? = nil,
        log: @escaping @Sendable (String) -> Void
    ) async throws {
        ParentWatch.exitWithParent(expected: agentPID)
        let topology: Topology
        do {
            topology = try TopologyLoader.load(path: topologyPath)
        } catch {
            throw ClusterError(.configuration, error.description)
        }
        guard let node = topology.node(named: spec.agent) else {
            throw ClusterError(.unknownNode, "\(topologyPath) has no node named '\(spec.agent)'")
        }
        let folder = (topologyPath as NSString).deletingLastPathComponent
        let loadStarted = ContinuousClock.now
        let stage: LlamaStage
        do {
            let store = try openModel(at: modelPath)
            let pool = spec.threads > 1 ? try ThreadPool(threads: spec.threads) : nil
            stage = try LlamaStage(
                checkpoint: store, layers: spec.layers,
                options: StageOptions(
                    weightStorage: spec.weights == "float32" ? .float32 : .quantized, kvCapacityTokens: spec.kvCapacityTokens),
                pool: pool)
        } catch {
            throw ClusterError(.modelUnavailable, "\(spec.workerName): cannot load layers \(spec.firstLayer)..<\(spec.endLayer) of \(modelPath): \(error)")
        }
        log("\(spec.workerName): loaded layers \(spec.firstLayer)..<\(spec.endLayer) (\(stage.weightBytes >> 20) MiB) in \(ContinuousClock.now - loadStarted)")

        let cluster = try ClusterNode.start(
            name: spec.workerName, keyOwner: spec.agent, host: node.host, controlPort: 0, bulkPort: 0,
            topology: topology, topologyFolder: folder)
        let worker = StageWorker(spec: spec, stage: stage, transport: cluster.transport)
        let endpoint = cluster.system.makeWellKnown(StageEndpoint.name) { StageEndpoint(worker: worker, actorSystem: cluster.system) }
        let report = WorkerReport(
            spec: spec, node: cluster.system.localNode, address: cluster.transport.localAddress, pid: getpid(), ready: true)
        var coordinatorKey: String?
        if case .curve(let security) = cluster.transport.configuration.security {
            coordinatorKey = security.allowedPeers["coordinator"]
        }
        let coordinatorAddress = ClusterNode.coordinatorAddress(topology, publicKey: coordinatorKey)
        try? cluster.transport.addPeer(agentAddress)
        try? cluster.transport.addPeer(coordinatorAddress)
        let membership = try cluster.joinMembership(role: "worker", seeds: [coordinatorAddress, agentAddress], topology: topology)

        let announce = Task {
            // The agent first (so its registration lists this worker), then the coordinator; retried until both
            // answered, since either may be restarting.
            var agentTold = false
            while !Task.isCancelled {
                do {
                    if !agentTold {
                        let agent = try AgentEndpoint.resolve(id: .wellKnown(AgentEndpoint.name, onNode: spec.agent), using: cluster.system)
                        try await BrigadeActorSystem.withCallTimeout(.seconds(2)) { try await agent.workerReady(report) }
                        agentTold = true
                    }
                    let coordinator = try CoordinatorEndpoint.resolve(id: .wellKnown(CoordinatorEndpoint.name, onNode: "coordinator"), using: cluster.system)
                    let ack = try await BrigadeActorSystem.withCallTimeout(.seconds(2)) { try await coordinator.workerReady(report) }
                    if ack.known { return }
                } catch {}
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        log("\(spec.workerName): \(cluster.system.localNode) listening on \(cluster.transport.localAddress.control)")
        let signal = await ShutdownSignal.wait()
        log("\(spec.workerName): stopping (signal \(signal))")
        announce.cancel()
        worker.stop()
        membership.leave()
        withExtendedLifetime(endpoint) {}
        await cluster.shutdown()
    }
}
