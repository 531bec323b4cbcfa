/// Checks the rules between values of a decoded `Topology`: name syntax, duplicates, references, ranges, ports,
/// security and capacity. Paths that failed to decode are skipped, so each mistake is reported once.
struct TopologyValidator {
    let topology: Topology
    let sources: SourceMap
    let failed: Set<String>
    private(set) var diagnostics: [Diagnostic] = []

    init(_ topology: Topology, failed: Set<String> = []) {
        self.topology = topology
        self.sources = topology.sources
        self.failed = failed
    }

    /// Runs every check and returns the diagnostics.
    static func check(_ topology: Topology, failed: Set<String> = []) -> [Diagnostic] {
        var validator = TopologyValidator(topology, failed: failed)
        validator.checkCluster()
        validator.checkSecurity()
        validator.checkNodes()
        validator.checkPorts()
        validator.checkModels()
        validator.checkPipelines()
        validator.checkSlots()
        validator.checkTimings()
        return validator.diagnostics
    }

    // MARK: reporting

    func usable(_ path: String) -> Bool { !FieldPath.isAffected(path, by: failed) }

    /// Adds a diagnostic at `path` unless that path failed to decode.
    mutating func report(_ kind: Diagnostic.Kind, _ path: String, _ message: String) {
        guard usable(path) else { return }
        diagnostics.append(
            Diagnostic(kind, file: sources.file, location: sources.location(of: path), path: path, message: message))
    }

    /// Reports `value` at `path` when it is outside `range`.
    mutating func check(_ value: Int, in range: ClosedRange<Int>, _ path: String, unit: String = "") {
        guard !range.contains(value) else { return }
        let bounds = range.upperBound == Int.max
            ? "\(range.lowerBound) or more" : "\(range.lowerBound)...\(range.upperBound)"
        report(.invalidValue, path, "\(value)\(unit) is out of range \(bounds)\(unit)")
    }

    /// Reports names that appear twice among `names` (paths given), at the later one.
    mutating func checkUnique(_ names: [(name: String, path: String)], what: String, hint: String = "") {
        var first: [String: String] = [:]
        for (name, path) in names where usable(path) && !name.isEmpty {
            if let earlier = first[name] {
                let line = sources.location(of: earlier).map { " (first at line \($0.line))" } ?? ""
                report(.duplicate, path, "duplicate \(what) '\(name)'\(line)\(hint)")
            } else {
                first[name] = path
            }
        }
    }

    /// Reports `name` at `path` when no entry of `known` has it, suggesting the closest.
    mutating func checkReference(_ name: String, _ path: String, known: KnownNames, what: String) {
        guard !name.isEmpty, !known.contains(name) else { return }
        let listed = known.prefix(10).joined(separator: ", ") + (known.count > 10 ? ", …" : "")
        let hint = Suggestion.closest(to: name, in: known).map { " (did you mean '\($0)'?)" }
            ?? (known.isEmpty ? " (there are none)" : " (known: \(listed))")
        report(.unknownReference, path, "no \(what) named '\(name)'\(hint)")
    }

    /// Names in file order, with fast lookup.
    struct KnownNames: Sequence {
        let names: [String]
        private let set: Set<String>
        init(_ names: [String]) {
            self.names = names
            self.set = Set(names)
        }
        var isEmpty: Bool { names.isEmpty }
        var count: Int { names.count }
        func contains(_ name: String) -> Bool { set.contains(name) }
        func prefix(_ count: Int) -> ArraySlice<String> { names.prefix(count) }
        func makeIterator() -> IndexingIterator<[String]> { names.makeIterator() }
    }

    /// True when every element's name in `section` decoded, so reference checks against them are meaningful.
    func namesComplete(_ section: String, count: Int) -> Bool {
        usable(section) && (0..<count).allSatisfy { usable(FieldPath.child(FieldPath.element(section, $0), "name")) }
    }

    // MARK: names

    /// Cluster and node names: 1-63 of `a-z 0-9 -`, not starting or ending with `-` (a DNS label).
    mutating func checkLabel(_ name: String, _ path: String, what: String) {
        let valid = (1...63).contains(name.count) && !name.hasPrefix("-") && !name.hasSuffix("-")
            && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        if !valid {
            report(.invalidValue, path,
                   "'\(name)' is not a valid \(what) name: use 1-63 characters of a-z, 0-9 and '-', "
                    + "not starting or ending with '-'")
        }
    }

    /// Model and pipeline names: 1-128 of letters, digits and `. _ - : /`, starting with a letter or digit.
    mutating func checkModelName(_ name: String, _ path: String, what: String) {
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "._-:/".contains($0)) }
        let valid = (1...128).contains(name.count) && name.allSatisfy(allowed)
            && name.first.map { $0.isLetter || $0.isNumber } == true
        if !valid {
            report(.invalidValue, path,
                   "'\(name)' is not a valid \(what) name: use 1-128 letters, digits and '. _ - : /', "
                    + "starting with a letter or digit")
        }
    }

    mutating func checkHost(_ host: String, _ path: String, dialled: Bool) {
        if let problem = HostAddress.problem(host) {
            report(.invalidValue, path, problem)
        } else if dialled, HostAddress.isUnspecified(host) {
            report(.invalidValue, path, "'\(host)' can be bound but not dialled; give the address peers should use")
        }
    }

    // MARK: cluster and security

    mutating func checkCluster() {
        let cluster = topology.cluster
        checkLabel(cluster.name, "cluster.name", what: "cluster")
        let coordinator = cluster.coordinator
        checkHost(coordinator.host, "cluster.coordinator.host", dialled: true)
        check(coordinator.controlPort, in: 1...65535, "cluster.coordinator.control_port")
        if let bulk = coordinator.bulkPort {
            check(bulk, in: 1...65535, "cluster.coordinator.bulk_port")
        } else if coordinator.controlPort == 65535 {
            report(.invalidValue, "cluster.coordinator.control_port",
                   "65535 leaves no port for the bulk inbox (control_port + 1); set bulk_port")
        }
        checkHost(coordinator.http.host, "cluster.coordinator.http", dialled: false)
        if cluster.stateDirectory?.isEmpty == true { report(.invalidValue, "cluster.state_dir", "is empty") }
    }

    mutating func checkSecurity() {
        let security = topology.security
        if let variable = security.apiTokenEnvironmentVariable {
            let valid = !variable.isEmpty && variable.first.map { !$0.isNumber } == true
                && variable.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            if !valid {
                report(.invalidValue, "security.api_token_env",
                       "'\(variable)' is not an environment variable name (letters, digits and '_')")
            }
        }
        if security.keysDirectory?.isEmpty == true { report(.invalidValue, "security.keys_dir", "is empty") }
        guard security.mode == .insecure else { return }
        var hosts = [(topology.cluster.coordinator.host, "cluster.coordinator.host")]
        hosts += topology.nodes.enumerated().map { ($1.host, "nodes[\($0)].host") }
        for (host, path) in hosts where HostAddress.problem(host) == nil && !HostAddress.isLoopback(host) {
            report(.security, path,
                   "'\(host)' is not a loopback address; security mode 'insecure' is for one machine only "
                    + "(use 'mode: curve' across hosts)")
        }
    }
}
