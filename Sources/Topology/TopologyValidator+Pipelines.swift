extension TopologyValidator {
    mutating func checkModels() {
        for (index, model) in topology.models.enumerated() {
            let path = FieldPath.element("models", index)
            guard usable(path) else { continue }
            checkModelName(model.name, "\(path).name", what: "model")
            if let hash = model.sha256, hash.count != 64 || !hash.allSatisfy(\.isHexDigit) {
                report(.invalidValue, "\(path).sha256", "'\(hash)' is not a SHA-256 (64 hexadecimal digits)")
            }
            if model.chatTemplate?.isEmpty == true { report(.invalidValue, "\(path).chat_template", "is empty") }
            if let context = model.contextLength { check(context, in: 1...(1 << 24), "\(path).context_length") }
            let sampling = model.sampling
            if !(0...2).contains(sampling.temperature) {
                report(.invalidValue, "\(path).sampling.temperature",
                       "\(Self.number(sampling.temperature)) is out of range 0...2")
            }
            if !(sampling.topP > 0 && sampling.topP <= 1) {
                report(.invalidValue, "\(path).sampling.top_p",
                       "\(Self.number(sampling.topP)) is out of range (0, 1]")
            }
            check(sampling.topK, in: 0...Int.max, "\(path).sampling.top_k")
            check(sampling.maxTokens, in: 1...(model.contextLength ?? (1 << 24)), "\(path).sampling.max_tokens")
        }
        checkUnique(topology.models.enumerated().map { ($1.name, "models[\($0)].name") }, what: "model name")
    }

    mutating func checkPipelines() {
        let models = KnownNames(topology.models.map(\.name))
        let modelsComplete = namesComplete("models", count: models.count)
        let nodes = KnownNames(topology.nodes.map(\.name))
        let nodesComplete = namesComplete("nodes", count: nodes.count)
        for (index, pipeline) in topology.pipelines.enumerated() {
            let path = FieldPath.element("pipelines", index)
            guard usable(path) else { continue }
            checkModelName(pipeline.name, "\(path).name", what: "pipeline")
            if modelsComplete { checkReference(pipeline.model, "\(path).model", known: models, what: "model") }
            check(pipeline.maxSequences, in: 1...4096, "\(path).max_sequences")
            check(pipeline.queueLimit, in: 0...1_000_000, "\(path).queue_limit")
            if let microBatches = pipeline.microBatches { check(microBatches, in: 1...64, "\(path).micro_batches") }
            switch pipeline.placement {
            case .auto(let auto):
                if let count = auto.stageCount { check(count, in: 1...1024, "\(path).stage_count") }
                if let candidates = auto.nodes {
                    if candidates.isEmpty { report(.invalidValue, "\(path).nodes", "is empty: name at least one node") }
                    for (position, name) in candidates.enumerated() where nodesComplete {
                        checkReference(name, "\(path).nodes[\(position)]", known: nodes, what: "node")
                    }
                    checkUnique(candidates.enumerated().map { ($1, "\(path).nodes[\($0)]") }, what: "node")
                }
            case .explicit(let stages):
                if stages.isEmpty { report(.layerRange, "\(path).stages", "is empty: list at least one stage") }
                for (position, stage) in stages.enumerated() where nodesComplete {
                    checkReference(stage.node, "\(path).stages[\(position)].node", known: nodes, what: "node")
                }
                checkContiguous(stages, path: "\(path).stages")
            }
        }
        checkUnique(topology.pipelines.enumerated().map { ($1.name, "pipelines[\($0)].name") },
                    what: "pipeline name", hint: "; a pipeline's name defaults to its model's, so give each a name")
    }

    /// `3` for 3.0, `0.95` for 0.95: numbers as a person would write them.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }

    /// Stages must cover layers from 0 upwards, each starting where the previous one ends.
    private mutating func checkContiguous(_ stages: [Topology.Stage], path: String) {
        let paths = stages.indices.map { "\(path)[\($0)].layers" }
        guard paths.allSatisfy(usable) else { return }
        var expected = 0
        for (position, stage) in stages.enumerated() {
            let start = stage.layers.lowerBound
            if position == 0, start != 0 {
                report(.layerRange, "\(paths[0])[0]", "the first stage starts at layer \(start); it must start at 0")
            } else if start > expected {
                report(.layerRange, "\(paths[position])[0]",
                       "gap: layers \(expected)..<\(start) are in no stage (the previous stage ends at \(expected))")
            } else if start < expected {
                report(.layerRange, "\(paths[position])[0]",
                       "overlap: layers \(start)..<\(min(expected, stage.layers.upperBound)) are already in the "
                        + "previous stage, which ends at \(expected)")
            }
            expected = max(expected, stage.layers.upperBound)
        }
    }

    /// A node runs at most `slots` stage workers, over all pipelines.
    mutating func checkSlots() {
        var used: [String: Int] = [:]
        var autoStages = 0
        let nodesByName = Dictionary(topology.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (index, pipeline) in topology.pipelines.enumerated() {
            switch pipeline.placement {
            case .explicit(let stages):
                for (position, stage) in stages.enumerated() {
                    guard let node = nodesByName[stage.node] else { continue }
                    used[stage.node, default: 0] += 1
                    if used[stage.node, default: 0] - 1 == node.slots {
                        report(.capacity, "pipelines[\(index)].stages[\(position)].node",
                               "node '\(node.name)' has \(node.slots) slot\(node.slots == 1 ? "" : "s") and this "
                                + "is stage worker number \(node.slots + 1) placed on it")
                    }
                }
            case .auto(let auto):
                autoStages += min(max(auto.stageCount ?? 0, 0), 1 << 20)
            }
        }
        let free = topology.nodes.reduce(0) { $0 + max(0, min(max($1.slots, 0), 1 << 20) - (used[$1.name] ?? 0)) }
        if autoStages > free, let index = topology.pipelines.lastIndex(where: { $0.stages == nil }) {
            report(.capacity, "pipelines[\(index)].stage_count",
                   "automatic pipelines ask for \(autoStages) stages but the nodes have \(free) free slots")
        }
    }

    mutating func checkTimings() {
        let slo = topology.slo
        check(slo.ttftMilliseconds, in: 1...3_600_000, "slo.ttft_ms", unit: "")
        check(slo.tpotMilliseconds, in: 1...600_000, "slo.tpot_ms")
        let detector = topology.failureDetector
        let path = "failure_detector"
        check(detector.probeIntervalMilliseconds, in: 1...600_000, "\(path).probe_interval_ms")
        check(detector.pingTimeoutMilliseconds, in: 1...600_000, "\(path).ping_timeout_ms")
        check(detector.suspicionMinMilliseconds, in: 1...3_600_000, "\(path).suspicion_min_ms")
        check(detector.suspicionMaxMilliseconds, in: 1...3_600_000, "\(path).suspicion_max_ms")
        check(detector.indirectProbes, in: 0...16, "\(path).indirect_probes")
        if detector.pingTimeoutMilliseconds >= detector.probeIntervalMilliseconds,
            detector.pingTimeoutMilliseconds > 0 {
            report(.invalidValue, "\(path).ping_timeout_ms",
                   "\(detector.pingTimeoutMilliseconds) ms must be less than probe_interval_ms "
                    + "(\(detector.probeIntervalMilliseconds) ms)")
        }
        if detector.suspicionMinMilliseconds > detector.suspicionMaxMilliseconds {
            report(.invalidValue, "\(path).suspicion_min_ms",
                   "\(detector.suspicionMinMilliseconds) ms is more than suspicion_max_ms "
                    + "(\(detector.suspicionMaxMilliseconds) ms)")
        }
    }
}
