import Foundation

/// What `brigade launch` started, kept in the state folder (`launch.json`) so that `brigade launch --stop` can stop
/// the same processes by PID.
public struct LaunchRecord: Codable, Sendable, Equatable {
    /// One process started in the background (an agent, or the coordinator).
    public struct Process: Codable, Sendable, Equatable {
        /// The node name, or `coordinator`.
        public var node: String
        /// The host it runs on (`local` for this machine's coordinator).
        public var host: String
        /// Its process id on that host.
        public var pid: Int32
        /// Its log file on that host.
        public var log: String

        public init(node: String, host: String, pid: Int32, log: String) {
            self.node = node
            self.host = host
            self.pid = pid
            self.log = log
        }
    }

    /// The topology file the processes were started with.
    public var topology: String
    /// The coordinator, when `brigade launch` started it.
    public var coordinator: Process?
    /// The agents, in topology order.
    public var agents: [Process]
    /// When the launch happened.
    public var started: Date

    public init(topology: String, coordinator: Process? = nil, agents: [Process] = [], started: Date = Date()) {
        self.topology = topology
        self.coordinator = coordinator
        self.agents = agents
        self.started = started
    }

    /// The record's file in a state folder.
    public static func path(stateDirectory: String) -> String { stateDirectory + "/launch.json" }

    /// Reads the record, or nil when there is none.
    public static func load(stateDirectory: String) throws -> LaunchRecord? {
        let path = path(stateDirectory: stateDirectory)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(LaunchRecord.self, from: data)
        } catch {
            throw ClusterError(.storage, "\(path) is not a launch record: \(error)")
        }
    }

    /// Writes the record (replacing an older one).
    public func save(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(stateDirectory: stateDirectory)), options: .atomic)
    }

    /// Removes the record.
    public static func remove(stateDirectory: String) {
        try? FileManager.default.removeItem(atPath: path(stateDirectory: stateDirectory))
    }
}
