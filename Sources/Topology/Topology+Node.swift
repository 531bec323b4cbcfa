extension Topology {
    /// A machine that runs one agent (an entry of `nodes:`).
    public struct Node: Sendable, Codable, Equatable {
        /// Unique name: 1-63 characters of `a-z`, `0-9` and `-`; `coordinator` is reserved.
        public var name: String
        /// The address the agent binds and peers dial: an IPv4 or IPv6 address or a host name (not `0.0.0.0`).
        public var host: String
        /// The agent's control inbox port; 0 lets it pick a free port.
        public var controlPort: Int
        /// The agent's bulk inbox port; 0 lets it pick a free port.
        public var bulkPort: Int
        /// How `brigade launch` reaches the host; nil when agents are started by hand.
        public var ssh: SSH?
        /// How many stage workers the agent may run at once (default 1).
        public var slots: Int
        /// The memory the node may spend on weights and KV caches.
        public var memory: ByteCount
        /// Compute threads per stage worker (default 1).
        public var threads: Int

        /// Makes a node; see the properties for the meaning of each value.
        public init(
            name: String, host: String = "127.0.0.1", controlPort: Int = 0, bulkPort: Int = 0, ssh: SSH? = nil,
            slots: Int = 1, memory: ByteCount, threads: Int = 1
        ) {
            self.name = name
            self.host = host
            self.controlPort = controlPort
            self.bulkPort = bulkPort
            self.ssh = ssh
            self.slots = slots
            self.memory = memory
            self.threads = threads
        }
    }

    /// SSH settings `brigade launch` uses to start an agent (`nodes[].ssh`).
    public struct SSH: Sendable, Codable, Equatable {
        /// The remote user; nil means ssh's own default (the local user or `~/.ssh/config`).
        public var user: String?
        /// The SSH port (default 22).
        public var port: Int
        /// A private key file as written (relative to the topology file); nil means ssh's defaults.
        public var identityFile: String?

        /// Makes SSH settings.
        public init(user: String? = nil, port: Int = 22, identityFile: String? = nil) {
            self.user = user
            self.port = port
            self.identityFile = identityFile
        }
    }
}
