import Foundation
import Testing
@testable import Topology

/// The files in topologies/ load, validate against SmolLM2's 30 layers and say what their comments promise.
@Suite struct ShippedTopologiesTests {
    static let smolLM2 = ["smollm2-135m-instruct": 30]

    func load(_ name: String) throws -> Topology {
        try TopologyLoader.load(path: repositoryRoot + "/topologies/" + name)
    }

    @Test func everyShippedFileLoadsAndValidates() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/topologies")
            .filter { $0.hasSuffix(".yaml") }
        #expect(Set(names).isSuperset(of: ["local.yaml", "two-hosts.yaml", "auto.yaml", "single-stage.yaml"]))
        for name in names {
            let topology = try load(name)
            try topology.validate(against: Self.smolLM2)
            let text = try String(contentsOfFile: repositoryRoot + "/topologies/" + name, encoding: .utf8)
            #expect(text.hasPrefix("# \(name):"), "\(name) starts with a comment block naming it")
        }
    }

    @Test func localIsThreeAgentsOnLoopbackWithTenLayersEach() throws {
        let topology = try load("local.yaml")
        #expect(topology.cluster.name == "local")
        #expect(topology.security.mode == .insecure)
        #expect(topology.cluster.coordinator.http == Topology.Endpoint(host: "127.0.0.1", port: 8080))
        #expect(topology.cluster.coordinator.effectiveBulkPort == 7101)
        #expect(topology.nodes.map(\.name) == ["node-a", "node-b", "node-c"])
        #expect(topology.nodes.allSatisfy { $0.host == "127.0.0.1" && $0.memory == .gibibytes(1) })
        #expect(topology.models.map(\.source) == [.default])
        #expect(topology.pipelines.count == 1)
        #expect(topology.pipelines[0].name == "smollm2-135m-instruct")
        #expect(topology.pipelines[0].stages == [
            Topology.Stage(node: "node-a", layers: 0..<10),
            Topology.Stage(node: "node-b", layers: 10..<20),
            Topology.Stage(node: "node-c", layers: 20..<30),
        ])
        try topology.checkFiles()
    }

    @Test func twoHostsUsesCurveAndNeedsItsKeys() throws {
        let topology = try load("two-hosts.yaml")
        #expect(topology.security.mode == .curve)
        #expect(topology.nodes.map(\.host) == ["10.0.0.1", "10.0.0.2"])
        #expect(topology.pipelines[0].stages?.count == 2)
        // No keys are shipped: checkFiles names the missing folder.
        let error = #expect(throws: TopologyError.self) { try topology.checkFiles() }
        #expect(error?.code == .missingFiles)
        #expect(error?.diagnostics.first?.path == "security.keys_dir")
    }

    @Test func autoPlacesByMemory() throws {
        let topology = try load("auto.yaml")
        #expect(topology.pipelines[0].placement == .auto(.init(stageCount: 3, nodes: ["node-a", "node-b", "node-c"])))
        // The merge key gave node-b and node-c node-a's host and slots, with their own memory.
        #expect(topology.nodes.map(\.memory) == [.gibibytes(2), .gibibytes(1), .gibibytes(1)])
        let placed = try topology.placingAutomaticPipelines(
            layerCounts: Self.smolLM2, bytesPerLayer: ["smollm2-135m-instruct": 20 << 20])
        #expect(placed.pipelines[0].stages == [
            Topology.Stage(node: "node-a", layers: 0..<15),
            Topology.Stage(node: "node-b", layers: 15..<23),
            Topology.Stage(node: "node-c", layers: 23..<30),
        ])
        try placed.validated().validate(against: Self.smolLM2)
    }

    @Test func singleStageIsOneAgentOneStage() throws {
        let topology = try load("single-stage.yaml")
        #expect(topology.nodes.count == 1)
        #expect(topology.pipelines[0].stages == [Topology.Stage(node: "node-a", layers: 0..<30)])
    }

    @Test func missingFileIsReportedWithItsName() {
        let error = #expect(throws: TopologyError.self) { try TopologyLoader.load(path: "/nonexistent/x.yaml") }
        #expect(error?.code == .unreadableFile)
        #expect(error?.description.hasPrefix("/nonexistent/x.yaml: cannot read the topology file") == true)
    }
}
