import Yams

/// Turns a composed YAML tree into a `Topology`, checking types and the shape of each value. Fields that cannot be
/// decoded get a placeholder and are marked failed in the context, so decoding goes on and every mistake of the
/// file is reported; `TopologyValidator` then checks the rules between values.
struct TopologyDecoder {
    let context: DecodingContext

    static let rootKeys = ["cluster", "security", "nodes", "models", "pipelines", "slo", "failure_detector"]

    func decode(_ root: Yams.Node) -> Topology {
        let top = YAMLMapping(root, path: "", allowed: Self.rootKeys, extensions: true, context: context)
        let cluster = top.flatMap { decodeCluster($0) } ?? Topology.Cluster(name: "")
        if top == nil { context.markFailed("cluster") }
        return Topology(
            cluster: cluster,
            security: top?.mapping("security", allowed: ["mode", "keys_dir", "api_token_env"]).map(decodeSecurity)
                ?? Topology.Security(),
            nodes: list(top, "nodes", required: true, decodeNode),
            models: list(top, "models", required: false, decodeModel),
            pipelines: list(top, "pipelines", required: false, decodePipeline),
            slo: top?.mapping("slo", allowed: ["ttft_ms", "tpot_ms"]).map(decodeSLO) ?? Topology.SLO(),
            failureDetector: top?.mapping("failure_detector", allowed: Self.detectorKeys).map(decodeDetector)
                ?? Topology.FailureDetectorSettings(),
            sources: SourceMap())
    }

    /// Decodes each element of the list `key` with `decode`, which gets the element's path and mapping.
    private func list<T>(
        _ top: YAMLMapping?, _ key: String, required: Bool, _ decode: (YAMLMapping?, String) -> T
    ) -> [T] {
        guard let top else { return [] }
        guard let node = top.node(key, required: required) else {
            if required { context.markFailed(key) }
            return []
        }
        guard let elements = context.sequence(node, path: key) else { return [] }
        if required, elements.isEmpty {
            context.report(.missingField, at: node.mark, path: key, "needs at least one entry")
        }
        return elements.enumerated().map { index, element in
            let path = FieldPath.element(key, index)
            return decode(YAMLMapping(element, path: path, allowed: Self.keys[key] ?? [], context: context), path)
        }
    }

    static let keys: [String: [String]] = [
        "nodes": ["name", "host", "control_port", "bulk_port", "ssh", "slots", "memory", "threads"],
        "models": ["name", "source", "sha256", "chat_template", "context_length", "sampling", "weights"],
        "pipelines": ["name", "model", "stages", "stage_count", "nodes", "max_sequences", "queue_limit", "micro_batches"],
    ]
    static let detectorKeys = [
        "probe_interval_ms", "ping_timeout_ms", "suspicion_min_ms", "suspicion_max_ms", "indirect_probes",
    ]
    /// Whole numbers the decoder accepts before the validator's own ranges apply: within ±2^53, so the validator's
    /// sums and comparisons cannot overflow.
    static let anyInt = -(1 << 53)...(1 << 53)

    // MARK: cluster and security

    private func decodeCluster(_ top: YAMLMapping) -> Topology.Cluster? {
        guard let map = top.mapping("cluster", allowed: ["name", "coordinator", "state_dir", "io_scheduling"], required: true) else {
            context.markFailed("cluster")
            return nil
        }
        var cluster = Topology.Cluster(name: map.string("name", required: true) ?? "")
        cluster.stateDirectory = map.string("state_dir")
        cluster.ioScheduling = named(map, "io_scheduling", what: "scheduling",
                                     Topology.IOScheduling.allCases.map { ($0.rawValue, $0) })
        if let coordinator = map.mapping("coordinator", allowed: ["host", "control_port", "bulk_port", "http"]) {
            let defaults = Topology.Coordinator()
            cluster.coordinator = Topology.Coordinator(
                host: coordinator.string("host") ?? defaults.host,
                controlPort: coordinator.int("control_port", in: Self.anyInt) ?? defaults.controlPort,
                bulkPort: coordinator.int("bulk_port", in: Self.anyInt),
                http: endpoint(coordinator, "http") ?? defaults.http)
        }
        return cluster
    }

