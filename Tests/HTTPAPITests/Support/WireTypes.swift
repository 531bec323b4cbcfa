import Foundation
import Hummingbird

/// OpenAI response shapes as a client decodes them (keys converted from snake_case).
struct CompletionWire: Decodable {
    struct Message: Decodable {
        var role: String?
        var content: String?
    }

    struct Choice: Decodable {
        var index: Int
        var text: String?
        var message: Message?
        var delta: Message?
        var finishReason: String?
    }

    struct UsageWire: Decodable, Equatable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int
    }

    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: UsageWire?
}

/// OpenAI's error body.
struct ErrorWire: Decodable {
    struct Detail: Decodable {
        var message: String
        var type: String
        var param: String?
        var code: String?
    }

    var error: Detail
}

/// Decodes client-side JSON (snake_case keys).
func decodeWire<T: Decodable>(_ type: T.Type, _ bytes: some DataProtocol) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(type, from: Data(bytes))
}

func decodeWire<T: Decodable>(_ type: T.Type, _ buffer: ByteBuffer) throws -> T {
    try decodeWire(type, buffer.readableBytesView)
}

/// A JSON request body.
func jsonBody(_ object: [String: Any]) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

/// Splits a server-sent event stream into the payloads of its `data:` lines, fed in arbitrary byte pieces (a
/// piece may end inside a character; events are split on bytes before any text is decoded).
struct SSEParser {
    private var pending: [UInt8] = []

    /// Adds received bytes; returns the payloads of the events they completed.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        pending.append(contentsOf: bytes)
        var payloads: [String] = []
        while let end = Self.eventEnd(in: pending) {
            let event = String(decoding: pending[..<end], as: UTF8.self)
            pending.removeFirst(end + 2)
            for line in event.split(separator: "\n") where line.hasPrefix("data: ") {
                payloads.append(String(line.dropFirst(6)))
            }
        }
        return payloads
    }

    /// Whether bytes were left that do not form a whole event.
    var hasLeftover: Bool { !pending.isEmpty }

    private static func eventEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A { return index }
        return nil
    }
}

/// Parses a whole SSE body into its payloads, checking it is nothing but well-formed events.
func ssePayloads(_ body: ByteBuffer) -> (payloads: [String], clean: Bool) {
    var parser = SSEParser()
    let payloads = parser.feed(body.readableBytesView)
    return (payloads, !parser.hasLeftover)
}
