import ArgumentParser
import Cluster
import Foundation
import ModelEngine

/// `brigade up`: a whole local cluster from a topology file (the default command).
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a local cluster from a topology file and serve until Ctrl-C.",
        discussion: """
            Fetches the default model if a model needs it, starts the coordinator and one agent per local node as \
            separate processes, waits until every pipeline serves, and prints the API endpoint. Ctrl-C (or SIGTERM) \
            stops the agents (and their workers), then the coordinator. Logs go to the topology's state folder.
            """)

    @Argument(help: "The topology file (default: topologies/local.yaml).")
    var topology: String = defaultTopologyPath()

    @Option(help: "Seconds to wait for the cluster to serve.")
    var timeout: Int = 600

    func run() async throws {
        let cluster = try LocalCluster(topologyPath: topology, executable: brigadeExecutable())
        if cluster.topology.models.contains(where: { $0.source == .default }) {
            logLine("checking the default model")
            _ = try DefaultModelFetcher(cache: ModelCache()).fetch { logLine("  \($0)") }
        }
        let stopping = Task {
            _ = await ShutdownSignal.wait()
            logLine("stopping the cluster")
            await cluster.stop()
        }
        do {
            try await cluster.start(timeout: .seconds(timeout)) { logLine($0) }
        } catch {
            logLine("brigade up failed: \(error)")
            await cluster.stop()
            throw ExitCode(1)
        }
        print("Brigade is serving \(cluster.topology.models.map(\.name).joined(separator: ", ")) at \(cluster.apiURL)/v1")
        print("Try: curl \(cluster.apiURL)/v1/chat/completions -H 'Content-Type: application/json' -d '{\"model\": \"\(cluster.topology.models[0].name)\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}]}'")
        fflush(nil)
        // Serve until a signal stops the cluster, or until a process of it dies.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await stopping.value }
            for child in cluster.children {
                group.addTask {
                    let ended = await child.waitForExit()
                    if !stopping.isCancelled { logLine("\(child.name) \(ended)") }
                }
            }
            await group.next()
            group.cancelAll()
        }
        if cluster.children.contains(where: { $0.isRunning }) { await cluster.stop() }
    }
}
