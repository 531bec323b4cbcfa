import AsyncHTTPClient
import Cluster
import Foundation
import HTTPAPI
import NIOCore
import ProcessSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `brigade launch` for real: two network namespaces stand in for two machines, each with its own sshd; the
/// coordinator runs in the root namespace on the bridge, and `brigade launch` starts one agent per namespace over
/// SSH with CURVE security, then the two-stage pipeline must answer a chat completion.
@Suite(
    .serialized,
    .enabled(if: NetnsLab.available, "needs root with ip, sshd, ssh and ssh-keygen (scripts/install-deps.sh)"),
    .enabled(if: Brigade.ready, "needs the brigade executable and the default model"))
struct LaunchTests {
    @Test func launchStartsAgentsInTwoNamespacesOverSSHAndThePipelineServes() async throws {
        NetnsLab.removeLeftovers()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-launch-\(UUID().uuidString.prefix(8))").path
        let lab = NetnsLab(count: 2, folder: folder)
        var coordinatorPID: pid_t?
        defer {
            // Every exit path: the coordinator by PID, then everything inside the namespaces, then the network.
            if let coordinatorPID, Self.isBrigade(coordinatorPID, folder: folder) { kill(coordinatorPID, SIGKILL) }
            lab.tearDown()
            try? FileManager.default.removeItem(atPath: folder)
        }
        try await lab.setUp()

        let setup = try LaunchSetup(lab: lab, folder: folder)
        func launch(_ arguments: [String], topology: String? = nil) async throws -> (status: Int32, err: String) {
            try await Self.brigade(["launch", topology ?? setup.topologyPath] + arguments
                + NetnsLab.sshOptions.flatMap { ["--ssh-option", $0] }, folder: folder)
        }

        // 1. Clear errors that name the node: a missing binary, a key the host refuses, an unreachable host.
        let missing = try await launch(["--no-coordinator", "--remote-brigade", "/nonexistent/brigade", "--timeout", "20"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("node node-a") && missing.err.contains("no brigade executable at /nonexistent/brigade"), "\(missing.err)")
        let refused = try await launch(["--no-coordinator", "--node", "node-b", "--timeout", "20"], topology: setup.strangerTopologyPath)
        #expect(refused.status != 0)
        #expect(refused.err.contains("node node-b") && refused.err.contains("authentication failed"), "\(refused.err)")
        let unreachable = try await launch(["--no-coordinator", "--node", "node-c", "--connect-timeout", "2", "--timeout", "20"],
                                     topology: setup.strangerTopologyPath)
        #expect(unreachable.status != 0)
        #expect(unreachable.err.contains("node node-c") && unreachable.err.contains("cannot reach"), "\(unreachable.err)")
        // An agent that exits before joining (here: its secret key is missing) is named with its log's end, and the
        // launch stops the agent it did start.
        let key = folder + "/keys/node-b.key"
        try FileManager.default.moveItem(atPath: key, toPath: key + ".away")
        let exited = try await launch(["--no-coordinator", "--timeout", "60"])
        try FileManager.default.moveItem(atPath: key + ".away", toPath: key)
        #expect(exited.status != 0)
        #expect(exited.err.contains("node node-b: the agent") && exited.err.contains("exited before joining")
                && exited.err.contains("node-b.key"), "\(exited.err)")
        #expect(exited.err.contains("agent node-a (pid"), "the launch stops the agent it started: \(exited.err)")
        #expect(lab.namespaces.allSatisfy { NetnsLab.pids(in: $0).count == 1 }, "only sshd runs in each namespace")

        // 2. The launch: coordinator here (none answers yet), agents over SSH, both joined.
        let launched = try await launch(["--timeout", "120", "--wait-serving", "--serving-timeout", "400"])
        coordinatorPID = (try? LaunchRecord.load(stateDirectory: setup.stateDirectory))?.coordinator?.pid
        #expect(launched.status == 0, "\(launched.err)\n\(setup.logs())")
        #expect(launched.err.contains("started the coordinator here"), "\(launched.err)")
        #expect(launched.err.contains("joined: node-a, node-b"), "\(launched.err)")
        guard launched.status == 0 else { return }
        let record = try #require(try LaunchRecord.load(stateDirectory: setup.stateDirectory))
        #expect(record.agents.map(\.node) == ["node-a", "node-b"])
        for (index, agent) in record.agents.enumerated() {
            #expect(NetnsLab.pids(in: lab.namespaces[index]).contains(agent.pid), "agent \(agent.node) runs in its namespace")
        }

        // 3. Each agent listens on its namespace's address; the pipeline serves a chat completion.
        let client = ClusterHTTPClient(baseURL: setup.baseURL)
        let status = try await client.clusterStatus()
        let agents = status.members.filter { $0.role == "agent" }.sorted { $0.nodeID < $1.nodeID }
        #expect(agents.map(\.nodeID) == ["node-a", "node-b"])
        #expect(agents.map(\.address).enumerated().allSatisfy { $1.contains(lab.address($0) + ":") }, "\(agents)")
        #expect(status.members.filter { $0.role == "worker" }.count == 2, "\(status.members)")
        #expect(status.pipelines.first?.state == "serving")
        let answer = try await Self.chat(setup.baseURL, model: setup.model)
        #expect(!answer.isEmpty, "the pipeline answered")

        // 4. --stop stops the agents (and their workers) over SSH and the coordinator, by PID.
        let stopped = try await launch(["--stop"])
        #expect(stopped.status == 0, "\(stopped.err)")
        #expect(stopped.err.contains("agent node-a") && stopped.err.contains("stopped"), "\(stopped.err)")
        // An agent exits once it has told its workers to stop; they follow within moments.
        for ns in lab.namespaces {
            let deadline = ContinuousClock.now + .seconds(20)
            while NetnsLab.pids(in: ns).count > 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            #expect(NetnsLab.pids(in: ns).count == 1, "only sshd is left in \(ns): \(NetnsLab.describe(NetnsLab.pids(in: ns)))\n\(stopped.err)\n\(setup.logs())")
        }
        if let pid = record.coordinator?.pid { #expect(!Self.isBrigade(pid, folder: folder), "the coordinator stopped") }
        #expect(try LaunchRecord.load(stateDirectory: setup.stateDirectory) == nil, "the record is gone")
    }

    /// Runs `brigade ARGUMENTS` to its end (at most 15 minutes) as a `ChildProcess`, so that its exit is seen even
    /// when it leaves detached grandchildren behind; returns its status and its output (stdout and stderr).
    static func brigade(_ arguments: [String], folder: String) async throws -> (status: Int32, err: String) {
        let output = folder + "/brigade-\(UUID().uuidString.prefix(8)).log"
        let child = try ChildProcess(name: "brigade", executable: Brigade.path, arguments: arguments, output: output)
        guard let ended = await child.waitForExit(timeout: .seconds(900)) else {
            _ = await child.stop(grace: .seconds(5))
            throw LabError("brigade \(arguments.joined(separator: " ")) did not finish within 15 minutes")
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        switch ended {
        case .exited(let status): return (status, text)
        case .signalled(let signal): return (128 + signal, text)
        }
    }

    /// Whether `pid` is a brigade process of this test (its command line names the test's folder).
    static func isBrigade(_ pid: pid_t, folder: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains(folder)
    }

    /// A whole chat completion's text.
    static func chat(_ baseURL: String, model: String) async throws -> String {
        var request = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: [
            "model": model, "messages": [["role": "user", "content": "Say hello."]], "max_tokens": 8, "temperature": 0,
        ] as [String: Any])))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok, let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let message = ((object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        else {
            throw LabError("chat answered \(response.status.code): \(String(buffer: body))")
        }
        return message
    }
}

/// The files of one launch test: CURVE keys made with `brigade keys`, and the topology (coordinator on the bridge,
/// node-a and node-b in the namespaces, a two-stage pipeline of the default model). A second topology has a key
/// the hosts refuse and a third node on an address nobody has.
struct LaunchSetup {
    let topologyPath: String
    let strangerTopologyPath: String
    let stateDirectory: String
    let baseURL: String
    let model = "smollm2"
    let folder: String

