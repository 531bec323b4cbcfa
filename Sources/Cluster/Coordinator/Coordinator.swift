import ActorSystem
import DataPlane
import Distributed
import Foundation
import HTTPAPI
import Membership
import Metrics
import Topology
import Transport

/// The cluster's brain (DESIGN.md §2): holds the desired state (the topology) and the observed state (agents,
/// workers), starts stage workers through agents, wires pipelines once all their stages are ready, and opens them to
/// the gateway. Reacts to agents' reports of worker exits by taking the pipeline out of service and starting the
/// stage again.
///
/// All decisions happen in `reconcile()`, which compares desired and observed state and issues idempotent actions;
/// it runs on every report and on a periodic tick, so a lost message only delays convergence.
public actor Coordinator {
    /// One stage of a pipeline, as the coordinator tracks it.
    struct StageSlot {
        var spec: WorkerSpec
        /// The ready worker serving the stage, if any.
        var worker: WorkerReport?
        /// When a start was last requested (nil: none pending).
        var startRequested: ContinuousClock.Instant?
        var startFailures = 0
    }

    /// One pipeline, as the coordinator tracks it.
    struct PipelineRun {
        var config: Topology.Pipeline
        var stages: [StageSlot]
        enum State: String { case starting, wiring, serving, degraded }
        var state: State = .starting
        /// The worker incarnations the current wiring connects (nil: not wired).
        var wiredWith: [NodeID]?
        var wiringInProgress = false
    }

    struct AgentState {
        var registration: AgentRegistration
        var lastSeen: ContinuousClock.Instant
    }

    public let topology: Topology
    let system: BrigadeActorSystem
    let gateway: Gateway
    let models: [String: ModelInfo]
    let log: EventLog
    var agents: [String: AgentState] = [:]
    var pipelines: [String: PipelineRun] = [:]
    /// The durable store, if the coordinator keeps one.
    let store: CoordinatorStore?
    private var storeFailed = false
    /// Each member's latest status in this coordinator's membership view, by name.
    var memberStatus: [String: (node: NodeID, status: MemberStatus)] = [:]
    /// What each ready worker last said about its token loop (see `pollStages()`).
    var stageReports: [NodeID: StageStatus] = [:]
    /// How long a requested worker may take to report ready before it is requested again.
    let startTimeout: Duration
    /// An agent silent for this long is considered gone (until membership reports it).
    let agentTimeout: Duration

    /// - Parameters:
    ///   - topology: the desired state, placed (no `auto` pipelines left: see `Topology.placingAutomaticPipelines`).
    ///   - models: the served models' headers, by name.
    public init(
        topology: Topology, models: [String: ModelInfo], system: BrigadeActorSystem, gateway: Gateway, log: EventLog,
        store: CoordinatorStore? = nil, startTimeout: Duration = .seconds(300), agentTimeout: Duration = .seconds(6)
    ) throws(ClusterError) {
        self.topology = topology
        self.store = store
        self.system = system
        self.gateway = gateway
        self.models = models
        self.log = log
        self.startTimeout = startTimeout
        self.agentTimeout = agentTimeout
        for pipeline in topology.pipelines {
            guard let stages = pipeline.stages else {
                throw ClusterError(.configuration, "pipeline \(pipeline.name) is not placed yet")
            }
            let slots = stages.enumerated().map { index, stage in
                StageSlot(spec: WorkerSpec(
                    workerName: "\(stage.node)/\(pipeline.name)-\(index)", agent: stage.node, pipeline: pipeline.name,
                    stageIndex: index, stageCount: stages.count, firstLayer: stage.layers.lowerBound,
                    endLayer: stage.layers.upperBound, model: pipeline.model,
                    modelSource: topology.model(named: pipeline.model)?.source.written ?? "default",
                    modelSHA256: topology.model(named: pipeline.model)?.sha256,
                    threads: topology.node(named: stage.node)?.threads ?? 1,
                    kvCapacityTokens: nil, maxSequences: pipeline.maxSequences,
                    weights: topology.model(named: pipeline.model)?.weights,
                    microBatches: pipeline.microBatchCount(in: topology)))
            }
            pipelines[pipeline.name] = PipelineRun(config: pipeline, stages: slots)
            gateway.setUnavailable(model: pipeline.model, reason: "pipeline \(pipeline.name) is starting")
        }
    }

    // MARK: Reports from agents and workers

    func register(_ registration: AgentRegistration) -> CoordinatorAck {
        let name = registration.node.name
        let known = agents[name]?.registration.node == registration.node
        agents[name] = AgentState(registration: registration, lastSeen: .now)
        persist { store throws(ClusterError) in try store.saveAgent(registration) }
        try? system.transport.addPeer(registration.address)
        if !known {
            log.record("agent.registered", subject: name, "agent \(registration.node) at \(registration.address.control) with \(registration.workers.count) running worker(s)")
        }
        for worker in registration.workers where worker.ready { adopt(worker) }
        reconcile()
        return CoordinatorAck(coordinator: system.localNode, known: true)
    }

    func heartbeat(agent: NodeID) -> CoordinatorAck {
        guard var state = agents[agent.name], state.registration.node == agent else {
            return CoordinatorAck(coordinator: system.localNode, known: false)
        }
        state.lastSeen = .now
        agents[agent.name] = state
        return CoordinatorAck(coordinator: system.localNode, known: true)
    }

    func workerReady(_ report: WorkerReport) -> CoordinatorAck {
        let adopted = adopt(report)
        if adopted {
            log.record("worker.ready", subject: report.spec.workerName, "stage \(report.spec.stageIndex) of \(report.spec.pipeline) (layers \(report.spec.firstLayer)..<\(report.spec.endLayer)) is ready as \(report.node)")
        }
        reconcile()
        return CoordinatorAck(coordinator: system.localNode, known: adopted)
    }

    func workerExited(agent: String, worker: NodeID, reason: String) {
        for (name, var run) in pipelines {
            guard let index = run.stages.firstIndex(where: { $0.worker?.node == worker || ($0.worker == nil && $0.spec.workerName == worker.name) }) else { continue }
            let wasServing = run.stages[index].worker != nil
            run.stages[index].worker = nil
            run.stages[index].startRequested = nil
            persist { store throws(ClusterError) in try store.removeWorker(pipeline: name, stage: index) }
            _ = system.peerTerminated(worker)
            log.record("worker.exited", subject: worker.name, "stage \(index) of \(name) on \(agent) \(reason)")
            if wasServing || run.state == .serving {
                takeOutOfService(&run, reason: "stage \(index) of pipeline \(name) (\(worker.name)) \(reason)")
            }
            pipelines[name] = run
        }
        reconcile()
    }

    /// Records a ready worker in its slot when it matches the desired stage; returns whether it did.
    @discardableResult
    private func adopt(_ report: WorkerReport) -> Bool {
        guard var run = pipelines[report.spec.pipeline], run.stages.indices.contains(report.spec.stageIndex) else {
            return false
        }
        let slot = run.stages[report.spec.stageIndex]
        guard slot.spec.layers == report.spec.layers, slot.spec.model == report.spec.model,
            slot.spec.workerName == report.spec.workerName
        else { return false }
        if let current = slot.worker, current.node.incarnation > report.node.incarnation { return false }
        run.stages[report.spec.stageIndex].worker = report
        run.stages[report.spec.stageIndex].startRequested = nil
        run.stages[report.spec.stageIndex].startFailures = 0
        try? system.transport.addPeer(report.address)
        pipelines[report.spec.pipeline] = run
        if slot.worker != report { persist { store throws(ClusterError) in try store.saveWorker(report) } }
        return true
    }

    /// Runs a write against the store, if there is one; the first failure is logged, later ones are not.
    private func persist(_ write: (CoordinatorStore) throws(ClusterError) -> Void) {
        guard let store else { return }
        do {
            try write(store)
        } catch {
            if !storeFailed { log.record("store.failed", subject: store.path, "\(error)") }
            storeFailed = true
        }
    }

    // MARK: Resuming after a restart

    /// Adopts the workers the store remembers that still answer, so a restarted coordinator serves again without
    /// waiting for agents to re-register (they do, and that adopts the same workers again). Returns how many stages
    /// were adopted.
    @discardableResult
    public func resume() async -> Int {
        guard let store, let remembered = try? store.workers(), !remembered.isEmpty else { return 0 }
        let system = self.system
        let alive = await withTaskGroup(of: WorkerReport?.self) { group in
            for report in remembered {
                group.addTask {
                    try? system.transport.addPeer(report.address)
                    guard let endpoint = try? StageEndpoint.resolve(id: .wellKnown(StageEndpoint.name, onNode: report.node.name), using: system),
                        let status = try? await BrigadeActorSystem.withCallTimeout(.seconds(1), { try await endpoint.status() }),
                        status.spec == report.spec
                    else { return nil }
                    return report
                }
            }
            var alive: [WorkerReport] = []
            for await report in group { if let report { alive.append(report) } }
            return alive
        }
        var adopted = 0
        for report in alive where adopt(report) { adopted += 1 }
        log.record(
            "coordinator.resumed", subject: system.localNode.name,
            "found \(remembered.count) remembered worker(s) in \(store.path); \(adopted) still answer and were adopted")
        reconcile()
        return adopted
    }

    private func takeOutOfService(_ run: inout PipelineRun, reason: String) {
        run.wiredWith = nil
        if run.state == .serving {
            gateway.removeRoute(pipeline: run.config.name, reason: reason)
            log.record("pipeline.degraded", subject: run.config.name, reason)
        }
        run.state = .degraded
        gateway.setUnavailable(model: run.config.model, reason: reason)
    }

    // MARK: Membership

    /// A member's status changed (SWIM/Lifeguard): recorded as an event with its evidence; a convicted worker is
    /// handled like a reported exit (its pipeline leaves service and the stage is started again), a convicted agent is
    /// forgotten until it registers again.
    public func membershipChanged(_ event: MemberEvent) {
        let node = event.node
        if let known = memberStatus[node.name], known.node.incarnation > node.incarnation { return }
        memberStatus[node.name] = (node, event.status)
        let role = event.metadata["role"] ?? "member"
        log.record("member.\(event.status)", subject: node.name, "\(role) \(node) is \(event.status) (\(event.evidence))")
        guard event.status == .dead || event.status == .left else { return }
        if role == "worker" {
            let slot = pipelines.values.lazy.flatMap(\.stages).first { $0.worker?.node == node }
            if let slot { workerExited(agent: slot.spec.agent, worker: node, reason: "was convicted by membership (\(event.evidence))") }
        } else if role == "agent", agents[node.name]?.registration.node == node {
            agents[node.name] = nil
        }
    }

    // MARK: Reconciliation

    /// Runs `reconcile()` every `interval` until cancelled, and checks that agents are still heard from.
    public func run(interval: Duration = .milliseconds(500)) async {
        var tick = 0
        while !Task.isCancelled {
            expireSilentAgents()
            reconcile()
            if tick % 2 == 0 { await pollStages() }
            tick += 1
            try? await Task.sleep(for: interval)
        }
    }

    /// Asks every ready worker for its counters (in parallel, briefly), keeps the answers for `status()` and
    /// publishes them as the per-stage gauges of `/metrics`. A worker that does not answer keeps its last report.
    func pollStages() async {
        var targets: [(pipeline: String, index: Int, node: NodeID)] = []
        for (name, run) in pipelines {
            for (index, slot) in run.stages.enumerated() { if let worker = slot.worker { targets.append((name, index, worker.node)) } }
        }
        let system = self.system
        let answers = await withTaskGroup(of: (NodeID, StageStatus?).self) { group in
            for target in targets {
                group.addTask {
                    let endpoint = try? StageEndpoint.resolve(id: .wellKnown(StageEndpoint.name, onNode: target.node.name), using: system)
                    let answer = try? await BrigadeActorSystem.withCallTimeout(.milliseconds(500)) { try await endpoint?.status() }
                    return (target.node, answer ?? nil)
                }
            }
            var answers: [NodeID: StageStatus] = [:]
            for await (node, answer) in group { if let answer { answers[node] = answer } }
            return answers
        }
        let live = Set(targets.map(\.node))
        stageReports = stageReports.filter { live.contains($0.key) }.merging(answers) { $1 }
        for target in targets {
            guard let report = stageReports[target.node] else { continue }
            let dimensions = [("pipeline", target.pipeline), ("stage", String(target.index))]
            Gauge(label: "brigade_stage_step_seconds", dimensions: dimensions).record(report.meanStepSeconds)
            Gauge(label: "brigade_stage_live_sequences", dimensions: dimensions).record(report.liveSequences)
            Gauge(label: "brigade_stage_kv_blocks", dimensions: dimensions).record(report.kvBlocksInUse)
        }
    }

    private func expireSilentAgents() {
        let now = ContinuousClock.now
        for (name, state) in agents where now - state.lastSeen > agentTimeout {
            agents[name] = nil
            log.record("agent.silent", subject: name, "agent \(state.registration.node) has not been heard from for \(agentTimeout)")
        }
    }

    /// Compares desired and observed state and starts whatever is missing.
    func reconcile() {
        for name in pipelines.keys.sorted() {
            guard var run = pipelines[name] else { continue }
            for index in run.stages.indices { startIfNeeded(&run, stage: index) }
            let ready = run.stages.allSatisfy { $0.worker?.ready == true }
            let incarnations = run.stages.compactMap { $0.worker?.node }
            if ready, run.wiredWith != incarnations, !run.wiringInProgress {
                run.wiringInProgress = true
                run.state = run.state == .serving ? .serving : .wiring
                let stages = run.stages.compactMap(\.worker)
                Task { await self.wire(pipeline: name, workers: stages) }
            }
            pipelines[name] = run
        }
    }

    private func startIfNeeded(_ run: inout PipelineRun, stage index: Int) {
        let slot = run.stages[index]
        guard slot.worker == nil else { return }
        if let requested = slot.startRequested, ContinuousClock.now - requested < startTimeout { return }
        guard let agent = agents[slot.spec.agent] else { return }
        run.stages[index].startRequested = .now
        let spec = slot.spec
        let agentNode = agent.registration.node
        log.record("worker.starting", subject: spec.workerName, "asking \(spec.agent) to start stage \(index) of \(spec.pipeline)")
        Task {
            do {
                let endpoint = try AgentEndpoint.resolve(id: .wellKnown(AgentEndpoint.name, onNode: agentNode.name), using: self.system)
                _ = try await BrigadeActorSystem.withCallTimeout(.seconds(30)) { try await endpoint.startWorker(spec) }
            } catch {
                self.startFailed(spec, error: error)
            }
        }
    }

    private func startFailed(_ spec: WorkerSpec, error: any Error) {
        guard var run = pipelines[spec.pipeline] else { return }
        run.stages[spec.stageIndex].startFailures += 1
        // Back off: allow a new request after a few seconds rather than after the full start timeout.
        let backoff = Duration.seconds(min(30, 1 << min(run.stages[spec.stageIndex].startFailures, 5)))
        run.stages[spec.stageIndex].startRequested = ContinuousClock.now - startTimeout + backoff
        pipelines[spec.pipeline] = run
        log.record("worker.start_failed", subject: spec.workerName, "\(error)")
        gateway.setUnavailable(model: spec.model, reason: "stage \(spec.stageIndex) of \(spec.pipeline) cannot start: \(error)")
    }

    private func wire(pipeline name: String, workers: [WorkerReport]) async {
        let wiring = PipelineWiring(pipeline: name, stages: workers.map(\.address), gateway: system.transport.localAddress)
        var failure: String?
        await withTaskGroup(of: String?.self) { group in
            for worker in workers {
                group.addTask {
                    do {
                        let endpoint = try StageEndpoint.resolve(id: .wellKnown(StageEndpoint.name, onNode: worker.node.name), using: self.system)
                        try await BrigadeActorSystem.withCallTimeout(.seconds(10)) { try await endpoint.wire(wiring) }
                        return nil
                    } catch {
                        return "wiring \(worker.node) failed: \(error)"
                    }
                }
            }
            for await result in group where result != nil { failure = result }
        }
        finishWiring(pipeline: name, workers: workers, failure: failure)
    }

    private func finishWiring(pipeline name: String, workers: [WorkerReport], failure: String?) {
        guard var run = pipelines[name] else { return }
        run.wiringInProgress = false
        let current = run.stages.compactMap { $0.worker?.node }
        if let failure {
            log.record("pipeline.wiring_failed", subject: name, failure)
        } else if current == workers.map(\.node) {
            run.wiredWith = current
            run.state = .serving
            let transport = system.transport
            let sender = DataPlaneSender(transport: transport)
            let names = workers.map(\.node)
            gateway.setRoute(Gateway.Route(
                pipeline: name, model: run.config.model, stages: names.map(\.name),
                maxSequences: run.config.maxSequences, queueLimit: run.config.queueLimit,
                send: { stage, message in sender.send(message, to: names[stage]) }))
            log.record("pipeline.serving", subject: name, "serving \(run.config.model) on " + names.map(\.description).joined(separator: " → "))
        }
        pipelines[name] = run
    }

    // MARK: Status

    /// The cluster as `/v1/cluster` shows it.
    public func status() async -> ClusterStatus {
        await pollStages()
        var members = [ClusterStatus.Member(
            nodeID: system.localNode.name, incarnation: system.localNode.incarnation,
            address: system.transport.localAddress.control, role: "coordinator", state: "alive")]
        for (_, agent) in agents.sorted(by: { $0.key < $1.key }) {
            members.append(.init(
                nodeID: agent.registration.node.name, incarnation: agent.registration.node.incarnation,
                address: agent.registration.address.control, role: "agent", state: state(of: agent.registration.node)))
        }
        var pipelineStatus: [ClusterStatus.Pipeline] = []
        for (name, run) in pipelines.sorted(by: { $0.key < $1.key }) {
            let stages = run.stages.enumerated().map { index, slot in
                if let worker = slot.worker {
                    members.append(.init(
                        nodeID: worker.node.name, incarnation: worker.node.incarnation, address: worker.address.control,
                        role: "worker", state: state(of: worker.node)))
                }
                let metrics = slot.worker.flatMap { stageReports[$0.node] }.map {
                    ClusterStatus.StageMetrics(
                        liveSequences: $0.liveSequences, kvBlocks: $0.kvBlocksInUse, steps: $0.steps,
                        meanStepMs: $0.meanStepSeconds * 1000)
                }
                return ClusterStatus.Stage(
                    index: index, nodeID: slot.spec.agent, firstLayer: slot.spec.firstLayer, endLayer: slot.spec.endLayer,
                    state: slot.worker == nil ? (slot.startRequested == nil ? "stopped" : "loading") : (run.state == .serving ? "serving" : "loading"),
                    worker: slot.worker?.node.description, metrics: metrics)
            }
            pipelineStatus.append(.init(
                id: name, model: run.config.model, state: run.state.rawValue,
                activeSequences: gateway.load(pipeline: name).active, stages: stages))
        }
        return ClusterStatus(members: members, pipelines: pipelineStatus, events: log.recent())
    }

    /// A member's state for `/v1/cluster`: what membership says of this life, "alive" until it has said anything.
    private func state(of node: NodeID) -> String {
        guard let known = memberStatus[node.name], known.node == node else { return "alive" }
        return known.status.description
    }

    /// Whether every pipeline serves.
    public var isServing: Bool { pipelines.values.allSatisfy { $0.state == .serving } }
}
