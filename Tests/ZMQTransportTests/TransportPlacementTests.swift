import Foundation
import Testing
import Transport
import ZMQTransport
import ZeroMQ

@Suite("ZMQTransport: I/O thread placement", .serialized)
struct TransportPlacementTests {
    /// Thread ids of the libzmq I/O threads in this process named with `prefix` (see `ioThreadNamePrefix`); with
    /// `cpu`, only those allowed on exactly that CPU. Other suites' transports run at the same time: the prefix
    /// picks out the threads of the transport under test.
    private static func libzmqThreads(prefix: Int, confinedTo cpu: Int? = nil) -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.filter { task in
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                status.contains("Name:\t\(prefix)/ZMQbg/IO/")
            else { return false }
            return cpu.map { status.split(separator: "\n").contains("Cpus_allowed_list:\t\($0)") } ?? true
        })
    }

    /// The threads `libzmqThreads` finds once there are `count` of them (libzmq's threads name themselves once
    /// running), or what it finds at the deadline.
    private static func libzmqThreads(prefix: Int, count: Int) async throws -> Set<String> {
        let deadline = ContinuousClock.now + .seconds(5)
        var threads = libzmqThreads(prefix: prefix)
        while threads.count < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
            threads = libzmqThreads(prefix: prefix)
        }
        return threads
    }

    @Test("a placed transport runs its I/O thread and libzmq's on that CPU and still carries messages")
    func placedOnOneCPU() async throws {
        let cpu = try #require(CPUPlacement.threadCPUs().last)
        let a = try Fixtures.insecure("a") { $0.ioPlacement = .cpu(cpu); $0.ioThreads = 2; $0.ioThreadNamePrefix = 41 }
        let b = try Fixtures.insecure("b")
        let reply = try #require(await Fixtures.echoRoundTrip(from: a, to: b, payload: [1, 2, 3], callID: 9))
        #expect(reply.frames.map(\.bytes) == [[1, 2, 3]])
        let ioThreadCPUs = await withTaskExecutorPreference(a.ioExecutor) { CPUPlacement.threadCPUs() }
        #expect(ioThreadCPUs == [cpu])
        #expect(try await Self.libzmqThreads(prefix: 41, count: 2).count == 2)
        if CPUPlacement.threadCPUs().count > 1 {
            #expect(Self.libzmqThreads(prefix: 41, confinedTo: cpu).count == 2)
        }
        await a.shutdown()
        await b.shutdown()
    }

    @Test("a CPU the process may not use is refused with an error naming it")
    func refusesUnusableCPU() {
        let error = #expect(throws: TransportError.self) { try Fixtures.insecure("a") { $0.ioPlacement = .cpu(100_000) } }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("CPU 100000") == true)
        let negative = #expect(throws: TransportError.self) { try Fixtures.insecure("a") { $0.ioPlacement = .cpu(-1) } }
        #expect(negative?.code == .invalidConfiguration)
    }

    @Test("a thread name prefix that would not fit a Linux thread name is refused")
    func refusesLongThreadNamePrefix() {
        let error = #expect(throws: TransportError.self) { try Fixtures.insecure("a") { $0.ioThreadNamePrefix = 1000 } }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("ioThreadNamePrefix") == true)
    }

    @Test("currentCPU confines the I/O thread to one CPU the process may use")
    func currentCPU() async throws {
        let a = try Fixtures.insecure("a") { $0.ioPlacement = .currentCPU }
        let cpus = await withTaskExecutorPreference(a.ioExecutor) { CPUPlacement.threadCPUs() }
        #expect(cpus.count == 1)
        #expect(cpus.allSatisfy(CPUPlacement.isAllowed))
        await a.shutdown()
    }

    /// The scheduling policy of a thread of this process (field 41 of its stat), nil when unreadable.
    private static func policy(ofTask task: String) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // Fields from the third (state) on follow the parenthesised name.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 38 ? Int(fields[38]) : nil
    }

    @Test("batch scheduling runs the I/O thread and libzmq's under SCHED_BATCH and still carries messages")
    func batchScheduling() async throws {
        let a = try Fixtures.insecure("a") { $0.ioScheduling = .batch; $0.ioThreads = 2; $0.ioThreadNamePrefix = 42 }
        let batchThreads = try await Self.libzmqThreads(prefix: 42, count: 2)
        let b = try Fixtures.insecure("b") { $0.ioThreadNamePrefix = 43 }
        let reply = try #require(await Fixtures.echoRoundTrip(from: a, to: b, payload: [4, 5], callID: 3))
        #expect(reply.frames.map(\.bytes) == [[4, 5]])
        #expect(await withTaskExecutorPreference(a.ioExecutor) { ThreadScheduling.isBatch })
        #expect(await withTaskExecutorPreference(b.ioExecutor) { !ThreadScheduling.isBatch })
        #expect(!ThreadScheduling.isBatch)
        // SCHED_BATCH is policy 3 on Linux.
        #expect(batchThreads.count == 2)
        #expect(batchThreads.allSatisfy { Self.policy(ofTask: $0) == 3 })
        let standardThreads = try await Self.libzmqThreads(prefix: 43, count: 2)
        #expect(standardThreads.count == 2)
        #expect(standardThreads.allSatisfy { Self.policy(ofTask: $0) == 0 })
        await a.shutdown()
        await b.shutdown()
    }
}
