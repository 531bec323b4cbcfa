import Foundation
import Testing
@testable import Topology

/// Topology → JSON → Topology keeps everything; equality compares content, not layout.
@Suite struct RoundTripTests {
    @Test func everyShippedFileSurvivesJSON() throws {
        for name in ["local.yaml", "two-hosts.yaml", "auto.yaml", "single-stage.yaml"] {
            let topology = try TopologyLoader.load(path: repositoryRoot + "/topologies/" + name)
            let data = try JSONEncoder().encode(topology)
            let decoded = try JSONDecoder().decode(Topology.self, from: data)
            #expect(decoded == topology, "\(name)")
            #expect(decoded.sources == topology.sources, "\(name): locations survive too")
            try decoded.validated()
        }
    }

    @Test func everyFieldSurvivesJSON() throws {
        let topology = Topology(
            cluster: .init(name: "c", coordinator: .init(host: "::1", controlPort: 9000, bulkPort: 9100,
                                                         http: .init(host: "::1", port: 9200)),
                           stateDirectory: "~/state", ioScheduling: .batch),
            security: .init(mode: .curve, keysDirectory: "k", apiTokenEnvironmentVariable: "TOKEN"),
            nodes: [.init(name: "a", host: "::1", controlPort: 1, bulkPort: 2, ssh: .init(user: "u", port: 2222,
                          identityFile: "id"), slots: 3, memory: .gibibytes(3), threads: 4)],
            models: [
                .init(name: "m", source: .huggingFaceDirectory(path: "hf"), sha256: String(repeating: "a", count: 64),
                      chatTemplate: "chatml", contextLength: 512,
                      sampling: .init(temperature: 0.5, topP: 0.8, topK: 40, maxTokens: 100)),
                .init(name: "n", source: .url("https://example.com/m.gguf")),
                .init(name: "o", source: .ggufFile(path: "/m.gguf")),
            ],
            pipelines: [
                .init(name: "p", model: "m", placement: .explicit([.init(node: "a", layers: 0..<5)]),
                      maxSequences: 3, queueLimit: 0),
                .init(name: "q", model: "n", placement: .auto(.init(stageCount: 2, nodes: ["a"]))),
            ],
            slo: .init(ttftMilliseconds: 10, tpotMilliseconds: 20),
            failureDetector: .init(probeIntervalMilliseconds: 5, pingTimeoutMilliseconds: 4,
                                   suspicionMinMilliseconds: 3, suspicionMaxMilliseconds: 6, indirectProbes: 0))
        let decoded = try JSONDecoder().decode(Topology.self, from: JSONEncoder().encode(topology))
        #expect(decoded == topology)
        #expect(decoded.nodes[0].ssh?.identityFile == "id")
        #expect(decoded.pipelines[0].stages?.first?.layers == 0..<5)
    }

