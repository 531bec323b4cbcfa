import Testing
@testable import Topology

/// `autoPlace` splits layers in proportion to free memory, within slots, contiguously and deterministically.
@Suite struct AutoPlaceTests {
    static let mib = 1 << 20

    func node(_ name: String, _ mebibytes: Int, slots: Int = 1) -> Topology.Node {
        Topology.Node(name: name, slots: slots, memory: .mebibytes(mebibytes))
    }

    func pipeline(_ count: Int? = nil, nodes: [String]? = nil) -> Topology.Pipeline {
        Topology.Pipeline(name: "p", model: "m", placement: .auto(.init(stageCount: count, nodes: nodes)))
    }

    /// The stages as `node:start-end` strings, easy to read in a failure.
    func place(
        _ pipeline: Topology.Pipeline, _ nodes: [Topology.Node], layers: Int, perLayer: Int = mib,
        reserved: [String: Topology.NodeUsage] = [:]
    ) throws -> [String] {
        try autoPlace(pipeline: pipeline, nodes: nodes, layerCount: layers, bytesPerLayer: perLayer,
                      reserved: reserved).map { "\($0.node):\($0.layers.lowerBound)-\($0.layers.upperBound)" }
    }

    @Test func equalNodesGetEqualShares() throws {
        let nodes = [node("a", 100), node("b", 100), node("c", 100)]
        #expect(try place(pipeline(3), nodes, layers: 30) == ["a:0-10", "b:10-20", "c:20-30"])
        #expect(try place(pipeline(), nodes, layers: 30) == ["a:0-10", "b:10-20", "c:20-30"], "one per node")
        // 31 layers: the leftover layer goes to the earliest node.
        #expect(try place(pipeline(3), nodes, layers: 31) == ["a:0-11", "b:11-21", "c:21-31"])
    }

    @Test func sharesFollowMemory() throws {
        let nodes = [node("small", 30), node("big", 90)]
        #expect(try place(pipeline(), nodes, layers: 40) == ["small:0-10", "big:10-40"])
    }

    @Test func everyStageGetsAtLeastOneLayer() throws {
        let nodes = [node("tiny", 1), node("huge", 10_000)]
        #expect(try place(pipeline(), nodes, layers: 20) == ["tiny:0-1", "huge:1-20"])
    }

    @Test func aNodeWithSeveralSlotsSplitsItsRoom() throws {
        let nodes = [node("a", 200, slots: 2), node("b", 100)]
        // Per-stage room: a gets two stages of 100, b one of 100.
        #expect(try place(pipeline(3), nodes, layers: 30) == ["a:0-10", "a:10-20", "b:20-30"])
    }

    @Test func fewerStagesThanNodesUseTheRoomiest() throws {
        let nodes = [node("a", 100), node("b", 10), node("c", 100)]
        #expect(try place(pipeline(2), nodes, layers: 105) == ["a:0-53", "c:53-105"])
        // When a second stage on the biggest node would not fit the model, it goes to another node.
        let lopsided = [node("a", 100, slots: 2), node("b", 10)]
        #expect(try place(pipeline(2), lopsided, layers: 105) == ["a:0-95", "b:95-105"])
    }

    @Test func candidateListRestrictsAndOrders() throws {
        let nodes = [node("a", 100), node("b", 100), node("c", 100)]
        #expect(try place(pipeline(nodes: ["c", "a"]), nodes, layers: 10) == ["c:0-5", "a:5-10"])
    }

    @Test func reservationsLeaveLessRoom() throws {
        let nodes = [node("a", 100), node("b", 100, slots: 2)]
        let reserved = ["a": Topology.NodeUsage(slots: 1), "b": Topology.NodeUsage(slots: 1, memory: .mebibytes(50))]
        // a has no free slot; b has one slot and 50 MiB.
        #expect(try place(pipeline(), nodes, layers: 50, reserved: reserved) == ["b:0-50"])
        #expect(throws: TopologyError.self) { try place(pipeline(), nodes, layers: 51, reserved: reserved) }
    }

