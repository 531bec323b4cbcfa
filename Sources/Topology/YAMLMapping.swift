import Yams

/// A YAML mapping being decoded: checks the keys against the schema, applies merge keys (`<<: *anchor`), and reads
/// typed values, reporting every problem to the `DecodingContext` with its line, column and field path.
struct YAMLMapping {
    let path: String
    let mark: Mark?
    let context: DecodingContext
    private var entries: [String: (keyMark: Mark?, value: Yams.Node)] = [:]

    /// Reads `node` as a mapping with the keys `allowed`, or reports a wrong type and returns nil. With
    /// `extensions`, keys starting with `x-` are skipped (a place to keep anchors, as in Compose files).
    init?(_ node: Yams.Node, path: String, allowed: [String], extensions: Bool = false, context: DecodingContext) {
        self.path = path
        self.mark = node.mark
        self.context = context
        context.record(path, node.mark)
        guard case .mapping(let mapping) = node else {
            context.report(.wrongType, at: node.mark, path: path, "expected a mapping, found \(node.kindDescription)")
            return nil
        }
        var budget = YAMLMapping.mergeBudget
        for (key, keyMark, value) in YAMLMapping.flatten(mapping, path: path, context: context, budget: &budget) {
            let fieldPath = FieldPath.child(path, key)
            if extensions, key.hasPrefix("x-") { continue }
            guard allowed.contains(key) else {
                let hint = Suggestion.closest(to: key, in: allowed).map { " (did you mean '\($0)'?)" }
                    ?? " (expected one of: \(allowed.joined(separator: ", ")))"
                context.report(.unknownField, at: keyMark, path: fieldPath, "unknown field '\(key)'\(hint)")
                continue
            }
            entries[key] = (keyMark, value)
            context.record(fieldPath, value.mark)
        }
    }

    /// The pairs of `mapping` with merge keys applied: keys written in the mapping win over merged ones, and of
    /// several merged mappings the first that has a key wins (YAML merge-key semantics).
    /// Entries one mapping may visit while applying merge keys: nested merges of repeated aliases grow
    /// exponentially, and a hostile file must not hang the loader.
    static let mergeBudget = 100_000

    private static func flatten(
        _ mapping: Yams.Node.Mapping, path: String, context: DecodingContext, budget: inout Int
    ) -> [(String, Mark?, Yams.Node)] {
        var own: [(String, Mark?, Yams.Node)] = []
        var merged: [(String, Mark?, Yams.Node)] = []
        var mergedKeys = Set<String>()
        for (key, value) in mapping {
            budget -= 1
            if budget == 0 {
                context.report(.invalidValue, at: mapping.mark, path: path,
                               "merge keys ('<<') expand to more than \(mergeBudget) entries")
            }
            if budget <= 0 { return [] }
            guard case .scalar(let scalar) = key else {
                context.report(
                    .wrongType, at: key.mark, path: path, "a key must be a plain name, found \(key.kindDescription)")
                continue
            }
            guard key.tagName == .merge else {
                own.append((scalar.string, key.mark, value))
                continue
            }
            let sources: [Yams.Node]
            switch value {
            case .mapping: sources = [value]
            case .sequence(let sequence): sources = Array(sequence)
            default:
                context.report(.wrongType, at: value.mark, path: path, mergeProblem(value))
                sources = []
            }
            for source in sources {
                guard case .mapping(let inner) = source else {
                    context.report(.wrongType, at: source.mark, path: path, mergeProblem(source))
                    continue
                }
                for entry in flatten(inner, path: path, context: context, budget: &budget)
                where mergedKeys.insert(entry.0).inserted {
                    merged.append(entry)
                }
            }
        }
        let ownKeys = Set(own.map(\.0))
        return merged.filter { !ownKeys.contains($0.0) } + own
    }

    private static func mergeProblem(_ node: Yams.Node) -> String {
        "a merge key ('<<') takes a mapping or a list of mappings, found \(node.kindDescription)"
    }

