/// Splits a pipeline's layers over nodes, in proportion to each node's free memory and within its free slots.
///
/// Pure and deterministic: the same inputs give the same stages. How it decides:
/// 1. Candidates are `auto.nodes` in that order (every node of `nodes`, in order, when it is nil). A candidate's
///    room is `(memory - reserved memory) / bytesPerLayer` layers and `slots - reserved slots` stages.
/// 2. The stage count is `stageCount`, or one per candidate with room (at most one per layer).
/// 3. The candidates with the most room get one stage each (earlier candidates win ties); any further stages go one
///    at a time to the candidate whose stages would each get the most room. A node with several stages splits its
///    room evenly among them.
/// 4. Layers are shared in proportion to each stage's room (largest remainders first), at least one per stage.
///    Stages are ordered by candidate, so a node's stages are neighbours, and layers are contiguous from 0.
///
/// An `.explicit` placement is returned as it is.
///
/// - Parameters:
///   - pipeline: the pipeline to place (its `placement` gives `stageCount` and `nodes`).
///   - nodes: the cluster's nodes.
///   - layerCount: the model's decoder layers.
///   - bytesPerLayer: memory one layer needs on a node (weights plus KV cache); fold per-stage overheads in here.
///   - reserved: what other pipelines already use, by node name.
/// - Throws: `TopologyError` (`.doesNotFit`) saying how much is needed and what each node offers.
public func autoPlace(
    pipeline: Topology.Pipeline, nodes: [Topology.Node], layerCount: Int, bytesPerLayer: Int,
    reserved: [String: Topology.NodeUsage] = [:]
) throws(TopologyError) -> [Topology.Stage] {
    guard case .auto(let auto) = pipeline.placement else { return pipeline.stages ?? [] }
    func fail(_ message: String) -> TopologyError {
        TopologyError(.doesNotFit, diagnostics: [
            Diagnostic(
                .capacity, file: "", location: nil, path: "", message: "pipeline '\(pipeline.name)': \(message)"),
        ])
    }
    guard (1...(1 << 16)).contains(layerCount), bytesPerLayer > 0 else {
        throw fail("needs a layer count in 1...65536 and a positive size per layer "
                    + "(got \(layerCount) and \(bytesPerLayer))")
    }
    var candidates: [Topology.Node] = []
    for name in auto.nodes ?? nodes.map(\.name) {
        guard let node = nodes.first(where: { $0.name == name }) else { throw fail("no node named '\(name)'") }
        candidates.append(node)
    }
    let room = candidates.map { node -> (layers: Int, slots: Int) in
        let used = reserved[node.name] ?? Topology.NodeUsage()
        let memory = max(0, max(0, node.memory.bytes) - max(0, used.memory.bytes))
        // Clamped so the integer arithmetic below cannot overflow; 2^24 layers of room is "plenty".
        let slots = min(max(node.slots, 0), 1 << 20) - min(max(used.slots, 0), 1 << 20)
        return (min(memory / bytesPerLayer, 1 << 24), max(0, slots))
    }
    let usable = room.indices.filter { room[$0].layers > 0 && room[$0].slots > 0 }
    let stageCount = auto.stageCount ?? min(usable.count, layerCount)
    let offered = usable.map { "\(candidates[$0].name) \(room[$0].layers) layers in \(room[$0].slots) slots" }
    let summary = offered.isEmpty ? "no node has a free slot and room for a layer" : offered.joined(separator: ", ")
    guard stageCount > 0 else { throw fail("nothing to place on: \(summary)") }
    guard stageCount <= layerCount else {
        throw fail("\(stageCount) stages for \(layerCount) layers: each stage needs at least one layer")
    }
    let totalRoom = usable.reduce(0) { $0 + room[$1].layers }
    guard totalRoom >= layerCount else {
        let needed = ByteCount(bytes: saturatingMultiply(layerCount, bytesPerLayer))
        throw fail("the model needs \(layerCount) layers of \(ByteCount(bytes: bytesPerLayer)) (\(needed)) but the "
                    + "nodes have room for \(totalRoom): \(summary)")
    }

    // Step 3: one stage on each of the candidates with the most room, then further stages one at a time to the
    // candidate whose stages would each get the most room.
    var assigned = Array(repeating: 0, count: candidates.count)
    let ranked = usable.sorted { room[$0].layers != room[$1].layers ? room[$0].layers > room[$1].layers : $0 < $1 }
    for index in ranked.prefix(stageCount) { assigned[index] = 1 }
    for _ in 0..<max(0, stageCount - ranked.count) {
        var best: Int?
        for index in usable where assigned[index] < room[index].slots && room[index].layers > assigned[index] {
            guard let current = best else { best = index; continue }
            // room[index] / (assigned[index] + 1) > room[current] / (assigned[current] + 1), without division.
            if room[index].layers * (assigned[current] + 1) > room[current].layers * (assigned[index] + 1) {
                best = index
            }
        }
        guard let chosen = best else {
            throw fail("\(stageCount) stages do not fit in the free slots: \(summary)")
        }
        assigned[chosen] += 1
    }
    let chosenRoom = candidates.indices.reduce(0) { $0 + (assigned[$1] > 0 ? room[$1].layers : 0) }
    guard chosenRoom >= layerCount else {
        throw fail("\(stageCount) stage\(stageCount == 1 ? "" : "s") on the nodes with the most room hold "
                    + "\(chosenRoom) of the \(layerCount) layers (\(summary)); allow more stages")
    }

    // Step 4: layers in proportion to each stage's room, at least one each and never more than its room.
    var capacity: [(node: String, layers: Int)] = []
    for index in candidates.indices where assigned[index] > 0 {
        let share = room[index].layers / assigned[index], extra = room[index].layers % assigned[index]
        for stage in 0..<assigned[index] { capacity.append((candidates[index].name, share + (stage < extra ? 1 : 0))) }
    }
    let counts = proportionalShares(of: layerCount, capacities: capacity.map(\.layers))
    var start = 0
    return zip(capacity, counts).map { stage, count in
        defer { start += count }
        return Topology.Stage(node: stage.node, layers: start..<(start + count))
    }
}

