import Transport
import ZeroMQ

/// Everything a `ZMQTransport` needs to start: who it is, where it listens, how it authenticates peers, and its
/// limits. Security has no default: choose `.curve` for anything that leaves one host, `.insecure` only on purpose.
public struct ZMQTransportConfiguration: Sendable {
    /// How peers prove who they are.
    public enum Security: Sendable {
        /// No encryption and no authentication (single-host clusters and benchmarks only).
        case insecure
        /// CURVE encryption on every socket; only the listed peers' keys are admitted.
        case curve(CurveSecurity)
    }

    /// This node's CURVE key pair and the peers it admits.
    public struct CurveSecurity: Sendable {
        /// This node's keys.
        public var keyPair: CurveKeyPair
        /// Node name → its public key (Z85). The ZAP handler admits exactly these keys and reports the name as the
        /// connection's user id; a message claiming another name is dropped as forged. A sub-node `NAME/PART` (a
        /// stage worker on that node's machine) uses `NAME`'s key and may claim its own name.
        public var allowedPeers: [String: String]

        /// - Parameters:
        ///   - keyPair: this node's keys.
        ///   - allowedPeers: node name → public key (Z85) of every peer that may connect.
        public init(keyPair: CurveKeyPair, allowedPeers: [String: String]) {
            self.keyPair = keyPair
            self.allowedPeers = allowedPeers
        }
    }

    /// Sizes and counts that bound memory. Defaults suit a LAN cluster serving a model.
    public struct Limits: Sendable {
        /// Largest control-lane message, header included; larger ones are refused with `.messageTooLarge`.
        public var maxControlMessageSize = 4 << 20
        /// Bulk messages larger than this travel as a sequence of `.chunk` messages of this size.
        public var bulkChunkSize = 4 << 20
        /// Largest bulk message (after reassembly).
        public var maxBulkMessageSize = 1 << 30
        /// Most payload frames in one message.
        public var maxFrames = 64
        /// Most messages (or chunks) queued per peer and lane while its connection cannot take them.
        public var queueMessages = 4096
        /// Most bytes queued per peer on the control lane.
        public var controlQueueBytes = 64 << 20
        /// Most bytes queued per peer on the bulk lane (a larger message is admitted alone into an empty queue).
        public var bulkQueueBytes = 256 << 20
        /// libzmq's per-connection message high-water mark on control sockets.
        public var controlHighWaterMark: Int32 = 1000
        /// libzmq's per-connection high-water mark on bulk sockets: bulk bytes in flight per peer are about
        /// (send HWM + receive HWM) × chunk size, plus kernel buffers.
        public var bulkHighWaterMark: Int32 = 4
        /// Most bulk transfers being reassembled from one sender at once.
        public var maxTransfersPerPeer = 4
        /// Most bulk transfers being reassembled at once in total.
        public var maxTransfers = 16
        /// A transfer that receives no chunk for this long is dropped.
        public var transferIdleTimeout: Duration = .seconds(30)
        /// Payload frames at least this large are sent without copying (libzmq keeps the buffer alive).
        public var zeroCopyThreshold = 8 << 10
        /// Most messages read from one inbox before the I/O thread looks at its other sockets.
        public var receiveBatch = 256

        public init() {}
    }

    /// Connection timing, in milliseconds (libzmq's defaults are unsafe: research/zeromq.md §2).
    public struct Timing: Sendable {
        /// Interval of ZMTP heartbeats.
        public var heartbeatInterval: Int32 = 1000
        /// A connection silent this long after a heartbeat is dropped.
        public var heartbeatTimeout: Int32 = 3000
        /// How long peers wait for our traffic before dropping us.
        public var heartbeatTTL: Int32 = 5000
        /// First reconnect delay.
        public var reconnectInterval: Int32 = 100
        /// Reconnect backoff ceiling.
        public var reconnectIntervalMax: Int32 = 2000
        /// Longest handshake (including CURVE and ZAP) before the connection is dropped.
        public var handshakeInterval: Int32 = 5000

        public init() {}
    }

    /// Where a transport's I/O threads run.
    public enum IOPlacement: Sendable, Equatable {
        /// Wherever the kernel puts them (the default).
        case anywhere
        /// All on the CPU that creates the transport: hand-offs between them stay on one CPU.
        case currentCPU
        /// All on this CPU.
        case cpu(Int)
    }

    /// How the kernel schedules a transport's I/O threads (see `ThreadScheduling`).
    public enum IOScheduling: Sendable, Equatable {
        /// Linux's default policy: a woken I/O thread preempts the thread running on its CPU.
        case standard
        /// `SCHED_BATCH`: a woken I/O thread waits for the running thread to block or for the next tick. On the
        /// 2-vCPU VMs we measure on, with CPUs otherwise idle, this cut `bench rpc`'s actor p50 by about a quarter
        /// and kept throughput; with other processes keeping both CPUs busy, sequential calls' p99 rose from about
        /// 4 ms to 12 ms. For hosts whose CPUs this node mostly has to itself.
        case batch
    }

    /// This process's identity.
    public var node: NodeID
    /// Where the control inbox binds: `tcp://HOST:PORT` (port 0 = ephemeral) or `ipc://PATH`.
    public var controlEndpoint: String
    /// Where the bulk inbox binds.
    public var bulkEndpoint: String
    /// The host to advertise when binding a wildcard address such as `0.0.0.0` or `*`.
    public var advertisedHost: String?
    /// Peer authentication.
    public var security: Security
    /// Memory bounds.
    public var limits = Limits()
    /// Connection timing.
    public var timing = Timing()
    /// libzmq I/O threads (about one per GB/s; CURVE needs more).
    public var ioThreads = 2
    /// Where the transport's I/O thread and libzmq's run (see `CPUPlacement` for why one CPU can be faster).
    public var ioPlacement = IOPlacement.anywhere
    /// How the kernel schedules the transport's I/O thread and libzmq's.
    public var ioScheduling = IOScheduling.standard
    /// When set (0...999), libzmq's I/O threads are named `PREFIX/ZMQbg/IO/N`, so that `top -H` or a test can tell
    /// this transport's threads from those of others in the same process. Nil: `ZMQbg/IO/N`.
    public var ioThreadNamePrefix: Int?
    /// Told about every dropped message, with what was wrong (on the thread that dropped it, usually the I/O
    /// thread: keep it light). The counters in `statistics` are kept either way.
    public var onDrop: (@Sendable (DropReport) -> Void)?

    /// - Parameters:
    ///   - node: this process's identity.
    ///   - security: `.curve(…)`, or `.insecure` for a single-host cluster.
    ///   - controlEndpoint: where the control inbox binds (default: loopback, ephemeral port).
    ///   - bulkEndpoint: where the bulk inbox binds (default: loopback, ephemeral port).
    public init(
        node: NodeID, security: Security,
        controlEndpoint: String = "tcp://127.0.0.1:0", bulkEndpoint: String = "tcp://127.0.0.1:0"
    ) {
        self.node = node
        self.security = security
        self.controlEndpoint = controlEndpoint
        self.bulkEndpoint = bulkEndpoint
    }

    /// True unless the configuration chose `.insecure`.
    public var isSecure: Bool {
        if case .curve = security { return true }
        return false
    }
}