    /// The value of `key`, nil when absent or null. With `required`, an absent or null value is reported.
    func node(_ key: String, required: Bool = false) -> Yams.Node? {
        guard let entry = entries[key], !entry.value.isNull else {
            if required {
                let fieldPath = FieldPath.child(path, key)
                if let entry = entries[key] {
                    context.report(
                        .missingField, at: entry.value.mark ?? entry.keyMark, path: fieldPath, "has no value")
                } else {
                    context.report(.missingField, at: mark, path: fieldPath, "missing required field '\(key)'")
                }
            }
            return nil
        }
        return entry.value
    }

    /// True when the mapping has `key` (even with a null value).
    func has(_ key: String) -> Bool { entries[key] != nil }

    /// The field path of `key`.
    func path(_ key: String) -> String { FieldPath.child(path, key) }

    /// A string value (any scalar; numbers and booleans are taken as written).
    func string(_ key: String, required: Bool = false) -> String? {
        guard let value = node(key, required: required) else { return nil }
        return context.string(value, path: path(key))
    }

    /// A whole number in `range`.
    func int(_ key: String, in range: ClosedRange<Int>, required: Bool = false) -> Int? {
        guard let value = node(key, required: required) else { return nil }
        return context.int(value, path: path(key), in: range)
    }

    /// A number (whole or not) in `range`.
    func double(_ key: String, in range: ClosedRange<Double>, required: Bool = false) -> Double? {
        guard let value = node(key, required: required) else { return nil }
        return context.double(value, path: path(key), in: range)
    }

    /// A nested mapping with the keys `allowed`.
    func mapping(_ key: String, allowed: [String], required: Bool = false) -> YAMLMapping? {
        guard let value = node(key, required: required) else { return nil }
        return YAMLMapping(value, path: path(key), allowed: allowed, context: context)
    }
}

extension DecodingContext {
    /// `node` as a string, or a wrong-type report.
    func string(_ node: Yams.Node, path: String) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            report(.wrongType, at: node.mark, path: path, "expected a string, found \(node.kindDescription)")
            return nil
        }
        record(path, node.mark)
        return scalar.string
    }

    /// `node` as a whole number in `range`, or a wrong-type or out-of-range report.
    func int(_ node: Yams.Node, path: String, in range: ClosedRange<Int>) -> Int? {
        record(path, node.mark)
        if case .scalar(let scalar) = node, node.tagName == .int, node.int == nil {
            report(.invalidValue, at: node.mark, path: path, "\(scalar.string) is too large")
            return nil
        }
        guard case .scalar = node, node.tagName == .int, let value = node.int else {
            report(.wrongType, at: node.mark, path: path, "expected a whole number, found \(node.kindDescription)")
            return nil
        }
        guard range.contains(value) else {
            let problem = range == TopologyDecoder.anyInt
                ? "is too \(value < 0 ? "small" : "large")" : "is out of range \(describe(range))"
            report(.invalidValue, at: node.mark, path: path, "\(value) \(problem)")
            return nil
        }
        return value
    }

    /// `node` as a number in `range`, or a wrong-type or out-of-range report.
    func double(_ node: Yams.Node, path: String, in range: ClosedRange<Double>) -> Double? {
        record(path, node.mark)
        guard case .scalar = node, node.tagName == .int || node.tagName == .float, let value = node.float else {
            report(.wrongType, at: node.mark, path: path, "expected a number, found \(node.kindDescription)")
            return nil
        }
        guard range.contains(value), value.isFinite else {
            report(.invalidValue, at: node.mark, path: path,
                   "\(node.string ?? "\(value)") is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    /// `node` as a list, or a wrong-type report.
    func sequence(_ node: Yams.Node, path: String) -> [Yams.Node]? {
        record(path, node.mark)
        guard case .sequence(let sequence) = node else {
            report(.wrongType, at: node.mark, path: path, "expected a list, found \(node.kindDescription)")
            return nil
        }
        return Array(sequence)
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "\(range.lowerBound) or more" : "\(range.lowerBound)...\(range.upperBound)"
    }
}
