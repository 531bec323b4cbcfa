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
}
