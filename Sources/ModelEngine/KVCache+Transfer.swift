import Kernels

/// One KV block on the move (migration, recovery, consolidation): its place in the sequence, how many of its
/// positions are valid, and its bytes in the stage layout `[layers][K|V][16][kvDim]` (f32, little-endian).
/// Rows past `tokenCount` are zero.
public struct KVBlock: Sendable, Hashable {
    /// The block's number in its sequence: it holds positions `index·16 ..< index·16 + tokenCount`.
    public var index: Int
    /// Valid positions in the block, 1...16; only the sequence's last block may be partial.
    public var tokenCount: Int
    /// `KVBlockGeometry.blockBytes` bytes.
    public var bytes: [UInt8]

    /// Creates a block record.
    public init(index: Int, tokenCount: Int, bytes: [UInt8]) {
        self.index = index
        self.tokenCount = tokenCount
        self.bytes = bytes
    }
}

extension KVCache {
    /// Copies blocks `range` of `sequence` out (for pre-copy, send the full blocks early and the tail at the pause).
    /// - Throws: `.unknownSequence`, or `.invalidKVBlock` when the range reaches past the sequence's blocks.
    public func exportBlocks(_ sequence: SequenceID, range: Range<Int>) throws(EngineError) -> [KVBlock] {
        guard let s = sequences[sequence] else {
            throw EngineError(.unknownSequence, "sequence \(sequence) is not in this stage's KV cache")
        }
        let count = Self.blocks(for: s.tokenCount)
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw EngineError(.invalidKVBlock, "sequence \(sequence) has \(count) blocks; cannot export \(range)")
        }
        let g = geometry
        return range.map { index in
            let valid = min(KVBlockGeometry.blockTokens, s.tokenCount - index * KVBlockGeometry.blockTokens)
            var bytes = [UInt8](repeating: 0, count: g.blockBytes)
            bytes.withUnsafeMutableBytes { raw in
                let out = raw.bindMemory(to: Float.self).baseAddress!
                // Copy the valid rows of each (layer, K|V) plane; the rest stays zero.
                for plane in 0..<(g.layers * 2) {
                    let offset = plane * KVBlockGeometry.blockTokens * g.kvDim
                    (out + offset).update(from: s.blocks[index] + offset, count: valid * g.kvDim)
                }
            }
            return KVBlock(index: index, tokenCount: valid, bytes: bytes)
        }
    }

    /// Writes blocks into `sequence` (created if unknown), in order. Each block replaces the block with its index
    /// or appends right after the last; a partial block must be the last one, and the sequence's position count
    /// becomes that of the last block written. All blocks are checked before anything changes.
    /// - Throws: `.invalidKVBlock` naming the block (size, token count, order, non-finite values), `.kvCacheFull`.
    public func importBlocks(_ sequence: SequenceID, _ blocks: [KVBlock]) throws(EngineError) {
        let g = geometry
        var count = sequences[sequence]?.blocks.count ?? 0
        var tokens = sequences[sequence]?.tokenCount ?? 0
        for block in blocks {
            let name = "KV block \(block.index) of sequence \(sequence)"
            guard block.bytes.count == g.blockBytes else {
                throw EngineError(.invalidKVBlock, "\(name) has \(block.bytes.count) bytes; this stage's blocks have \(g.blockBytes) (\(g.layers) layers × \(g.kvDim))")
            }
            guard (1...KVBlockGeometry.blockTokens).contains(block.tokenCount) else {
                throw EngineError(.invalidKVBlock, "\(name) claims \(block.tokenCount) positions; a block holds 1...16")
            }
            guard block.index >= 0, block.index <= count else {
                throw EngineError(.invalidKVBlock, "\(name) would leave a gap: the sequence has \(count) blocks")
            }
            if block.index == count, count > 0, tokens < count * KVBlockGeometry.blockTokens {
                throw EngineError(.invalidKVBlock, "\(name) follows a partial block")
            }
            let newCount = max(count, block.index + 1)
            if block.index < newCount - 1 && block.tokenCount < KVBlockGeometry.blockTokens {
                throw EngineError(.invalidKVBlock, "\(name) is partial but not the last block")
            }
            let bad = block.bytes.withUnsafeBytes { Ops.countNonFinite($0.bindMemory(to: Float.self).baseAddress!, count: g.blockFloats) }
            guard bad == 0 else { throw EngineError(.invalidKVBlock, "\(name) holds \(bad) NaN or infinite values") }
            count = newCount
            if block.index == count - 1 { tokens = block.index * KVBlockGeometry.blockTokens + block.tokenCount }
        }
        _ = try reserve([(sequence, count * KVBlockGeometry.blockTokens)])
        let pointers = blockPointers(sequence)
        for block in blocks {
            block.bytes.withUnsafeBytes { raw in
                pointers[block.index].update(from: raw.bindMemory(to: Float.self).baseAddress!, count: g.blockFloats)
            }
        }
        setTokenCount(sequence, tokens)
    }

    /// Lends block `index` of `sequence` as raw bytes, for sending without a copy. Rows past the valid positions
    /// may hold stale values.
    public func withBlockBytes<R>(_ sequence: SequenceID, index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let pointers = blockPointers(sequence)
        guard pointers.indices.contains(index) else {
            throw EngineError(.invalidKVBlock, "sequence \(sequence) has no KV block \(index)")
        }
        return try body(UnsafeRawBufferPointer(start: pointers[index], count: geometry.blockBytes))
    }
}
