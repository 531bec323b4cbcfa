import Testing
@testable import Topology

/// The second pass, once the model's layer count and size are known, still points into the file.
@Suite struct ModelChecksTests {
    static let threeStages = """
        cluster: {name: t}
        nodes:
          - {name: a, memory: 100MiB}
          - {name: b, memory: 100MiB}
          - {name: c, memory: 100MiB}
        models:
          - {name: m, source: default}
        pipelines:
          - model: m
            stages:
              - {node: a, layers: [0, 10]}
              - {node: b, layers: [10, 20]}
              - {node: c, layers: [20, 31]}
        """

    func failure(_ body: () throws -> Void) -> [String] {
        do {
            try body()
            return []
        } catch let error as TopologyError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test func endPastTheModelsLayers() throws {
        let topology = try TopologyLoader.parse(yaml: Self.threeStages, fileName: "topologies/x.yaml")
        #expect(failure { try topology.validate(against: ["m": 30]) } == [
            "topologies/x.yaml:13:32: pipelines[0].stages[2].layers[1]: end 31 is past the model's 30 layers",
        ])
        #expect(failure { try topology.validate(against: ["m": 31]) } == [])
        #expect(failure { try topology.validate(against: ["other": 30]) } == [], "unknown models are skipped")
    }

    @Test func layersLeftOutAtTheEnd() throws {
        let topology = try TopologyLoader.parse(yaml: Self.threeStages, fileName: "x.yaml")
        #expect(failure { try topology.validate(against: ["m": 40]) } == [
            "x.yaml:13:32: pipelines[0].stages[2].layers[1]: the stages end at layer 31 but the model has 40 "
                + "layers: layers 31..<40 are in no stage",
        ])
    }

    @Test func explicitStagesMustFitInMemory() throws {
        let topology = try TopologyLoader.parse(yaml: Self.threeStages, fileName: "x.yaml")
        #expect(failure { try topology.validate(against: ["m": 31], bytesPerLayer: ["m": 9 << 20]) } == [])
        #expect(failure { try topology.validate(against: ["m": 31], bytesPerLayer: ["m": 10 << 20]) } == [
            "x.yaml:13:16: pipelines[0].stages[2].node: node 'c' has 100 MiB of memory but its stages need "
                + "110 MiB up to this one (11 layers of 10 MiB)",
        ])
    }

    @Test func stageCountAboveTheLayerCount() throws {
        let yaml = """
            cluster: {name: t}
            nodes: [{name: a, memory: 1GiB, slots: 8}]
            models: [{name: m, source: default}]
            pipelines:
              - {model: m, stages: auto, stage_count: 8}
            """
        let topology = try TopologyLoader.parse(yaml: yaml, fileName: "x.yaml")
        #expect(failure { try topology.validate(against: ["m": 4]) } == [
            "x.yaml:5:43: pipelines[0].stage_count: 8 stages for the model's 4 layers: each stage needs at least one",
        ])
    }
}
