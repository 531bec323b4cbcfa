import Yams

/// Turns Yams's parse errors into diagnostics with the line and column libyaml reported.
enum YAMLErrorMapping {
    static func diagnostic(_ error: any Error, file: String) -> Diagnostic {
        guard let error = error as? YamlError else {
            return Diagnostic(.syntax, file: file, location: nil, path: "", message: "invalid YAML: \(error)")
        }
        switch error {
        case let .scanner(context, problem, mark, yaml), let .parser(context, problem, mark, yaml),
            let .composer(context, problem, mark, yaml):
            var message = "invalid YAML: \(problem)"
            if problem == "but found another document" {
                message = "invalid YAML: a topology file holds one document, but a second one starts here"
            } else if let context {
                message += " (\(context.text) at \(context.mark))"
            }
            if character(at: mark, in: yaml) == "\t" {
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            return Diagnostic(.syntax, file: file, location: location(mark), path: "", message: message)
        case let .reader(problem, offset, _, yaml):
            let location = offset.map { locate(offset: $0, in: yaml) }
            return Diagnostic(.syntax, file: file, location: location, path: "", message: "unreadable text: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? "?"
            let at = secondOccurrence(of: key, after: context.mark, in: context.text) ?? location(context.mark)
            let first = context.mark.line > 0 ? " (first at line \(context.mark.line))" : ""
            return Diagnostic(.duplicate, file: file, location: at, path: "",
                              message: "key '\(key)' appears twice in one mapping\(first)")
        default:
            return Diagnostic(.syntax, file: file, location: nil, path: "", message: "invalid YAML: \(error)")
        }
    }

    private static func location(_ mark: Mark) -> SourceLocation {
        SourceLocation(line: max(1, mark.line), column: max(1, mark.column))
    }

    private static func character(at mark: Mark, in yaml: String) -> Character? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let line = lines[mark.line - 1].unicodeScalars
        guard mark.column >= 1, mark.column <= line.count else { return nil }
        return Character(line[line.index(line.startIndex, offsetBy: mark.column - 1)])
    }

    /// The line and column of a character offset (Yams reports reader errors by offset).
    private static func locate(offset: Int, in yaml: String) -> SourceLocation {
        var line = 1, column = 1
        for character in yaml.prefix(offset) {
            if character == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return SourceLocation(line: line, column: column)
    }

    /// Yams points at the first of two equal keys; the mistake is usually the second. Look for the same key at the
    /// same column further down in the same block mapping; give up (nil) for anything fancier.
    private static func secondOccurrence(of key: String, after mark: Mark, in yaml: String) -> SourceLocation? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        let indent = mark.column - 1
        guard mark.line >= 1, indent >= 0, mark.line < lines.count else { return nil }
        for number in mark.line..<lines.count {
            let line = String(lines[number])
            let lead = line.prefix { $0 == " " }.count
            let content = line.dropFirst(lead)
            if content.isEmpty || content.hasPrefix("#") { continue }
            if lead < indent { return nil }  // the mapping has ended
            if lead == indent, content.hasPrefix(key + ":") {
                return SourceLocation(line: number + 1, column: mark.column)
            }
        }
        return nil
    }
}
