import ActorSystem
import Distributed
import Transport

/// The coordinator as its peers see it: agents register and report, workers announce themselves.
/// A thin facade over `Coordinator`, which holds the state.
public distributed actor CoordinatorEndpoint {
    public typealias ActorSystem = BrigadeActorSystem
    /// The well-known actor name.
    public static let name = "coordinator"
    let coordinator: Coordinator

    public init(coordinator: Coordinator, actorSystem: BrigadeActorSystem) {
        self.coordinator = coordinator
        self.actorSystem = actorSystem
    }

    /// An agent introduces itself (on start, and after the coordinator restarted), listing its running workers.
    public distributed func register(_ registration: AgentRegistration) async -> CoordinatorAck {
        await coordinator.register(registration)
    }

    /// An agent says it is alive; `known: false` in the answer asks it to register again.
    public distributed func heartbeat(agent: NodeID) async -> CoordinatorAck {
        await coordinator.heartbeat(agent: agent)
    }

    /// A worker has loaded its layers and listens.
    public distributed func workerReady(_ report: WorkerReport) async -> CoordinatorAck {
        await coordinator.workerReady(report)
    }

    /// An agent saw one of its workers exit (hard evidence of a failure).
    public distributed func workerExited(agent: String, worker: NodeID, reason: String) async {
        await coordinator.workerExited(agent: agent, worker: worker, reason: reason)
    }
}

/// An agent as the coordinator sees it: starts and stops the stage workers on its machine.
public distributed actor AgentEndpoint {
    public typealias ActorSystem = BrigadeActorSystem
    /// The well-known actor name.
    public static let name = "agent"
    let agent: Agent

    public init(agent: Agent, actorSystem: BrigadeActorSystem) {
        self.agent = agent
        self.actorSystem = actorSystem
    }

    /// Starts a worker process for `spec` (a no-op returning the running one if it already runs).
    public distributed func startWorker(_ spec: WorkerSpec) async throws(ClusterError) -> Int32 {
        try await agent.startWorker(spec)
    }

    /// Stops a worker process (SIGTERM, then SIGKILL after a grace period).
    public distributed func stopWorker(named name: String) async {
        await agent.stopWorker(named: name)
    }

    /// A worker it started is ready (the worker says so before telling the coordinator).
    public distributed func workerReady(_ report: WorkerReport) async {
        await agent.workerReady(report)
    }

    /// The workers this agent runs now.
    public distributed func workers() async -> [WorkerReport] {
        await agent.workerReports()
    }
}

/// A stage worker as the coordinator sees it.
public distributed actor StageEndpoint {
    public typealias ActorSystem = BrigadeActorSystem
    /// The well-known actor name.
    public static let name = "stage"
    let worker: StageWorker

    public init(worker: StageWorker, actorSystem: BrigadeActorSystem) {
        self.worker = worker
        self.actorSystem = actorSystem
    }

    /// Connects the stage to its neighbours, the first stage and the gateway (again, to rewire).
    public distributed func wire(_ wiring: PipelineWiring) async throws(ClusterError) {
        try worker.wire(wiring)
    }

    /// The stage's counters.
    public distributed func status() -> StageStatus {
        worker.status()
    }
}
