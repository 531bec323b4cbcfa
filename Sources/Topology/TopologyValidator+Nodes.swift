extension TopologyValidator {
    mutating func checkNodes() {
        for (index, node) in topology.nodes.enumerated() {
            let path = FieldPath.element("nodes", index)
            guard usable(path) else { continue }
            checkLabel(node.name, "\(path).name", what: "node")
            if node.name == "coordinator" {
                report(.invalidValue, "\(path).name", "'coordinator' is reserved for the coordinator's own node id")
            }
            checkHost(node.host, "\(path).host", dialled: true)
            check(node.controlPort, in: 0...65535, "\(path).control_port")
            check(node.bulkPort, in: 0...65535, "\(path).bulk_port")
            check(node.slots, in: 1...256, "\(path).slots")
            check(node.threads, in: 1...1024, "\(path).threads")
            if node.memory.bytes <= 0 { report(.invalidValue, "\(path).memory", "must be more than 0 bytes") }
            if let ssh = node.ssh {
                check(ssh.port, in: 1...65535, "\(path).ssh.port")
                if ssh.user?.isEmpty == true { report(.invalidValue, "\(path).ssh.user", "is empty") }
            }
        }
        checkUnique(topology.nodes.enumerated().map { ($1.name, "nodes[\($0)].name") }, what: "node name")
    }

    /// Two listeners on one host may not share a port (0 means "pick a free one" and never clashes).
    mutating func checkPorts() {
        struct Listener {
            let host: String
            let port: Int
            let path: String
            let what: String
        }
        let coordinator = topology.cluster.coordinator
        var listeners = [
            Listener(host: coordinator.host, port: coordinator.controlPort, path: "cluster.coordinator.control_port",
                     what: "the coordinator's control inbox"),
            Listener(host: coordinator.host, port: coordinator.effectiveBulkPort,
                     path: coordinator.bulkPort == nil ? "cluster.coordinator.control_port"
                                                       : "cluster.coordinator.bulk_port",
                     what: "the coordinator's bulk inbox"),
            Listener(host: coordinator.http.host, port: coordinator.http.port, path: "cluster.coordinator.http",
                     what: "the HTTP API"),
        ]
        for (index, node) in topology.nodes.enumerated() {
            listeners.append(Listener(host: node.host, port: node.controlPort, path: "nodes[\(index)].control_port",
                                      what: "node '\(node.name)' control inbox"))
            listeners.append(Listener(host: node.host, port: node.bulkPort, path: "nodes[\(index)].bulk_port",
                                      what: "node '\(node.name)' bulk inbox"))
        }
        // A wildcard bind (the HTTP API on 0.0.0.0 or ::) takes the port on every address of the coordinator's
        // machine: its own host and loopback.
        let coordinatorHosts = Set([HostAddress.canonical(coordinator.host), HostAddress.canonical("localhost")])
        var taken: [String: Listener] = [:]
        for listener in listeners where listener.port > 0 && usable(listener.path) {
            let hosts = HostAddress.isUnspecified(listener.host)
                ? coordinatorHosts.sorted() : [HostAddress.canonical(listener.host)]
            if let first = hosts.lazy.compactMap({ taken["\($0):\(listener.port)"] }).first {
                report(.capacity, listener.path,
                       "port \(listener.port) on \(listener.host) is already taken by \(first.what)")
                continue
            }
            for host in hosts { taken["\(host):\(listener.port)"] = listener }
        }
    }
}
