import Yams

extension TopologyDecoder {
    // MARK: models

    func decodeModel(_ map: YAMLMapping?, _ path: String) -> Topology.Model {
        guard let map else { return Topology.Model(name: "") }
        var model = Topology.Model(name: map.string("name", required: true) ?? "")
        if let written = map.string("source", required: true) {
            switch Topology.ModelSource.parse(written) {
            case .success(let source): model.source = source
            case .failure(let problem):
                context.report(.invalidValue, at: map.node("source")?.mark, path: map.path("source"), problem.message)
            }
        }
        model.sha256 = map.string("sha256")
        model.chatTemplate = map.string("chat_template")
        model.contextLength = map.int("context_length", in: Self.anyInt)
        if let weights = map.string("weights") {
            if ["quantized", "float32"].contains(weights) {
                model.weights = weights
            } else {
                context.report(.invalidValue, at: map.node("weights")?.mark, path: map.path("weights"),
                               "unknown weights '\(weights)' (expected quantized or float32)")
            }
        }
        if let sampling = map.mapping("sampling", allowed: ["temperature", "top_p", "top_k", "max_tokens"]) {
            let anyDouble = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
            model.sampling = Topology.Sampling(
                temperature: sampling.double("temperature", in: anyDouble) ?? model.sampling.temperature,
                topP: sampling.double("top_p", in: anyDouble) ?? model.sampling.topP,
                topK: sampling.int("top_k", in: Self.anyInt) ?? model.sampling.topK,
                maxTokens: sampling.int("max_tokens", in: Self.anyInt) ?? model.sampling.maxTokens)
        }
        return model
    }

    // MARK: pipelines

    func decodePipeline(_ map: YAMLMapping?, _ path: String) -> Topology.Pipeline {
        guard let map else { return Topology.Pipeline(name: "", model: "", placement: .explicit([])) }
        let model = map.string("model", required: true)
        let name = map.string("name")
        // The name defaults to the model's; without either, later checks of the name would only repeat the error.
        if name == nil, model == nil { context.markFailed(map.path("name")) }
        var pipeline = Topology.Pipeline(
            name: name ?? model ?? "", model: model ?? "", placement: placement(map))
        pipeline.maxSequences = map.int("max_sequences", in: Self.anyInt) ?? pipeline.maxSequences
        pipeline.queueLimit = map.int("queue_limit", in: Self.anyInt) ?? pipeline.queueLimit
        pipeline.microBatches = map.int("micro_batches", in: Self.anyInt)
        return pipeline
    }

    /// `stages: auto` (with `stage_count` and `nodes`), or a list of `{node, layers: [start, end]}`.
    private func placement(_ map: YAMLMapping) -> Topology.Placement {
        let stagesPath = map.path("stages")
        guard let stages = map.node("stages", required: true) else { return .explicit([]) }
        switch stages {
        case .scalar(let scalar) where scalar.string == "auto":
            var auto = Topology.AutoPlacement(stageCount: map.int("stage_count", in: Self.anyInt))
            if let nodes = map.node("nodes"), let list = context.sequence(nodes, path: map.path("nodes")) {
                auto.nodes = list.enumerated().map { index, element in
                    context.string(element, path: FieldPath.element(map.path("nodes"), index)) ?? ""
                }
            }
            return .auto(auto)
        case .sequence(let sequence):
            for key in ["stage_count", "nodes"] where map.has(key) {
                context.report(.invalidValue, at: map.node(key)?.mark, path: map.path(key),
                               "'\(key)' applies only to 'stages: auto'; these stages are listed explicitly")
            }
            return .explicit(sequence.enumerated().map { index, element in
                stage(element, path: FieldPath.element(stagesPath, index))
            })
        default:
            context.report(.wrongType, at: stages.mark, path: stagesPath,
                           "expected 'auto' or a list of {node, layers: [start, end]}, found \(stages.kindDescription)")
            return .explicit([])
        }
    }

    private func stage(_ node: Yams.Node, path: String) -> Topology.Stage {
        guard let map = YAMLMapping(node, path: path, allowed: ["node", "layers"], context: context) else {
            return Topology.Stage(node: "", layers: 0..<0)
        }
        let name = map.string("node", required: true) ?? ""
        guard let layers = map.node("layers", required: true) else { return Topology.Stage(node: name, layers: 0..<0) }
        let layersPath = map.path("layers")
        guard case .sequence(let bounds) = layers, bounds.count == 2 else {
            context.report(.wrongType, at: layers.mark, path: layersPath,
                           "expected [start, end] (half-open), found \(describeBounds(layers))")
            return Topology.Stage(node: name, layers: 0..<0)
        }
        let start = context.int(bounds[0], path: FieldPath.element(layersPath, 0), in: Self.anyInt)
        let end = context.int(bounds[1], path: FieldPath.element(layersPath, 1), in: Self.anyInt)
        guard let start, let end else {
            context.markFailed(layersPath)
            return Topology.Stage(node: name, layers: 0..<0)
        }
        guard start >= 0, start < end else {
            context.report(.layerRange, at: layers.mark, path: layersPath,
                           start < 0 ? "start \(start) is negative"
                                     : "[\(start), \(end)] is empty: the end must be greater than the start")
            return Topology.Stage(node: name, layers: 0..<0)
        }
        return Topology.Stage(node: name, layers: start..<end)
    }

    private func describeBounds(_ node: Yams.Node) -> String {
        if case .sequence(let items) = node { return "a list of \(items.count)" }
        return node.kindDescription
    }

    // MARK: SLO and failure detector

    func decodeSLO(_ map: YAMLMapping) -> Topology.SLO {
        let defaults = Topology.SLO()
        return Topology.SLO(
            ttftMilliseconds: map.int("ttft_ms", in: Self.anyInt) ?? defaults.ttftMilliseconds,
            tpotMilliseconds: map.int("tpot_ms", in: Self.anyInt) ?? defaults.tpotMilliseconds)
    }

    func decodeDetector(_ map: YAMLMapping) -> Topology.FailureDetectorSettings {
        let defaults = Topology.FailureDetectorSettings()
        return Topology.FailureDetectorSettings(
            probeIntervalMilliseconds: map.int("probe_interval_ms", in: Self.anyInt)
                ?? defaults.probeIntervalMilliseconds,
            pingTimeoutMilliseconds: map.int("ping_timeout_ms", in: Self.anyInt) ?? defaults.pingTimeoutMilliseconds,
            suspicionMinMilliseconds: map.int("suspicion_min_ms", in: Self.anyInt)
                ?? defaults.suspicionMinMilliseconds,
            suspicionMaxMilliseconds: map.int("suspicion_max_ms", in: Self.anyInt)
                ?? defaults.suspicionMaxMilliseconds,
            indirectProbes: map.int("indirect_probes", in: Self.anyInt) ?? defaults.indirectProbes)
    }
}