    @Test func jsonReadsLikeTheFile() throws {
        let topology = try TopologyLoader.load(path: repositoryRoot + "/topologies/auto.yaml")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let pipeline = String(decoding: try encoder.encode(topology.pipelines[0]), as: UTF8.self)
        #expect(pipeline == #"{"maxSequences":16,"model":"smollm2-135m-instruct","name":"smollm2-135m-instruct","#
            + #""placement":{"auto":{"nodes":["node-a","node-b","node-c"],"stageCount":3}},"queueLimit":64}"#)
        let model = String(decoding: try encoder.encode(topology.models[0]), as: UTF8.self)
        #expect(model.contains(#""source":"default""#))
        let stage = Topology.Placement.explicit([.init(node: "a", layers: 0..<3)])
        #expect(String(decoding: try encoder.encode(stage), as: UTF8.self)
            == #"{"explicit":[{"layers":[0,3],"node":"a"}]}"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Topology.Placement.self, from: Data(#"{"manual":[]}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Topology.ModelSource.self, from: Data(#""s3://bucket/m""#.utf8))
        }
    }

    @Test func unknownSecurityModeInJSONIsRejected() throws {
        var json = String(decoding: try JSONEncoder().encode(Topology.Security()), as: UTF8.self)
        json = json.replacingOccurrences(of: "insecure", with: "plaintext")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Topology.Security.self, from: Data(json.utf8)) }
    }

    @Test func equalityIgnoresLayout() throws {
        let block = try TopologyLoader.parse(yaml: minimalTopology, fileName: "a.yaml")
        let flow = try TopologyLoader.parse(yaml: """
            # the same cluster, written another way
            cluster: {name: t, coordinator: {host: 127.0.0.1, control_port: 7100}}
            security: {mode: insecure}
            nodes: [{name: a, memory: 1073741824, slots: 1}]
            models: [{name: m, source: default}]
            pipelines: [{name: m, model: m, stages: [{node: a, layers: [0, 30]}]}]
            """, fileName: "b.yaml")
        #expect(block == flow)
        #expect(block.sources != flow.sources)
        var changed = flow
        changed.nodes[0].slots = 2
        #expect(block != changed)
    }

    @Test func defaultsAreTheDocumentedOnes() throws {
        let topology = try TopologyLoader.parse(yaml: minimalTopology, fileName: "t.yaml")
        #expect(topology.cluster.coordinator == Topology.Coordinator(host: "127.0.0.1", controlPort: 7100,
                                                                     http: .init(host: "127.0.0.1", port: 8080)))
        #expect(topology.security == Topology.Security(mode: .insecure))
        #expect(topology.nodes[0] == Topology.Node(name: "a", host: "127.0.0.1", controlPort: 0, bulkPort: 0,
                                                   slots: 1, memory: .gibibytes(1), threads: 1))
        #expect(topology.models[0].sampling == Topology.Sampling(temperature: 1, topP: 1, topK: 0, maxTokens: 256))
        #expect(topology.pipelines[0].maxSequences == 16 && topology.pipelines[0].queueLimit == 64)
        #expect(topology.slo == Topology.SLO(ttftMilliseconds: 2000, tpotMilliseconds: 200))
        #expect(topology.failureDetector == Topology.FailureDetectorSettings(
            probeIntervalMilliseconds: 180, pingTimeoutMilliseconds: 80, suspicionMinMilliseconds: 600,
            suspicionMaxMilliseconds: 1800, indirectProbes: 3))
        #expect(topology.stateDirectoryPath(brigadeHome: "/var/brigade") == "/var/brigade/state/t")
        #expect(topology.cluster.ioScheduling == nil && topology.cluster.effectiveIOScheduling == .standard)
        let batch = try TopologyLoader.parse(yaml: minimalTopology.replacingOccurrences(
            of: "  name: t\n", with: "  name: t\n  io_scheduling: batch\n"), fileName: "t.yaml")
        #expect(batch.cluster.effectiveIOScheduling == .batch)
    }

    /// A topology stored before `io_scheduling` existed still decodes, with the default.
    @Test func storedTopologyWithoutIOSchedulingDecodes() throws {
        let json = #"{"name":"c","coordinator":{"host":"127.0.0.1","controlPort":7100,"http":{"host":"127.0.0.1","port":8080}}}"#
        let cluster = try JSONDecoder().decode(Topology.Cluster.self, from: Data(json.utf8))
        #expect(cluster.effectiveIOScheduling == .standard)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Topology.Cluster.self, from: Data(json.replacingOccurrences(
                of: #""name":"c""#, with: #""name":"c","ioScheduling":"fifo""#).utf8))
        }
    }

    /// Micro-batches default to one per distinct host of the stages (stages sharing a machine share its cores); an
    /// explicit value wins; out of range is an error naming the field.
    @Test func microBatchesDefaultToDistinctHosts() throws {
        func pipeline(hosts: [String], microBatches: String = "") throws -> (Topology.Pipeline, Topology) {
            var yaml = "cluster: {name: t}\nnodes:\n"
            for (i, host) in hosts.enumerated() { yaml += "  - {name: n\(i), host: \(host), memory: 1GiB}\n" }
            yaml += "models: [{name: m, source: default}]\npipelines:\n  - model: m\n\(microBatches)    stages:\n"
            let cuts = [0, 10, 20, 30]
            for i in hosts.indices { yaml += "      - {node: n\(i), layers: [\(cuts[i]), \(cuts[i + 1])]}\n" }
            let topology = try TopologyLoader.parse(yaml: yaml, fileName: "t.yaml")
            return (topology.pipelines[0], topology)
        }
        let (local, localTopology) = try pipeline(hosts: ["127.0.0.1", "127.0.0.1", "127.0.0.1"])
        #expect(local.microBatches == nil && local.microBatchCount(in: localTopology) == 1)
        let (loopback, loopbackTopology) = try pipeline(hosts: ["127.0.0.1", "localhost", "127.0.0.2"])
        #expect(loopback.microBatchCount(in: loopbackTopology) == 1)
        let spreadTopology = Topology(
            cluster: loopbackTopology.cluster, security: loopbackTopology.security,
            nodes: ["10.0.0.1", "10.0.0.2", "10.0.0.2"].enumerated().map { Topology.Node(name: "n\($0)", host: $1, memory: .gibibytes(1)) },
            models: loopbackTopology.models, pipelines: loopbackTopology.pipelines)
        #expect(loopback.microBatchCount(in: spreadTopology) == 2)
        let (explicit, explicitTopology) = try pipeline(hosts: ["127.0.0.1", "127.0.0.1", "127.0.0.1"], microBatches: "    micro_batches: 3\n")
        #expect(explicit.microBatchCount(in: explicitTopology) == 3)
        #expect(throws: TopologyError.self) { try pipeline(hosts: ["127.0.0.1"], microBatches: "    micro_batches: 0\n") }
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        #expect(diagnostics("defaults: &d {}\n").first == "t.yaml:1:1: defaults: unknown field 'defaults' (expected "
            + "one of: cluster, security, nodes, models, pipelines, slo, failure_detector)")
        let topology = try TopologyLoader.parse(yaml: """
            x-defaults: {gib: &gib 1GiB}   # top-level keys starting with x- are ignored: a place for anchors
            cluster: {name: t}
            nodes:
              - &base {name: a, host: 127.0.0.1, slots: 2, memory: *gib, threads: 2}
              - <<: [{memory: 3GiB, slots: 9}, *base]
                name: b
            models:
              - {name: m, source: default, sampling: &sampling {temperature: 0.2, max_tokens: 64}}
              - {name: n, source: default, sampling: *sampling}
            pipelines:
              - {model: m, stages: [{node: a, layers: [0, 30]}]}
            """, fileName: "t.yaml")
        // The first mapping of a merge list wins; keys written in the mapping win over merged ones.
        #expect(topology.nodes[1] == Topology.Node(name: "b", host: "127.0.0.1", slots: 9, memory: .gibibytes(3),
                                                   threads: 2))
        #expect(topology.models[1].sampling == topology.models[0].sampling)
        #expect(topology.models[1].sampling.maxTokens == 64)
    }

    @Test func codeBuiltTopologiesAreValidatedToo() {
        let topology = Topology(
            cluster: .init(name: "Bad Name"), nodes: [.init(name: "a", memory: .mebibytes(1))], models: [],
            pipelines: [.init(name: "p", model: "missing", placement: .explicit([]))])
        let error = #expect(throws: TopologyError.self) { try topology.validated() }
        #expect(error?.description.split(separator: "\n").map(String.init) == [
            "cluster.name: 'Bad Name' is not a valid cluster name: use 1-63 characters of a-z, 0-9 and '-', not "
                + "starting or ending with '-'",
            "pipelines[0].model: no model named 'missing' (there are none)",
            "pipelines[0].stages: is empty: list at least one stage",
        ])
    }
}
