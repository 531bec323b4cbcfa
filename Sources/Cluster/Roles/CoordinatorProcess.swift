import ActorSystem
import DataPlane
import Foundation
import HTTPAPI
import Logging
import ModelEngine
import Topology
import Transport

/// Runs the coordinator role in this process: loads the topology and the models' headers, listens on the
/// topology's coordinator address, serves the HTTP API and reconciles the cluster until SIGINT/SIGTERM.
public enum CoordinatorProcess {
    /// - Parameters:
    ///   - topologyPath: the topology file.
    ///   - log: receives one line per event (the command prints them to stderr).
    public static func run(topologyPath: String, log: @escaping @Sendable (String) -> Void) async throws {
        let topology: Topology
        do {
            topology = try TopologyLoader.load(path: topologyPath)
        } catch {
            throw ClusterError(.configuration, error.description)
        }
        let folder = (topologyPath as NSString).deletingLastPathComponent

        // Models: their headers give layer counts (for validation and placement) and tokenizers (for the gateway).
        var models: [String: ModelInfo] = [:]
        for model in topology.models {
            let path = try ModelLocator.localPath(of: model.source.written, relativeTo: folder) { log($0) }
            models[model.name] = try ModelInfo.load(model, path: path)
        }
        let placed: Topology
        do {
            let counts = models.mapValues(\.config.layerCount)
            let bytes = models.mapValues(\.bytesPerLayer)
            try topology.validate(against: counts, bytesPerLayer: bytes)
            placed = try topology.placingAutomaticPipelines(layerCounts: counts, bytesPerLayer: bytes)
        } catch {
            throw ClusterError(.configuration, error.description)
        }

        let c = placed.cluster.coordinator
        let node = try ClusterNode.start(
            name: "coordinator", keyOwner: "coordinator", host: c.host, controlPort: c.controlPort,
            bulkPort: c.effectiveBulkPort, topology: placed, topologyFolder: folder)
        let store = try CoordinatorStore(path: placed.stateDirectoryPath() + "/coordinator.sqlite")
        let starts = try store.recordStart(node.system.localNode)
        let events = EventLog { event in
            log("[\(event.kind)] \(event.subject): \(event.message)")
            try? store.appendEvent(event)
        }
        events.restore((try? store.recentEvents(limit: 128)) ?? [])
        events.record("coordinator.started", subject: node.system.localNode.name, "start #\(starts) of this cluster's coordinator; state in \(store.path)")
        let gateway = Gateway()
        node.transport.setHandler(for: .data) { inbound in
            if let message = try? PipelineMessage(frames: inbound.frames) { gateway.receive(message) }
        }
        let coordinator = try Coordinator(
            topology: placed, models: models, system: node.system, gateway: gateway, log: events, store: store)
        let endpoint = node.system.makeWellKnown(CoordinatorEndpoint.name) {
            CoordinatorEndpoint(coordinator: coordinator, actorSystem: node.system)
        }
        let membership = try node.joinMembership(role: "coordinator", seeds: [], topology: placed)
        let watcher = Task { for await event in membership.events { await coordinator.membershipChanged(event) } }
        let exporter = Task { await MembershipMetricsExporter.run(membership) }
        for model in placed.models {
            if let info = models[model.name] { gateway.setModel(info.served(model)) }
        }
        gateway.setStatusProvider { await coordinator.status() }

        let registry = MetricsBootstrap.bootstrapPrometheus()
        var token: String?
        if let variable = placed.security.apiTokenEnvironmentVariable {
            guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                throw ClusterError(.configuration, "security.api_token_env names \(variable), but it is not set")
            }
            token = value
        }
        let server = APIServer(
            service: gateway,
            configuration: .init(host: c.http.host, port: c.http.port, bearerToken: token),
            registry: registry, logger: Logger(label: "brigade.http"))
        log("coordinator \(node.system.localNode) listening on \(node.transport.localAddress.control); API on http://\(c.http)")

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask {
                await coordinator.resume()
                await coordinator.run()
            }
            group.addTask {
                let signal = await ShutdownSignal.wait()
                log("coordinator stopping (signal \(signal))")
                throw CancellationError()
            }
            do {
                try await group.next()
            } catch is CancellationError {
            }
            group.cancelAll()
        }
        withExtendedLifetime(endpoint) {}
        membership.leave()
        watcher.cancel()
        exporter.cancel()
        await node.shutdown()
    }
}
