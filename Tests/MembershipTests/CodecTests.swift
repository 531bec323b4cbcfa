import Membership
import Testing

/// The binary encoding: round trips, and a seeded fuzz over thousands of malformed inputs that must fail cleanly.
@Suite struct CodecTests {
    static func randomName(_ rng: inout SeededRandom) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-/.é😀")
        return String((0..<(1 + rng.below(12))).map { _ in alphabet[rng.below(alphabet.count)] })
    }

    static func randomEnvelope(_ rng: inout SeededRandom) -> Envelope {
        func member() -> MemberID { MemberID(name: randomName(&rng), uid: rng.next() | 1) }
        let body: MessageBody
        switch rng.below(7) {
        case 0: body = .ping(sequence: UInt32(truncatingIfNeeded: rng.next()))
        case 1: body = .pingRequest(sequence: UInt32(truncatingIfNeeded: rng.next()), target: member())
        case 2: body = .ack(sequence: UInt32(truncatingIfNeeded: rng.next()), target: member())
        case 3: body = .nack(sequence: UInt32(truncatingIfNeeded: rng.next()), target: member())
        case 4: body = .join
        case 5: body = .joinAck
        default: body = .gossip
        }
        let gossip = (0..<rng.below(6)).map { _ -> Gossip in
            let status = MemberStatus(rawValue: UInt8(rng.below(4)))!
            var metadata: [String: String] = [:]
            if status == .alive { for _ in 0..<rng.below(4) { metadata[randomName(&rng)] = randomName(&rng) } }
            let suspectors = status == .suspect ? (0..<rng.below(4)).map { _ in randomName(&rng) } : []
            return Gossip(member: member(), incarnation: rng.next(), status: status, metadata: metadata, suspectors: suspectors)
        }
        let to = rng.below(3) == 0 ? MemberID(name: randomName(&rng), uid: 0) : member()
        return Envelope(from: member(), to: to, body: body, gossip: gossip)
    }

    @Test func roundTripsRandomMessages() throws {
        var rng = SeededRandom(seed: 42)
        for i in 0..<2_000 {
            let envelope = Self.randomEnvelope(&rng)
            let bytes = MembershipCodec.encode(envelope)
            let decoded = try MembershipCodec.decode(bytes)
            #expect(decoded == envelope, "message \(i) (seed 42) changed in a round trip")
        }
    }

    @Test func everyTruncationFails() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let bytes = MembershipCodec.encode(Self.randomEnvelope(&rng))
            for length in 0..<bytes.count {
                #expect(throws: MembershipCodingError.self, "a \(length)-byte prefix of \(bytes.count) decoded (seed 7)") {
                    try MembershipCodec.decode(bytes[0..<length])
                }
            }
        }
    }

    /// Random bytes and random mutations of valid messages: decoding either fails with a coding error or yields a
    /// message that encodes back to the same bytes. Never a trap.
    @Test(arguments: [UInt64(1), 2, 3])
    func fuzzMalformedInput(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var rejected = 0
        for i in 0..<5_000 {
            var bytes: [UInt8]
            if i % 4 == 0 {
                bytes = (0..<rng.below(80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if !bytes.isEmpty, rng.below(2) == 0 { bytes[0] = MembershipCodec.version }
            } else {
                bytes = MembershipCodec.encode(Self.randomEnvelope(&rng))
                for _ in 0..<(1 + rng.below(4)) {
                    switch rng.below(4) {
                    case 0: bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(bytes.count + 1))
                    case 2: if bytes.count > 1 { bytes.remove(at: rng.below(bytes.count)) }
                    default: bytes.append(UInt8(truncatingIfNeeded: rng.next()))
                    }
                }
            }
            do {
                let decoded = try MembershipCodec.decode(bytes)
                let again = try MembershipCodec.decode(MembershipCodec.encode(decoded))
                #expect(again == decoded, "input \(i) (seed \(seed)) decoded inconsistently")
            } catch {
                rejected += 1
                #expect(error.offset >= 0 && error.offset <= bytes.count, "error offset out of range (seed \(seed), input \(i))")
            }
        }
        #expect(rejected > 1_000, "the fuzzer should mostly produce malformed input (seed \(seed))")
    }

    @Test func clearErrors() {
        #expect(throws: MembershipCodingError.self) { try MembershipCodec.decode([UInt8]()) }
        do {
            _ = try MembershipCodec.decode([9, 1])
            Issue.record("version 9 accepted")
        } catch {
            #expect(error.code == .unsupportedVersion)
            #expect(error.description.contains("version 9"))
        }
        var bytes = MembershipCodec.encode(Envelope(from: MemberID(name: "a", uid: 1), to: MemberID(name: "b", uid: 2), body: .gossip))
        bytes.append(0)
        do {
            _ = try MembershipCodec.decode(bytes)
            Issue.record("trailing byte accepted")
        } catch {
            #expect(error.code == .trailingBytes)
        }
        // A sender with uid 0 is not a member.
        let zero = MembershipCodec.encode(Envelope(from: MemberID(name: "a", uid: 0), to: MemberID(name: "b", uid: 2), body: .gossip))
        do {
            _ = try MembershipCodec.decode(zero)
            Issue.record("uid 0 sender accepted")
        } catch {
            #expect(error.code == .invalidValue)
        }
    }
}