    @Test func theSameInputsGiveTheSameStages() throws {
        let nodes = (0..<7).map { node("n\($0)", 37 + $0 * 13, slots: 1 + $0 % 3) }
        let first = try place(pipeline(11), nodes, layers: 97)
        for _ in 0..<20 { #expect(try place(pipeline(11), nodes, layers: 97) == first) }
        #expect(first.count == 11)
    }

    @Test func resultsAreContiguousAndWithinRoomForManyShapes() throws {
        var checked = 0
        for layers in [1, 2, 7, 30, 64] {
            for count in 1...6 where count <= layers {
                let nodes = (0..<4).map { node("n\($0)", 3 + $0 * 5 + layers, slots: 2) }
                let stages = try autoPlace(pipeline: pipeline(count), nodes: nodes, layerCount: layers,
                                           bytesPerLayer: Self.mib)
                #expect(stages.count == count)
                #expect(stages.first?.layers.lowerBound == 0)
                #expect(stages.last?.layers.upperBound == layers)
                for (a, b) in zip(stages, stages.dropFirst()) { #expect(a.layers.upperBound == b.layers.lowerBound) }
                var used: [String: Int] = [:]
                for stage in stages { used[stage.node, default: 0] += stage.layers.count }
                for (name, layerCount) in used {
                    #expect(layerCount <= nodes.first { $0.name == name }!.memory.bytes / Self.mib)
                }
                checked += 1
            }
        }
        #expect(checked == 21)
    }

    @Test func modelThatDoesNotFitSaysWhatIsMissing() {
        let nodes = [node("a", 10), node("b", 5)]
        let error = #expect(throws: TopologyError.self) { try place(pipeline(), nodes, layers: 30) }
        #expect(error?.code == .doesNotFit)
        #expect(error?.description == "pipeline 'p': the model needs 30 layers of 1 MiB (30 MiB) but the nodes have "
            + "room for 15: a 10 layers in 1 slots, b 5 layers in 1 slots")
    }

    @Test func moreStagesThanLayersOrSlotsIsAnError() {
        let nodes = [node("a", 100), node("b", 100)]
        let tooMany = #expect(throws: TopologyError.self) { try place(pipeline(3), nodes, layers: 2) }
        #expect(tooMany?.description == "pipeline 'p': 3 stages for 2 layers: each stage needs at least one layer")
        let noSlots = #expect(throws: TopologyError.self) { try place(pipeline(3), nodes, layers: 30) }
        #expect(noSlots?.description.contains("3 stages do not fit in the free slots") == true)
    }

    @Test func explicitPlacementIsReturnedAsItIs() throws {
        let stages = [Topology.Stage(node: "a", layers: 0..<4)]
        let explicit = Topology.Pipeline(name: "p", model: "m", placement: .explicit(stages))
        #expect(try autoPlace(pipeline: explicit, nodes: [], layerCount: 4, bytesPerLayer: 1) == stages)
    }

    @Test func placingATopologyReservesEarlierPipelines() throws {
        let yaml = """
            cluster: {name: t}
            nodes:
              - {name: a, memory: 100MiB, slots: 2}
              - {name: b, memory: 100MiB, slots: 2}
            models: [{name: m, source: default}]
            pipelines:
              - {name: fixed, model: m, stages: [{node: a, layers: [0, 10]}]}
              - {name: first, model: m, stages: auto, stage_count: 2}
              - {name: second, model: m, stages: auto}
            """
        let topology = try TopologyLoader.parse(yaml: yaml, fileName: "x.yaml")
        let placed = try topology.placingAutomaticPipelines(layerCounts: ["m": 10], bytesPerLayer: ["m": 5 << 20])
        // a keeps 50 MiB and one slot after `fixed`; `first` takes 5 + 5 layers; `second` gets the rest of b.
        #expect(placed.pipelines[1].stages == [
            Topology.Stage(node: "a", layers: 0..<3), Topology.Stage(node: "b", layers: 3..<10),
        ])
        #expect(placed.pipelines[2].stages == [Topology.Stage(node: "b", layers: 0..<10)])
        let tooBig = #expect(throws: TopologyError.self) {
            try topology.placingAutomaticPipelines(layerCounts: ["m": 10], bytesPerLayer: ["m": 40 << 20])
        }
        #expect(tooBig?.diagnostics.first?.description.hasPrefix("x.yaml:8:37: pipelines[1].stages: pipeline 'first'")
            == true)
    }
}
