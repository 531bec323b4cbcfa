import ActorSystem
import Foundation
import Testing
import Transport
import ZMQTransport

extension Tag {
    /// Tests that spawn `brigade-test-peer` processes and talk to them over real ZeroMQ sockets on loopback.
    @Tag static var multiProcess: Self
}

@Suite(.serialized, .tags(.multiProcess)) struct MultiProcessActorTests {
    @Test func callRoundTripAcrossProcesses() async throws {
        let peer = try await PeerProcess(name: "host-rt")
        let local = try LocalNode()
        let echo = try local.echo(on: peer)
        #expect(try await echo.echo(41) == 41)
        #expect(try await echo.consume([UInt8](repeating: 7, count: 100_000)) == 100_000)
        let io = try IOEchoService.resolve(id: .wellKnown(IOEchoService.wellKnownName, onNode: peer.node.name), using: local.system)
        #expect(try await io.echo(-5) == -5)
        let report = try await echo.report()
        #expect(report.node == peer.node)
        #expect(report.calls.callsReceived == 4)
        await local.shutdown()
        #expect(await peer.stop())
    }

    @Test func aThousandConcurrentCallsFromManyTasks() async throws {
        let peer = try await PeerProcess(name: "host-many")
        let local = try LocalNode()
        let echo = try local.echo(on: peer)
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<40 {
                group.addTask {
                    var sum = 0
                    for i in 0..<25 { sum += try await echo.echo(task * 25 + i) }
                    return sum
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == (0..<1000).reduce(0, +))
        #expect(local.system.statistics.callsSucceeded == 1000)
        await local.shutdown()
        await peer.stop()
    }

    @Test func aKilledPeerFailsPendingCallsWithinTheDetectionBound() async throws {
        let peer = try await PeerProcess(name: "host-kill")
        var settings = ActorSystemSettings()
        settings.disconnectGrace = .milliseconds(200)
        settings.defaultCallTimeout = .seconds(30)
        let local = try LocalNode(settings: settings)
        let echo = try local.echo(on: peer)
        #expect(try await echo.echo(1) == 1)
        let holds = (0..<8).map { i in Task { try await echo.hold("k\(i)") } }
        let report = try await echo.report()  // the holds were sent before this call, on the same connection
        #expect(report.calls.callsReceived >= 2)
        let start = ContinuousClock.now
        peer.kill()
        for hold in holds {
            let error = await #expect(throws: ActorSystemError.self) { try await hold.value }
            #expect(error?.code == .peerUnreachable)
        }
        let elapsed = ContinuousClock.now - start
        // Bound: the disconnect grace (200 ms) plus the time libzmq takes to report the closed connection.
        #expect(elapsed < .milliseconds(1200), "pending calls failed after \(elapsed)")
        // New calls fail at once while the peer stays unreachable.
        let quick = ContinuousClock.now
        let error = await #expect(throws: ActorSystemError.self) { try await echo.echo(2) }
        #expect(error?.code == .peerUnreachable)
        #expect(ContinuousClock.now - quick < .milliseconds(100))
        await local.shutdown()
    }

    @Test func aRestartedPeerGetsNoStaleCallsAndOldCallsFail() async throws {
        var settings = ActorSystemSettings()
        settings.disconnectGrace = .seconds(60)  // only the restart evidence may fail the old calls
        settings.defaultCallTimeout = .seconds(30)
        let local = try LocalNode(settings: settings)
        let first = try await PeerProcess(name: "host-restart")
        let echo = try local.echo(on: first)
        #expect(try await echo.echo(1) == 1)
        let oldID = ActorID(node: first.node, path: .named(EchoService.wellKnownName))
        let holds = (0..<4).map { i in Task { try await echo.hold("r\(i)") } }
        _ = try await echo.report()
        first.kill()
        let second = try await PeerProcess(name: "host-restart")
        #expect(second.node.incarnation > first.node.incarnation)
        try local.transport.addPeer(second.address)
        local.system.observe(second.node)  // what membership does when the new incarnation joins
        for hold in holds {
            let error = await #expect(throws: ActorSystemError.self) { try await hold.value }
            #expect(error?.code == .peerTerminated)
        }
        // By name: the new incarnation answers. By the old incarnation's id: refused here, never sent.
        #expect(try await echo.echo(2) == 2)
        let stale = try EchoService.resolve(id: oldID, using: local.system)
        let error = await #expect(throws: ActorSystemError.self) { try await stale.echo(3) }
        #expect(error?.code == .peerTerminated)
        let report = try await echo.report()
        #expect(report.node == second.node)
        #expect(report.calls.callsReceived == 2)  // echo(2) and this report: nothing stale arrived
        #expect(report.transport.dropped(.wrongTarget) == 0)
        await local.shutdown()
        await second.stop()
    }

    @Test func aStoppedPeerYieldsOverloadErrorsWithBoundedMemory() async throws {
        let peer = try await PeerProcess(name: "host-stop")
        var limits = ZMQTransportConfiguration.Limits()
        limits.queueMessages = 64
        limits.controlHighWaterMark = 64
        var settings = ActorSystemSettings()
        settings.defaultCallTimeout = .milliseconds(700)
        let local = try LocalNode(settings: settings, limits: limits)
        let echo = try local.echo(on: peer)
        #expect(try await echo.echo(1) == 1)
        peer.setStopped(true)
        defer { peer.setStopped(false) }
        let payload = [UInt8](repeating: 1, count: 64 << 10)
        let codes = await withTaskGroup(of: ActorSystemError.Code?.self) { group in
            for _ in 0..<600 {
                group.addTask {
                    do {
                        _ = try await echo.consume(payload)
                        return nil
                    } catch {
                        return (error as? ActorSystemError)?.code
                    }
                }
            }
            var codes: [ActorSystemError.Code?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        // Calls queued at the transport fail with `.overloaded` at their deadline; those already handed to the
        // network (kernel buffers, libzmq's high-water mark) with `.deadlineExceeded`.
        let overloaded = codes.filter { $0 == .overloaded }.count
        let timedOut = codes.filter { $0 == .deadlineExceeded }.count
        #expect(overloaded > 0, "codes: \(codes.compactMap { $0 })")
        #expect(overloaded + timedOut == 600, "other outcomes: \(codes.filter { $0 != .overloaded && $0 != .deadlineExceeded })")
        let depth = local.transport.queueDepth(to: peer.node.name, lane: .control)
        #expect((depth?.messages ?? 0) <= 64)
        peer.setStopped(false)
        #expect(try await echo.echo(2) == 2)
        await local.shutdown()
        await peer.stop()
    }

    @Test func anOversizeArgumentIsRejected() async throws {
        let peer = try await PeerProcess(name: "host-big")
        let local = try LocalNode()
        let echo = try local.echo(on: peer)
        let error = await #expect(throws: ActorSystemError.self) {
            try await echo.consume([UInt8](repeating: 0, count: 5 << 20))
        }
        #expect(error?.code == .messageTooLarge)
        #expect(try await echo.consume([UInt8](repeating: 0, count: 3 << 20)) == 3 << 20)
        await local.shutdown()
        await peer.stop()
    }

    @Test func shutdownCompletesInUnderASecond() async throws {
        let peer = try await PeerProcess(name: "host-shutdown")
        let local = try LocalNode()
        let echo = try local.echo(on: peer)
        #expect(try await echo.echo(1) == 1)
        let holds = (0..<16).map { i in Task { try await echo.hold("s\(i)") } }
        _ = try await echo.report()
        let start = ContinuousClock.now
        await local.shutdown()
        for hold in holds {
            let error = await #expect(throws: ActorSystemError.self) { try await hold.value }
            #expect(error?.code == .shutdown)
        }
        #expect(ContinuousClock.now - start < .seconds(1))
        // The peer shuts its system and transport down the same way when its stdin closes, then exits by itself.
        #expect(await peer.stop())
    }
}
