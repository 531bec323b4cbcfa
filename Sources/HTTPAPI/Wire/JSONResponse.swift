import Foundation
import Hummingbird

/// Encodes response bodies: compact JSON, no escaped slashes, the content type set.
enum JSONResponse {
    /// A response whose body is `value` as JSON.
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `value` as compact JSON bytes.
    static func encode(_ value: some Encodable) throws -> Data {
        try encoder.encode(value)
    }

    /// `value` as compact JSON text.
    static func string(_ value: some Encodable) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}
