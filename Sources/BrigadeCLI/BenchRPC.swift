import ActorSystem
import ArgumentParser
import Foundation
import Transport
import ZMQTransport
import ZeroMQ

/// `brigade bench rpc`: actor-call round trips against a child process, next to the raw libzmq echo baseline
/// measured in the same run, as JSON lines.
///
/// Each round prints one `"bench":"rpc"` line: `raw_*` (blocking DEALER against a ROUTER echo thread in the child),
/// `transport_*` (ZMQTransport message to a handler in the child that answers with `trySend`, no actor system),
/// `actor_*` (`IOEchoService.echo` from a caller on the task pool; the callee runs on the child's I/O thread),
/// `actor_io_caller_*` (the same with the caller on this process's transport I/O thread), `actor_pool_callee_*`
/// (`EchoService.echo`, callee on the child's task pool), and `concurrent_*`/`calls_per_s` (`callers` tasks calling
/// at once), next to `raw_calls_per_s` (the raw echo with as many calls kept in flight from one DEALER: libzmq's
/// own ceiling) and `ratio_calls_per_s`. `one_cpu_*` repeat `actor_*`, `actor_io_caller_*` and the throughput
/// against a second child whose transports (and this process's second one) keep their I/O threads on one CPU each
/// (`IOPlacement.currentCPU`). `batch_*` repeat `actor_*` and the throughput against a third child whose transports
/// (and this process's third one) run their I/O threads under `SCHED_BATCH` (`IOScheduling.batch`).
/// Latency ratios are against the raw p50 of the same round. The sequential measurements take turns in blocks of
/// 500 calls (raw, transport, actor, …, then again), so a slow spell of a shared machine hits them alike. Then one
/// `"bench":"rpc_bulk"` line per security mode (16 MiB messages between two transports, the transport's own
/// measurement).
struct BenchRPC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Measure distributed actor call latency and throughput against a child process (JSON lines)."
    )

    @Option(help: "Timed calls per measurement.")
    var calls = 20_000

    @Option(help: "Untimed calls before each measurement (50 before each later block of 500).")
    var warmup = 2_000

    @Option(help: "Measurement rounds (each prints one JSON line).")
    var rounds = 3

    @Option(help: "Concurrent callers for the throughput measurement.")
    var callers = 16

    @Option(help: """
        Measurements to run, comma-separated: raw, transport, actor, io-caller, pool-callee, raw-concurrent, \
        concurrent, one-cpu, one-cpu-io-caller, one-cpu-concurrent, batch, batch-concurrent, bulk.
        """)
    var phases = "raw,transport,actor,io-caller,pool-callee,raw-concurrent,concurrent,one-cpu,one-cpu-io-caller,one-cpu-concurrent,batch,batch-concurrent,bulk"

    @Option(help: "Messages per bulk measurement.")
    var bulkCount = 16

    @Option(help: "Bytes per bulk message.")
    var bulkSize = 16 << 20

    @Flag(help: .hidden)
    var serve = false

    mutating func run() async throws {
        if serve {
            try await RPCBenchServer.run()
        } else {
            try await RPCBenchClient(
                calls: calls, warmup: warmup, rounds: rounds, callers: callers,
                phases: Set(phases.split(separator: ",").map(String.init)), bulkCount: bulkCount, bulkSize: bulkSize).run()
        }
    }
}

/// Prints one JSON object per line from ordered key/value pairs (numbers, strings, booleans).
func printJSONLine(_ fields: KeyValuePairs<String, Any>) {
    var parts: [String] = []
    for (key, value) in fields {
        let rendered: String
        switch value {
        case let number as Double: rendered = number.isFinite ? String(format: "%.3f", number) : "null"
        case let number as Int: rendered = String(number)
        case let number as UInt64: rendered = String(number)
        case let flag as Bool: rendered = flag ? "true" : "false"
        default:
            let text = String(describing: value).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            rendered = "\"\(text)\""
        }
        parts.append("\"\(key)\":\(rendered)")
    }
    print("{" + parts.joined(separator: ",") + "}")
    fflush(nil)
}
