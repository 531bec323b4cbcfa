import ActorSystem
import Foundation
import Transport
import ZMQTransport
import ZeroMQ

/// The measuring side of `brigade bench rpc`: a server child without security for the latency rounds and the plain
/// bulk run (plus, for the `one-cpu` phases, a second pair whose transports keep their I/O threads on one CPU each),
/// then one under CURVE for the secure bulk run (and a secure actor round trip).
struct RPCBenchClient {
    var calls: Int
    var warmup: Int
    var rounds: Int
    var callers: Int
    var phases: Set<String>
    var bulkCount: Int
    var bulkSize: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let oneCPUPhases: Set<String> = ["one-cpu", "one-cpu-io-caller", "one-cpu-concurrent"]
    static let batchPhases: Set<String> = ["batch", "batch-concurrent"]

    func run() async throws {
        let plain = try await Session(secure: false)
        var (oneCPU, batch): (Session?, Session?) = (nil, nil)
        do {
            if !phases.isDisjoint(with: Self.oneCPUPhases) { oneCPU = try await Session(secure: false, placement: .currentCPU) }
            if !phases.isDisjoint(with: Self.batchPhases) { batch = try await Session(secure: false, scheduling: .batch) }
            for round in 1...rounds { try await measureRound(round, plain, oneCPU, batch) }
            if phases.contains("bulk") { try await measureBulk(plain) }
        } catch {
            await batch?.close()
            await oneCPU?.close()
            await plain.close()
            throw error
        }
        await batch?.close()
        await oneCPU?.close()
        await plain.close()
        guard phases.contains("bulk") else { return }
        let curve = try await Session(secure: true)
        do {
            try await measureBulk(curve)
        } catch {
            await curve.close()
            throw error
        }
        await curve.close()
    }

    /// Calls per block of the sequential measurements: the phases take turns block by block, so that a slow spell
    /// of a shared machine (seconds long) hits the baseline and the measured paths alike.
    static let blockSize = 500

