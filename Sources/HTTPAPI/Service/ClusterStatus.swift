import Foundation

/// A snapshot of the cluster for `GET /v1/cluster`: who is in it, which pipelines serve which model on which
/// stages, and what happened lately. The cluster fills it; the HTTP layer only encodes it. Keys are snake_case in
/// any encoder (explicit coding keys); `GET /v1/cluster` writes dates in ISO 8601.
///
/// State fields are plain strings so the cluster can add states without changing this type; the documented values
/// are the ones in use.
public struct ClusterStatus: Codable, Sendable, Hashable {
    /// One node of the membership.
    public struct Member: Codable, Sendable, Hashable {
        /// The node's id (as in the topology file).
        public var nodeID: String
        /// Which start of the node this is; a restart gets a higher one.
        public var incarnation: UInt64
        /// Where its control inbox listens (e.g. "tcp://10.0.0.2:7000").
        public var address: String
        /// "coordinator", "agent" or "worker".
        public var role: String
        /// "alive", "suspect", "dead" or "left".
        public var state: String

        enum CodingKeys: String, CodingKey {
            case nodeID = "node_id"
            case incarnation, address, role, state
        }

        /// Creates a member entry.
        public init(nodeID: String, incarnation: UInt64, address: String, role: String, state: String) {
            self.nodeID = nodeID
            self.incarnation = incarnation
            self.address = address
            self.role = role
            self.state = state
        }
    }

    /// One stage of a pipeline: a contiguous layer range on one node.
    public struct Stage: Codable, Sendable, Hashable {
        /// The stage's position in its pipeline, from 0.
        public var index: Int
        /// The node running the stage.
        public var nodeID: String
        /// The first layer the stage owns.
        public var firstLayer: Int
        /// One past the last layer the stage owns.
        public var endLayer: Int
        /// "loading", "serving", "recovering", "migrating" or "stopped".
        public var state: String
        /// The worker process serving the stage ("node-a/main-0#3"), when one is ready.
        public var worker: String?
        /// The stage's counters, as the worker last reported them (nil: not polled yet).
        public var metrics: StageMetrics?

        enum CodingKeys: String, CodingKey {
            case index
            case nodeID = "node_id"
            case firstLayer = "first_layer"
            case endLayer = "end_layer"
            case state, worker, metrics
        }

        /// Creates a stage entry.
        public init(
            index: Int, nodeID: String, firstLayer: Int, endLayer: Int, state: String, worker: String? = nil,
            metrics: StageMetrics? = nil
        ) {
            self.index = index
            self.nodeID = nodeID
            self.firstLayer = firstLayer
            self.endLayer = endLayer
            self.state = state
            self.worker = worker
            self.metrics = metrics
        }
    }

    /// What a stage worker reports about its token loop.
    public struct StageMetrics: Codable, Sendable, Hashable {
        /// Sequences holding KV cache on the stage.
        public var liveSequences: Int
        /// KV-cache blocks (16 tokens each) in use.
        public var kvBlocks: Int
        /// Forward steps run so far.
        public var steps: UInt64
        /// Mean time of one step, in milliseconds (0 before the first).
        public var meanStepMs: Double

        enum CodingKeys: String, CodingKey {
            case liveSequences = "live_sequences"
            case kvBlocks = "kv_blocks"
            case steps
            case meanStepMs = "mean_step_ms"
        }

        /// Creates a metrics entry.
        public init(liveSequences: Int, kvBlocks: Int, steps: UInt64, meanStepMs: Double) {
            self.liveSequences = liveSequences
            self.kvBlocks = kvBlocks
            self.steps = steps
            self.meanStepMs = meanStepMs
        }
    }

    /// One pipeline serving a model.
    public struct Pipeline: Codable, Sendable, Hashable {
        /// The pipeline's id.
        public var id: String
        /// The served model's name.
        public var model: String
        /// "starting", "serving", "degraded", "reconfiguring" or "stopped".
        public var state: String
        /// Sequences in flight on the pipeline now.
        public var activeSequences: Int
        /// The stages, in pipeline order.
        public var stages: [Stage]

        enum CodingKeys: String, CodingKey {
            case id, model, state
            case activeSequences = "active_sequences"
            case stages
        }

        /// Creates a pipeline entry.
        public init(id: String, model: String, state: String, activeSequences: Int = 0, stages: [Stage]) {
            self.id = id
            self.model = model
            self.state = state
            self.activeSequences = activeSequences
            self.stages = stages
        }
    }

    /// Something that happened (a member changed state, a stage moved, a recovery ran).
    public struct Event: Codable, Sendable, Hashable {
        /// When it happened.
        public var time: Date
        /// What kind of event, e.g. "member.suspect", "stage.migrated", "pipeline.recovered".
        public var kind: String
        /// What it happened to: a node, pipeline or stage id.
        public var subject: String
        /// A sentence for people, with the evidence.
        public var message: String

        /// Creates an event entry.
        public init(time: Date, kind: String, subject: String, message: String) {
            self.time = time
            self.kind = kind
            self.subject = subject
            self.message = message
        }
    }

    /// The members, in any order.
    public var members: [Member]
    /// The pipelines, in any order.
    public var pipelines: [Pipeline]
    /// Recent events, oldest first.
    public var events: [Event]

    /// Creates a snapshot.
    public init(members: [Member] = [], pipelines: [Pipeline] = [], events: [Event] = []) {
        self.members = members
        self.pipelines = pipelines
        self.events = events
    }
}
