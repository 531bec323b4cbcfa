import Foundation

extension Topology {
    /// `path` as the file system should see it: `~` and `~/…` expand to `home`, absolute paths stay, and relative
    /// paths are taken from `directory` (default: the folder of the topology file, see `SourceMap.directory`).
    public func resolvedPath(_ path: String, relativeTo directory: String? = nil, home: String? = nil) -> String {
        let home = home ?? ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        if path.hasPrefix("/") { return path }
        let base = directory ?? sources.directory
        return base == "." ? path : (base.hasSuffix("/") ? base + path : base + "/" + path)
    }

    /// The coordinator's state folder: `cluster.state_dir` resolved, or `brigadeHome/state/<cluster name>`.
    /// - Parameter brigadeHome: the project's cache folder; nil means `$BRIGADE_HOME`, else `~/.cache/brigade`.
    public func stateDirectoryPath(brigadeHome: String? = nil) -> String {
        if let written = cluster.stateDirectory { return resolvedPath(written) }
        let environment = ProcessInfo.processInfo.environment
        let home = brigadeHome ?? environment["BRIGADE_HOME"] ?? resolvedPath("~/.cache/brigade")
        return home + "/state/" + cluster.name
    }

    /// Checks that the files the topology names exist: with `curve` security, the keys folder and a `NAME.pub` for
    /// the coordinator and every node (and `NAME.key` for those in `secretKeysFor`); for local model sources, the
    /// `.gguf` file or a folder with `config.json` and at least one `.safetensors`. The `default` model is fetched
    /// on demand and is not checked.
    ///
    /// - Parameters:
    ///   - directory: the folder relative paths start from; nil means the topology file's folder.
    ///   - secretKeysFor: the names whose secret keys this machine must hold (`coordinator`, node names); nil
    ///     means all of them (one machine runs everything). On a multi-host cluster each host holds only its own.
    /// - Throws: `TopologyError` (`.missingFiles`) with a diagnostic at the field that names each missing file.
    public func checkFiles(
        relativeTo directory: String? = nil, secretKeysFor: Set<String>? = nil
    ) throws(TopologyError) {
        var diagnostics: [Diagnostic] = []
        func report(_ path: String, _ message: String) {
            diagnostics.append(Diagnostic(
                .missingFile, file: sources.file, location: sources.location(of: path), path: path, message: message))
        }
        let files = FileManager.default
        func kind(_ path: String) -> Bool? {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
            return isDirectory.boolValue
        }
        if security.mode == .curve {
            let keysPath = security.keysDirectory == nil ? "security.mode" : "security.keys_dir"
            let keys = resolvedPath(security.effectiveKeysDirectory, relativeTo: directory)
            if kind(keys) != true {
                report(keysPath, "keys folder '\(keys)' does not exist (make the keys with `brigade keys`)")
            } else {
                let owners = [("coordinator", keysPath)] + nodes.enumerated().map { ($1.name, "nodes[\($0)].name") }
                for (name, path) in owners {
                    var missing = ["\(name).pub"]
                    if secretKeysFor?.contains(name) ?? true { missing.append("\(name).key") }
                    missing.removeAll { kind(keys + "/" + $0) == false }
                    if !missing.isEmpty {
                        report(path, "missing \(missing.map { "'\(keys)/\($0)'" }.joined(separator: " and ")) "
                                + "(make the keys with `brigade keys`)")
                    }
                }
            }
        }
        for (index, model) in models.enumerated() {
            let path = "models[\(index)].source"
            switch model.source {
            case .ggufFile(let written):
                let file = resolvedPath(written, relativeTo: directory)
                if kind(file) != false { report(path, "model file '\(file)' does not exist or is a folder") }
            case .huggingFaceDirectory(let written):
                let folder = resolvedPath(written, relativeTo: directory)
                guard kind(folder) == true else {
                    report(path, "model folder '\(folder)' does not exist (or name a .gguf file)")
                    continue
                }
                let contents = (try? files.contentsOfDirectory(atPath: folder)) ?? []
                if !contents.contains("config.json") { report(path, "model folder '\(folder)' has no config.json") }
                if !contents.contains(where: { $0.hasSuffix(".safetensors") }) {
                    report(path, "model folder '\(folder)' has no .safetensors file")
                }
            case .default, .url:
                break
            }
        }
        guard diagnostics.isEmpty else {
            throw TopologyError(.missingFiles, diagnostics: TopologyLoader.ordered(diagnostics))
        }
    }
}
