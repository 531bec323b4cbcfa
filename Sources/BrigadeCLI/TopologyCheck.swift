import ArgumentParser
import Foundation
import Topology

/// `brigade topology check FILE…`: loads and validates topology files and prints every mistake as
/// `file:line:column: field: problem`; exits with status 1 when any file has one.
struct TopologyCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate topology files and print every mistake with its file, line, column and field."
    )

    @Argument(help: "Topology files to check.")
    var files: [String] = ["topologies/local.yaml"]

    @Option(name: .customLong("layers"), help: "A model's layer count as NAME=COUNT, for the second pass (repeatable).")
    var layerCounts: [String] = []

    @Flag(help: "Also check that the files the topology names exist (keys with curve security, local model files).")
    var checkFiles = false

    @Flag(help: "Print each valid topology as JSON.")
    var json = false

    func validate() throws {
        for entry in layerCounts {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let count = Int(parts[1]), count > 0 else {
                throw ValidationError("--layers takes NAME=COUNT with a positive count, not '\(entry)'")
            }
        }
    }

    func run() async throws {
        let layers = Dictionary(layerCounts.map { entry -> (String, Int) in
            let parts = entry.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), Int(parts[1])!)
        }, uniquingKeysWith: { _, last in last })
        var failed = false
        for file in files {
            do throws(TopologyError) {
                let topology = try TopologyLoader.load(path: file)
                try topology.validate(against: layers)
                if checkFiles { try topology.checkFiles() }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: (try? encoder.encode(topology)) ?? Data(), as: UTF8.self))
                } else {
                    let counts = [(topology.nodes.count, "node"), (topology.models.count, "model"),
                                  (topology.pipelines.count, "pipeline")]
                        .map { "\($0) \($1)\($0 == 1 ? "" : "s")" }.joined(separator: ", ")
                    print("\(file): ok (cluster '\(topology.cluster.name)': \(counts))")
                }
            } catch {
                failed = true
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
            }
        }
        if failed { throw ExitCode(1) }
    }
}
