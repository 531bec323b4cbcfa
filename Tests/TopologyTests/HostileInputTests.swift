import Foundation
import Testing
@testable import Topology

/// Damaged and hostile files end in diagnostics, never in a trap or a hang.
@Suite struct HostileInputTests {
    /// A small deterministic generator (SplitMix64), so a failing seed replays exactly.
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    }

    @Test func mutatedShippedFilesNeverTrap() throws {
        var rng = SplitMix64(state: 2026)
        let sources = try ["local.yaml", "two-hosts.yaml", "auto.yaml"].map {
            try String(contentsOfFile: repositoryRoot + "/topologies/" + $0, encoding: .utf8)
        }
        let fragments = ["\t", ":", "- ", "[", "]", "{", "}", "&a ", "*a", "<<: *a", "-1", "99999999999999999999",
                         "0x10", "~", "'", "\"", "\n", "  ", "#", "1e999", "layers: [30, 0]", "slots: 0"]
        var loaded = 0, rejected = 0
        for round in 0..<600 {
            var lines = sources[round % sources.count].split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init)
            for _ in 0...rng.below(3) {
                let index = rng.below(lines.count)
                switch rng.below(4) {
                case 0: lines.remove(at: index)
                case 1: lines.insert(lines[rng.below(lines.count)], at: index)
                case 2:
                    var line = Array(lines[index])
                    line.insert(contentsOf: fragments[rng.below(fragments.count)], at: rng.below(line.count + 1))
                    lines[index] = String(line)
                default: lines[index] = String(lines[index].prefix(rng.below(lines[index].count + 1)))
                }
                if lines.isEmpty { lines = [""] }
            }
            do {
                let topology = try TopologyLoader.parse(yaml: lines.joined(separator: "\n"), fileName: "f.yaml")
                let model = "smollm2-135m-instruct"
                try? topology.validate(against: [model: 30], bytesPerLayer: [model: 1])
                _ = try? topology.placingAutomaticPipelines(layerCounts: [model: 30], bytesPerLayer: [model: 1 << 20])
                loaded += 1
            } catch {
                #expect(!error.diagnostics.isEmpty)
                #expect(error.diagnostics.allSatisfy { $0.file == "f.yaml" && !$0.message.isEmpty })
                rejected += 1
            }
        }
        #expect(loaded > 20 && rejected > 200, "loaded \(loaded), rejected \(rejected)")
    }

    @Test func mergeBombIsCutShort() {
        var yaml = "x-0: &a0 {name: n, memory: 1GiB}\n"
        for level in 1...30 {
            let previous = "*a\(level - 1)"
            yaml += "x-\(level): &a\(level) {<<: [\(previous), \(previous), \(previous)]}\n"
        }
        yaml += "cluster: {name: t}\nnodes:\n  - <<: *a30\n"
        let start = ContinuousClock.now
        let lines = diagnostics(yaml)
        #expect(lines.contains { $0.contains("merge keys ('<<') expand to more than 100000 entries") })
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func hugeNumbersAreOutOfRangeNotOverflows() {
        let yaml = minimalTopology + "\nslo: {ttft_ms: 9007199254740993, tpot_ms: 99999999999999999999}"
        #expect(diagnostics(yaml) == [
            "t.yaml:13:16: slo.ttft_ms: 9007199254740993 is too large",
            "t.yaml:13:43: slo.tpot_ms: 99999999999999999999 is too large",
        ])
    }

    @Test func oversizedFileIsRefused() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/big.yaml"
        let text = Data(repeating: UInt8(ascii: "#"), count: TopologyLoader.maximumFileSize + 1)
        try text.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: TopologyError.self) { try TopologyLoader.load(path: path) }
        #expect(error?.code == .unreadableFile)
        #expect(error?.description == "\(path): is 4 MiB; a topology file may be at most 4 MiB")
    }
}
