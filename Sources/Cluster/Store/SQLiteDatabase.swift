import CSQLite
import Foundation

/// A small synchronous wrapper over one SQLite connection: statements with bound parameters, rows as arrays of
/// values. Not thread-safe on its own; `CoordinatorStore` serialises access.
final class SQLiteDatabase {
    /// A column value.
    enum Value: Equatable {
        case integer(Int64)
        case real(Double)
        case text(String)
        case null

        var int: Int64? { if case .integer(let v) = self { v } else { nil } }
        var double: Double? {
            switch self {
            case .real(let v): v
            case .integer(let v): Double(v)
            default: nil
            }
        }
        var string: String? { if case .text(let v) = self { v } else { nil } }
    }

    private var handle: OpaquePointer?
    let path: String

    /// Opens (creating if needed) the database at `path`, in WAL mode with a busy timeout.
    init(path: String) throws(ClusterError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw ClusterError(.storage, "cannot open the coordinator store \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 2000)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=NORMAL")
    }

    deinit { sqlite3_close(handle) }

    /// Runs one statement with `parameters` bound to its `?` placeholders; returns its rows.
    @discardableResult
    func execute(_ sql: String, _ parameters: [Value] = []) throws(ClusterError) -> [[Value]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw error("cannot prepare \(sql)")
        }
        defer { sqlite3_finalize(statement) }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .integer(let v): sqlite3_bind_int64(statement, index, v)
            case .real(let v): sqlite3_bind_double(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, -1, Self.transient)
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        var rows: [[Value]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw error("cannot run \(sql)") }
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: .real(sqlite3_column_double(statement, column))
                case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(statement, column)))
                default: .null
                }
            })
        }
        return rows
    }

    /// Runs `body` in one transaction: all of its writes land, or none.
    func transaction(_ body: () throws(ClusterError) -> Void) throws(ClusterError) {
        try execute("BEGIN IMMEDIATE")
        do {
            try body()
            try execute("COMMIT")
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private func error(_ what: String) -> ClusterError {
        ClusterError(.storage, "\(path): \(what): \(String(cString: sqlite3_errmsg(handle)))")
    }

    /// SQLITE_TRANSIENT: SQLite copies bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
