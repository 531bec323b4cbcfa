import Foundation
import Testing
@testable import Topology

/// `checkFiles` finds missing keys and model files on a real file system, relative to the topology file.
@Suite struct CheckFilesTests {
    static let curveTopology = """
        cluster: {name: t, coordinator: {host: 10.0.0.1}}
        security: {mode: curve, keys_dir: keys}
        nodes:
          - {name: a, host: 10.0.0.1, memory: 1GiB}
          - {name: b, host: 10.0.0.2, memory: 1GiB}
        models:
          - {name: m, source: weights/m.gguf}
          - {name: h, source: hf/model}
        """

    /// Writes `curveTopology` into a fresh folder and returns the folder and the file's path.
    func writeTopology() throws -> (folder: String, file: String) {
        let folder = try makeTemporaryDirectory()
        let file = folder + "/cluster.yaml"
        try Self.curveTopology.write(toFile: file, atomically: true, encoding: .utf8)
        return (folder, file)
    }

    func touch(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func reportsEachMissingFileAtItsField() throws {
        let (folder, file) = try writeTopology()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let topology = try TopologyLoader.load(path: file)
        let missingAll = #expect(throws: TopologyError.self) { try topology.checkFiles() }
        #expect(missingAll?.code == .missingFiles)
        #expect(missingAll?.description.split(separator: "\n").map(String.init) == [
            "\(file):2:35: security.keys_dir: keys folder '\(folder)/keys' does not exist (make the keys with "
                + "`brigade keys`)",
            "\(file):7:23: models[0].source: model file '\(folder)/weights/m.gguf' does not exist or is a folder",
            "\(file):8:23: models[1].source: model folder '\(folder)/hf/model' does not exist (or name a .gguf file)",
        ])

        for name in ["coordinator", "a"] {
            try touch("\(folder)/keys/\(name).pub")
            try touch("\(folder)/keys/\(name).key")
        }
        try touch("\(folder)/keys/b.pub")
        try touch("\(folder)/weights/m.gguf")
        try touch("\(folder)/hf/model/config.json")
        let someMissing = #expect(throws: TopologyError.self) { try topology.checkFiles() }
        #expect(someMissing?.description.split(separator: "\n").map(String.init) == [
            "\(file):5:12: nodes[1].name: missing '\(folder)/keys/b.key' (make the keys with `brigade keys`)",
            "\(file):8:23: models[1].source: model folder '\(folder)/hf/model' has no .safetensors file",
        ])

        // On host a only a's secret key is needed; every public key still is.
        try touch("\(folder)/hf/model/model.safetensors")
        try topology.checkFiles(secretKeysFor: ["a", "coordinator"])
        try FileManager.default.removeItem(atPath: "\(folder)/keys/b.pub")
        let noPublicKey = #expect(throws: TopologyError.self) { try topology.checkFiles(secretKeysFor: ["a"]) }
        #expect(noPublicKey?.diagnostics.map(\.path) == ["nodes[1].name"])
    }

    @Test func pathsResolveAgainstTheFilesFolder() throws {
        var topology = try TopologyLoader.parse(yaml: minimalTopology, fileName: "topologies/x.yaml")
        #expect(topology.resolvedPath("keys") == "topologies/keys")
        #expect(topology.resolvedPath("/abs/keys") == "/abs/keys")
        #expect(topology.resolvedPath("~/k", home: "/home/u") == "/home/u/k")
        #expect(topology.resolvedPath("k", relativeTo: "/etc/brigade") == "/etc/brigade/k")
        topology.cluster.stateDirectory = "state"
        #expect(topology.stateDirectoryPath() == "topologies/state")
        let bare = try TopologyLoader.parse(yaml: minimalTopology, fileName: "x.yaml")
        #expect(bare.resolvedPath("keys") == "keys")
    }
}
