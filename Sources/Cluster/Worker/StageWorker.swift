import ActorSystem
import DataPlane
import Foundation
import ModelEngine
import Pipeline
import Synchronization
import Transport

/// A stage worker process's core: the engine stage and its token loop, connected to the network.
///
/// Inbound data-plane messages (step batches, admissions, token events, releases) go from the transport's I/O thread
/// straight into the `StageRuntime`; its results go out through a `DataPlaneSender`. The coordinator wires (and
/// rewires) the stage with `wire(_:)`; until then the stage takes no traffic.
public final class StageWorker: Sendable {
    public let spec: WorkerSpec
    let runtime: StageRuntime
    let transport: any Transport
    let sender: DataPlaneSender
    private let wiring = Mutex<PipelineWiring?>(nil)
    private let malformed = Counter()

    /// Loads nothing itself: `stage` is the loaded engine stage for `spec`'s layers.
    public init(spec: WorkerSpec, stage: LlamaStage, transport: any Transport) {
        self.spec = spec
        self.transport = transport
        let sender = DataPlaneSender(transport: transport)
        self.sender = sender
        runtime = StageRuntime(
            stage: stage, stageIndex: spec.stageIndex,
            links: StageRuntime.Links(downstream: nil, firstStage: nil, gateway: { _ in }),
            options: StageRuntime.Options(rowBudget: 512, maxSequences: max(1, spec.maxSequences), microBatches: spec.microBatches ?? spec.stageCount))
        let runtime = self.runtime
        let malformed = self.malformed
        transport.setHandler(for: .data) { inbound in
            do {
                runtime.deliver(try PipelineMessage(frames: inbound.frames))
            } catch {
                malformed.increment()
            }
        }
    }

    /// Connects the stage to its neighbours and the gateway (again, to rewire).
    public func wire(_ wiring: PipelineWiring) throws(ClusterError) {
        guard wiring.pipeline == spec.pipeline, wiring.stages.count == spec.stageCount,
            wiring.stages[spec.stageIndex].name == transport.localNode.name
        else {
            throw ClusterError(.invalidSpec, "wiring for \(wiring.pipeline) with \(wiring.stages.count) stages does not fit \(spec.workerName) (stage \(spec.stageIndex) of \(spec.stageCount) in \(spec.pipeline))")
        }
        do {
            for peer in wiring.stages where peer.name != transport.localNode.name { try transport.addPeer(peer) }
            try transport.addPeer(wiring.gateway)
        } catch {
            throw ClusterError(.configuration, "cannot reach a peer of \(wiring.pipeline): \(error.message)")
        }
        let sender = self.sender
        let runtime = self.runtime
        func target(_ address: PeerAddress) -> @Sendable (PipelineMessage) -> Void {
            if address.name == transport.localNode.name { return { runtime.deliver($0) } }
            let node = NodeID(name: address.name, incarnation: 0)
            return { sender.send($0, to: node) }
        }
        let isLast = spec.stageIndex == spec.stageCount - 1
        runtime.setLinks(StageRuntime.Links(
            downstream: isLast ? nil : target(wiring.stages[spec.stageIndex + 1]),
            firstStage: isLast ? target(wiring.stages[0]) : nil,
            gateway: target(wiring.gateway)))
        self.wiring.withLock { $0 = wiring }
    }

    /// The stage's counters.
    public func status() -> StageStatus {
        let stats = runtime.statistics
        return StageStatus(
            spec: spec, liveSequences: stats.liveSequences,
            kvBlocksInUse: runtime.stage.withKVCache { $0.usedBlocks }, steps: stats.steps, rows: stats.rows,
            stepSeconds: stats.stepSeconds, lastStepSeconds: stats.lastStepSeconds,
            failedSequences: stats.failedSequences)
    }

    /// Data-plane messages dropped because they could not be decoded.
    public var malformedMessages: UInt64 { malformed.value }

    /// Stops the token loop.
    public func stop() { runtime.stop() }
}
