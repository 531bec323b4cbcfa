import ArgumentParser
import Cluster
import Foundation
import HTTPAPI

/// `brigade status`: a readable table of a running cluster's members and pipelines.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a running cluster's members, pipelines and recent events.")

    @Option(help: "The cluster's API URL.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "Bearer token for the API (default: $BRIGADE_API_TOKEN).")
    var token: String? = ProcessInfo.processInfo.environment["BRIGADE_API_TOKEN"]

    @Flag(help: "Print the raw JSON of GET /v1/cluster.")
    var json = false

    @Option(help: "How many recent events to show.")
    var events = 10

    func run() async throws {
        let client = ClusterHTTPClient(baseURL: url, token: token)
        if json {
            let (status, body) = try await client.get("/v1/cluster")
            guard status == 200 else { throw ValidationError("GET \(url)/v1/cluster answered \(status)") }
            print(String(decoding: body, as: UTF8.self))
            return
        }
        let cluster: ClusterStatus
        do {
            cluster = try await client.clusterStatus()
        } catch {
            throw ValidationError("cannot reach a cluster at \(url): \(error)")
        }
        print(Self.render(cluster, events: events))
    }

    static func render(_ cluster: ClusterStatus, events: Int) -> String {
        var out = "MEMBERS\n"
        out += table(["NODE", "ROLE", "STATE", "INCARNATION", "ADDRESS"], cluster.members.map {
            [$0.nodeID, $0.role, $0.state, String($0.incarnation, radix: 16), $0.address]
        })
        out += "\nPIPELINES\n"
        var rows: [[String]] = []
        for pipeline in cluster.pipelines {
            for stage in pipeline.stages {
                rows.append([
                    stage.index == 0 ? pipeline.id : "", stage.index == 0 ? pipeline.model : "",
                    stage.index == 0 ? pipeline.state : "", stage.index == 0 ? String(pipeline.activeSequences) : "",
                    String(stage.index), stage.nodeID, "\(stage.firstLayer)..<\(stage.endLayer)", stage.state,
                    stage.metrics.map { String($0.liveSequences) } ?? "-", stage.metrics.map { String($0.kvBlocks) } ?? "-",
                    stage.metrics.map { String(format: "%.1f", $0.meanStepMs) } ?? "-",
                ])
            }
        }
        out += table(["PIPELINE", "MODEL", "STATE", "ACTIVE", "STAGE", "NODE", "LAYERS", "STAGE STATE", "SEQS", "KV BLOCKS", "STEP MS"], rows)
        let recent = cluster.events.suffix(events)
        if !recent.isEmpty {
            out += "\nRECENT EVENTS\n"
            let format = ISO8601DateFormatter()
            for event in recent { out += "\(format.string(from: event.time))  \(event.kind)  \(event.subject): \(event.message)\n" }
        }
        return out
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
