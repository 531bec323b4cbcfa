import ArgumentParser
import Transport
import ZMQTransport
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `brigade bench transport`: the transport's own numbers against a raw libzmq baseline measured in the same run.
///
/// Prints one JSON object per line: `raw_echo` (a blocking DEALER against a ROUTER echo in a child process),
/// `transport_round_trip` (ZMQTransport call → far handler → reply via trySend → handler here, from the default
/// pool and from the I/O thread, with its ratio to the raw p50 of the same round), `transport_calls_per_second`
/// (concurrent callers), and `bulk` (16 MiB messages, plain and CURVE).
struct BenchTransport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Benchmark ZMQTransport against raw libzmq (JSON lines).")

    @Option(help: "Measured round trips per round.")
    var calls = 20000

    @Option(help: "Unmeasured round trips before each measurement.")
    var warmup = 2000

    @Option(help: "Alternating raw/transport rounds.")
    var rounds = 3

    @Option(help: "Payload bytes per call.")
    var payload = 100

    @Option(help: "Concurrent callers for the calls-per-second measurement.")
    var concurrency = 16

    @Option(help: "Bulk messages per security mode.")
    var bulkCount = 32

    @Option(help: "Bytes per bulk message.")
    var bulkSize = 16 << 20

    @Option(help: "libzmq I/O threads per transport (client and echo node).")
    var ioThreads = 1

    @Option(help: "Path of brigade-test-peer (default: next to this executable).")
    var peerBinary: String?

    func run() async throws {
        let binary = peerBinary ?? Self.siblingExecutable("brigade-test-peer")
        let echo = try PipedProcess(executable: binary, arguments: ["transport-echo"])
        defer { echo.terminate() }
        let echoEndpoint = try echo.readLine(startingWith: "READY ")
        let node = try PipedProcess(
            executable: binary,
            arguments: ["transport-node", "--name", "bench-echo", "--insecure", "--echo", "--io-threads", "\(ioThreads)"])
        defer { node.terminate() }
        let announcement = try PeerAnnouncement(parsing: try node.readLine(startingWith: PeerAnnouncement.prefix))
        var configuration = ZMQTransportConfiguration(node: .fresh(name: "bench-client"), security: .insecure)
        configuration.ioThreads = ioThreads
        let client = try ZMQTransport(configuration: configuration)
        do {
            try client.addPeer(announcement.address)
            try await measure(client: client, peer: announcement.node.name, echoEndpoint: echoEndpoint)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    private func measure(client: ZMQTransport, peer: String, echoEndpoint: String) async throws {
        var ratios: [String: [Double]] = [:]
        var p50s: [String: [Double]] = [:]
        for round in 1...rounds {
            let raw = LatencySummary(nanoseconds: try RawEcho.measure(endpoint: echoEndpoint, calls: calls, warmup: warmup, payloadSize: payload))
            var line = JSONLine()
            line.add("bench", "transport")
            line.add("case", "raw_echo")
            line.add("round", round)
            line.add("calls", calls)
            line.add("payload_bytes", payload)
            line.add("rtt", raw)
            print(line.text)
            p50s["raw_echo", default: []].append(raw.p50)
            for onIOThread in [false, true] {
                let samples = try await TransportBenchmark.roundTrips(
                    client: client, peer: peer, calls: calls, warmup: warmup, payloadSize: payload,
                    onIOThread: onIOThread)
                let summary = LatencySummary(nanoseconds: samples)
                var line = JSONLine()
                line.add("bench", "transport")
                line.add("case", "transport_round_trip")
                line.add("round", round)
                line.add("caller", onIOThread ? "io_thread" : "task_pool")
                line.add("calls", calls)
                line.add("payload_bytes", payload)
                line.add("rtt", summary)
                line.add("ratio_p50_vs_raw", summary.p50 / raw.p50)
                line.add("ratio_p99_vs_raw", summary.p99 / raw.p99)
                print(line.text)
                let caller = onIOThread ? "io_thread" : "task_pool"
                ratios[caller, default: []].append(summary.p50 / raw.p50)
                p50s[caller, default: []].append(summary.p50)
            }
        }
        // The machine is shared and noisy: the median over rounds of each round's ratio to its own baseline.
        var summary = JSONLine()
        summary.add("bench", "transport")
        summary.add("case", "round_trip_summary")
        summary.add("rounds", rounds)
        summary.add("raw_echo_p50_us_median", Self.median(p50s["raw_echo", default: []]))
        for caller in ["task_pool", "io_thread"] {
            summary.add("\(caller)_p50_us_median", Self.median(p50s[caller, default: []]))
            summary.add("\(caller)_ratio_p50_median", Self.median(ratios[caller, default: []]))
        }
        print(summary.text)
        for onIOThread in [false, true] {
            let perSecond = try await TransportBenchmark.callsPerSecond(
                client: client, peer: peer, concurrency: concurrency,
                callsPerCaller: max(1, calls / concurrency), payloadSize: payload, onIOThread: onIOThread)
            var rate = JSONLine()
            rate.add("bench", "transport")
            rate.add("case", "transport_calls_per_second")
            rate.add("caller", onIOThread ? "io_thread" : "task_pool")
            rate.add("concurrency", concurrency)
            rate.add("calls_per_s", perSecond)
            print(rate.text)
        }

        for secure in [false, true] {
            let bytesPerSecond = try await Self.bulk(secure: secure, count: bulkCount, size: bulkSize)
            var line = JSONLine()
            line.add("bench", "transport")
            line.add("case", "bulk")
            line.add("security", secure ? "curve" : "plain")
            line.add("message_bytes", bulkSize)
            line.add("messages", bulkCount)
            line.add("gb_per_s", bytesPerSecond / 1e9)
            print(line.text)
        }
        fflush(nil)
    }

    /// Bulk throughput between two transports in this process, over loopback TCP.
    static func bulk(secure: Bool, count: Int, size: Int) async throws -> Double {
        var configurations: [ZMQTransportConfiguration] = []
        if secure {
            let (a, b) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
            let allowed = ["bulk-a": a.publicKey, "bulk-b": b.publicKey]
            configurations = [
                .init(node: .fresh(name: "bulk-a"), security: .curve(.init(keyPair: a, allowedPeers: allowed))),
                .init(node: .fresh(name: "bulk-b"), security: .curve(.init(keyPair: b, allowedPeers: allowed))),
            ]
        } else {
            configurations = [.init(node: .fresh(name: "bulk-a"), security: .insecure), .init(node: .fresh(name: "bulk-b"), security: .insecure)]
        }
        let sender = try ZMQTransport(configuration: configurations[0])
        let receiver = try ZMQTransport(configuration: configurations[1])
        try sender.addPeer(receiver.localAddress)
        let result = try await TransportBenchmark.bulkBytesPerSecond(sender: sender, receiver: receiver, messageSize: size, count: count)
        await sender.shutdown()
        await receiver.shutdown()
        return result
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    /// `name` in the folder of the running executable.
    static func siblingExecutable(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return name }
        let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[...slash]) + name
    }
}
