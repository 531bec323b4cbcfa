/// The baseline for transport benchmarks: a raw libzmq DEALER → ROUTER echo with no Brigade code in the path
/// (research/zeromq.md §4 measured the same shape). Run `serve` in one process and `measure` in another.
public enum RawEcho {
    /// How long a measurement waits for one answer, or for room to send, before it fails: far longer than any
    /// stall of a busy machine, short enough that a dead echo server ends a benchmark instead of hanging it.
    public static let defaultTimeout: Duration = .seconds(10)

    /// Binds a ROUTER on `endpoint` and sends every message straight back to its sender, blocking the calling
    /// thread until the context is shut down or terminated. `ready` receives the bound endpoint (port resolved).
    public static func serve(context: ZMQContext, endpoint: String, ready: (String) -> Void) throws(ZMQError) {
        let router = try ZMQSocket(context, type: .router)
        defer { router.close() }
        try router.set(.linger, 0)
        try router.set(.maxMessageSize, 1 << 20)
        ready(try router.bind(endpoint))
        var routingID = ZMQMessage()
        var payload = ZMQMessage()
        while true {
            do {
                _ = try router.receive(into: &routingID)
                guard routingID.hasMore else { continue }
                _ = try router.receive(into: &payload)
                while payload.hasMore { _ = try router.receive(into: &payload) }
                try router.send(&routingID, more: true)
                try router.send(&payload)
            } catch where error.code == .terminated {
                return
            }
        }
    }

    /// Keeps `window` echoes of `payloadSize` bytes in flight from one DEALER on the calling thread, sending a new
    /// one as each answer comes back, and returns the answers per second after the first `warmup`: what libzmq
    /// alone carries with that many calls outstanding, the ceiling for concurrent callers. Throws when an answer
    /// takes longer than `timeout`.
    public static func measureWindow(
        endpoint: String, calls: Int, window: Int, warmup: Int = 1000, payloadSize: Int = 100, timeout: Duration = defaultTimeout
    ) throws(ZMQError) -> Double {
        precondition(calls > 0 && window > 0 && warmup >= 0, "calls and window must be positive, warmup not negative")
        return try withClient(endpoint: endpoint, payloadSize: payloadSize, timeout: timeout) { (send, receive) throws(ZMQError) in
            let total = warmup + calls
            var (sent, received) = (0, 0)
            var start = monotonicNanoseconds()
            while sent < min(window, total) {
                try send()
                sent += 1
            }
            while received < total {
                try receive()
                received += 1
                if received == warmup { start = monotonicNanoseconds() }
                if sent < total {
                    try send()
                    sent += 1
                }
            }
            return Double(calls) / (Double(monotonicNanoseconds() - start) / 1e9)
        }
    }

    /// Runs `warmup` then `calls` sequential round trips of `payloadSize` bytes from a blocking DEALER on the
    /// calling thread; returns each measured round trip in nanoseconds. Throws when an answer takes longer than
    /// `timeout`.
    public static func measure(
        endpoint: String, calls: Int, warmup: Int = 1000, payloadSize: Int = 100, timeout: Duration = defaultTimeout
    ) throws(ZMQError) -> [UInt64] {
        try withClient(endpoint: endpoint, payloadSize: payloadSize, timeout: timeout) { (send, receive) throws(ZMQError) in
            var samples: [UInt64] = []
            samples.reserveCapacity(calls)
            for index in 0..<(warmup + calls) {
                let start = monotonicNanoseconds()
                try send()
                try receive()
                if index >= warmup { samples.append(monotonicNanoseconds() - start) }
            }
            return samples
        }
    }

    /// Connects a DEALER of its own context to `endpoint` and runs `body` with two operations on it: send one
    /// `payloadSize`-byte echo, and wait for one answer (which must be as long). Either fails once it has waited
    /// `timeout`.
    private static func withClient<R>(
        endpoint: String, payloadSize: Int, timeout: Duration,
        _ body: (_ send: () throws(ZMQError) -> Void, _ receive: () throws(ZMQError) -> Void) throws(ZMQError) -> R
    ) throws(ZMQError) -> R {
        let context = try ZMQContext(ioThreads: 1)
        defer { context.terminate() }
        let dealer = try ZMQSocket(context, type: .dealer)
        defer { dealer.close() }
        try dealer.set(.linger, 0)
        let milliseconds = Int32(clamping: max(1, IOThread.nanoseconds(timeout) / 1_000_000))
        try dealer.set(.sendTimeout, milliseconds)
        try dealer.set(.receiveTimeout, milliseconds)
        try dealer.connect(endpoint)
        func stalled(_ what: String) -> ZMQError {
            ZMQError(.wouldBlock, "raw echo at \(endpoint): \(what) within \(timeout); is its server still running?")
        }
        let payload = [UInt8](repeating: 0x5A, count: payloadSize)
        var reply = ZMQMessage()
        return try body({ () throws(ZMQError) in
            do throws(ZMQError) {
                try dealer.send(payload)
            } catch where error.code == .wouldBlock {
                throw stalled("no room to send")
            }
        }, { () throws(ZMQError) in
            do throws(ZMQError) {
                _ = try dealer.receive(into: &reply)
            } catch where error.code == .wouldBlock {
                throw stalled("no answer")
            }
            guard reply.count == payloadSize else {
                throw ZMQError(.invalidArgument, "echo returned \(reply.count) bytes for \(payloadSize)")
            }
        })
    }
}
