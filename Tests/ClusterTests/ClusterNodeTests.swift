import Cluster
import Testing
import Topology
import ZeroMQ

/// A process's transport follows the topology's cluster-wide settings.
@Suite struct ClusterNodeTests {
    static func topology(ioScheduling: String?) throws -> Topology {
        try TopologyLoader.parse(yaml: """
            cluster:
              name: t\(ioScheduling.map { "\n  io_scheduling: \($0)" } ?? "")
            nodes:
              - {name: node-a, memory: 1GiB}
            """, fileName: "t.yaml")
    }

    @Test("io_scheduling: batch puts the node's I/O thread under SCHED_BATCH; the default leaves it alone",
          arguments: [("batch", true), (nil, false)] as [(String?, Bool)])
    func ioScheduling(_ written: String?, _ batch: Bool) async throws {
        let node = try ClusterNode.start(
            name: "node-a", keyOwner: "node-a", host: "127.0.0.1", controlPort: 0, bulkPort: 0,
            topology: try Self.topology(ioScheduling: written), topologyFolder: nil)
        let executor = try #require(node.transport.ioExecutor)
        #expect(await withTaskExecutorPreference(executor) { ThreadScheduling.isBatch } == batch)
        await node.shutdown()
    }
}
