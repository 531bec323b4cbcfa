import Hummingbird

/// Server-sent events as OpenAI streams them: one `data: <json>\n\n` per chunk, then `data: [DONE]\n\n`.
enum ServerSentEvents {
    /// Response headers of a stream.
    static let headers: HTTPFields = [
        .contentType: "text/event-stream",
        .cacheControl: "no-cache",
    ]

    /// One event carrying `value` as JSON.
    static func event(_ value: some Encodable) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try JSONResponse.encode(value))
        buffer.writeString("\n\n")
        return buffer
    }

    /// The event that ends every stream.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")
}
