import Foundation
import HTTPAPI
import Synchronization
import Transport

/// The coordinator's durable state (DESIGN.md §2), in SQLite under the topology's state folder: the ready worker of
/// every stage, the agents last registered, and the event log. A restarted coordinator reads it back to resume
/// serving with the workers that still run (`Coordinator.resume()`), before agents have re-registered, and to show
/// the history that led here.
///
/// Writes are small and synchronous (WAL mode); a failing write is reported once to the log and never stops the
/// coordinator: the cluster itself stays the source of truth, the store only shortens recovery.
public final class CoordinatorStore: Sendable {
    private let database: Mutex<SQLiteDatabase>
    /// The file, for messages.
    public let path: String

    /// Opens or creates the store at `path` (its folder is created too).
    public init(path: String) throws(ClusterError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw ClusterError(.storage, "cannot create the folder of \(path): \(error.localizedDescription)")
        }
        let db = try SQLiteDatabase(path: path)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS workers (
                pipeline TEXT NOT NULL, stage INTEGER NOT NULL, report TEXT NOT NULL, PRIMARY KEY (pipeline, stage))
            """)
        try db.execute("CREATE TABLE IF NOT EXISTS agents (name TEXT PRIMARY KEY, registration TEXT NOT NULL)")
        try db.execute("""
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
                message TEXT NOT NULL)
            """)
        try db.execute("CREATE TABLE IF NOT EXISTS starts (id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, time REAL NOT NULL)")
        database = Mutex(db)
    }

    // MARK: Writing

    /// Remembers `report` as the worker serving its stage (replacing any earlier one).
    public func saveWorker(_ report: WorkerReport) throws(ClusterError) {
        let json = try Self.encode(report)
        try database.withLock { db throws(ClusterError) in
            try db.execute(
                "INSERT OR REPLACE INTO workers (pipeline, stage, report) VALUES (?, ?, ?)",
                [.text(report.spec.pipeline), .integer(Int64(report.spec.stageIndex)), .text(json)])
        }
    }

    /// Forgets the worker of a stage (it exited).
    public func removeWorker(pipeline: String, stage: Int) throws(ClusterError) {
        try database.withLock { db throws(ClusterError) in
            try db.execute("DELETE FROM workers WHERE pipeline = ? AND stage = ?", [.text(pipeline), .integer(Int64(stage))])
        }
    }

    /// Remembers an agent's latest registration.
    public func saveAgent(_ registration: AgentRegistration) throws(ClusterError) {
        let json = try Self.encode(registration)
        try database.withLock { db throws(ClusterError) in
            try db.execute(
                "INSERT OR REPLACE INTO agents (name, registration) VALUES (?, ?)", [.text(registration.node.name), .text(json)])
        }
    }

    /// Appends an event, keeping the newest `keep`.
    public func appendEvent(_ event: ClusterStatus.Event, keep: Int = 10_000) throws(ClusterError) {
        try database.withLock { db throws(ClusterError) in
            let id = try db.execute(
                "INSERT INTO events (time, kind, subject, message) VALUES (?, ?, ?, ?) RETURNING id",
                [.real(event.time.timeIntervalSince1970), .text(event.kind), .text(event.subject), .text(event.message)])
            if let last = id.first?.first?.int, last % 1000 == 0 {
                try db.execute("DELETE FROM events WHERE id <= ?", [.integer(last - Int64(keep))])
            }
        }
    }

    /// Records that a coordinator started as `node`; returns how many starts the store has seen, this one included.
    public func recordStart(_ node: NodeID) throws(ClusterError) -> Int {
        try database.withLock { db throws(ClusterError) in
            try db.execute("INSERT INTO starts (node, time) VALUES (?, ?)", [.text(node.description), .real(Date().timeIntervalSince1970)])
            return Int(try db.execute("SELECT COUNT(*) FROM starts").first?.first?.int ?? 0)
        }
    }

    // MARK: Reading

    /// The remembered workers, by pipeline and stage. Rows that no longer decode are skipped.
    public func workers() throws(ClusterError) -> [WorkerReport] {
        let rows = try database.withLock { db throws(ClusterError) in try db.execute("SELECT report FROM workers ORDER BY pipeline, stage") }
        return rows.compactMap { $0.first?.string.flatMap { try? JSONDecoder().decode(WorkerReport.self, from: Data($0.utf8)) } }
    }

    /// The remembered agents.
    public func agents() throws(ClusterError) -> [AgentRegistration] {
        let rows = try database.withLock { db throws(ClusterError) in try db.execute("SELECT registration FROM agents ORDER BY name") }
        return rows.compactMap { $0.first?.string.flatMap { try? JSONDecoder().decode(AgentRegistration.self, from: Data($0.utf8)) } }
    }

    /// The newest `limit` events, oldest first.
    public func recentEvents(limit: Int) throws(ClusterError) -> [ClusterStatus.Event] {
        let rows = try database.withLock { db throws(ClusterError) in
            try db.execute("SELECT time, kind, subject, message FROM events ORDER BY id DESC LIMIT ?", [.integer(Int64(limit))])
        }
        return rows.reversed().compactMap { row in
            guard row.count == 4, let time = row[0].double, let kind = row[1].string, let subject = row[2].string,
                let message = row[3].string
            else { return nil }
            return ClusterStatus.Event(time: Date(timeIntervalSince1970: time), kind: kind, subject: subject, message: message)
        }
    }

    private static func encode(_ value: some Encodable) throws(ClusterError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        } catch {
            throw ClusterError(.storage, "cannot encode \(type(of: value)) for the store: \(error)")
        }
    }
}
