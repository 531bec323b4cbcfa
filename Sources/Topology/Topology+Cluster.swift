extension Topology {
    /// The cluster's identity and the coordinator's addresses (the `cluster:` section).
    public struct Cluster: Sendable, Codable, Equatable {
        /// The cluster's name: 1-63 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
        public var name: String
        /// Where the coordinator runs and listens.
        public var coordinator: Coordinator
        /// The folder of the coordinator's durable store as written (`~` and relative paths are resolved by
        /// `Topology.resolvedPath(_:)`); nil means `$BRIGADE_HOME/state/<name>`.
        public var stateDirectory: String?
        /// How every process schedules its transport's I/O threads as written; nil means `standard`.
        public var ioScheduling: IOScheduling?

        /// The I/O scheduling in effect: `ioScheduling`, or `standard` when it is not set.
        public var effectiveIOScheduling: IOScheduling { ioScheduling ?? .standard }

        /// Makes a cluster section; see the properties for the meaning of each value.
        public init(
            name: String, coordinator: Coordinator = Coordinator(), stateDirectory: String? = nil,
            ioScheduling: IOScheduling? = nil
        ) {
            self.name = name
            self.coordinator = coordinator
            self.stateDirectory = stateDirectory
            self.ioScheduling = ioScheduling
        }
    }

    /// The Linux scheduling policy of the transport's I/O threads (`cluster.io_scheduling`).
    public enum IOScheduling: String, Sendable, Codable, CaseIterable {
        /// The default policy: a woken I/O thread preempts whatever runs on its CPU.
        case standard
        /// `SCHED_BATCH`: a woken I/O thread waits for the running thread to block or use up its slice. Fewer
        /// preemptions make a round trip faster on CPUs that are mostly idle; under CPU contention the wait can
        /// reach a scheduler tick, so tail latency grows.
        case batch
    }

    /// The coordinator's addresses (`cluster.coordinator`).
    public struct Coordinator: Sendable, Codable, Equatable {
        /// The host the coordinator binds and the agents dial: an IPv4 or IPv6 address or a host name.
        public var host: String
        /// Its control inbox port (default 7100).
        public var controlPort: Int
        /// Its bulk-data inbox port; nil means `controlPort + 1`.
        public var bulkPort: Int?
        /// Where the OpenAI-compatible HTTP API listens (default `127.0.0.1:8080`).
        public var http: Endpoint

        /// The bulk inbox port in effect: `bulkPort`, or `controlPort + 1` when it is not set.
        public var effectiveBulkPort: Int { bulkPort ?? controlPort &+ 1 }

        /// Makes a coordinator section with the documented defaults.
        public init(
            host: String = "127.0.0.1", controlPort: Int = 7100, bulkPort: Int? = nil,
            http: Endpoint = Endpoint(host: "127.0.0.1", port: 8080)
        ) {
            self.host = host
            self.controlPort = controlPort
            self.bulkPort = bulkPort
            self.http = http
        }
    }

    /// A host and a port, written `host:port` (`[v6-address]:port` for IPv6).
    public struct Endpoint: Sendable, Codable, Hashable, CustomStringConvertible {
        /// An IPv4 or IPv6 address (without brackets) or a host name.
        public var host: String
        /// A TCP port, 1-65535.
        public var port: Int

        /// Makes an endpoint.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, with brackets around an IPv6 address.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// How processes authenticate each other (DESIGN.md §3) and how API clients are admitted (`security:`).
    public struct Security: Sendable, Codable, Equatable {
        /// The transport security mode.
        public struct Mode: Hashable, Sendable, Codable, CustomStringConvertible {
            /// The name as written in a topology file.
            public let rawValue: String
            private init(_ rawValue: String) { self.rawValue = rawValue }

            /// No encryption or authentication; allowed only when every address is loopback (one machine).
            public static let insecure = Mode("insecure")
            /// ZeroMQ CURVE on every socket; a ZAP handler admits only the keys of the topology's nodes.
            public static let curve = Mode("curve")
            /// Every mode a topology file may name.
            public static let all: [Mode] = [.insecure, .curve]

            /// The mode named `name`, or nil for a name no mode has.
            public init?(named name: String) {
                guard let mode = Mode.all.first(where: { $0.rawValue == name }) else { return nil }
                self = mode
            }

            /// Decodes the mode from its name; an unknown name is a `DecodingError`.
            public init(from decoder: any Decoder) throws {
                let name = try decoder.singleValueContainer().decode(String.self)
                guard let mode = Mode(named: name) else {
                    throw DecodingError.dataCorrupted(
                        .init(codingPath: decoder.codingPath, debugDescription: "unknown security mode '\(name)'"))
                }
                self = mode
            }

            /// Encodes the mode as its name.
            public func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(rawValue)
            }

            /// The name as written in a topology file.
            public var description: String { rawValue }
        }

        /// The transport security mode (default `insecure`).
        public var mode: Mode
        /// With `curve`: the folder of the `NAME.key` / `NAME.pub` files `brigade keys` writes, as written (relative
        /// to the topology file; default `keys`). Needed: one pair per node and one named `coordinator`.
        public var keysDirectory: String?
        /// The environment variable holding the bearer token the HTTP API requires; nil means no token.
        public var apiTokenEnvironmentVariable: String?

        /// The keys folder in effect: `keysDirectory`, or `keys` when it is not set.
        public var effectiveKeysDirectory: String { keysDirectory ?? "keys" }

        /// Makes a security section; the default is insecure mode with no API token.
        public init(mode: Mode = .insecure, keysDirectory: String? = nil, apiTokenEnvironmentVariable: String? = nil) {
            self.mode = mode
            self.keysDirectory = keysDirectory
            self.apiTokenEnvironmentVariable = apiTokenEnvironmentVariable
        }
    }
}
