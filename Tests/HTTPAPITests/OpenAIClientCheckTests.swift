import Foundation
import Testing

/// Runs `scripts/clients/openai_client_check.py` — the official `openai` Python package — against the live server.
///
/// Enabled when a Python with `openai` installed is found: `$BRIGADE_OPENAI_PYTHON`, the scratch venv
/// `.venv-clients` at the repository root (`python3 -m venv .venv-clients && .venv-clients/bin/pip install openai`),
/// or `python3` on the PATH.
@Suite struct OpenAIClientCheckTests {
    typealias V = TestVocabulary

    static let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A Python interpreter that can `import openai`, or nil.
    static let python: String? = {
        let candidates =
            [
                ProcessInfo.processInfo.environment["BRIGADE_OPENAI_PYTHON"],
                repositoryRoot.appending(path: ".venv-clients/bin/python").path(),
            ].compactMap { $0 }
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        return candidates.first { path in
            guard FileManager.default.isExecutableFile(atPath: path) else { return false }
            let probe = Process()
            probe.executableURL = URL(filePath: path)
            probe.arguments = ["-c", "import openai"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { return false }
            probe.waitUntilExit()
            return probe.terminationStatus == 0
        }
    }()

    @Test(.enabled(if: python != nil, "needs a Python with the openai package (see the suite's doc comment)"))
    func theOfficialOpenAIClientAcceptsEveryAnswer() async throws {
        let python = try #require(Self.python)
        let service = try FakeInferenceService(script: .init(tokens: [V.hello, V.world, V.imEnd]))
        let (status, output) = try await withLiveServer(service, configuration: .init(bearerToken: "sk-check")) {
            port in
            try await Self.runScript(
                python,
                [
                    Self.repositoryRoot.appending(path: "scripts/clients/openai_client_check.py").path(),
                    "--base-url", "http://127.0.0.1:\(port)/v1", "--model", "fake-model", "--api-key", "sk-check",
                    "--expect-chat", "Hello world",
                ],
                limit: .seconds(120))
        }
        #expect(status == 0, "openai_client_check.py failed:\n\(output)")
        #expect(output.contains(#""openai_client_check": "ok""#))
    }

    /// Runs a process to its end (killing it by PID after `limit`) and returns its status and combined output.
    static func runScript(_ executable: String, _ arguments: [String], limit: Duration) async throws -> (Int32, String)
    {
        let process = Process()
        process.executableURL = URL(filePath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let exited = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        let reader = Task { pipe.fileHandleForReading.readDataToEndOfFile() }
        do {
            let status = try await exited.stream.first(within: limit, "the client check to finish") { _ in true }
            let output = String(decoding: await reader.value, as: UTF8.self)
            return (status, output)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw error
        }
    }
}
