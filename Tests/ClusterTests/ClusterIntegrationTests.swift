import AsyncHTTPClient
import Cluster
import Foundation
import HTTPAPI
import NIOCore
import Testing

/// The cluster as users run it: real coordinator, agent and worker processes on loopback, the real model, real HTTP
/// clients. Serialized: each test starts several model-loading processes on a 2-core machine.
@Suite(.serialized, .enabled(if: Brigade.ready, "needs the brigade executable and the default model"))
struct ClusterIntegrationTests {
    static let prompt = "Write a haiku about the sea."

    @Test func aThreeStagePipelineServesLikeOneProcess() async throws {
        try await TestCluster.with(stages: 3) { cluster in
            try cluster.startCoordinator()
            try cluster.startAgents()
            let serving = try await cluster.waitUntilServing()
            let workers = serving.members.filter { $0.role == "worker" }
            #expect(workers.count == 3, "\(serving.members)")
            #expect(serving.pipelines[0].stages.map(\.firstLayer) == [0, 10, 20])

            // 1. Greedy tokens through three processes equal `brigade generate` in one.
            let reference = try runBrigade(["generate", "--chat", "--json", "--max-tokens", "24", "--temperature", "0", "--threads", "1", Self.prompt])
            #expect(reference.status == 0, "\(reference.err)")
            let expected = reference.out.split(separator: "\n").compactMap { line -> String? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return object["text"] as? String
            }.joined()
            var streamed = ""
            let finish = try await cluster.client.streamChat(
                model: cluster.model, messages: [["role": "user", "content": Self.prompt]], maxTokens: 24, temperature: 0
            ) { streamed += $0 }
            #expect(!expected.isEmpty)
            #expect(streamed == expected, "cluster: \(streamed.debugDescription)\ngenerate: \(expected.debugDescription)")
            #expect(finish == "length" || finish == "stop")
            let whole = try await cluster.chat(Self.prompt, maxTokens: 24)
            let message = ((whole["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(message == expected)
            let usage = whole["usage"] as? [String: Any]
            #expect((usage?["completion_tokens"] as? Int ?? 0) > 0)

            // 2. Sixteen concurrent streams all complete.
            let outcomes = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for index in 0..<16 {
                    group.addTask {
                        var text = ""
                        let finish = try await cluster.client.streamChat(
                            model: cluster.model, messages: [["role": "user", "content": "Count to \(index + 3)."]],
                            maxTokens: 12, temperature: 0.7
                        ) { text += $0 }
                        return (text, finish)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 16)
            #expect(outcomes.allSatisfy { !$0.0.isEmpty && ($0.1 == "length" || $0.1 == "stop") }, "\(outcomes)")

            try await Self.cancellingFreesKV(cluster)

            // 4. The official OpenAI client library accepts every answer.
            if let python = OpenAIPython.find() {
                let check = try runProcess(python, [
                    OpenAIPython.root + "/scripts/clients/openai_client_check.py", "--base-url", cluster.baseURL + "/v1",
                    "--model", cluster.model,
                ])
                #expect(check.status == 0, "\(check.output)")
                #expect(check.output.contains(#""openai_client_check": "ok""#), "\(check.output)")
            }

            // 5. /metrics shows the per-stage gauges and request counts.
            let (code, body) = try await cluster.client.get("/metrics")
            let metrics = String(decoding: body, as: UTF8.self)
            #expect(code == 200)
            #expect(metrics.contains("brigade_stage_step_seconds"), "\(metrics.prefix(2000))")
        #expect(metrics.contains(#"brigade_membership_members{status="alive"}"#), "\(metrics.prefix(2000))")
        }
    }

    /// Finished sequences free their KV on every stage; a client that goes away mid-stream cancels its sequence
    /// and every stage frees its blocks.
    static func cancellingFreesKV(_ cluster: TestCluster) async throws {
        func idle(_ status: ClusterStatus) -> Bool {
            status.pipelines[0].activeSequences == 0
                && status.pipelines[0].stages.allSatisfy { $0.metrics?.kvBlocks == 0 && $0.metrics?.liveSequences == 0 }
        }
        _ = try await cluster.waitForStatus("KV freed after the 16 streams", within: .seconds(10), idle)

        // 3. A client that goes away mid-stream cancels its sequence and every stage frees its KV blocks. The
        // client holds the stream open until the test has seen KV in use, then drops the connection.
        let (release, letGo) = AsyncStream<Void>.makeStream()
        let heard = Heard()
        let reader = Task {
            let response = try await cluster.post("/v1/chat/completions", [
                "model": cluster.model, "messages": [["role": "user", "content": "Count from 1 to 1000, one number per line."]],
                "max_tokens": 400, "temperature": 0, "stream": true,
            ])
            // Holding the iterator keeps the request alive; dropping it closes the connection.
            var body = response.body.makeAsyncIterator()
            var chunks: [String] = []
            while chunks.count < 4, let chunk = try await body.next() { chunks.append(String(buffer: chunk)) }
            heard.append("\(response.status.code): \(chunks)")
            for await _ in release { break }
            withExtendedLifetime(body) {}
            return chunks.count
        }
        let busy = try await cluster.waitForStatus("KV in use on every stage (client: \(heard))", within: .seconds(30)) { status in
            status.pipelines[0].stages.allSatisfy { ($0.metrics?.kvBlocks ?? 0) > 0 && $0.metrics?.liveSequences == 1 }
        }
        letGo.yield()
        #expect(try await reader.value == 4)
        let freed = try await cluster.waitForStatus("KV freed on every stage", within: .seconds(10), idle)
        #expect(freed.pipelines[0].state == "serving")
        // Cancelled, not finished: the last stage ran far fewer than the 400 steps a whole answer takes.
        let stepsRun = (freed.pipelines[0].stages[2].metrics?.steps ?? 0) - (busy.pipelines[0].stages[2].metrics?.steps ?? 0)
        #expect(stepsRun < 300, "the last stage ran \(stepsRun) more steps after the client left")
    }

    @Test func aRestartedCoordinatorKeepsThePipelinesAndServesAgain() async throws {
        try await TestCluster.with(stages: 2) { cluster in
            let first = try cluster.startCoordinator()
            try cluster.startAgents()
            let before = try await cluster.waitUntilServing()
            let workersBefore = Set(before.members.filter { $0.role == "worker" }.map { "\($0.nodeID)#\($0.incarnation)" })
            #expect(workersBefore.count == 2)
            let answer = try await cluster.chat(Self.prompt, maxTokens: 8)
            #expect(answer["choices"] != nil)

            first.send(SIGKILL)
            _ = await first.waitForExit()
            try cluster.startCoordinator()
            let after = try await cluster.waitUntilServing(within: .seconds(60))
            let workersAfter = Set(after.members.filter { $0.role == "worker" }.map { "\($0.nodeID)#\($0.incarnation)" })
            #expect(workersAfter == workersBefore, "the same worker processes serve again")
            #expect(after.events.contains { $0.kind == "coordinator.resumed" })
            // Events are oldest first: those of the first coordinator come before the second one's start.
            let restart = after.events.lastIndex { $0.kind == "coordinator.started" } ?? 0
            #expect(after.events[..<restart].contains { $0.kind == "pipeline.serving" }, "events from before the restart are kept")
            let again = try await cluster.chat(Self.prompt, maxTokens: 8)
            #expect(again["choices"] != nil)
        }
    }

    @Test func aKilledWorkerIsConvictedAndItsStageStartsAgain() async throws {
        try await TestCluster.with(stages: 2) { cluster in
            try cluster.startCoordinator()
            try cluster.startAgents()
            let before = try await cluster.waitUntilServing()
            let victim = try #require(before.members.first { $0.role == "worker" && $0.nodeID.hasSuffix("-1") })
            let pid = try #require(workerPID(named: victim.nodeID), "no process runs \(victim.nodeID)")
            // Membership has seen every member join before the kill.
            _ = try await cluster.waitForStatus("the worker to be a member", within: .seconds(10)) { status in
                status.events.contains { $0.kind == "member.alive" && $0.subject == victim.nodeID }
            }
            let killed = ContinuousClock.now
            kill(pid, SIGKILL)
            let convicted = try await cluster.waitForStatus("the killed worker convicted", within: .seconds(5)) { status in
                status.events.contains { $0.kind == "member.dead" && $0.subject == victim.nodeID }
            }
            let detection = ContinuousClock.now - killed
            #expect(detection < .milliseconds(1500), "convicted after \(detection)")
            #expect(convicted.events.contains { $0.kind == "worker.exited" && $0.subject == victim.nodeID })
            let after = try await cluster.waitUntilServing(within: .seconds(60))
            let replacement = try #require(after.members.first { $0.role == "worker" && $0.nodeID == victim.nodeID })
            #expect(replacement.incarnation != victim.incarnation, "a new process serves the stage")
            let answer = try await cluster.chat(Self.prompt, maxTokens: 8)
            #expect(answer["choices"] != nil)
        }
    }

    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        try await TestCluster.with(stages: 1, maxSequences: 1, queueLimit: 1) { cluster in
            try cluster.startCoordinator()
            try cluster.startAgents()
            _ = try await cluster.waitUntilServing()
            // One runs, one waits in the queue, the third is refused at once.
            var running: [Task<Void, any Error>] = []
            for _ in 0..<2 {
                running.append(Task {
                    let response = try await cluster.post("/v1/chat/completions", [
                        "model": cluster.model, "messages": [["role": "user", "content": "Tell me a long story."]],
                        "max_tokens": 200, "temperature": 0, "stream": true,
                    ])
                    for try await _ in response.body {}
                })
            }
            _ = try await cluster.waitForStatus("a running request", within: .seconds(30)) { status in
                status.pipelines[0].activeSequences >= 1
            }
            // Both long requests must have reached the API before the probes start: a probe that came first would
            // take the queue's one place and the second long request would be the one refused.
            let bothArrived = ContinuousClock.now + .seconds(30)
            while try await Self.generationsInFlight(cluster) < 2 {
                guard ContinuousClock.now < bothArrived else {
                    Issue.record("the two long requests did not both reach the API within 30 s")
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            var refused: HTTPClientResponse?
            let deadline = ContinuousClock.now + .seconds(20)
            while refused == nil, ContinuousClock.now < deadline {
                let response = try await cluster.post("/v1/chat/completions", [
                    "model": cluster.model, "messages": [["role": "user", "content": "Hi"]], "max_tokens": 1,
                ])
                _ = try await response.body.collect(upTo: 1 << 20)
                if response.status.code == 429 { refused = response }
            }
            #expect(refused != nil, "no 429 while the queue was full")
            #expect(refused?.headers.first(name: "Retry-After") != nil)
            for task in running { task.cancel() }
        }
    }

    /// The API's `brigade_generations_in_flight` gauge (started, not finished: running or queued).
    static func generationsInFlight(_ cluster: TestCluster) async throws -> Double {
        let (_, body) = try await cluster.client.get("/metrics")
        let line = String(decoding: body, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("brigade_generations_in_flight ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func aBrokenTopologyIsOneClearError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-bad-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/bad.yaml"
        try "cluster:\n  name: bad\nnodes:\n  - name: node-a\n    host: 127.0.0.1\n    slots: many\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runBrigade(["up", path, "--timeout", "5"])
        #expect(result.status != 0)
        #expect(result.err.contains("bad.yaml:6"), "\(result.err)")
        #expect(result.err.contains("slots"), "\(result.err)")
    }
}

/// A Python with the `openai` package, for the client-library check.
enum OpenAIPython {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `$BRIGADE_OPENAI_PYTHON`, the scratch venv `.venv-clients`, or `python3` on the PATH — the first that
    /// imports `openai`, as the path of its interpreter.
    static func find() -> String? {
        var candidates = [ProcessInfo.processInfo.environment["BRIGADE_OPENAI_PYTHON"], root + "/.venv-clients/bin/python"]
            .compactMap { $0 }.map { ($0, ["-c", "import sys, openai; print(sys.executable)"]) }
        candidates.append(("/usr/bin/env", ["python3", "-c", "import sys, openai; print(sys.executable)"]))
        for (executable, arguments) in candidates where FileManager.default.isExecutableFile(atPath: executable) {
            if let result = try? runProcess(executable, arguments), result.status == 0 {
                return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return nil
    }
}

/// Runs a process to its end; returns its status and combined output.
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// What a background client task saw, for failure messages.
final class Heard: @unchecked Sendable, CustomStringConvertible {
    private var lines: [String] = []
    private let lock = NSLock()
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var description: String { lock.withLock { lines.joined(separator: "; ") } }
}

/// The PID of the worker process named `name`: its command line holds its spec, `"workerName":"NAME"` (JSON may
/// escape the slash).
func workerPID(named name: String) -> pid_t? {
    let plain = "\"workerName\":\"\(name)\""
    let escaped = plain.replacingOccurrences(of: "/", with: "\\/")
    return (processPIDs(mentioning: escaped) + processPIDs(mentioning: plain)).first
}
