// ModelEngine: the Llama-family forward pass by layer range (a pipeline stage), its block KV cache with export and
// import, the sampler and stop strings, an in-process pipeline, the default model's cache and the decode benchmark.
// Written by hand on top of Kernels (DESIGN.md §5, §9); reads checkpoints through ModelFormats' TensorStore.
import Kernels
import ModelFormats
import Synchronization

/// Settings of a stage.
public struct StageOptions: Sendable, Hashable {
    /// How weights are kept in memory.
    public var weightStorage: WeightStorage
    /// KV cache capacity in positions, over all sequences (rounded up to whole blocks); nil means the model's
    /// context length. Memory is taken only as positions are used.
    public var kvCapacityTokens: Int?
    /// The most rows one internal pass runs; longer calls are split into passes. Results do not change (see
    /// `LlamaStage`), only the scratch memory does.
    public var maxRowsPerPass: Int

    /// Creates options; the defaults suit a single-host run.
    public init(weightStorage: WeightStorage = .float32, kvCapacityTokens: Int? = nil, maxRowsPerPass: Int = 256) {
        self.weightStorage = weightStorage
        self.kvCapacityTokens = kvCapacityTokens
        self.maxRowsPerPass = max(1, maxRowsPerPass)
    }
}

/// Layers [a, b) of a Llama model, with their KV cache: the unit a stage worker runs.
///
/// The first stage (a = 0) embeds token ids; the last (b = layer count) applies the final norm and LM head and
/// returns logits of each sequence's last position. A stage loads only its own tensors.
///
/// **Determinism.** Every kernel reduces in one fixed order (see `Ops`), and rows never interact except through
/// attention over the cache. Hence, on one machine and for any instruction set or thread count:
/// - *Split invariance:* running the model as any number of stages gives bitwise the same logits as one stage.
/// - *Batch invariance:* a sequence's outputs are bitwise the same whether it runs alone or with others.
/// - *Chunk invariance:* prefilling T positions in one call writes bitwise the same KV and logits as T calls of
///   one position each, so replaying a sequence's steps in any grouping rebuilds the same cache.
///
/// Calls are serialised by an internal lock; the stage may be shared between threads.
public final class LlamaStage: Sendable {
    /// The model's configuration.
    public let config: LlamaConfig
    /// The layers this stage runs.
    public let layers: Range<Int>
    let weights: StageWeights
    let pool: ThreadPool?
    let options: StageOptions
    let state: Mutex<StageState>

    /// Whether this stage embeds tokens.
    public var isFirst: Bool { layers.lowerBound == 0 }
    /// Whether this stage produces logits.
    public var isLast: Bool { layers.upperBound == config.layerCount }
    /// Bytes of weights this stage holds.
    public var weightBytes: Int { weights.byteCount }

    /// Loads layers `layers` (default: all) of the checkpoint `store`, reading only this stage's tensors.
    /// - Parameter pool: the compute threads (nil runs on the caller alone); stages in one process may share one.
    /// - Throws: `EngineError` naming the file, tensor or field that is wrong.
    public convenience init(
        checkpoint store: any TensorStore, layers: Range<Int>? = nil, options: StageOptions = StageOptions(),
        pool: ThreadPool?
    ) throws(EngineError) {
        let config = try LlamaConfig(checkpoint: store)
        let range = layers ?? 0..<config.layerCount
        guard range.lowerBound >= 0, range.upperBound <= config.layerCount, !range.isEmpty else {
            throw EngineError(.invalidInput, "\(store.name): layers \(range) are not within the model's 0..<\(config.layerCount)")
        }
        let loader = StageWeightLoader(store: store, config: config, names: .of(store), storage: options.weightStorage)
        try self.init(config: config, layers: range, weights: try loader.load(layers: range), options: options, pool: pool)
    }

    init(config: LlamaConfig, layers: Range<Int>, weights: StageWeights, options: StageOptions, pool: ThreadPool?) throws(EngineError) {
        self.config = config
        self.layers = layers
        self.weights = weights
        self.pool = pool
        self.options = options
        let capacity = KVCache.blocks(for: options.kvCapacityTokens ?? config.contextLength)
        let geometry = KVBlockGeometry(layers: layers.count, kvDim: config.kvDim)
        self.state = Mutex(StageState(cache: KVCache(geometry: geometry, capacityBlocks: capacity)))
    }

    /// Runs one step for several sequences at once (continuous batching). Each input continues its sequence at
    /// `startPosition`; the result holds, per input and in order, the hidden states of all its rows, or on the last
    /// stage the logits of its last row. The call is atomic: when it throws, no sequence's cache has changed.
    /// - Throws: `.invalidInput` (token id, hidden size, empty or duplicate sequence), `.positionMismatch`,
    ///   `.contextOverflow`, `.kvCacheFull`, each naming the sequence.
    public func forward(_ inputs: [StageInput]) throws(EngineError) -> [StageOutput] {
        try state.withLock { state throws(EngineError) in try run(inputs, state: &state) }
    }

    /// Lets the compute threads sleep now: no forward call is coming soon (see `ThreadPool.park`).
    public func parkThreads() { pool?.park() }

    /// Gets the compute threads up: a forward call is coming (see `ThreadPool.wake`).
    public func wakeThreads() { pool?.wake() }

    /// Forgets `sequence` and returns its KV blocks to the pool.
    public func free(_ sequence: SequenceID) {
        state.withLock { $0.cache.free(sequence) }
    }

    /// Runs `body` with the stage's KV cache (export, import, inspection), under the stage's lock.
    public func withKVCache<R, E: Error>(_ body: (KVCache) throws(E) -> R) throws(E) -> R {
        try state.withLock { state throws(E) in try body(state.cache) }
    }
}

/// The mutable part of a stage: its cache and reusable scratch memory.
struct StageState: ~Copyable {
    let cache: KVCache
    let scratch = Scratch()
}