/// Splits `total` into one share per capacity, in proportion to the capacities (largest remainders first, earlier
/// entries winning ties), with every share at least 1 and at most its capacity. Needs `capacities.count <= total
/// <= capacities.reduce(0, +)` and every capacity at least 1.
func proportionalShares(of total: Int, capacities: [Int]) -> [Int] {
    let sum = capacities.reduce(0, +)
    // A share's shortfall from its ideal `total * capacity / sum`, scaled by `sum` to stay in integers.
    func shortfall(_ index: Int, _ counts: [Int]) -> Int { total * capacities[index] - counts[index] * sum }
    // Smaller shortfall first; on a tie the later entry counts as smaller, so earlier entries win ties both ways.
    func ordered(_ a: Int, _ b: Int, _ counts: [Int]) -> Bool {
        let (x, y) = (shortfall(a, counts), shortfall(b, counts))
        return x != y ? x < y : a > b
    }
    var counts = capacities.map { max(1, total * $0 / sum) }
    var difference = total - counts.reduce(0, +)
    while difference > 0 {
        let open = counts.indices.filter { counts[$0] < capacities[$0] }
        let index = open.max { ordered($0, $1, counts) }!
        counts[index] += 1
        difference -= 1
    }
    while difference < 0 {
        let open = counts.indices.filter { counts[$0] > 1 }
        let index = open.min { ordered($0, $1, counts) }!
        counts[index] -= 1
        difference += 1
    }
    return counts
}

extension Topology {
    /// What a node already spends on other pipelines' stages, for `autoPlace`.
    public struct NodeUsage: Sendable, Hashable {
        /// Stage workers already placed on the node.
        public var slots: Int
        /// Memory those stages already need.
        public var memory: ByteCount

        /// Makes a usage record.
        public init(slots: Int = 0, memory: ByteCount = ByteCount(bytes: 0)) {
            self.slots = slots
            self.memory = memory
        }
    }

    /// This topology with every `stages: auto` pipeline replaced by explicit stages from `autoPlace`. Pipelines are
    /// placed in file order; each sees the slots and memory of the pipelines before it (and of every explicit
    /// pipeline) as reserved. Explicit stages of models missing from `bytesPerLayer` reserve slots only.
    ///
    /// - Throws: `TopologyError` (`.doesNotFit`) with a diagnostic at each pipeline that cannot be placed, or whose
    ///   model is missing from `layerCounts` or `bytesPerLayer`.
    public func placingAutomaticPipelines(
        layerCounts: [String: Int], bytesPerLayer: [String: Int]
    ) throws(TopologyError) -> Topology {
        var reserved: [String: NodeUsage] = [:]
        func reserve(_ stages: [Stage], model: String) {
            for stage in stages {
                var usage = reserved[stage.node] ?? NodeUsage()
                usage.slots += 1
                usage.memory.bytes += stage.layers.count * (bytesPerLayer[model] ?? 0)
                reserved[stage.node] = usage
            }
        }
        for pipeline in pipelines { if let stages = pipeline.stages { reserve(stages, model: pipeline.model) } }
        var placed = self
        var diagnostics: [Diagnostic] = []
        for (index, pipeline) in pipelines.enumerated() where pipeline.stages == nil {
            let path = "pipelines[\(index)].stages"
            do throws(TopologyError) {
                guard let layers = layerCounts[pipeline.model], let perLayer = bytesPerLayer[pipeline.model] else {
                    throw TopologyError(.doesNotFit, diagnostics: [Diagnostic(
                        .capacity, file: "", location: nil, path: "",
                        message: "pipeline '\(pipeline.name)': the size of model '\(pipeline.model)' is not known")])
                }
                let stages = try autoPlace(pipeline: pipeline, nodes: nodes, layerCount: layers,
                                           bytesPerLayer: perLayer, reserved: reserved)
                placed.pipelines[index].placement = .explicit(stages)
                reserve(stages, model: pipeline.model)
            } catch {
                diagnostics += error.diagnostics.map {
                    Diagnostic($0.kind, file: sources.file, location: sources.location(of: path), path: path,
                               message: $0.message)
                }
            }
        }
        guard diagnostics.isEmpty else { throw TopologyError(.doesNotFit, diagnostics: diagnostics) }
        return placed
    }
}
