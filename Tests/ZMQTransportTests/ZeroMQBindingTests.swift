#if canImport(Glibc)
import Glibc
#endif
import CZeroMQ
import Foundation
import Synchronization
import Testing
import ZeroMQ

/// Counts how many times instances die, to prove zero-copy owners are released exactly once.
private final class Owner: Sendable {
    let deaths: Collector<Int>
    init(_ deaths: Collector<Int>) { self.deaths = deaths }
    deinit { deaths.append(1) }
}

@Suite("ZeroMQ binding")
struct ZeroMQBindingTests {
    @Test("a zero-copy part keeps its owner alive until libzmq frees it, then releases it exactly once")
    func zeroCopyOwnerReleasedOnce() async throws {
        let context = try ZMQContext()
        let deaths = Collector<Int>()
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { storage.deallocate() }
        storage.initializeMemory(as: UInt8.self, repeating: 7)
        let pull = try ZMQSocket(context, type: .pair)
        try pull.set(.linger, 0)
        try pull.bind("inproc://zero-copy")
        let push = try ZMQSocket(context, type: .pair)
        try push.set(.linger, 0)
        try push.connect("inproc://zero-copy")
        do {
            var message = try ZMQMessage(borrowing: UnsafeRawBufferPointer(storage), owner: Owner(deaths))
            try push.send(&message)
        }
        #expect(deaths.count == 0, "owner released while libzmq still holds the bytes")
        var received = ZMQMessage()
        #expect(try pull.receive(into: &received))
        #expect(received.count == 64 << 10)
        #expect(received.withUnsafeBytes { $0.allSatisfy { $0 == 7 } })
        received = ZMQMessage()
        #expect(await deaths.wait(forCount: 1, timeout: .seconds(5)))
        // A part that is never sent releases its owner when it dies.
        do { _ = try ZMQMessage(borrowing: UnsafeRawBufferPointer(storage), owner: Owner(deaths)) }
        #expect(await deaths.wait(forCount: 2, timeout: .seconds(5)))
        #expect(deaths.count == 2)
        push.close()
        pull.close()
        context.terminate()
    }

    @Test("a received part moved into a ZMQFrame keeps its bytes at one address")
    func frameKeepsBytes() throws {
        let context = try ZMQContext()
        let a = try ZMQSocket(context, type: .pair), b = try ZMQSocket(context, type: .pair)
        try a.set(.linger, 0)
        try b.set(.linger, 0)
        try a.bind("inproc://frames")
        try b.connect("inproc://frames")
        try b.send(Array("small".utf8))
        var message = ZMQMessage()
        #expect(try a.receive(into: &message))
        let frame = message.takeFrame()
        #expect(message.count == 0)
        #expect(frame.withUnsafeBytes { Array($0) } == Array("small".utf8))
        a.close()
        b.close()
        context.terminate()
    }

