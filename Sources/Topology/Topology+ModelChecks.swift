/// `a * b`, or `Int.max` when that overflows.
func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? Int.max : product
}

/// `a + b`, or `Int.max` when that overflows.
func saturatingAdd(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
}

extension Topology {
    /// The second validation pass, once the models have been read: checks each pipeline against its model's layer
    /// count (explicit stages must end exactly at the last layer; `stage_count` may not exceed it) and, where
    /// `bytesPerLayer` knows the model's size, that the explicit stages on each node fit in its memory.
    ///
    /// - Parameters:
    ///   - layerCounts: decoder layers per model name; pipelines of models not listed are skipped.
    ///   - bytesPerLayer: memory one layer needs (weights plus KV cache) per model name; models not listed are
    ///     left out of the memory check.
    /// - Throws: `TopologyError` (`.invalidTopology`) naming the file, line and field of each mistake.
    public func validate(
        against layerCounts: [String: Int], bytesPerLayer: [String: Int] = [:]
    ) throws(TopologyError) {
        var diagnostics: [Diagnostic] = []
        func report(_ kind: Diagnostic.Kind, _ path: String, _ message: String) {
            diagnostics.append(Diagnostic(
                kind, file: sources.file, location: sources.location(of: path), path: path, message: message))
        }
        var needed: [String: Int] = [:]
        for (index, pipeline) in pipelines.enumerated() {
            let path = "pipelines[\(index)]"
            let layerCount = layerCounts[pipeline.model]
            switch pipeline.placement {
            case .auto(let auto):
                if let layerCount, let count = auto.stageCount, count > layerCount {
                    report(.layerRange, "\(path).stage_count",
                           "\(count) stages for the model's \(layerCount) layers: each stage needs at least one")
                }
            case .explicit(let stages):
                if let layerCount {
                    for (position, stage) in stages.enumerated() where stage.layers.upperBound > layerCount {
                        report(.layerRange, "\(path).stages[\(position)].layers[1]",
                               "end \(stage.layers.upperBound) is past the model's \(layerCount) layers")
                    }
                    if let last = stages.last, last.layers.upperBound < layerCount {
                        report(.layerRange, "\(path).stages[\(stages.count - 1)].layers[1]",
                               "the stages end at layer \(last.layers.upperBound) but the model has \(layerCount) "
                                + "layers: layers \(last.layers.upperBound)..<\(layerCount) are in no stage")
                    }
                }
                guard let perLayer = bytesPerLayer[pipeline.model] else { continue }
                for (position, stage) in stages.enumerated() {
                    guard let node = node(named: stage.node) else { continue }
                    let before = needed[stage.node, default: 0]
                    let after = saturatingAdd(before, saturatingMultiply(stage.layers.count, perLayer))
                    needed[stage.node] = after
                    if after > node.memory.bytes, before <= node.memory.bytes {
                        report(.capacity, "\(path).stages[\(position)].node",
                               "node '\(node.name)' has \(node.memory) of memory but its stages need "
                                + "\(ByteCount(bytes: after)) up to this one (\(stage.layers.count) layers of "
                                + "\(ByteCount(bytes: perLayer)))")
                    }
                }
            }
        }
        guard diagnostics.isEmpty else {
            throw TopologyError(.invalidTopology, diagnostics: TopologyLoader.ordered(diagnostics))
        }
    }
}
