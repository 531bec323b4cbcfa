import Testing
@testable import Topology

/// Each kind of mistake gives the exact file:line:column, field path and message.
@Suite struct BrokenTopologyTests {
    /// `minimalTopology` with `old` replaced by `new` (which must occur).
    static func edit(_ old: String, _ new: String) -> String {
        precondition(minimalTopology.contains(old), "minimalTopology has no '\(old)'")
        return minimalTopology.replacingOccurrences(of: old, with: new)
    }

    /// Like `edit`, on a topology whose node has two slots.
    static func twoSlots(_ old: String, _ new: String) -> String {
        edit(old, new).replacingOccurrences(of: "    memory: 1GiB", with: "    memory: 1GiB\n    slots: 2")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let expected: [String]
        var testDescription: String { name }
        init(_ name: String, _ yaml: String, _ expected: [String]) {
            self.name = name
            self.yaml = yaml
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        Case("unclosed flow list", edit("[0, 30]}", "[0, 30}"), [
            "t.yaml:12:33: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at "
                + "12:27)",
        ]),
        Case("tab indentation", edit("    memory: 1GiB", "\tmemory: 1GiB"), [
            "t.yaml:5:1: invalid YAML: found a tab character that violates indentation (while scanning a plain "
                + "scalar at 4:11); YAML does not allow tabs for indentation, use spaces",
        ]),
        Case("empty file", "", [
            "t.yaml:1:1: the file is empty; a topology needs at least 'cluster' and 'nodes'",
        ]),
        Case("only comments", "# nothing here\n", [
            "t.yaml:1:1: the file is empty; a topology needs at least 'cluster' and 'nodes'",
        ]),
        Case("a list at the root", "- a\n- b\n", [
            "t.yaml:1:1: expected a mapping, found a list",
        ]),
        Case("two documents", minimalTopology + "\n---\ncluster: {name: u}\n", [
            "t.yaml:13:1: invalid YAML: a topology file holds one document, but a second one starts here",
        ]),
        Case("misspelt field", edit("    memory: 1GiB", "    memory: 1GiB\n    slot: 2"), [
            "t.yaml:6:5: nodes[0].slot: unknown field 'slot' (did you mean 'slots'?)",
        ]),
        Case("unknown root field", minimalTopology + "\nautoscale: true", [
            "t.yaml:13:1: autoscale: unknown field 'autoscale' (expected one of: cluster, security, nodes, "
                + "models, pipelines, slo, failure_detector)",
        ]),
        Case("camelCase field", edit("    memory: 1GiB", "    memory: 1GiB\n    controlPort: 7200"), [
            "t.yaml:6:5: nodes[0].controlPort: unknown field 'controlPort' (did you mean 'control_port'?)",
        ]),
        Case("missing cluster name", edit("  name: t\n", "  state_dir: /tmp/x\n"), [
            "t.yaml:2:3: cluster.name: missing required field 'name'",
        ]),
        Case("missing memory", edit("    memory: 1GiB\n", ""), [
            "t.yaml:4:5: nodes[0].memory: missing required field 'memory'",
        ]),
        Case("field with no value", edit("    source: default", "    source:"), [
            "t.yaml:8:12: models[0].source: has no value",
        ]),
        Case("wrong type: string for a number", edit("    memory: 1GiB", "    memory: 1GiB\n    slots: two"), [
            "t.yaml:6:12: nodes[0].slots: expected a whole number, found the string 'two'",
        ]),
        Case("wrong type: mapping for a list", edit("nodes:\n  - name: a\n    memory: 1GiB", "nodes:\n  name: a"), [
            "t.yaml:4:3: nodes: expected a list, found a mapping",
        ]),
        Case("wrong type: list for a string", edit("  name: t", "  name: [t]"), [
            "t.yaml:2:9: cluster.name: expected a string, found a list",
        ]),
        Case("fraction for a whole number", edit("    memory: 1GiB", "    memory: 1GiB\n    threads: 1.5"), [
            "t.yaml:6:14: nodes[0].threads: expected a whole number, found the number 1.5",
        ]),
        Case("number out of range", edit("    memory: 1GiB", "    memory: 1GiB\n    slots: 1000"), [
            "t.yaml:6:12: nodes[0].slots: 1000 is out of range 1...256",
        ]),
        Case("port out of range", edit("  name: t", "  name: t\n  coordinator: {control_port: 70000}"), [
            "t.yaml:3:31: cluster.coordinator.control_port: 70000 is out of range 1...65535",
        ]),
        Case("bad memory unit", edit("1GiB", "4 gigs"), [
            "t.yaml:5:13: nodes[0].memory: '4 gigs' has an unknown unit 'gigs' (use B, KiB, MiB, GiB, TiB or "
                + "K, M, G, T)",
        ]),
        Case("negative memory", edit("1GiB", "-1GiB"), [
            "t.yaml:5:13: nodes[0].memory: '-1GiB' is negative",
        ]),
        Case("bad name syntax", edit("  - name: a\n", "  - name: Node_A\n"), [
            "t.yaml:4:11: nodes[0].name: 'Node_A' is not a valid node name: use 1-63 characters of a-z, 0-9 "
                + "and '-', not starting or ending with '-'",
            "t.yaml:12:16: pipelines[0].stages[0].node: no node named 'a' (known: Node_A)",
        ]),
        Case("reserved node name", edit("  - name: a\n", "  - name: coordinator\n"), [
            "t.yaml:4:11: nodes[0].name: 'coordinator' is reserved for the coordinator's own node id",
            "t.yaml:12:16: pipelines[0].stages[0].node: no node named 'a' (known: coordinator)",
        ]),
        Case("duplicate node names",
             edit("    memory: 1GiB", "    memory: 1GiB\n  - name: a\n    memory: 2GiB"), [
            "t.yaml:6:11: nodes[1].name: duplicate node name 'a' (first at line 4)",
        ]),
        Case("duplicate key", edit("    memory: 1GiB", "    memory: 1GiB\n    memory: 2GiB"), [
            "t.yaml:6:5: key 'memory' appears twice in one mapping (first at line 5)",
        ]),
        Case("unknown model", edit("  - model: m", "  - model: mm"), [
            "t.yaml:10:12: pipelines[0].model: no model named 'mm' (did you mean 'm'?)",
        ]),
        Case("unknown node", edit("{node: a,", "{node: b,"), [
            "t.yaml:12:16: pipelines[0].stages[0].node: no node named 'b' (did you mean 'a'?)",
        ]),
        Case("layers not starting at 0", edit("[0, 30]", "[1, 30]"), [
            "t.yaml:12:28: pipelines[0].stages[0].layers[0]: the first stage starts at layer 1; it must start "
                + "at 0",
        ]),
        Case("layer gap", twoSlots("[0, 30]}", "[0, 10]}\n      - {node: a, layers: [12, 30]}"), [
            "t.yaml:14:28: pipelines[0].stages[1].layers[0]: gap: layers 10..<12 are in no stage (the previous "
                + "stage ends at 10)",
        ]),
        Case("layer overlap", twoSlots("[0, 30]}", "[0, 10]}\n      - {node: a, layers: [8, 30]}"), [
            "t.yaml:14:28: pipelines[0].stages[1].layers[0]: overlap: layers 8..<10 are already in the "
                + "previous stage, which ends at 10",
        ]),
        Case("empty layer range", edit("[0, 30]", "[5, 5]"), [
            "t.yaml:12:27: pipelines[0].stages[0].layers: [5, 5] is empty: the end must be greater than the "
                + "start",
        ]),
        Case("layers not a pair", edit("[0, 30]", "[0, 10, 20]"), [
            "t.yaml:12:27: pipelines[0].stages[0].layers: expected [start, end] (half-open), found a list of 3",
        ]),
        Case("too many stages for the slots",
             edit("[0, 30]}", "[0, 10]}\n      - {node: a, layers: [10, 30]}"), [
            "t.yaml:13:16: pipelines[0].stages[1].node: node 'a' has 1 slot and this is stage worker number 2 "
                + "placed on it",
        ]),
        Case("stage_count with explicit stages", edit("    stages:", "    stage_count: 2\n    stages:"), [
            "t.yaml:11:18: pipelines[0].stage_count: 'stage_count' applies only to 'stages: auto'; these "
                + "stages are listed explicitly",
        ]),
        Case("stages neither auto nor a list",
             edit("    stages:\n      - {node: a, layers: [0, 30]}", "    stages: some"), [
            "t.yaml:11:13: pipelines[0].stages: expected 'auto' or a list of {node, layers: [start, end]}, "
                + "found the string 'some'",
        ]),
        Case("auto placement on an unknown node",
             edit("    stages:\n      - {node: a, layers: [0, 30]}", "    stages: auto\n    nodes: [a, b]"), [
            "t.yaml:12:16: pipelines[0].nodes[1]: no node named 'b' (did you mean 'a'?)",
        ]),
        Case("bad token variable", minimalTopology + "\nsecurity: {api_token_env: 1TOKEN}", [
            "t.yaml:13:27: security.api_token_env: '1TOKEN' is not an environment variable name (letters, "
                + "digits and '_')",
        ]),
        Case("several mistakes at once",
             edit("  name: t", "  name: T").replacingOccurrences(of: "1GiB", with: "1 GiBs")
                + "\nslo: {ttft_ms: fast}", [
            "t.yaml:2:9: cluster.name: 'T' is not a valid cluster name: use 1-63 characters of a-z, 0-9 and "
                + "'-', not starting or ending with '-'",
            "t.yaml:5:13: nodes[0].memory: '1 GiBs' has an unknown unit 'GiBs' (use B, KiB, MiB, GiB, TiB or "
                + "K, M, G, T)",
            "t.yaml:13:16: slo.ttft_ms: expected a whole number, found the string 'fast'",
        ]),
        Case("unsupported source scheme", edit("source: default", "source: s3://bucket/model"), [
            "t.yaml:8:13: models[0].source: unsupported scheme 's3://' (use 'default', a local path or an "
                + "http(s):// URL)",
        ]),
        Case("bad sha256", edit("    source: default", "    source: default\n    sha256: abc"), [
            "t.yaml:9:13: models[0].sha256: 'abc' is not a SHA-256 (64 hexadecimal digits)",
        ]),
        Case("temperature out of range",
             edit("    source: default", "    source: default\n    sampling: {temperature: 3}"), [
            "t.yaml:9:29: models[0].sampling.temperature: 3 is out of range 0...2",
        ]),
        Case("insecure mode with a remote host", edit("  - name: a\n", "  - name: a\n    host: 10.0.0.2\n"), [
            "t.yaml:5:11: nodes[0].host: '10.0.0.2' is not a loopback address; security mode 'insecure' is for "
                + "one machine only (use 'mode: curve' across hosts)",
        ]),
        Case("unknown security mode", minimalTopology + "\nsecurity: {mode: curev}", [
            "t.yaml:13:18: security.mode: unknown mode 'curev' (expected insecure or curve; did you mean "
                + "'curve'?)",
        ]),
        Case("unknown I/O scheduling", edit("  name: t\n", "  name: t\n  io_scheduling: batched\n"), [
            "t.yaml:3:18: cluster.io_scheduling: unknown scheduling 'batched' (expected standard or batch; did you "
                + "mean 'batch'?)",
        ]),
        Case("bad host", edit("  - name: a\n", "  - name: a\n    host: 300.1.1.1\n"), [
            "t.yaml:5:11: nodes[0].host: '300.1.1.1' is not a valid IPv4 address",
        ]),
        Case("port clash",
             edit("  name: t", "  name: t\n  coordinator: {control_port: 7200, http: 127.0.0.1:7201}"), [
            "t.yaml:3:43: cluster.coordinator.http: port 7201 on 127.0.0.1 is already taken by the "
                + "coordinator's bulk inbox",
        ]),
        Case("HTTP on every address clashes with a node on the coordinator's host",
             edit("  name: t", "  name: t\n  coordinator: {http: 0.0.0.0:7300}")
                .replacingOccurrences(of: "    memory: 1GiB", with: "    memory: 1GiB\n    control_port: 7300"), [
            "t.yaml:7:19: nodes[0].control_port: port 7300 on 127.0.0.1 is already taken by the HTTP API",
        ]),
        Case("two pipelines of one model without names",
             minimalTopology.replacingOccurrences(of: "    memory: 1GiB", with: "    memory: 1GiB\n    slots: 2")
                + "\n  - {model: m, stages: [{node: a, layers: [0, 30]}]}", [
            "t.yaml:14:5: pipelines[1].name: duplicate pipeline name 'm' (first at line 11); a pipeline's name "
                + "defaults to its model's, so give each a name",
        ]),
        Case("http without a port", edit("  name: t", "  name: t\n  coordinator: {http: localhost}"), [
            "t.yaml:3:23: cluster.coordinator.http: 'localhost' has no port; expected 'host:port' such as "
                + "127.0.0.1:8080",
        ]),
        Case("zero SLO", minimalTopology + "\nslo: {ttft_ms: 0}", [
            "t.yaml:13:16: slo.ttft_ms: 0 is out of range 1...3600000",
        ]),
        Case("suspicion min above max",
             minimalTopology + "\nfailure_detector: {suspicion_min_ms: 5000, suspicion_max_ms: 4000}", [
            "t.yaml:13:38: failure_detector.suspicion_min_ms: 5000 ms is more than suspicion_max_ms (4000 ms)",
        ]),
        Case("ping timeout not below probe interval",
             minimalTopology + "\nfailure_detector: {probe_interval_ms: 100, ping_timeout_ms: 100}", [
            "t.yaml:13:61: failure_detector.ping_timeout_ms: 100 ms must be less than probe_interval_ms (100 "
                + "ms)",
        ]),
        Case("undefined alias", edit("    memory: 1GiB", "    memory: *big"), [
            "t.yaml:5:13: invalid YAML: found undefined alias",
        ]),
        Case("merge key of a scalar", edit("  - name: a\n", "  - <<: 5\n    name: a\n"), [
            "t.yaml:4:9: nodes[0]: a merge key ('<<') takes a mapping or a list of mappings, found the number 5",
        ]),
    ]

    @Test(arguments: cases) func reportsTheExactPlace(_ testCase: Case) {
        #expect(diagnostics(testCase.yaml) == testCase.expected)
    }
}
