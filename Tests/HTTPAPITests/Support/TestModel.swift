import Foundation

/// Where the real SmolLM2 GGUF is, if present: $BRIGADE_TEST_MODEL, else $BRIGADE_HOME/models (default
/// ~/.cache/brigade/models).
enum TestModel {
    static let path: String? = {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["BRIGADE_TEST_MODEL"], FileManager.default.fileExists(atPath: explicit) {
            return explicit
        }
        let home = env["BRIGADE_HOME"] ?? (NSHomeDirectory() + "/.cache/brigade")
        let candidate = home + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }()

    /// Whether to run the real-model tests: the model is there, or BRIGADE_REQUIRE_MODEL=1 (CI) demands they run
    /// and fail when it is missing instead of being skipped.
    static var isAvailable: Bool {
        path != nil || ProcessInfo.processInfo.environment["BRIGADE_REQUIRE_MODEL"] == "1"
    }
}
