import Foundation
import Testing
@testable import Topology

/// The repository's root, found from this file's path (Tests/TopologyTests/Support.swift).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The diagnostics `TopologyLoader.parse` reports for `yaml`, one string per line; empty when it loads.
func diagnostics(_ yaml: String, file: String = "t.yaml") -> [String] {
    do {
        _ = try TopologyLoader.parse(yaml: yaml, fileName: file)
        return []
    } catch {
        return error.description.split(separator: "\n").map(String.init)
    }
}

/// A small valid topology; tests change one thing in it. Line numbers matter: the broken-file table points at them.
let minimalTopology = """
    cluster:
      name: t
    nodes:
      - name: a
        memory: 1GiB
    models:
      - name: m
        source: default
    pipelines:
      - model: m
        stages:
          - {node: a, layers: [0, 30]}
    """

/// A fresh, empty temporary folder, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("topology-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
