/// Thrown when an awaited event does not happen in time.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "deadline exceeded waiting for \(what)" }
}

/// Runs `operation`, failing with `DeadlineExceeded` if it takes longer than `limit`.
func withDeadline<Value: Sendable>(
    _ limit: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(what: what) }
        return value
    }
}

extension AsyncStream where Element: Sendable {
    /// Reads events until one satisfies `match`, within `limit`.
    func first(within limit: Duration, _ what: String, where match: @escaping @Sendable (Element) -> Bool) async throws
        -> Element
    {
        let stream = self
        return try await withDeadline(limit, what) {
            for await element in stream where match(element) { return element }
            throw DeadlineExceeded(what: what + " (stream ended)")
        }
    }
}
