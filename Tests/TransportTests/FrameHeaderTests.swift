import Testing
@testable import Transport

@Suite struct FrameHeaderTests {
    let sender = NodeID(name: "node-a", incarnation: 0x1234_5678_9ABC)

    @Test func roundTrip() throws {
        let header = FrameHeader(
            kind: .call, flags: 3, callID: 42, sender: sender, targetIncarnation: 7,
            deadline: Deadline(nanosecondsSinceEpoch: 1_700_000_000_000_000_000))
        let bytes = header.encoded()
        #expect(bytes.count == FrameHeader.fixedSize + 6)
        let decoded = try bytes.withUnsafeBytes { try FrameHeader.decode($0) }
        #expect(decoded == header)
    }

    @Test func rejectsEachBrokenField() {
        let good = FrameHeader(kind: .reply, sender: sender).encoded()
        func mutated(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var copy = good
            change(&copy)
            return copy
        }
        let cases: [(String, [UInt8])] = [
            ("magic", mutated { $0[0] ^= 0xFF }),
            ("version", mutated { $0[2] = 9 }),
            ("kind 0", mutated { $0[3] = 0 }),
            ("reserved", mutated { $0[6] = 1 }),
            ("incarnation 0", mutated { for i in 16..<24 { $0[i] = 0 } }),
            ("name length", mutated { $0[40] = 200 }),
            ("truncated", Array(good.prefix(20))),
            ("trailing byte", good + [0]),
            ("bad utf8", mutated { $0[44] = 0xFF }),
        ]
        for (name, bytes) in cases {
            #expect(throws: TransportError.self, "\(name)") {
                try bytes.withUnsafeBytes { try FrameHeader.decode($0) }
            }
        }
    }

    @Test func seededFuzzNeverTraps() {
        var rng = SplitMix64(seed: 99)
        let good = FrameHeader(kind: .data, callID: 1, sender: sender).encoded()
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = good
            switch rng.next() % 3 {
            case 0: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            case 1: for _ in 0..<(1 + rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            default: bytes = (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            if (try? bytes.withUnsafeBytes { try FrameHeader.decode($0) }) != nil { accepted += 1 }
        }
        // Flips in the call id, flags, deadline or target keep a frame valid; most mutations must be rejected.
        #expect(accepted < 20_000)
    }
}

@Suite struct FaultInjectorTests {
    @Test func partitionAndOneWay() {
        let faults = FaultInjector(seed: 1)
        #expect(faults.decide(peer: "b", direction: .outbound, lane: .control) == .deliver)
        faults.set(.partition, peer: "b", direction: .outbound)
        #expect(faults.decide(peer: "b", direction: .outbound, lane: .control) == .drop)
        #expect(faults.decide(peer: "b", direction: .inbound, lane: .control) == .deliver)
        faults.clear(peer: "b")
        #expect(faults.decide(peer: "b", direction: .outbound, lane: .bulk) == .deliver)
    }

    @Test func sameSeedSameDecisions() {
        func run() -> [FaultInjector.Decision] {
            let faults = FaultInjector(seed: 7)
            faults.set(.init(dropProbability: 0.3, delaySeconds: 0.001...0.002), peer: "*")
            return (0..<200).map { _ in faults.decide(peer: "x", direction: .inbound, lane: .control) }
        }
        let first = run()
        #expect(first == run())
        let drops = first.filter { $0 == .drop }.count
        #expect(drops > 30 && drops < 100)
    }

    @Test func exactUTF8AcceptsValidAndRefusesWhatValidatingRefuses() {
        let cases: [[UInt8]] = [
            [], Array("node-a".utf8), Array("nœud-é/工作-🚀".utf8), [0xEF, 0xBF, 0xBD],  // valid, U+FFFD itself included
            [0x80], [0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x61, 0xFF, 0x62],
            [0xE2, 0x82], [0xF0, 0x9F, 0x9A],  // stray continuation, truncated, overlong, surrogate, > U+10FFFF
        ]
        for bytes in cases {
            bytes.withUnsafeBytes { raw in
                #expect(String(exactUTF8: raw) == String(validating: raw, as: UTF8.self), "\(bytes)")
            }
        }
        var rng = SplitMix64(seed: 0x5EED)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes.withUnsafeBytes { raw in #expect(String(exactUTF8: raw) == String(validating: raw, as: UTF8.self)) }
        }
    }
}