    /// One of a fixed set of names, as the value it stands for; an unknown name is reported with the closest one.
    private func named<Value>(_ map: YAMLMapping, _ key: String, what: String, _ choices: [(String, Value)]) -> Value? {
        guard let name = map.string(key) else { return nil }
        if let choice = choices.first(where: { $0.0 == name }) { return choice.1 }
        let names = choices.map(\.0)
        let hint = Suggestion.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
        context.report(.invalidValue, at: map.node(key)?.mark, path: map.path(key),
                       "unknown \(what) '\(name)' (expected \(names.joined(separator: " or "))\(hint))")
        return nil
    }

    /// A `host:port` value (`[v6]:port` for IPv6).
    private func endpoint(_ map: YAMLMapping, _ key: String) -> Topology.Endpoint? {
        guard let node = map.node(key) else { return nil }
        let path = map.path(key)
        guard case .scalar(let scalar) = node, node.tagName != .int else {
            context.report(.wrongType, at: node.mark, path: path,
                           "expected 'host:port' such as 127.0.0.1:8080, found \(node.kindDescription)")
            return nil
        }
        switch Topology.Endpoint.parse(scalar.string) {
        case .success(let endpoint): return endpoint
        case .failure(let problem):
            context.report(.invalidValue, at: node.mark, path: path, problem.message)
            return nil
        }
    }

    private func decodeSecurity(_ map: YAMLMapping) -> Topology.Security {
        var security = Topology.Security()
        security.mode = named(map, "mode", what: "mode", Topology.Security.Mode.all.map { ($0.rawValue, $0) })
            ?? security.mode
        security.keysDirectory = map.string("keys_dir")
        security.apiTokenEnvironmentVariable = map.string("api_token_env")
        return security
    }

    // MARK: nodes

    private func decodeNode(_ map: YAMLMapping?, _ path: String) -> Topology.Node {
        guard let map else { return Topology.Node(name: "", memory: ByteCount(bytes: 0)) }
        var node = Topology.Node(name: map.string("name", required: true) ?? "", memory: ByteCount(bytes: 0))
        node.host = map.string("host") ?? node.host
        node.controlPort = map.int("control_port", in: Self.anyInt) ?? node.controlPort
        node.bulkPort = map.int("bulk_port", in: Self.anyInt) ?? node.bulkPort
        node.slots = map.int("slots", in: Self.anyInt) ?? node.slots
        node.threads = map.int("threads", in: Self.anyInt) ?? node.threads
        node.memory = byteCount(map, "memory") ?? node.memory
        if let ssh = map.mapping("ssh", allowed: ["user", "port", "identity_file"]) {
            node.ssh = Topology.SSH(
                user: ssh.string("user"), port: ssh.int("port", in: Self.anyInt) ?? 22,
                identityFile: ssh.string("identity_file"))
        }
        return node
    }

    /// An amount of memory: a whole number of bytes or a string with a unit.
    private func byteCount(_ map: YAMLMapping, _ key: String) -> ByteCount? {
        guard let node = map.node(key, required: true) else { return nil }
        let path = map.path(key)
        switch node {
        case .scalar(let scalar) where node.tagName != .float && node.tagName != .bool:
            switch ByteCount.parse(scalar.string) {
            case .success(let count): return count
            case .failure(let problem):
                context.report(.invalidValue, at: node.mark, path: path, problem.message)
                return nil
            }
        default:
            context.report(.wrongType, at: node.mark, path: path,
                           "expected an amount of memory such as 4GiB, found \(node.kindDescription)")
            return nil
        }
    }
}
