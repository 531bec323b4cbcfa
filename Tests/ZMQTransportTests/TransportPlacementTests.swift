import Foundation
import Testing
import Transport
import ZMQTransport
import ZeroMQ

@Suite("ZMQTransport: I/O thread placement", .serialized)
struct TransportPlacementTests {
    /// Thread ids of libzmq I/O threads in this process; with `cpu`, only those allowed on exactly that CPU.
    private static func libzmqThreads(confinedTo cpu: Int? = nil) -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.filter { task in
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                status.contains("Name:\tZMQbg/IO/")
            else { return false }
            return cpu.map { status.split(separator: "\n").contains("Cpus_allowed_list:\t\($0)") } ?? true
        })
    }

    @Test("a placed transport runs its I/O thread and libzmq's on that CPU and still carries messages")
    func placedOnOneCPU() async throws {
        let cpu = try #require(CPUPlacement.threadCPUs().last)
        // Threads that exist before this transport cannot be its own (other tests' transports come and go).
        let earlier = Self.libzmqThreads()
        let a = try Fixtures.insecure("a") { $0.ioPlacement = .cpu(cpu); $0.ioThreads = 2 }
        let b = try Fixtures.insecure("b")
        let reply = try #require(await Fixtures.echoRoundTrip(from: a, to: b, payload: [1, 2, 3], callID: 9))
        #expect(reply.frames.map(\.bytes) == [[1, 2, 3]])
        let ioThreadCPUs = await withTaskExecutorPreference(a.ioExecutor) { CPUPlacement.threadCPUs() }
        #expect(ioThreadCPUs == [cpu])
        if CPUPlacement.threadCPUs().count > 1 {
            #expect(Self.libzmqThreads(confinedTo: cpu).subtracting(earlier).count == 2)
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
        let earlier = Self.libzmqThreads()
        let a = try Fixtures.insecure("a") { $0.ioScheduling = .batch; $0.ioThreads = 2 }
        // libzmq's threads name themselves once running: wait (with a deadline) until both of a's are named.
        var batchThreads = Self.libzmqThreads().subtracting(earlier)
        let deadline = ContinuousClock.now + .seconds(5)
        while batchThreads.count < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
            batchThreads = Self.libzmqThreads().subtracting(earlier)
        }
        let b = try Fixtures.insecure("b")
        let reply = try #require(await Fixtures.echoRoundTrip(from: a, to: b, payload: [4, 5], callID: 3))
        #expect(reply.frames.map(\.bytes) == [[4, 5]])
        #expect(await withTaskExecutorPreference(a.ioExecutor) { ThreadScheduling.isBatch })
        #expect(await withTaskExecutorPreference(b.ioExecutor) { !ThreadScheduling.isBatch })
        #expect(!ThreadScheduling.isBatch)
        // SCHED_BATCH is policy 3 on Linux.
        #expect(batchThreads.count == 2)
        #expect(batchThreads.allSatisfy { Self.policy(ofTask: $0) == 3 })
        let standardThreads = Self.libzmqThreads().subtracting(earlier).subtracting(batchThreads)
        #expect(standardThreads.allSatisfy { Self.policy(ofTask: $0) == 0 })
        await a.shutdown()
        await b.shutdown()
    }
}
