extension Topology {
    /// One served copy of a model, split into stages (an entry of `pipelines:`).
    public struct Pipeline: Sendable, Codable, Equatable {
        /// Unique name (default: the model's name); same syntax as model names.
        public var name: String
        /// The name of the model it serves (an entry of `models:`).
        public var model: String
        /// How its layers are split into stages.
        public var placement: Placement
        /// Continuous-batching width: sequences in flight at once (default 16).
        public var maxSequences: Int
        /// Requests that may wait beyond `maxSequences`; more get HTTP 429 with Retry-After (default 64).
        public var queueLimit: Int
        /// How many groups the first stage splits its sequences into, so that several stages compute at once. Nil:
        /// one per distinct host among the stages (`microBatchCount(in:)`): stages that share a machine share its
        /// cores and memory bus, so keeping them busy at once only makes them contend.
        public var microBatches: Int?

        /// Makes a pipeline; see the properties for the meaning of each value.
        public init(
            name: String, model: String, placement: Placement, maxSequences: Int = 16, queueLimit: Int = 64
        ) {
            self.name = name
            self.model = model
            self.placement = placement
            self.maxSequences = maxSequences
            self.queueLimit = queueLimit
        }

        /// The micro-batch count in effect: `microBatches`, else the number of distinct hosts the stages run on (every
        /// loopback address counts as one host).
        public func microBatchCount(in topology: Topology) -> Int {
            if let microBatches { return microBatches }
            guard let stages else { return 1 }
            let hosts = Set(stages.map { stage in
                topology.node(named: stage.node).map { HostAddress.canonical($0.host) } ?? stage.node
            })
            return max(1, hosts.count)
        }

        /// The explicit stages, or nil while placement is `auto`.
        public var stages: [Stage]? {
            if case .explicit(let stages) = placement { return stages }
            return nil
        }
    }

    /// How a pipeline's layers map to nodes (`pipelines[].stages`).
    public enum Placement: Sendable, Codable, Equatable {
        /// Let `autoPlace` split the layers once the model's layer count and size are known.
        case auto(AutoPlacement)
        /// Stages in pipeline order; their layer ranges cover `0..<layerCount` without gaps or overlaps.
        case explicit([Stage])
    }

    /// The knobs of automatic placement (`stages: auto` with `stage_count` and `nodes`).
    public struct AutoPlacement: Sendable, Codable, Equatable {
        /// How many stages to make; nil means one per candidate node (at most one per layer).
        public var stageCount: Int?
        /// The nodes it may use, by name; nil means every node.
        public var nodes: [String]?

        /// Makes automatic-placement settings.
        public init(stageCount: Int? = nil, nodes: [String]? = nil) {
            self.stageCount = stageCount
            self.nodes = nodes
        }
    }

    /// One pipeline stage: a contiguous, half-open range of decoder layers on one node.
    public struct Stage: Sendable, Codable, Hashable {
        /// The node that runs it.
        public var node: String
        /// Its layers, half-open: `[10, 20]` in a file is `10..<20`.
        public var layers: Range<Int>

        /// Makes a stage.
        public init(node: String, layers: Range<Int>) {
            self.node = node
            self.layers = layers
        }
    }

    /// Latency targets (`slo:`) that placement and admission aim for.
    public struct SLO: Sendable, Codable, Equatable {
        /// Target time to first token, in milliseconds (default 2000).
        public var ttftMilliseconds: Int
        /// Target time per output token after the first, in milliseconds (default 200).
        public var tpotMilliseconds: Int

        /// Makes latency targets.
        public init(ttftMilliseconds: Int = 2000, tpotMilliseconds: Int = 200) {
            self.ttftMilliseconds = ttftMilliseconds
            self.tpotMilliseconds = tpotMilliseconds
        }
    }

    /// SWIM/Lifeguard settings (`failure_detector:`, DESIGN.md §4).
    public struct FailureDetectorSettings: Sendable, Codable, Equatable {
        /// Time between protocol periods (one direct probe each), in milliseconds (default 250).
        public var probeIntervalMilliseconds: Int
        /// How long a direct ping may take before indirect probes start, in milliseconds (default 100); less than
        /// the probe interval.
        public var pingTimeoutMilliseconds: Int
        /// Shortest suspicion before a suspect is declared dead, reached with enough independent confirmations, in
        /// milliseconds (default 1000).
        public var suspicionMinMilliseconds: Int
        /// Longest suspicion (a single suspector), in milliseconds (default 4000); at least the minimum.
        public var suspicionMaxMilliseconds: Int
        /// How many members are asked to probe a target indirectly (default 3; 0 disables indirect probes).
        public var indirectProbes: Int

        /// Makes failure-detector settings with the documented defaults.
        public init(
            probeIntervalMilliseconds: Int = 180, pingTimeoutMilliseconds: Int = 80,
            suspicionMinMilliseconds: Int = 600, suspicionMaxMilliseconds: Int = 1800, indirectProbes: Int = 3
        ) {
            self.probeIntervalMilliseconds = probeIntervalMilliseconds
            self.pingTimeoutMilliseconds = pingTimeoutMilliseconds
            self.suspicionMinMilliseconds = suspicionMinMilliseconds
            self.suspicionMaxMilliseconds = suspicionMaxMilliseconds
            self.indirectProbes = indirectProbes
        }
    }
}
