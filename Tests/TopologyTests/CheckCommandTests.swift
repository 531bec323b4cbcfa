import Foundation
import Testing

/// `brigade topology check`, run as a real process from the build folder this test runs from.
@Suite struct CheckCommandTests {
    /// The `brigade` executable beside the test bundle (swift build --build-tests builds both), if there is one.
    static let brigade: String? = {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("brigade").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            if folder.lastPathComponent == ".build" { break }
            folder.deleteLastPathComponent()
        }
        return nil
    }()

    /// Runs `brigade` with `arguments` in the repository root; waits at most 60 s for it to exit.
    func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.brigade))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // Drain both pipes while waiting, so a chatty child never blocks on a full pipe.
        let drained = DispatchGroup()
        let collected = Collected()
        for (pipe, isError) in [(output, false), (errors, true)] {
            DispatchQueue.global().async(group: drained) {
                collected.set(pipe.fileHandleForReading.readDataToEndOfFile(), isError: isError)
            }
        }
        if exited.wait(timeout: .now() + 60) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("brigade \(arguments) did not exit within 60 s")
            exited.wait()
        }
        _ = drained.wait(timeout: .now() + 10)
        return (process.terminationStatus, collected.text(isError: false), collected.text(isError: true))
    }

    /// What the child wrote, filled in from the draining threads.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var output = Data(), errors = Data()
        func set(_ data: Data, isError: Bool) {
            lock.withLock { if isError { errors = data } else { output = data } }
        }
        func text(isError: Bool) -> String {
            lock.withLock { String(decoding: isError ? errors : output, as: UTF8.self) }
        }
    }

    @Test(.enabled(if: brigade != nil, "needs the brigade executable (swift build --build-tests)"))
    func shippedFilesPass() throws {
        let result = try run(["topology", "check", "topologies/local.yaml", "topologies/auto.yaml",
                              "--layers", "smollm2-135m-instruct=30"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == """
            topologies/local.yaml: ok (cluster 'local': 3 nodes, 1 model, 1 pipeline)
            topologies/auto.yaml: ok (cluster 'auto': 3 nodes, 1 model, 1 pipeline)

            """)
    }

    @Test(.enabled(if: brigade != nil, "needs the brigade executable (swift build --build-tests)"))
    func mistakesGoToStandardErrorWithStatusOne() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/bad.yaml"
        try minimalTopology.replacingOccurrences(of: "memory: 1GiB", with: "memory: lots")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try run(["topology", "check", file, "topologies/single-stage.yaml"])
        #expect(result.status == 1)
        #expect(result.errors == "\(file):5:13: nodes[0].memory: 'lots' does not start with a number\n")
        #expect(result.output
            == "topologies/single-stage.yaml: ok (cluster 'single-stage': 1 node, 1 model, 1 pipeline)\n")
    }

    @Test(.enabled(if: brigade != nil, "needs the brigade executable (swift build --build-tests)"))
    func jsonOutputDecodesBack() throws {
        let result = try run(["topology", "check", "--json", "topologies/two-hosts.yaml"])
        #expect(result.status == 0, "\(result.errors)")
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect((object?["cluster"] as? [String: Any])?["name"] as? String == "two-hosts")
    }
}
