import Transport

/// The second frame of a `.chunk` message: where this chunk sits in its transfer.
///
/// Layout, little-endian: transfer id u64, sequence u32, chunk count u32, total bytes u64, offset u64, chunk bytes
/// u32, reserved u32 (0) — 40 bytes. The first chunk (sequence 0) adds the original message: frame count u32,
/// header length u32, each frame's size u64, then the original header. The data frames follow the descriptor;
/// a transfer's bytes are the original frames laid end to end.
struct ChunkDescriptor: Equatable {
    static let fixedSize = 40

    var transferID: UInt64
    var sequence: UInt32
    var chunkCount: UInt32
    var totalBytes: UInt64
    var offset: UInt64
    var chunkBytes: UInt32
    /// Only in sequence 0: the original message's header and its frames' sizes.
    var original: Original?

    struct Original: Equatable {
        var header: FrameHeader
        var frameSizes: [Int]
    }

    func encode() -> [UInt8] {
        var writer = WireWriter(capacity: Self.fixedSize + (original.map { 8 + 8 * $0.frameSizes.count + FrameHeader.maxSize } ?? 0))
        writer.u64(transferID)
        writer.u32(sequence)
        writer.u32(chunkCount)
        writer.u64(totalBytes)
        writer.u64(offset)
        writer.u32(chunkBytes)
        writer.u32(0)
        if let original {
            let header = original.header.encoded()
            writer.u32(UInt32(original.frameSizes.count))
            writer.u32(UInt32(header.count))
            for size in original.frameSizes { writer.u64(UInt64(size)) }
            writer.raw(header)
        }
        return writer.bytes
    }

    /// Parses and checks a descriptor; `maxFrames` bounds the original's frame count.
    static func decode(_ bytes: UnsafeRawBufferPointer, maxFrames: Int) throws(TransportError) -> ChunkDescriptor {
        var reader = WireReader(bytes, what: "chunk descriptor")
        var descriptor = ChunkDescriptor(
            transferID: try reader.u64("transfer id"), sequence: try reader.u32("sequence"),
            chunkCount: try reader.u32("chunk count"), totalBytes: try reader.u64("total bytes"),
            offset: try reader.u64("offset"), chunkBytes: try reader.u32("chunk bytes"))
        guard try reader.u32("reserved") == 0 else { throw malformed("reserved field is not zero") }
        guard descriptor.transferID != 0 else { throw malformed("transfer id 0") }
        guard descriptor.chunkCount >= 2, descriptor.sequence < descriptor.chunkCount else {
            throw malformed("sequence \(descriptor.sequence) of \(descriptor.chunkCount) chunks")
        }
        guard descriptor.offset <= descriptor.totalBytes,
            UInt64(descriptor.chunkBytes) <= descriptor.totalBytes - descriptor.offset
        else {
            throw malformed("chunk of \(descriptor.chunkBytes) bytes at \(descriptor.offset) overruns \(descriptor.totalBytes)")
        }
        if descriptor.sequence == 0 {
            let frameCount = Int(try reader.u32("frame count"))
            let headerLength = Int(try reader.u32("header length"))
            guard frameCount <= maxFrames else { throw malformed("\(frameCount) frames, at most \(maxFrames)") }
            var sizes: [Int] = []
            var sum: UInt64 = 0
            for index in 0..<frameCount {
                let size = try reader.u64("size of frame \(index)")
                guard size <= descriptor.totalBytes else { throw malformed("frame \(index) larger than the transfer") }
                sum += size
                sizes.append(Int(size))
            }
            guard sum == descriptor.totalBytes else { throw malformed("frame sizes add up to \(sum), not \(descriptor.totalBytes)") }
            let header = try FrameHeader.decode(try reader.raw(headerLength, "original header"))
            guard header.kind != .chunk, header.kind != .hello else { throw malformed("original kind \(header.kind)") }
            descriptor.original = Original(header: header, frameSizes: sizes)
        }
        try reader.expectEnd()
        return descriptor
    }

    private static func malformed(_ what: String) -> TransportError {
        TransportError(.malformedFrame, "chunk descriptor: \(what)")
    }
}

/// Cuts a large bulk message into chunk messages that share its deadline and target.
enum ChunkSplitter {
    static func split(header: FrameHeader, frames: [Buffer], transferID: UInt64, chunkSize: Int) -> [OutboundMessage] {
        let total = frames.reduce(0) { $0 + $1.count }
        let chunkCount = (total + chunkSize - 1) / chunkSize
        var chunkHeader = header
        chunkHeader.kind = .chunk
        chunkHeader.flags = 0
        chunkHeader.callID = transferID
        var chunks: [OutboundMessage] = []
        chunks.reserveCapacity(chunkCount)
        var frameIndex = 0, frameOffset = 0
        for sequence in 0..<chunkCount {
            let start = sequence * chunkSize
            let length = min(chunkSize, total - start)
            let descriptor = ChunkDescriptor(
                transferID: transferID, sequence: UInt32(sequence), chunkCount: UInt32(chunkCount),
                totalBytes: UInt64(total), offset: UInt64(start), chunkBytes: UInt32(length),
                original: sequence == 0 ? .init(header: header, frameSizes: frames.map(\.count)) : nil)
            var parts = [OutboundPart(Buffer(descriptor.encode()))]
            var needed = length
            while needed > 0 {
                let frame = frames[frameIndex]
                let take = min(needed, frame.count - frameOffset)
                if take > 0 { parts.append(OutboundPart(frame, offset: frameOffset, count: take)) }
                frameOffset += take
                needed -= take
                if frameOffset == frame.count {
                    frameIndex += 1
                    frameOffset = 0
                }
            }
            var chunk = OutboundMessage(header: chunkHeader, parts: parts)
            chunk.isFinal = sequence == chunkCount - 1
            chunk.transferID = transferID
            chunks.append(chunk)
        }
        return chunks
    }
}
