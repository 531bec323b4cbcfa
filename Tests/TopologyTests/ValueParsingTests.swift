import Testing
@testable import Topology

/// The small value parsers: memory amounts, endpoints, hosts, model sources, suggestions.
@Suite struct ValueParsingTests {
    @Test(arguments: [
        ("4GiB", 4 << 30), ("4 GiB", 4 << 30), ("512MiB", 512 << 20), ("1.5GiB", 3 << 29), ("2Gi", 2 << 30),
        ("2G", 2_000_000_000), ("2GB", 2_000_000_000), ("100K", 100_000), ("64KiB", 65536), ("1TiB", 1 << 40),
        ("1048576", 1 << 20), ("7B", 7),
    ])
    func memoryAmounts(_ text: String, _ bytes: Int) {
        #expect(ByteCount(parsing: text)?.bytes == bytes)
    }

    @Test(arguments: [
        ("4 gigs", "'4 gigs' has an unknown unit 'gigs' (use B, KiB, MiB, GiB, TiB or K, M, G, T)"),
        ("GiB", "'GiB' does not start with a number"),
        ("-4GiB", "'-4GiB' is negative"),
        ("1.5", "'1.5' is a fraction of a byte"),
        ("99999999TiB", "'99999999TiB' is too large"),
        ("1.2.3GiB", "'1.2.3GiB' does not start with a number"),
    ])
    func badMemoryAmounts(_ text: String, _ problem: String) {
        #expect(ByteCount.parse(text) == .failure(ValueProblem(problem)))
    }

    @Test func memoryPrintsReadably() {
        #expect(ByteCount.gibibytes(4).description == "4 GiB")
        #expect(ByteCount(bytes: 3 << 29).description == "1.5 GiB")
        #expect(ByteCount(bytes: 300).description == "300 B")
    }

    @Test func endpoints() throws {
        #expect(try Topology.Endpoint.parse("127.0.0.1:8080").get() == .init(host: "127.0.0.1", port: 8080))
        #expect(try Topology.Endpoint.parse("[::1]:80").get() == .init(host: "::1", port: 80))
        #expect(Topology.Endpoint(host: "::1", port: 80).description == "[::1]:80")
        #expect(Topology.Endpoint.parse("::1:80") == .failure(ValueProblem(
            "'::1:80' has several ':'; write an IPv6 address in brackets, as [::1]:8080")))
        #expect(Topology.Endpoint.parse("host:0")
            == .failure(ValueProblem("'0' in 'host:0' is not a port (1...65535)")))
        #expect(Topology.Endpoint.parse(":80") == .failure(ValueProblem("':80' has no host")))
    }

    @Test func hosts() {
        for good in ["127.0.0.1", "localhost", "node-1.example.com", "::1", "fe80::1", "10.0.0.2", "a"] {
            #expect(HostAddress.problem(good) == nil, "\(good)")
        }
        #expect(HostAddress.problem("300.1.1.1") == "'300.1.1.1' is not a valid IPv4 address")
        #expect(HostAddress.problem("-bad.example") == "'-bad.example' is not a valid host name or address")
        #expect(HostAddress.problem("::g") == "'::g' is not a valid IPv6 address")
        #expect(HostAddress.problem("under_score") == "'under_score' is not a valid host name or address")
        #expect(["127.0.0.1", "127.3.2.1", "localhost", "::1"].allSatisfy(HostAddress.isLoopback))
        #expect(!["10.0.0.1", "::2", "example.com", "0.0.0.0"].contains(where: HostAddress.isLoopback))
        #expect(HostAddress.isUnspecified("0.0.0.0") && HostAddress.isUnspecified("::"))
    }

    @Test func modelSources() {
        #expect(Topology.ModelSource.parse("default") == .success(.default))
        #expect(Topology.ModelSource.parse("models/x.GGUF") == .success(.ggufFile(path: "models/x.GGUF")))
        #expect(Topology.ModelSource.parse("~/hf/smol") == .success(.huggingFaceDirectory(path: "~/hf/smol")))
        let url = "http://127.0.0.1:9000/m.gguf"
        #expect(Topology.ModelSource.parse(url) == .success(.url(url)))
        #expect(Topology.ModelSource.parse("https:///m.gguf") == .failure(ValueProblem(
            "'https:///m.gguf' is not a valid URL (no host, or spaces)")))
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "slot", in: ["slots", "memory"]) == "slots")
        #expect(Suggestion.closest(to: "controlPort", in: ["control_port", "bulk_port"]) == "control_port")
        #expect(Suggestion.closest(to: "curev", in: ["insecure", "curve"]) == "curve")
        #expect(Suggestion.closest(to: "zzz", in: ["slots", "memory"]) == nil)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    }
}
