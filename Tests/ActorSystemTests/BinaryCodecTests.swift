import Testing
import Transport
@testable import ActorSystem

@Suite struct BinaryCodecTests {
    struct Inner: Codable, Equatable {
        var id: UInt32
        var weights: [Float]
        var note: String?
    }

    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case polygon([Inner])
        case empty
    }

    enum Color: String, Codable { case red, green }

    struct Everything: Codable, Equatable {
        var flag: Bool
        var small: Int8
        var big: Int64
        var unsigned: UInt64
        var text: String
        var bytes: [UInt8]
        var doubles: [Double]
        var inner: Inner
        var missing: Inner?
        var present: Inner?
        var nested: [[Int]]
        var map: [String: Int]
        var shapes: [Shape]
        var color: Color
        var optionals: [Int?]
        var emptyMap: [Color: Int]
        var enumMap: [Color: [Int]]
        var emptyList: [Inner]
    }

    static let sample = Everything(
        flag: true, small: -7, big: .min, unsigned: .max, text: "héllo, 世界", bytes: [0, 1, 255],
        doubles: [1.5, -.infinity], inner: Inner(id: 9, weights: [0.5, 2], note: nil), missing: nil,
        present: Inner(id: 1, weights: [], note: "n"), nested: [[1, 2], [], [-3]], map: ["a": 1, "b": -2],
        shapes: [.circle(radius: 2), .polygon([Inner(id: 3, weights: [1], note: "x")]), .empty], color: .green,
        optionals: [1, nil, 0, nil], emptyMap: [:], enumMap: [.red: [1], .green: []], emptyList: [])

    @Test func roundTripsEveryKindOfValue() throws {
        let bytes = try BinaryEncoder().encode(Self.sample)
        let back = try BinaryDecoder().decode(Everything.self, from: bytes)
        #expect(back == Self.sample)
    }

    struct ExplicitNil: Codable, Equatable {
        var a: Int?
        var b: [Int]
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            if let a { try container.encode(a, forKey: .a) } else { try container.encodeNil(forKey: .a) }
            try container.encode(b, forKey: .b)
        }
    }

    @Test func explicitNilAndEmptyValuesAreDistinct() throws {
        for value in [ExplicitNil(a: nil, b: []), ExplicitNil(a: 0, b: [])] {
            #expect(try BinaryDecoder().decode(ExplicitNil.self, from: try BinaryEncoder().encode(value)) == value)
        }
    }

    @Test func topLevelPrimitivesAndOptionals() throws {
        func roundTrip<T: Codable & Equatable>(_ value: T) throws {
            let bytes = try BinaryEncoder().encode(value)
            #expect(try BinaryDecoder().decode(T.self, from: bytes) == value)
        }
        try roundTrip(42)
        try roundTrip(-1)
        try roundTrip(Int.max)
        try roundTrip("")
        try roundTrip(Optional<Int>.none)
        try roundTrip(Optional<String>.some("x"))
        try roundTrip(Optional<Optional<Int>>.some(.none))
        try roundTrip([Float](repeating: 1.25, count: 1000))
        #expect(try BinaryEncoder().encode(5).count == 1)
    }

    @Test func isMuchSmallerThanKeyedJSONWouldBe() throws {
        let bytes = try BinaryEncoder().encode([Float](repeating: 0, count: 1024))
        #expect(bytes.count == 2 + 4096)
    }

    @Test func wrongTypesAndTruncationThrowNamedErrors() throws {
        let bytes = try BinaryEncoder().encode(Self.sample)
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Everything.self, from: Array(bytes.prefix(cut))) }
        }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int.self, from: try BinaryEncoder().encode("a string")) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Int8.self, from: try BinaryEncoder().encode(300)) }
        #expect(throws: DecodingError.self) { try BinaryDecoder().decode(Bool.self, from: [7]) }
        do {
            _ = try BinaryDecoder().decode(Inner.self, from: try BinaryEncoder().encode(Self.sample))
            Issue.record("decoded an Inner from an Everything")
        } catch let DecodingError.keyNotFound(key, _) {
            #expect(key.stringValue == "id")
        }
    }

    @Test func seededFuzzNeverTraps() {
        var rng = SplitMix64(seed: 7)
        let good = (try? BinaryEncoder().encode(Self.sample)) ?? []
        var decoded = 0
        for _ in 0..<5_000 {
            var bytes = good
            for _ in 0..<(1 + rng.next() % 6) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if (try? BinaryDecoder().decode(Everything.self, from: bytes)) != nil { decoded += 1 }
        }
        #expect(decoded < 5_000)
    }
}
