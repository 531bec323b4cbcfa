/// Everything wrong with a topology: one `Diagnostic` per mistake, all of a file's mistakes together.
///
/// `description` prints one diagnostic per line, compiler style:
/// `topologies/x.yaml:14:7: pipelines[0].stages[1].layers: end 31 is past the model's 30 layers`.
/// Codes are an open set: switch over `code` with a default.
public struct TopologyError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case unreadableFile, invalidTopology, missingFiles, doesNotFit
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file could not be read (missing, a folder, not UTF-8); `cause` holds the system's error.
        public static let unreadableFile = Code(.unreadableFile)
        /// The file is not valid YAML or breaks the schema or its rules.
        public static let invalidTopology = Code(.invalidTopology)
        /// Files the topology names (keys, model weights) are missing.
        public static let missingFiles = Code(.missingFiles)
        /// Automatic placement found no way to fit a model on the nodes.
        public static let doesNotFit = Code(.doesNotFit)

        /// The code's name, e.g. `invalidTopology`.
        public var description: String { "\(value)" }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The mistakes, in file order where they have a location.
    public var diagnostics: [Diagnostic]
    /// The underlying error, e.g. the file system's when the file cannot be read.
    public var cause: (any Error)?

    /// Makes an error from its diagnostics.
    public init(_ code: Code, diagnostics: [Diagnostic], cause: (any Error)? = nil) {
        self.code = code
        self.diagnostics = diagnostics
        self.cause = cause
    }

    /// The diagnostics, one per line.
    public var message: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// The diagnostics, one per line (each already names what the cause said).
    public var description: String { message }
}

/// One mistake in a topology: where it is (file, line, column), which field (a path such as
/// `pipelines[0].stages[1].layers`) and what is wrong.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// What kind of mistake this is; an open set, so switch with a default.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// The kind's name, e.g. `unknownField`.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The text is not valid YAML (Yams's parser, scanner or reader error), or the file is empty.
        public static let syntax = Kind("syntax")
        /// A required field is absent.
        public static let missingField = Kind("missingField")
        /// A field the schema does not have.
        public static let unknownField = Kind("unknownField")
        /// A value of the wrong type (a list where a number goes…).
        public static let wrongType = Kind("wrongType")
        /// A value of the right type that is not allowed (bad syntax, out of range, unknown choice).
        public static let invalidValue = Kind("invalidValue")
        /// Two entries with the same name, or a key written twice.
        public static let duplicate = Kind("duplicate")
        /// A name that refers to no entry (a pipeline's model, a stage's node).
        public static let unknownReference = Kind("unknownReference")
        /// Stage layer ranges that leave gaps, overlap or pass the model's end.
        public static let layerRange = Kind("layerRange")
        /// More stages or memory than a node offers, or two listeners on one port.
        public static let capacity = Kind("capacity")
        /// A setting the security mode forbids.
        public static let security = Kind("security")
        /// A file the topology names does not exist.
        public static let missingFile = Kind("missingFile")

        /// The kind's name, e.g. `unknownField`.
        public var description: String { name }
    }

    /// What kind of mistake this is.
    public var kind: Kind
    /// The topology file as it was named when loaded (empty for a topology built in code).
    public var file: String
    /// Where in the file; nil when not known (a topology built in code or read back from JSON without sources).
    public var location: SourceLocation?
    /// The field, as a path from the document's root: `nodes[1].memory`; empty for the whole document.
    public var path: String
    /// What is wrong, naming the values involved.
    public var message: String

    /// Makes a diagnostic.
    public init(_ kind: Kind, file: String, location: SourceLocation?, path: String, message: String) {
        self.kind = kind
        self.file = file
        self.location = location
        self.path = path
        self.message = message
    }

    /// `file:line:column: path: message`, leaving out the parts that are unknown.
    public var description: String {
        var prefix = file
        if let location { prefix += prefix.isEmpty ? "\(location)" : ":\(location)" }
        var parts: [String] = []
        if !prefix.isEmpty { parts.append(prefix) }
        if !path.isEmpty { parts.append(path) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

/// A position in a topology file: 1-based line and column (columns count Unicode scalars, as libyaml does).
public struct SourceLocation: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The line, from 1.
    public var line: Int
    /// The column, from 1.
    public var column: Int

    /// Makes a location.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Orders locations as they appear in the file.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    /// `line:column`.
    public var description: String { "\(line):\(column)" }
}
