// swift-tools-version:6.0
// Brigade: serves large language models across a cluster as a pipeline of stage workers.
// Module map (DESIGN.md §8): C shims for libzmq and OpenBLAS; the transport abstraction and its ZeroMQ engine;
// the distributed actor system; membership (SWIM/Lifeguard) with its simulator; the model engine (kernels,
// formats, tokenizer, engine); the `brigade` executable.
import PackageDescription

/// Release builds of the numeric code use these; the C kernels pick their instruction set at run time.
let kernelCFlags: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "Brigade",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "brigade", targets: ["BrigadeCLI"]),
        .executable(name: "brigade-test-peer", targets: ["BrigadeTestPeer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // HTTP API: server, observability, lifecycle; async-http-client is a real client for its tests.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // C shims (system libraries, no pkgConfig: research/probe-dactors-zmq.md Q1).
        .systemLibrary(name: "CZeroMQ"),
        // epoll for the I/O thread (a header only; apart from CZeroMQ's _GNU_SOURCE, see its shim.h).
        .systemLibrary(name: "CEpoll"),
        .systemLibrary(name: "COpenBLAS"),
        // SQLite (Debian libsqlite3-dev) for the coordinator's durable store.
        .systemLibrary(name: "CSQLite"),

        // pthread-based locks (visible to the thread sanitizer, unlike `Synchronization.Mutex`), shared by the
        // transport, the actor system and the test kit.
        .target(name: "Locks"),

        // Transport: the abstraction (node identity, frame header, the Transport protocol, fault injection).
        .target(name: "Transport"),
        // An in-memory transport over a simulated network, for fast deterministic tests.
        .target(name: "TransportTestKit", dependencies: ["Transport", "Locks"]),
        // A thin libzmq binding: context, sockets, messages, the I/O thread.
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ", "CEpoll", "Locks"]),
        // The Transport implemented on ZeroMQ (inboxes, per-peer mailboxes, CURVE + ZAP).
        .target(
            name: "ZMQTransport",
            dependencies: ["ZeroMQ", "Transport", "Locks", .product(name: "DequeModule", package: "swift-collections")]
        ),
        // Swift distributed actors over any Transport.
        .target(name: "ActorSystem", dependencies: ["Transport", "Locks"]),

        // The pipeline's data plane: step batches, token events, admissions and releases as raw frames.
        .target(name: "DataPlane", dependencies: ["Transport"]),

        // Starting, supervising and stopping child processes by PID.
        .target(name: "ProcessSupport"),

        // Membership: SWIM + Lifeguard as a pure state machine, and a seeded deterministic simulator.
        .target(name: "Membership"),
        .target(name: "MembershipSimulator", dependencies: ["Membership"]),
        // Runs the membership instance on a real Transport (control lane, I/O-thread handler, a tick thread).
        .target(name: "MembershipShell", dependencies: ["Membership", "Transport"]),

        // Model engine, layered like ggml → llama: kernels know no model; formats and tokenizer know no math.
        .target(name: "CKernels", cSettings: kernelCFlags),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"]),
        .target(name: "ModelFormats"),
        .target(name: "Tokenizer", dependencies: ["ModelFormats"]),
        .target(name: "ModelEngine", dependencies: ["Kernels", "ModelFormats", "Tokenizer"]),

        // The OpenAI-compatible HTTP API: JSON, chat templates, tokenization and stop strings live here; only
        // token ids and sampling settings go inward, through the InferenceService protocol.
        .target(
            name: "HTTPAPI",
            dependencies: [
                "Tokenizer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Topology files: the YAML schema, a validating parser (errors name file, line and field), auto placement.
        .target(name: "Topology", dependencies: [.product(name: "Yams", package: "Yams")]),

        // A stage's token loop (continuous batching on a step thread), wired by closures: in-process or over the network.
        .target(name: "Pipeline", dependencies: ["DataPlane", "ModelEngine", "Transport"]),

        // The cluster's roles: coordinator (with the gateway), agents, stage workers.
        .target(
            name: "Cluster",
            dependencies: [
                "ActorSystem", "DataPlane", "HTTPAPI", "ModelEngine", "ModelFormats", "Pipeline", "ProcessSupport",
                "Tokenizer", "Topology", "Transport", "ZMQTransport", "Kernels", "CSQLite", "Membership", "MembershipShell",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        // The one executable.
        .executableTarget(
            name: "BrigadeCLI",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "Transport", "ZeroMQ", "ZMQTransport", "ActorSystem",
                "Membership", "MembershipSimulator",
                "Kernels", "ModelFormats", "Tokenizer", "ModelEngine",
                "Topology", "Cluster", "HTTPAPI", "ProcessSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // A helper executable the multi-process tests spawn as a peer (never shipped to users).
        .executableTarget(
            name: "BrigadeTestPeer",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "Transport", "ZeroMQ", "ZMQTransport", "ActorSystem", "Membership", "MembershipShell",
            ]
        ),

        // Unit tests, one target per module.
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TransportTestKit"]),
        .testTarget(name: "ZMQTransportTests", dependencies: ["ZeroMQ", "ZMQTransport", "Transport", "Locks"]),
        .testTarget(name: "ProcessSupportTests", dependencies: ["ProcessSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "DataPlane", "ModelEngine", "ModelFormats", "Tokenizer"]),
        .testTarget(name: "DataPlaneTests", dependencies: ["DataPlane", "Transport"]),
        .testTarget(name: "ActorSystemTests", dependencies: ["ActorSystem", "Transport", "TransportTestKit", "ZMQTransport", "Locks"]),
        .testTarget(
            name: "MembershipTests",
            dependencies: ["Membership", "MembershipSimulator", "MembershipShell", "Transport", "TransportTestKit"]
        ),
        .testTarget(name: "ModelFormatsTests", dependencies: ["ModelFormats"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "ModelFormats"]),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI", "Tokenizer", "ModelFormats",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "ModelEngineTests", dependencies: ["Kernels", "ModelFormats", "Tokenizer", "ModelEngine"]),
        .testTarget(name: "TopologyTests", dependencies: ["Topology"]),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "Cluster", "HTTPAPI", "ModelEngine", "ProcessSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
    ]
)
