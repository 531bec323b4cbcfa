import Foundation
import Topology

#if canImport(Glibc)
import Glibc
#endif

/// A one-machine topology written on the fly, for benchmarks and tests: `stages` agents (node-a, node-b…) on
/// loopback, each running one stage of an even split of the model's layers, fresh ports, and a state folder of its
/// own, so several can run side by side without touching `topologies/` or the user's state.
public struct GeneratedTopology: Sendable {
    /// The topology file.
    public let path: String
    /// The folder holding it, its state and logs.
    public let folder: String
    /// The model's name in the topology.
    public let model: String
    /// The node names, in stage order.
    public let nodes: [String]
    /// The HTTP API's port on 127.0.0.1.
    public let httpPort: Int

    /// The API's base URL.
    public var baseURL: String { "http://127.0.0.1:\(httpPort)" }

    /// Writes the topology into a new folder under `parent` (default: the temporary directory).
    /// - Parameters:
    ///   - layers: the model's layer count (SmolLM2-135M: 30).
    ///   - threads: compute threads of each stage worker.
    ///   - source: the model source as a topology writes it (`default`, a path, a URL).
    ///   - headLayers: what the last stage's norm and output projection cost, in layers; the split gives every stage
    ///     about the same work (0: an even split of the layers).
    ///   - microBatches: the pipeline's `micro_batches` (nil: the topology's default, 1 here: every node is 127.0.0.1).
    ///   - ioScheduling: the cluster's `io_scheduling` (nil: the default).
    public init(
        stages: Int, layers: Int = 30, headLayers: Double = 0, threads: Int = 1, maxSequences: Int = 16,
        queueLimit: Int = 64, microBatches: Int? = nil, ioScheduling: Topology.IOScheduling? = nil,
        source: String = "default", parent: String? = nil
    ) throws {
        precondition(stages >= 1 && stages <= 26 && layers >= stages, "1...26 stages, each with a layer")
        let base = parent ?? FileManager.default.temporaryDirectory.path
        folder = base + "/brigade-\(stages)stage-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        model = "smollm2"
        nodes = (0..<stages).map { "node-" + String(UnicodeScalar(UInt8(97 + $0))) }
        httpPort = try Self.freePort()
        let bounds = Self.split(layers: layers, stages: stages, headLayers: headLayers)
        var yaml = """
            cluster:
              name: generated
              state_dir: \(folder)/state\(ioScheduling.map { "\n  io_scheduling: \($0.rawValue)" } ?? "")
              coordinator:
                host: 127.0.0.1
                control_port: \(try Self.freePort())
                bulk_port: \(try Self.freePort())
                http: 127.0.0.1:\(httpPort)
            security:
              mode: insecure
            nodes:

            """
        for name in nodes { yaml += "  - {name: \(name), host: 127.0.0.1, slots: 1, memory: 1GiB, threads: \(threads)}\n" }
        yaml += """
            models:
              - name: \(model)
                source: \(source)
            pipelines:
              - model: \(model)
                max_sequences: \(maxSequences)
                queue_limit: \(queueLimit)\(microBatches.map { "\n    micro_batches: \($0)" } ?? "")
                stages:

            """
        for (index, name) in nodes.enumerated() {
            yaml += "      - {node: \(name), layers: [\(bounds[index]), \(bounds[index + 1])]}\n"
        }
        path = folder + "/topology.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Stage boundaries (`stages + 1` of them, from 0 to `layers`) that give each stage about the same cost, the last
    /// stage's head counting `headLayers` layers; every stage keeps at least one layer.
    public static func split(layers: Int, stages: Int, headLayers: Double) -> [Int] {
        let total = Double(layers) + headLayers
        var bounds = [0]
        for index in 1..<stages {
            let target = Int((total * Double(index) / Double(stages)).rounded())
            bounds.append(min(max(target, bounds[index - 1] + 1), layers - (stages - index)))
        }
        return bounds + [layers]
    }

    /// A free TCP port on loopback (bound, read and released; the kernel does not hand it out again at once).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError(.configuration, "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ClusterError(.configuration, "cannot bind an ephemeral port on 127.0.0.1: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
