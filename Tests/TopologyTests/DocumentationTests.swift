import Foundation
import Testing
@testable import Topology

/// The examples and error messages in docs/topology.md are what the loader really does.
@Suite struct DocumentationTests {
    static let document = (try? String(contentsOfFile: repositoryRoot + "/docs/topology.md", encoding: .utf8)) ?? ""

    /// The fenced blocks of the document, in order, without their fences.
    static let blocks: [String] = {
        var blocks: [String] = [], current: [Substring]?
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let open = current {
                    blocks.append(open.joined(separator: "\n"))
                    current = nil
                } else {
                    current = []
                }
            } else {
                current?.append(line)
            }
        }
        return blocks
    }()

    @Test func theCompleteExampleLoads() throws {
        let example = try #require(Self.blocks.first { $0.hasPrefix("cluster:\n  name: local") })
        let topology = try TopologyLoader.parse(yaml: example, fileName: "example.yaml")
        try topology.validate(against: ["smollm2-135m-instruct": 30])
        #expect(topology.pipelines[0].stages?.map(\.layers) == [0..<15, 15..<30])
    }

    @Test func theAnchorExampleLoads() throws {
        let example = try #require(Self.blocks.first { $0.hasPrefix("x-defaults:") })
        let topology = try TopologyLoader.parse(yaml: "cluster: {name: t}\n" + example, fileName: "example.yaml")
        #expect(topology.nodes.map(\.memory) == [.gibibytes(2), .gibibytes(4)])
        #expect(topology.nodes.allSatisfy { $0.slots == 2 && $0.host == "127.0.0.1" })
    }

    @Test func theErrorExampleIsWhatTheLoaderPrints() throws {
        let index = try #require(Self.blocks.firstIndex { $0.hasPrefix("cluster:\n  name: demo") })
        let broken = Self.blocks[index]
        let printed = Self.blocks[index + 1].split(separator: "\n").map(String.init)
        #expect(diagnostics(broken, file: "topologies/x.yaml") == printed)
        let fixed = broken.replacingOccurrences(of: "slot: 2", with: "slots: 2")
            .replacingOccurrences(of: "model: smolm2", with: "model: smollm2")
            .replacingOccurrences(of: "[12, 20]", with: "[10, 20]")
        let topology = try TopologyLoader.parse(yaml: fixed, fileName: "topologies/x.yaml")
        let error = #expect(throws: TopologyError.self) { try topology.validate(against: ["smollm2": 30]) }
        #expect(error?.description == Self.blocks[index + 2])
    }
}
