import Transport

/// What a stage worker is asked to run: one stage of one pipeline.
public struct WorkerSpec: Codable, Sendable, Hashable {
    /// The worker's node name, e.g. `node-a/main-0` (agent node, pipeline, stage).
    public var workerName: String
    /// The agent that runs it.
    public var agent: String
    /// The pipeline's name.
    public var pipeline: String
    /// The stage's index in the pipeline.
    public var stageIndex: Int
    /// How many stages the pipeline has.
    public var stageCount: Int
    /// Its layers, half-open.
    public var firstLayer: Int
    public var endLayer: Int
    /// The served model's name.
    public var model: String
    /// Where the weights are, as the topology wrote it (`default`, a path, a URL); the agent resolves it.
    public var modelSource: String
    /// The expected SHA-256 of the weights file, if the topology gave one.
    public var modelSHA256: String?
    /// Compute threads.
    public var threads: Int
    /// KV cache capacity in tokens over all sequences (nil: the model's context length).
    public var kvCapacityTokens: Int?
    /// The most sequences one step may batch.
    public var maxSequences: Int
    /// "quantized" or "float32" (see `Topology.Model.weights`); nil: quantized.
    public var weights: String?
    /// First stage: how many micro-batches circulate (`Topology.Pipeline.microBatchCount`); nil: one per stage.
    public var microBatches: Int?

    public init(
        workerName: String, agent: String, pipeline: String, stageIndex: Int, stageCount: Int, firstLayer: Int,
        endLayer: Int, model: String, modelSource: String, modelSHA256: String? = nil, threads: Int,
        kvCapacityTokens: Int? = nil, maxSequences: Int, weights: String? = nil, microBatches: Int? = nil
    ) {
        self.weights = weights
        self.microBatches = microBatches
        self.workerName = workerName
        self.agent = agent
        self.pipeline = pipeline
        self.stageIndex = stageIndex
        self.stageCount = stageCount
        self.firstLayer = firstLayer
        self.endLayer = endLayer
        self.model = model
        self.modelSource = modelSource
        self.modelSHA256 = modelSHA256
        self.threads = threads
        self.kvCapacityTokens = kvCapacityTokens
        self.maxSequences = maxSequences
    }

    /// `first..<end`.
    public var layers: Range<Int> { firstLayer..<endLayer }
}

/// A running stage worker, as it reports itself (to the coordinator, directly or through its agent).
public struct WorkerReport: Codable, Sendable, Hashable {
    public var spec: WorkerSpec
    /// The worker process's identity (its incarnation is new on every start).
    public var node: NodeID
    /// Where it listens.
    public var address: PeerAddress
    /// Its OS process id on the agent's machine.
    public var pid: Int32
    /// Whether its layers are loaded and it takes traffic.
    public var ready: Bool

    public init(spec: WorkerSpec, node: NodeID, address: PeerAddress, pid: Int32, ready: Bool) {
        self.spec = spec
        self.node = node
        self.address = address
        self.pid = pid
        self.ready = ready
    }
}

/// What a machine offers (reported by its agent).
public struct NodeResources: Codable, Sendable, Hashable {
    public var cores: Int
    public var memoryBytes: UInt64
    /// Model files already in the machine's cache (file names).
    public var cachedModels: [String]

    public init(cores: Int, memoryBytes: UInt64, cachedModels: [String]) {
        self.cores = cores
        self.memoryBytes = memoryBytes
        self.cachedModels = cachedModels
    }
}

/// An agent introducing itself to the coordinator (on start, and again whenever the coordinator restarted).
public struct AgentRegistration: Codable, Sendable, Hashable {
    public var node: NodeID
    public var address: PeerAddress
    public var resources: NodeResources
    /// The workers it runs now (so a restarted coordinator adopts them instead of starting new ones).
    public var workers: [WorkerReport]

    public init(node: NodeID, address: PeerAddress, resources: NodeResources, workers: [WorkerReport]) {
        self.node = node
        self.address = address
        self.resources = resources
        self.workers = workers
    }
}

/// The coordinator's answer to a registration or heartbeat.
public struct CoordinatorAck: Codable, Sendable, Hashable {
    /// The coordinator's identity; a change of incarnation tells the caller to register again.
    public var coordinator: NodeID
    /// False when the coordinator does not know the caller (it restarted): the caller must register again.
    public var known: Bool

    public init(coordinator: NodeID, known: Bool) {
        self.coordinator = coordinator
        self.known = known
    }
}

/// How a stage worker is connected: its neighbours, the first stage and the gateway.
public struct PipelineWiring: Codable, Sendable, Hashable {
    public var pipeline: String
    /// Every stage's worker, in order.
    public var stages: [PeerAddress]
    /// Where token events and failures go (the coordinator's gateway).
    public var gateway: PeerAddress

    public init(pipeline: String, stages: [PeerAddress], gateway: PeerAddress) {
        self.pipeline = pipeline
        self.stages = stages
        self.gateway = gateway
    }
}

/// A stage worker's counters, for `/v1/cluster`, metrics and `brigade status`.
public struct StageStatus: Codable, Sendable, Hashable {
    public var spec: WorkerSpec
    public var liveSequences: Int
    public var kvBlocksInUse: Int
    public var steps: UInt64
    public var rows: UInt64
    public var stepSeconds: Double
    public var lastStepSeconds: Double
    public var failedSequences: UInt64

    /// Mean seconds per step so far (0 before the first step).
    public var meanStepSeconds: Double { steps == 0 ? 0 : stepSeconds / Double(steps) }

    public init(spec: WorkerSpec, liveSequences: Int, kvBlocksInUse: Int, steps: UInt64, rows: UInt64,
                stepSeconds: Double, lastStepSeconds: Double, failedSequences: UInt64) {
        self.spec = spec
        self.liveSequences = liveSequences
        self.kvBlocksInUse = kvBlocksInUse
        self.steps = steps
        self.rows = rows
        self.stepSeconds = stepSeconds
        self.lastStepSeconds = lastStepSeconds
        self.failedSequences = failedSequences
    }
}

/// A cluster-level error that crosses the wire (thrown by the coordinator, agents and workers).
public struct ClusterError: Error, Codable, Sendable, CustomStringConvertible, Hashable {
    /// What went wrong; an open set of names.
    public struct Code: Codable, Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public static let unknownNode = Code("unknownNode")
        public static let noCapacity = Code("noCapacity")
        public static let modelUnavailable = Code("modelUnavailable")
        public static let spawnFailed = Code("spawnFailed")
        public static let invalidSpec = Code("invalidSpec")
        public static let notReady = Code("notReady")
        public static let configuration = Code("configuration")
        public static let storage = Code("storage")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