    init(lab: NetnsLab, folder: String) throws {
        self.folder = folder
        stateDirectory = folder + "/state"
        try FileManager.default.createDirectory(atPath: folder + "/keys", withIntermediateDirectories: true)
        for name in ["coordinator", "node-a", "node-b", "node-c"] {
            let made = try runBrigade(["keys", "--out", folder + "/keys", "--name", name])
            guard made.status == 0 else { throw LabError("brigade keys failed: \(made.err)") }
        }
        let httpPort = try GeneratedTopology.freePort()
        baseURL = "http://127.0.0.1:\(httpPort)"
        let model = "smollm2"
        func topology(identity: String, extraNode: Bool) throws -> String {
            var yaml = """
                cluster:
                  name: launch-test
                  state_dir: \(folder)/state
                  coordinator:
                    host: \(lab.bridgeAddress)
                    control_port: \(try GeneratedTopology.freePort())
                    bulk_port: \(try GeneratedTopology.freePort())
                    http: 127.0.0.1:\(httpPort)
                security:
                  mode: curve
                  keys_dir: \(folder)/keys
                nodes:
                  - {name: node-a, host: \(lab.address(0)), memory: 1GiB, ssh: {user: root, identity_file: \(identity)}}
                  - {name: node-b, host: \(lab.address(1)), memory: 1GiB, ssh: {user: root, identity_file: \(identity)}}

                """
            if extraNode {
                yaml += "  - {name: node-c, host: \(lab.address(50)), memory: 1GiB, ssh: {user: root, identity_file: \(identity)}}\n"
            }
            yaml += """
                models:
                  - {name: \(model), source: default}
                pipelines:
                  - model: \(model)
                    stages:
                      - {node: node-a, layers: [0, 15]}
                      - {node: node-b, layers: [15, 30]}

                """
            return yaml
        }
        let main = folder + "/topology.yaml", stranger = folder + "/stranger.yaml"
        try topology(identity: lab.clientKey, extraNode: false).write(toFile: main, atomically: true, encoding: .utf8)
        try topology(identity: lab.strangerKey, extraNode: true).write(toFile: stranger, atomically: true, encoding: .utf8)
        topologyPath = main
        strangerTopologyPath = stranger
    }

    /// The last lines of every log of the launch (coordinator, agents, workers), for a failing expectation.
    func logs() -> String {
        let logs = stateDirectory + "/logs"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        return files.sorted().map { name in
            let text = (try? String(contentsOfFile: "\(logs)/\(name)", encoding: .utf8)) ?? ""
            return "== \(name)\n" + text.split(separator: "\n").suffix(25).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
