import ArgumentParser
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `brigade-test-peer transport-echo`: the raw libzmq ROUTER echo that transport benchmarks compare against.
/// Prints `READY <endpoint>` once bound; exits when standard input closes.
struct TransportEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport-echo",
        abstract: "Echo every message on a raw libzmq ROUTER until standard input closes.")

    @Option(help: "Endpoint to bind.")
    var endpoint = "tcp://127.0.0.1:0"

    func run() async throws {
        let context = try ZMQContext(ioThreads: 1)
        let server = EchoServer(context: context, endpoint: endpoint)
        let thread = try IOThread(name: "echo")
        thread.execute { server.run() }
        while readLine() != nil {}
        context.shutdown()
        Glibc.exit(0)
    }
}

/// Runs `RawEcho.serve` on the thread that calls `run`.
private final class EchoServer: Sendable {
    let context: ZMQContext
    let endpoint: String

    init(context: ZMQContext, endpoint: String) {
        self.context = context
        self.endpoint = endpoint
    }

    func run() {
        do {
            try RawEcho.serve(context: context, endpoint: endpoint) { bound in Output.line("READY \(bound)") }
        } catch {
            Output.line("ERROR \(error)")
            Glibc.exit(1)
        }
    }
}
