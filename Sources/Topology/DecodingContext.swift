import Yams

/// Collects what the decoder learns while it walks a composed YAML tree: diagnostics, the location of every value
/// it reads, and the paths whose values were unusable (later checks skip those, so one mistake is reported once).
final class DecodingContext {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var locations: [String: SourceLocation] = [:]
    private(set) var failed: Set<String> = []

    init(file: String) { self.file = file }

    /// Remembers where `path`'s value was written.
    func record(_ path: String, _ mark: Mark?) {
        if let mark { locations[path] = SourceLocation(line: mark.line, column: mark.column) }
    }

    /// Adds a diagnostic at `mark` and marks `path` unusable.
    func report(_ kind: Diagnostic.Kind, at mark: Mark?, path: String, _ message: String) {
        let location = mark.map { SourceLocation(line: $0.line, column: $0.column) }
        diagnostics.append(Diagnostic(kind, file: file, location: location, path: path, message: message))
        failed.insert(path)
    }

    /// Marks `path` unusable without a diagnostic of its own (one was already given for a part of it).
    func markFailed(_ path: String) { failed.insert(path) }

    /// True when `path` or a field that encloses it could not be decoded.
    func hasFailed(_ path: String) -> Bool { FieldPath.isAffected(path, by: failed) }

    var sourceMap: SourceMap { SourceMap(file: file, locations: locations) }
}

/// Field paths as diagnostics print them: `pipelines[0].stages[1].layers`.
enum FieldPath {
    /// `parent.key`, or `key` at the root.
    static func child(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : "\(parent).\(key)" }

    /// `parent[index]`.
    static func element(_ parent: String, _ index: Int) -> String { "\(parent)[\(index)]" }

    /// True when `path` itself or one of its enclosing paths is in `failed`.
    static func isAffected(_ path: String, by failed: Set<String>) -> Bool {
        var current = path
        while true {
            if failed.contains(current) { return true }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { return false }
            current = String(current[..<cut])
        }
    }
}

extension Yams.Node {
    /// How a diagnostic names this value: `a list`, `the string 'abc'`, `the number 7`…
    var kindDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch tagName {
            case .null: return "no value"
            case .bool: return "the boolean '\(scalar.string)'"
            case .int, .float: return "the number \(scalar.string)"
            default: return "the string '\(scalar.string)'"
            }
        }
    }

    /// The resolved tag (`int`, `str`, `merge`…) of this value.
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }

    /// True for an empty value, `~` or `null`.
    var isNull: Bool {
        if case .scalar = self, tagName == .null { return true }
        return false
    }
}

/// Suggestions for misspelt names ("did you mean …?").
enum Suggestion {
    /// The candidate closest to `word`: the same ignoring case, `_` and `-`, or within a small edit distance.
    static func closest<Names: Sequence<String>>(to word: String, in candidates: Names) -> String? {
        // Long words and long lists are not typos worth the quadratic work.
        let candidates = Array(candidates.prefix(1000))
        guard word.count <= 64 else { return nil }
        let folded = fold(word)
        if let same = candidates.first(where: { fold($0) == folded }) { return same }
        let limit = word.count <= 3 ? 1 : word.count <= 6 ? 2 : 3
        let scored = candidates.filter { $0.count <= 64 }.map { (name: $0, distance: editDistance(folded, fold($0))) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= limit else { return nil }
        return best.name
    }

    private static func fold(_ word: String) -> String {
        String(word.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Edit distance over characters, counting insertions, deletions, substitutions and swaps of two neighbours
    /// (optimal string alignment), so `curev` is one edit from `curve`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
