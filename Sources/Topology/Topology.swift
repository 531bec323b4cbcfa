/// A Brigade cluster as a topology file describes it: where the coordinator runs, which nodes host agents, which
/// models are served and how each pipeline splits a model into stages, plus security, SLOs and failure-detector
/// settings (DESIGN.md §2, §7; docs/topology.md documents every field).
///
/// Get one from `TopologyLoader.load(path:)`, which checks everything that the file alone can tell. What depends on
/// the model (its layer count, its size) is checked later by `validate(against:bytesPerLayer:)`, and whether the files
/// the topology names exist by `checkFiles(relativeTo:secretKeysFor:)`.
///
/// Files are parsed with Yams's node API (libyaml), which keeps each value's line and column; decoding into these
/// types is written by hand because `Codable`'s errors cannot name lines.
///
/// The value is plain data: `Sendable`, `Codable` (JSON, for the coordinator's store and the wire) and `Equatable`.
/// Equality compares what the cluster should look like and ignores `sources` (where each value was written), so
/// two files that say the same thing in a different layout are equal — the basis of `brigade apply`'s diff.
public struct Topology: Sendable, Codable, Equatable {
    /// The cluster's name and the coordinator's addresses.
    public var cluster: Cluster
    /// How the processes authenticate each other and the API's clients.
    public var security: Security
    /// The machines that run an agent, in file order.
    public var nodes: [Node]
    /// The models the cluster serves, in file order.
    public var models: [Model]
    /// How each served model is split into pipeline stages, in file order.
    public var pipelines: [Pipeline]
    /// The latency targets that placement and admission aim for.
    public var slo: SLO
    /// SWIM/Lifeguard settings for the membership layer.
    public var failureDetector: FailureDetectorSettings
    /// Where each value was written (file, line, column); empty for a topology built in code.
    public var sources: SourceMap

    /// Makes a topology from its parts. Nothing is validated here: `TopologyLoader` validates what it parses, and a
    /// topology built in code can be checked with `validated()`.
    public init(
        cluster: Cluster, security: Security = Security(), nodes: [Node], models: [Model], pipelines: [Pipeline],
        slo: SLO = SLO(), failureDetector: FailureDetectorSettings = FailureDetectorSettings(),
        sources: SourceMap = SourceMap()
    ) {
        self.cluster = cluster
        self.security = security
        self.nodes = nodes
        self.models = models
        self.pipelines = pipelines
        self.slo = slo
        self.failureDetector = failureDetector
        self.sources = sources
    }

    /// True when both describe the same cluster; `sources` is not compared.
    public static func == (lhs: Topology, rhs: Topology) -> Bool {
        lhs.cluster == rhs.cluster && lhs.security == rhs.security && lhs.nodes == rhs.nodes
            && lhs.models == rhs.models && lhs.pipelines == rhs.pipelines && lhs.slo == rhs.slo
            && lhs.failureDetector == rhs.failureDetector
    }

    /// The node named `name`, if the topology has one.
    public func node(named name: String) -> Node? { nodes.first { $0.name == name } }

    /// The model named `name`, if the topology has one.
    public func model(named name: String) -> Model? { models.first { $0.name == name } }

    /// The pipeline named `name`, if the topology has one.
    public func pipeline(named name: String) -> Pipeline? { pipelines.first { $0.name == name } }
}