    @Test("options that only apply before bind/connect are refused afterwards, naming the option")
    func optionsBeforeAttach() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, type: .dealer)
        try socket.set(.sendHighWaterMark, 10)
        #expect(try socket.get(.sendHighWaterMark) == 10)
        try socket.set(.linger, 0)
        try socket.connect("tcp://127.0.0.1:1")
        let error = #expect(throws: ZMQError.self) { try socket.set(.immediate, true) }
        #expect(error?.message.contains("IMMEDIATE") == true)
        try socket.set(.linger, 0)
        socket.close()
        context.terminate()
    }

    @Test("bind with port 0 resolves an ephemeral port")
    func ephemeralPort() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context, type: .router)
        try socket.set(.linger, 0)
        let endpoint = try socket.bind("tcp://127.0.0.1:0")
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        #expect(Int(endpoint.split(separator: ":").last!)! > 0)
        let error = #expect(throws: ZMQError.self) { try ZMQSocket(context, type: .router).bind("nonsense://x") }
        #expect(error?.message.contains("nonsense://x") == true)
        socket.close()
        context.terminate()
    }

    @Test("the raw echo baseline answers every call, one at a time and with a window in flight")
    func rawEchoBaseline() async throws {
        let context = try ZMQContext()
        let bound = Collector<String>()
        let server = Thread {
            do {
                try RawEcho.serve(context: context, endpoint: "tcp://127.0.0.1:0") { bound.append($0) }
            } catch {
                bound.append("failed: \(error)")
            }
        }
        server.start()
        #expect(await bound.wait(forCount: 1, timeout: .seconds(5)))
        let endpoint = try #require(bound.values.first)
        #expect(endpoint.hasPrefix("tcp://"), "\(endpoint)")
        // More calls than the window and a warm-up that ends mid-window: the loop must drain every answer, or hang.
        let rate = try RawEcho.measureWindow(endpoint: endpoint, calls: 500, window: 16, warmup: 7, payloadSize: 32)
        #expect(rate.isFinite && rate > 0)
        let fewer = try RawEcho.measureWindow(endpoint: endpoint, calls: 3, window: 16, warmup: 0)
        #expect(fewer.isFinite && fewer > 0)
        #expect(try RawEcho.measure(endpoint: endpoint, calls: 20, warmup: 2).count == 20)
        context.terminate()
    }

    @Test("the raw echo baseline fails with a clear error, not a hang, when nothing answers")
    func rawEchoTimeout() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        // A ROUTER that accepts the connection and never answers: what a dead or wedged echo server looks like.
        let silent = try ZMQSocket(context, type: .router)
        defer { silent.close() }
        try silent.set(.linger, 0)
        let endpoint = try silent.bind("tcp://127.0.0.1:0")
        let start = ContinuousClock.now
        let error = #expect(throws: ZMQError.self) {
            _ = try RawEcho.measure(endpoint: endpoint, calls: 1, warmup: 0, timeout: .milliseconds(200))
        }
        #expect(error?.code == .wouldBlock)
        #expect(error?.description.contains("no answer within") == true, "\(String(describing: error))")
        #expect(error?.description.contains(endpoint) == true, "\(String(describing: error))")
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(throws: ZMQError.self) {
            _ = try RawEcho.measureWindow(endpoint: endpoint, calls: 4, window: 2, warmup: 0, timeout: .milliseconds(100))
        }
    }

    @Test("Z85 round-trips bytes and rejects bad text; a secret key derives its public key")
    func z85AndKeys() throws {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Z85.encode(bytes) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == bytes)
        #expect(throws: ZMQError.self) { try Z85.decode("Hell") }
        #expect(throws: ZMQError.self) { try Z85.decode("Hello Wor~") }
        #expect(throws: ZMQError.self) { try Z85.encode([1, 2, 3]) }
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.utf8.count == 40)
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(!pair.description.contains(pair.secretKey))
        #expect(throws: ZMQError.self) { try CurveKeyPair(secretKey: "too short") }
    }

    @Test("the I/O thread runs commands, timers and task jobs on itself, then stops")
    func ioThread() async throws {
        let thread = try IOThread(name: "test")
        let ran = Collector<Bool>()
        thread.execute { ran.append(thread.isCurrent) }
        let start = ContinuousClock.now
        thread.schedule(after: .milliseconds(50)) { ran.append(thread.isCurrent) }
        #expect(await ran.wait(forCount: 2))
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(ran.values == [true, true])
        let onThread = await withTaskExecutorPreference(thread) { thread.isCurrent }
        #expect(onThread)
        let stopped = Collector<Bool>()
        thread.stop { stopped.append(true) }
        #expect(await stopped.wait(forCount: 1))
        #expect(!thread.execute {})
        // A task that prefers a stopped thread still runs (on the global executor).
        let late = await withTaskExecutorPreference(thread) { 42 }
        #expect(late == 42)
    }

    @Test("the I/O thread watches plain descriptors: every registration on one hears of it, until unregistered")
    func ioThreadDescriptors() async throws {
        final class Registrations: @unchecked Sendable {
            var once: IOThread.Registration?
            var writable: IOThread.Registration?
        }
        let thread = try IOThread(name: "test-fds")
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        defer {
            close(readEnd)
            close(writeEnd)
        }
        let heard = Collector<String>()
        let registrations = Registrations()
        thread.execute {
            // Two registrations on the read end: the first leaves after one event, the second drains a byte each time.
            registrations.once = thread.register(fd: readEnd, events: .readable) { events in
                heard.append("once \(events.contains(.readable))")
                thread.unregister(registrations.once!)
            }
            _ = thread.register(fd: readEnd, events: .readable) { events in
                var byte: UInt8 = 0
                _ = read(readEnd, &byte, 1)
                heard.append("drain \(byte)")
            }
            registrations.writable = thread.register(fd: writeEnd, events: .writable) { events in
                heard.append("writable \(events.contains(.writable))")
                thread.unregister(registrations.writable!)
            }
        }
        #expect(await heard.wait { $0.contains("writable true") })
        var byte: UInt8 = 1
        #expect(write(writeEnd, &byte, 1) == 1)
        #expect(await heard.wait { $0.contains("drain 1") })
        byte = 2
        #expect(write(writeEnd, &byte, 1) == 1)
        #expect(await heard.wait { $0.contains("drain 2") })
        #expect(heard.values == ["writable true", "once true", "drain 1", "drain 2"])
        // Stop the loop before the descriptors close (the deferred closes run after this).
        let stopped = Collector<Bool>()
        thread.stop { stopped.append(true) }
        #expect(await stopped.wait(forCount: 1))
    }

    @Test("monitors report the handshake of a connection")
    func monitorEvents() async throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context, type: .router)
        try router.set(.linger, 0)
        let endpoint = try router.bind("tcp://127.0.0.1:0")
        let dealer = try ZMQSocket(context, type: .dealer)
        try dealer.set(.linger, 0)
        let monitor = try ZMQMonitor(watching: dealer, in: context)
        try dealer.connect(endpoint)
        var kinds: [ZMQMonitorEvent.Kind] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while !kinds.contains(.handshakeSucceeded), ContinuousClock.now < deadline {
            var item = zmq_pollitem_t(socket: monitor.socket.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            _ = zmq_poll(&item, 1, 100)
            kinds += try monitor.drain().map(\.kind)
        }
        #expect(kinds.contains(.connected))
        #expect(kinds.contains(.handshakeSucceeded))
        monitor.close()
        dealer.close()
        router.close()
        context.terminate()
    }
}
