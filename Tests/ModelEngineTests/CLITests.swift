import Foundation
import Testing

/// The `brigade` executable, run as a real process.
enum BrigadeBinary {
    /// Beside the test bundle (.build/<configuration>/brigade).
    static var path: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for folder in [bundle, bundle.deletingLastPathComponent()] where FileManager.default.isExecutableFile(atPath: folder.path + "/brigade") {
            return folder.path + "/brigade"
        }
        return bundle.path + "/brigade"
    }
    static var present: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Runs brigade with `arguments`; returns exit status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // stderr carries at most a few lines, far below a pipe's buffer, so reading stdout first cannot block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

@Suite(.enabled(if: BrigadeBinary.present, "needs the brigade executable beside the tests"))
struct CLIErrorTests {
    @Test func aMissingModelIsOneClearLineAndAFailure() throws {
        let r = try BrigadeBinary.run(["generate", "--model", "/no/such/model.gguf", "hello"])
        #expect(r.status != 0)
        let lines = r.err.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("/no/such/model.gguf"), "\(r.err)")
    }

    @Test func aCorruptModelIsOneClearLineAndAFailure() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).gguf").path
        try Data("GGUF\u{3}\u{0}\u{0}\u{0}truncated".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try BrigadeBinary.run(["generate", "--model", path, "hello"])
        #expect(r.status != 0)
        #expect(r.err.split(separator: "\n").count == 1 && r.err.contains(path), "\(r.err)")
    }
}

@Suite(.tags(.realModel), .enabled(if: BrigadeBinary.present && RealModel.present, "needs the brigade executable and the default model"))
struct CLIGenerateTests {
    struct Line: Decodable {
        var prompt_tokens: [Int]?
        var token: Int?
        var text: String?
        var finish_reason: String?
        var generated_tokens: Int?
    }

    func generate(_ extra: [String]) throws -> [Line] {
        let r = try BrigadeBinary.run(["generate", "--model", RealModel.path, "--json", "--max-tokens", "24", "--threads", "2"] + extra)
        #expect(r.status == 0, "\(r.err)")
        return try r.out.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    @Test func jsonLinesAndTheSameTokensForAnyStageCount() throws {
        let one = try generate(["Once upon a time"])
        #expect(one.first?.prompt_tokens?.isEmpty == false)
        let tokens = one.compactMap(\.token)
        #expect(!tokens.isEmpty && one.last?.generated_tokens == tokens.count)
        #expect(["stop", "length"].contains(one.last?.finish_reason ?? ""))
        let three = try generate(["--stages", "3", "Once upon a time"])
        #expect(three.compactMap(\.token) == tokens)
        let quantized = try generate(["--stages", "2", "--weights", "quantized", "Once upon a time"])
        #expect(quantized.compactMap(\.token) == tokens)
    }

    @Test func seededSamplingRepeatsAndChatUsesTheTemplate() throws {
        let args = ["--temperature", "0.8", "--top-p", "0.9", "--seed", "11", "--chat", "Name a colour."]
        let a = try generate(args), b = try generate(args)
        #expect(a.compactMap(\.token) == b.compactMap(\.token))
        #expect((a.first?.prompt_tokens?.count ?? 0) > 10, "the chat template adds a system turn")
    }
}
