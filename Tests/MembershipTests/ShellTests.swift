import Foundation
import Membership
import MembershipShell
import Synchronization
import Transport
import TransportTestKit
import Testing

/// The shell in one process, over the in-memory transport: joins through a seed, adds peers from metadata,
/// convicts a crashed node and reports it to the conviction callback.
@Suite struct ShellTests {
    final class Convictions: Sendable {
        private let nodes = Mutex<[NodeID]>([])
        func append(_ node: NodeID) { nodes.withLock { $0.append(node) } }
        var all: [NodeID] { nodes.withLock { $0 } }
    }

    @Test func shellsFormConvictACrashAndCallBack() async throws {
        let network = InMemoryNetwork()
        let log = EventLog()
        let convictions = Convictions()
        var shells: [MembershipShell] = []
        var transports: [InMemoryTransport] = []
        var readers: [Task<Void, Never>] = []
        defer {
            for shell in shells { shell.stop() }
            for reader in readers { reader.cancel() }
        }
        for i in 0..<4 {
            let transport = try network.makeNode(name: "s\(i)")
            let seeds = i == 0 ? [] : [transports[0].localAddress]
            let shell = try MembershipShell(transport: transport, metadata: ["role": "test"], seeds: seeds,
                                            seed: UInt64(i + 1)) { convictions.append($0) }
            let name = transport.localNode.name
            readers.append(Task {
                for await event in shell.events {
                    log.append(ObservedEvent(observer: name, member: event.member.name, uid: event.member.uid,
                                             incarnation: event.incarnation, previous: event.previous?.description,
                                             status: event.status.description, evidence: event.evidence.description,
                                             wallMs: Date().timeIntervalSince1970 * 1000))
                }
            })
            shell.start()
            shells.append(shell)
            transports.append(transport)
        }
        let names = transports.map(\.localNode.name)
        let formed = await log.wait(timeout: .seconds(10)) { MultiProcessMembershipTests.allAlive($0, names: names) }
        #expect(formed, "shells did not form a cluster: \(MultiProcessMembershipTests.views(log.events))")
        // Peers were added from metadata: s1 knows s3's address although only s0 was its seed.
        #expect(shells[1].members.first { $0.id.name == "s3" }?.metadata["control"] == transports[3].localAddress.control)

        let victim = transports[2].localNode
        shells[2].stop()
        network.crash(victim.name)
        let others = names.filter { $0 != victim.name }
        let convicted = await log.wait(timeout: .seconds(5)) { events in
            Set(events.filter { $0.member == victim.name && $0.status == "dead" }.map(\.observer)) == Set(others)
        }
        #expect(convicted, "the crashed shell was not convicted by all: \(log.events.filter { $0.member == victim.name })")
        #expect(convictions.all.filter { $0 == victim }.count == others.count, "conviction callback: \(convictions.all)")
        #expect(shells[0].statistics.malformed == 0)
        #expect(shells[0].metrics.probesSucceeded > 0)
    }
}