    private func measureRound(_ round: Int, _ session: Session, _ oneCPU: Session?, _ batch: Session?) async throws {
        let empty = RPCBenchmark.Summary(nanoseconds: [])
        let (io, pool) = (session.io, session.pool)
        var samples: [String: [UInt64]] = [:]
        var value = 0
        let blocks = max(1, (calls + Self.blockSize - 1) / Self.blockSize)
        for block in 0..<blocks {
            let count = min(Self.blockSize, calls - block * Self.blockSize)
            let warm = block == 0 ? warmup : min(warmup, 50)
            func sequential(_ phase: String, _ call: () async throws -> Void) async throws {
                guard phases.contains(phase) else { return }
                samples[phase, default: []] += try await RPCBenchmark.sequential(calls: count, warmup: warm, call)
            }
            if phases.contains("raw") {
                samples["raw", default: []] += try RawEcho.measure(endpoint: session.rawEndpoint, calls: count, warmup: warm)
            }
            try await sequential("transport") { try await session.probe.ping() }
            try await sequential("actor") { value = try await io.echo(value) &+ 1 }
            if phases.contains("io-caller") {
                samples["io-caller", default: []] += try await withTaskExecutorPreference(session.transport.ioExecutor) {
                    try await RPCBenchmark.sequential(calls: count, warmup: warm) { value = try await io.echo(value) &+ 1 }
                }
            }
            try await sequential("pool-callee") { value = try await pool.echo(value) &+ 1 }
            if let oneCPU {
                try await sequential("one-cpu") { value = try await oneCPU.io.echo(value) &+ 1 }
                if phases.contains("one-cpu-io-caller") {
                    samples["one-cpu-io-caller", default: []] += try await withTaskExecutorPreference(oneCPU.transport.ioExecutor) {
                        try await RPCBenchmark.sequential(calls: count, warmup: warm) { value = try await oneCPU.io.echo(value) &+ 1 }
                    }
                }
            }
            if let batch { try await sequential("batch") { value = try await batch.io.echo(value) &+ 1 } }
        }
        func summary(_ phase: String) -> RPCBenchmark.Summary { RPCBenchmark.Summary(nanoseconds: samples[phase] ?? []) }
        let (raw, transportOnly, actor, ioCaller, poolCallee) =
            (summary("raw"), summary("transport"), summary("actor"), summary("io-caller"), summary("pool-callee"))
        let (oneCPUActor, oneCPUIOCaller, batchActor) = (summary("one-cpu"), summary("one-cpu-io-caller"), summary("batch"))
        /// Latencies, calls per second, and CPU µs per call (both processes, 0 when unknown) of `callers` concurrent callers.
        func throughput(_ session: Session) async throws -> (RPCBenchmark.Summary, Double, Double) {
            let service = session.io
            _ = try await RPCBenchmark.concurrent(callers: callers, callsPerCaller: max(1, warmup / callers)) { _ = try await service.echo(1) }
            let before = session.cpuNanoseconds()
            let (samples, seconds) = try await RPCBenchmark.concurrent(callers: callers, callsPerCaller: max(1, calls / callers)) {
                _ = try await service.echo(1)
            }
            let cpu = Self.microsecondsPerCall(from: before, to: session.cpuNanoseconds(), calls: samples.count)
            return (RPCBenchmark.Summary(nanoseconds: samples), Double(samples.count) / seconds, cpu)
        }
        var (concurrent, callsPerSecond, cpuPerCall) = (empty, 0.0, 0.0)
        var (oneCPUConcurrent, oneCPUCallsPerSecond, oneCPUCPUPerCall) = (empty, 0.0, 0.0)
        var (rawCallsPerSecond, rawCPUPerCall) = (0.0, 0.0)
        if phases.contains("raw-concurrent") {
            let before = session.cpuNanoseconds()
            rawCallsPerSecond = try RawEcho.measureWindow(endpoint: session.rawEndpoint, calls: calls, window: callers, warmup: warmup)
            // The window's warm-up calls cost CPU too: they count.
            rawCPUPerCall = Self.microsecondsPerCall(from: before, to: session.cpuNanoseconds(), calls: calls + warmup)
        }
        if phases.contains("concurrent") { (concurrent, callsPerSecond, cpuPerCall) = try await throughput(session) }
        if let oneCPU, phases.contains("one-cpu-concurrent") {
            (oneCPUConcurrent, oneCPUCallsPerSecond, oneCPUCPUPerCall) = try await throughput(oneCPU)
        }
        var (batchCallsPerSecond, batchCPUPerCall) = (0.0, 0.0)
        if let batch, phases.contains("batch-concurrent") { (_, batchCallsPerSecond, batchCPUPerCall) = try await throughput(batch) }
        printJSONLine([
            "bench": "rpc", "round": round, "calls": calls,
            "raw_p50_us": raw.p50Microseconds, "raw_p99_us": raw.p99Microseconds,
            "transport_p50_us": transportOnly.p50Microseconds, "transport_p99_us": transportOnly.p99Microseconds,
            "actor_p50_us": actor.p50Microseconds, "actor_p99_us": actor.p99Microseconds,
            "ratio_p50": actor.p50Microseconds / raw.p50Microseconds,
            "actor_io_caller_p50_us": ioCaller.p50Microseconds, "actor_io_caller_p99_us": ioCaller.p99Microseconds,
            "ratio_io_caller_p50": ioCaller.p50Microseconds / raw.p50Microseconds,
            "actor_pool_callee_p50_us": poolCallee.p50Microseconds, "actor_pool_callee_p99_us": poolCallee.p99Microseconds,
            "callers": callers, "concurrent_p50_us": concurrent.p50Microseconds, "concurrent_p99_us": concurrent.p99Microseconds,
            "calls_per_s": callsPerSecond, "raw_calls_per_s": rawCallsPerSecond,
            "ratio_calls_per_s": callsPerSecond / rawCallsPerSecond,
            "cpu_us_per_call": cpuPerCall, "raw_cpu_us_per_call": rawCPUPerCall, "ratio_cpu_per_call": cpuPerCall / rawCPUPerCall,
            "one_cpu_actor_p50_us": oneCPUActor.p50Microseconds, "one_cpu_actor_p99_us": oneCPUActor.p99Microseconds,
            "ratio_one_cpu_p50": oneCPUActor.p50Microseconds / raw.p50Microseconds,
            "one_cpu_io_caller_p50_us": oneCPUIOCaller.p50Microseconds,
            "ratio_one_cpu_io_caller_p50": oneCPUIOCaller.p50Microseconds / raw.p50Microseconds,
            "one_cpu_concurrent_p50_us": oneCPUConcurrent.p50Microseconds, "one_cpu_calls_per_s": oneCPUCallsPerSecond,
            "one_cpu_cpu_us_per_call": oneCPUCPUPerCall,
            "batch_actor_p50_us": batchActor.p50Microseconds, "batch_actor_p99_us": batchActor.p99Microseconds,
            "ratio_batch_p50": batchActor.p50Microseconds / raw.p50Microseconds, "batch_calls_per_s": batchCallsPerSecond,
            "ratio_batch_calls_per_s": batchCallsPerSecond / rawCallsPerSecond, "batch_cpu_us_per_call": batchCPUPerCall,
        ])
    }

    /// CPU µs per call between two `Session.cpuNanoseconds` readings; 0 when either is missing.
    static func microsecondsPerCall(from before: UInt64?, to after: UInt64?, calls: Int) -> Double {
        guard let before, let after, after >= before, calls > 0 else { return 0 }
        return Double(after - before) / 1000 / Double(calls)
    }

