import Kernels

/// Identifies one sequence (a request's token stream) across stages.
public typealias SequenceID = UInt64

/// The shape of one KV block of one stage: `[layers][K|V][blockTokens][kvDim]` f32, one contiguous buffer.
public struct KVBlockGeometry: Sendable, Hashable {
    /// Positions per block.
    public static let blockTokens = 16
    /// Layers of the stage.
    public var layers: Int
    /// Floats per position and layer, for K or V (KV heads × head size).
    public var kvDim: Int

    /// Creates a geometry.
    public init(layers: Int, kvDim: Int) {
        self.layers = layers
        self.kvDim = kvDim
    }

    /// Floats in one block.
    public var blockFloats: Int { layers * 2 * Self.blockTokens * kvDim }
    /// Bytes in one block.
    public var blockBytes: Int { blockFloats * 4 }
    /// Floats from a block's start to layer `layer`'s K rows (its V rows follow `valueOffset` further on).
    func keyOffset(layer: Int) -> Int { layer * 2 * Self.blockTokens * kvDim }
    /// Floats from K rows to V rows of one layer.
    var valueOffset: Int { Self.blockTokens * kvDim }
}

/// One stage's KV cache: per sequence, a list of 16-position blocks taken from a pool with a fixed capacity.
///
/// Blocks are allocated on first use and recycled after `free`, so memory follows the high-water mark of positions
/// in use, never the capacity. Not thread-safe: the owning `LlamaStage` serialises access.
public final class KVCache: @unchecked Sendable {
    /// The block layout.
    public let geometry: KVBlockGeometry
    /// The most blocks that may be in use at once.
    public let capacityBlocks: Int

    struct Sequence {
        var blocks: [UnsafeMutablePointer<Float>]
        var tokenCount: Int
    }

    var sequences: [SequenceID: Sequence] = [:]
    private var freeBlocks: [UnsafeMutablePointer<Float>] = []
    private var allocatedBlocks = 0

    /// Creates an empty cache that may hold up to `capacityBlocks` blocks.
    public init(geometry: KVBlockGeometry, capacityBlocks: Int) {
        self.geometry = geometry
        self.capacityBlocks = capacityBlocks
    }

    deinit {
        for s in sequences.values { for b in s.blocks { b.deallocate() } }
        for b in freeBlocks { b.deallocate() }
    }

    /// Blocks held by sequences.
    public var usedBlocks: Int { sequences.values.reduce(0) { $0 + $1.blocks.count } }
    /// Bytes of block memory allocated (in use or recycled): what the cache costs.
    public var allocatedBytes: Int { allocatedBlocks * geometry.blockBytes }
    /// The sequences with cached positions.
    public var sequenceIDs: [SequenceID] { Array(sequences.keys) }

    /// Positions cached for `sequence`, or nil if the cache does not know it.
    public func tokenCount(of sequence: SequenceID) -> Int? { sequences[sequence]?.tokenCount }

    /// Releases every block of `sequence`; a no-op for an unknown sequence.
    public func free(_ sequence: SequenceID) {
        guard let s = sequences.removeValue(forKey: sequence) else { return }
        freeBlocks += s.blocks
    }

    /// Blocks needed to hold `tokens` positions.
    static func blocks(for tokens: Int) -> Int { (tokens + KVBlockGeometry.blockTokens - 1) / KVBlockGeometry.blockTokens }

    /// Blocks that growing each sequence to the given position count would add.
    func additionalBlocks(_ targets: [(SequenceID, Int)]) -> Int {
        targets.reduce(0) { sum, target in
            sum + max(0, Self.blocks(for: target.1) - (sequences[target.0]?.blocks.count ?? 0))
        }
    }

    /// Gives each sequence enough blocks for its target position count (creating unknown sequences), or changes
    /// nothing and throws when the pool cannot supply them all. Returns an undo record for `rollBack`.
    func reserve(_ targets: [(SequenceID, Int)]) throws(EngineError) -> [(SequenceID, Int)] {
        let needed = additionalBlocks(targets)
        let free = capacityBlocks - usedBlocks
        guard needed <= free else {
            throw EngineError(.kvCacheFull, "KV cache full: the call needs \(needed) more blocks of \(KVBlockGeometry.blockTokens) positions, \(free) of \(capacityBlocks) are free")
        }
        var undo: [(SequenceID, Int)] = []
        for (id, tokens) in targets {
            var s = sequences[id] ?? Sequence(blocks: [], tokenCount: 0)
            undo.append((id, sequences[id] == nil ? -1 : s.blocks.count))
            while s.blocks.count < Self.blocks(for: tokens) { s.blocks.append(takeBlock()) }
            sequences[id] = s
        }
        return undo
    }

    /// Undoes a `reserve`: returns the blocks it added and forgets sequences it created.
    func rollBack(_ undo: [(SequenceID, Int)]) {
        for (id, count) in undo.reversed() {
            guard var s = sequences[id] else { continue }
            let keep = max(count, 0)
            freeBlocks += s.blocks[keep...]
            s.blocks.removeSubrange(keep...)
            if count < 0 { sequences[id] = nil } else { sequences[id] = s }
        }
    }

    /// Sets the number of valid positions of a reserved sequence.
    func setTokenCount(_ sequence: SequenceID, _ count: Int) {
        sequences[sequence]?.tokenCount = count
    }

    /// A fresh or recycled block. Callers check capacity first.
    func takeBlock() -> UnsafeMutablePointer<Float> {
        if let block = freeBlocks.popLast() { return block }
        allocatedBlocks += 1
        let block = UnsafeMutablePointer<Float>.allocate(capacity: geometry.blockFloats)
        block.initialize(repeating: 0, count: geometry.blockFloats)
        return block
    }

    /// The block pointers of `sequence` (empty if unknown).
    func blockPointers(_ sequence: SequenceID) -> [UnsafeMutablePointer<Float>] { sequences[sequence]?.blocks ?? [] }
}
