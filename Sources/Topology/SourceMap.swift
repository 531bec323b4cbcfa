/// Where each value of a topology was written: the file's name and, for every field path the loader read
/// (`nodes[1].memory`, `pipelines[0].stages[2].layers[1]`…), the line and column of its value.
///
/// Later passes (`Topology.validate(against:bytesPerLayer:)`, `checkFiles`) use it so their diagnostics point into
/// the file too. It is `Codable`, so it survives the coordinator's store; equality of topologies ignores it.
public struct SourceMap: Sendable, Codable, Equatable {
    /// The topology file as it was named when loaded (as given, relative or absolute); empty when built in code.
    public var file: String
    /// The location of each field's value, by field path.
    public var locations: [String: SourceLocation]

    /// Makes a source map.
    public init(file: String = "", locations: [String: SourceLocation] = [:]) {
        self.file = file
        self.locations = locations
    }

    /// The location of `path`'s value, or of the nearest enclosing field that has one (`nodes[1]` for
    /// `nodes[1].slots` when `slots` was left out), or nil.
    public func location(of path: String) -> SourceLocation? {
        var current = path
        while true {
            if let found = locations[current] { return found }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            current = String(current[..<cut])
        }
    }

    /// The folder holding the topology file ("." when the name has no folder); relative paths in the file are
    /// relative to it.
    public var directory: String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }
}
