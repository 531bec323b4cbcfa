import Foundation
import Yams

/// Reads topology files: parses the YAML (keeping every value's line and column), decodes it into a `Topology`,
/// and checks every rule the file alone can decide. All mistakes of a file are reported together.
///
/// ```swift
/// let topology = try TopologyLoader.load(path: "topologies/local.yaml")
/// try topology.validate(against: ["smollm2-135m-instruct": 30])   // once the model's layer count is known
/// ```
public enum TopologyLoader {
    /// The largest file `load(path:)` reads (4 MiB): far beyond any real cluster, small enough to parse quickly.
    public static let maximumFileSize = 4 << 20

    /// Reads and validates the topology file at `path`. Diagnostics name the file as `path` is written.
    /// - Throws: `TopologyError` with code `.unreadableFile` when the file cannot be read, `.invalidTopology`
    ///   with one diagnostic per mistake otherwise.
    public static func load(path: String) throws(TopologyError) -> Topology {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count <= maximumFileSize else {
                throw TopologyError(.unreadableFile, diagnostics: [
                    Diagnostic(.syntax, file: path, location: nil, path: "",
                               message: "is \(ByteCount(bytes: data.count)); a topology file may be at most "
                                + "\(ByteCount(bytes: maximumFileSize))"),
                ])
            }
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw TopologyError(.unreadableFile, diagnostics: [
                    Diagnostic(.syntax, file: path, location: nil, path: "", message: "is not UTF-8 text"),
                ])
            }
            text = decoded
        } catch let error as TopologyError {
            throw error
        } catch {
            throw TopologyError(.unreadableFile, diagnostics: [
                Diagnostic(.missingFile, file: path, location: nil, path: "",
                           message: "cannot read the topology file: \(error.localizedDescription)"),
            ], cause: error)
        }
        return try parse(yaml: text, fileName: path)
    }

    /// Parses and validates topology text; `fileName` is what diagnostics call the file.
    /// - Throws: `TopologyError` (`.invalidTopology`) with one diagnostic per mistake.
    public static func parse(yaml: String, fileName: String) throws(TopologyError) -> Topology {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw TopologyError(.invalidTopology, diagnostics: [YAMLErrorMapping.diagnostic(error, file: fileName)],
                                cause: error)
        }
        guard let root else {
            throw TopologyError(.invalidTopology, diagnostics: [
                Diagnostic(.syntax, file: fileName, location: SourceLocation(line: 1, column: 1), path: "",
                           message: "the file is empty; a topology needs at least 'cluster' and 'nodes'"),
            ])
        }
        let context = DecodingContext(file: fileName)
        var topology = TopologyDecoder(context: context).decode(root)
        topology.sources = context.sourceMap
        let diagnostics = context.diagnostics + TopologyValidator.check(topology, failed: context.failed)
        guard diagnostics.isEmpty else {
            throw TopologyError(.invalidTopology, diagnostics: ordered(diagnostics))
        }
        return topology
    }

    /// Diagnostics in file order (those without a location last), without repeats.
    static func ordered(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        return unique.enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case let (x?, y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }
}

extension Topology {
    /// Checks every rule a topology file must follow on a topology built in code (or decoded from JSON).
    /// - Throws: `TopologyError` (`.invalidTopology`) with one diagnostic per mistake.
    /// - Returns: the topology itself, for chaining.
    @discardableResult
    public func validated() throws(TopologyError) -> Topology {
        let diagnostics = TopologyValidator.check(self)
        guard diagnostics.isEmpty else {
            throw TopologyError(.invalidTopology, diagnostics: TopologyLoader.ordered(diagnostics))
        }
        return self
    }
}
