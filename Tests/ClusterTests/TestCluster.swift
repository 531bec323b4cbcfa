import AsyncHTTPClient
import Cluster
import Foundation
import HTTPAPI
import ModelEngine
import NIOCore
import ProcessSupport
import Testing


/// The `brigade` executable beside the test bundle (`.build/<configuration>/brigade`).
enum Brigade {
    static var path: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for folder in [bundle, bundle.deletingLastPathComponent()] where FileManager.default.isExecutableFile(atPath: folder.path + "/brigade") {
            return folder.path + "/brigade"
        }
        return bundle.path + "/brigade"
    }

    /// Whether the multi-process cluster tests can run: the binary is built, and the default model is cached (or
    /// CI demands these tests with BRIGADE_REQUIRE_MODEL=1, so they fail loudly without it).
    static var ready: Bool {
        FileManager.default.isExecutableFile(atPath: path)
            && (FileManager.default.fileExists(atPath: ModelCache().defaultModelPath)
                || ProcessInfo.processInfo.environment["BRIGADE_REQUIRE_MODEL"] == "1")
    }
}

/// A cluster of real processes on loopback for one test: a topology file with fresh ports and its own state folder
/// in a temporary directory, processes started from the real `brigade` binary, and cleanup by PID.
final class TestCluster: @unchecked Sendable {
    let generated: GeneratedTopology
    var folder: String { generated.folder }
    var topologyPath: String { generated.path }
    var httpPort: Int { generated.httpPort }
    var model: String { generated.model }
    var nodeNames: [String] { generated.nodes }
    private(set) var processes: [String: ChildProcess] = [:]
    private let lock = NSLock()

    /// Writes the topology: `stages` agents (node-a, node-b…) each running one stage of an even split of 30 layers.
    init(stages: Int, maxSequences: Int = 16, queueLimit: Int = 64) throws {
        generated = try GeneratedTopology(stages: stages, maxSequences: maxSequences, queueLimit: queueLimit)
    }

    /// Runs `body` with a new cluster and stops its processes afterwards, whether `body` threw or not.
    static func with(
        stages: Int, maxSequences: Int = 16, queueLimit: Int = 64, _ body: (TestCluster) async throws -> Void
    ) async throws {
        let cluster = try TestCluster(stages: stages, maxSequences: maxSequences, queueLimit: queueLimit)
        do {
            try await body(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        let topology = cluster.topologyPath
        await cluster.stop()
        // Agents stop their workers; a worker whose agent is gone stops too. Nothing of the cluster may stay behind.
        let deadline = ContinuousClock.now + .seconds(15)
        var left = processPIDs(mentioning: topology)
        while !left.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            left = processPIDs(mentioning: topology)
        }
        #expect(left.isEmpty, "processes left behind: \(left)")
        for pid in left { kill(pid, SIGKILL) }
    }
    var baseURL: String { "http://127.0.0.1:\(httpPort)" }
    var client: ClusterHTTPClient { ClusterHTTPClient(baseURL: baseURL) }

    /// Starts `brigade ARGUMENTS` as a child process named `name`, its output in `folder/name.log`.
    @discardableResult
    func start(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        let child = try ChildProcess(name: name, executable: Brigade.path, arguments: arguments, output: "\(folder)/\(name).log")
        lock.withLock { processes[name] = child }
        return child
    }

    /// The coordinator alone (for tests that restart it).
    @discardableResult
    func startCoordinator() throws -> ChildProcess {
        try start("coordinator", ["coordinator", "--topology", topologyPath, "--exit-with-parent"])
    }

    /// One agent per node.
    func startAgents() throws {
        for name in nodeNames { try start(name, ["agent", "--topology", topologyPath, "--node", name, "--exit-with-parent"]) }
    }

    /// A process's log so far (for failure messages).
    func log(_ name: String) -> String {
        (try? String(contentsOfFile: "\(folder)/\(name).log", encoding: .utf8)) ?? "(no log)"
    }

    /// Every log, last lines first-class, for a failing expectation.
    func logs() -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".log") } ?? []
        let workerLogs = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/state/logs")) ?? []
        return (files.map { "\(folder)/\($0)" } + workerLogs.map { "\(folder)/state/logs/\($0)" }).sorted().map { path in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return "== \(path)\n" + text.split(separator: "\n").suffix(25).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Waits until every pipeline serves; fails early when a process of the cluster exits.
    func waitUntilServing(within limit: Duration = .seconds(120)) async throws -> ClusterStatus {
        try await waitForStatus("every pipeline serving", within: limit) { status in
            !status.pipelines.isEmpty && status.pipelines.allSatisfy { $0.state == "serving" }
        }
    }

    /// Polls `/v1/cluster` until `condition` holds; throws after `limit` or when a started process has exited.
    func waitForStatus(
        _ what: @autoclosure () -> String, within limit: Duration, _ condition: (ClusterStatus) -> Bool
    ) async throws -> ClusterStatus {
        let deadline = ContinuousClock.now + limit
        var last: ClusterStatus?
        while ContinuousClock.now < deadline {
            let running = lock.withLock { processes }
            if let dead = running.values.first(where: { !$0.isRunning }) {
                throw ClusterError(.notReady, "\(dead.name) exited (\(dead.termination!)) while waiting for \(what())\n\(logs())")
            }
            if let status = try? await client.clusterStatus() {
                last = status
                if condition(status) { return status }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterError(.notReady, "no \(what()) within \(limit); last status: \(String(describing: last))\n\(logs())")
    }

    /// Stops every process it started (SIGTERM, then SIGKILL after the grace) and removes the folder.
    func stop() async {
        let all = lock.withLock { processes }
        await withTaskGroup(of: Void.self) { group in
            for child in all.values { group.addTask { _ = await child.stop(grace: .seconds(5)) } }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: HTTP

    /// POSTs a JSON body to `path`; returns the response (whose body the caller reads or drops).
    func post(_ path: String, _ body: [String: Any], timeout: Duration = .seconds(120)) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.components.seconds)))
    }

    /// A whole (non-streamed) chat completion's JSON.
    func chat(_ prompt: String, maxTokens: Int, temperature: Double = 0) async throws -> [String: Any] {
        let response = try await post("/v1/chat/completions", [
            "model": model, "messages": [["role": "user", "content": prompt]], "max_tokens": maxTokens,
            "temperature": temperature,
        ])
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok, let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw ClusterError(.notReady, "chat answered \(response.status.code): \(String(buffer: body))")
        }
        return object
    }
}

/// Runs `brigade ARGUMENTS` to its end; returns status, stdout and stderr (stderr through a file, so neither pipe
/// can fill and block the child).
func runBrigade(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-err-\(UUID().uuidString)").path
    FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Brigade.path)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), err)
}

/// The PIDs of processes whose command line contains `text` (from /proc).
func processPIDs(mentioning text: String) -> [pid_t] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
        guard let pid = pid_t(entry), pid != getpid(),
            let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text) ? pid : nil
    }
}