    private func measureBulk(_ session: Session) async throws {
        var value = 0
        let actor = RPCBenchmark.Summary(nanoseconds: try await RPCBenchmark.sequential(calls: min(calls, 2000), warmup: 200) {
            value = try await session.io.echo(value) &+ 1
        })
        _ = try await session.probe.bulk(count: 2, size: bulkSize)
        let bytesPerSecond = try await session.probe.bulk(count: bulkCount, size: bulkSize)
        printJSONLine([
            "bench": "rpc_bulk", "security": session.secure ? "curve" : "plain", "message_bytes": bulkSize,
            "messages": bulkCount, "gb_per_s": bytesPerSecond / 1e9, "actor_p50_us": actor.p50Microseconds,
        ])
    }
}

/// A server child plus this process's transport and actor system, connected to it.
final class Session: @unchecked Sendable {
    let secure: Bool
    let child: ServerChild
    let transport: ZMQTransport
    let system: BrigadeActorSystem
    let probe: TransportProbe.Client
    let io: IOEchoService
    let pool: EchoService
    let rawEndpoint: String

    init(
        secure: Bool, placement: ZMQTransportConfiguration.IOPlacement = .anywhere,
        scheduling: ZMQTransportConfiguration.IOScheduling = .standard
    ) async throws {
        self.secure = secure
        var environment: [String: String] = [:]
        if placement == .currentCPU { environment[RPCBenchServer.oneCPUVariable] = "1" }
        if scheduling == .batch { environment[RPCBenchServer.batchVariable] = "1" }
        var security = ZMQTransportConfiguration.Security.insecure
        var serverKeys: CurveKeyPair?
        if secure {
            let (client, server) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
            environment[RPCBenchServer.secretVariable] = server.secretKey
            environment[RPCBenchServer.allowVariable] = "bench-client=\(client.publicKey)"
            security = .curve(.init(keyPair: client, allowedPeers: ["bench-server": server.publicKey]))
            serverKeys = server
        }
        child = try ServerChild(environment: environment)
        let fields = child.ready.split(separator: " ").map(String.init)
        guard fields.count == 6, fields[0] == "READY", let incarnation = UInt64(fields[2]) else {
            child.kill()
            throw RPCBenchClient.Failure(description: "bench server said '\(child.ready)', expected READY and 5 fields")
        }
        let server = NodeID(name: fields[1], incarnation: incarnation)
        rawEndpoint = fields[5]
        var configuration = ZMQTransportConfiguration(node: .fresh(name: "bench-client"), security: security)
        configuration.ioPlacement = placement
        configuration.ioScheduling = scheduling
        transport = try ZMQTransport(configuration: configuration)
        system = BrigadeActorSystem(transport: transport)
        try transport.addPeer(PeerAddress(name: server.name, control: fields[3], bulk: fields[4], publicKey: serverKeys?.publicKey))
        system.observe(server)
        probe = TransportProbe.Client(transport: transport, peer: server.name)
        io = try IOEchoService.resolve(id: .wellKnown(IOEchoService.wellKnownName, onNode: server.name), using: system)
        pool = try EchoService.resolve(id: .wellKnown(EchoService.wellKnownName, onNode: server.name), using: system)
    }

    /// CPU time (user and system, every thread) used so far by this process and the session's server child: what
    /// a measurement cost, whatever else the machine's CPUs were doing. Nil when the kernel does not say.
    func cpuNanoseconds() -> UInt64? {
        guard let own = Self.cpuNanoseconds(of: 0), let server = Self.cpuNanoseconds(of: child.process.processIdentifier) else {
            return nil
        }
        return own + server
    }

    /// The CPU time of process `pid` (0: this one).
    private static func cpuNanoseconds(of pid: pid_t) -> UInt64? {
        var clock = clockid_t()
        var time = timespec()
        guard clock_getcpuclockid(pid, &clock) == 0, clock_gettime(clock, &time) == 0 else { return nil }
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    func close() async {
        system.shutdown()
        await transport.shutdown()
        await child.stop()
    }
}

/// The `brigade bench rpc --serve` child, killed by PID on every path.
final class ServerChild: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    let ready: String

    init(environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "rpc", "--serve"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        let handle = output.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        ready = String(decoding: line, as: UTF8.self)
        if ready.isEmpty {
            kill()
            throw RPCBenchClient.Failure(description: "the bench server exited before it was ready")
        }
    }

    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Closes the child's stdin so it shuts down, and reaps it; kills it if it has not exited within 5 s.
    func stop() async {
        try? input.fileHandleForWriting.close()
        let pid = process.processIdentifier
        let watchdog = Task {
            try await Task.sleep(for: .seconds(5))
            Glibc.kill(pid, SIGKILL)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { [process] in
                process.waitUntilExit()
                continuation.resume()
            }
        }
        watchdog.cancel()
    }

    deinit { kill() }
}
