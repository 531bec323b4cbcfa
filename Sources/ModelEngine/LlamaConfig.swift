import Kernels
import ModelFormats

/// The shape of a Llama-family decoder (SmolLM2, TinyLlama, Llama 2): everything the forward pass needs to know
/// besides the weights.
public struct LlamaConfig: Sendable, Hashable {
    /// Token embeddings (and logits) per position.
    public var vocabularySize: Int
    /// The residual stream's width.
    public var hiddenSize: Int
    /// The MLP's inner width.
    public var intermediateSize: Int
    /// Decoder layers.
    public var layerCount: Int
    /// Query heads.
    public var headCount: Int
    /// Key/value heads (grouped-query attention when fewer than `headCount`).
    public var kvHeadCount: Int
    /// Floats per head.
    public var headDim: Int
    /// The most positions a sequence may have.
    public var contextLength: Int
    /// RMSNorm's epsilon.
    public var rmsNormEpsilon: Float
    /// RoPE's base frequency θ.
    public var ropeTheta: Double
    /// Which head elements RoPE rotates together: `.interleaved` for GGUF weights, `.halfSplit` for Hugging Face.
    public var ropePairing: RoPEPairing
    /// Whether the LM head reuses the token embeddings.
    public var tiedEmbeddings: Bool

    /// Creates a configuration; `validate()` checks it.
    public init(
        vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
        kvHeadCount: Int, headDim: Int? = nil, contextLength: Int, rmsNormEpsilon: Float = 1e-5,
        ropeTheta: Double = 10000, ropePairing: RoPEPairing = .interleaved, tiedEmbeddings: Bool = true
    ) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.contextLength = contextLength
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.ropePairing = ropePairing
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Query width: heads × head size.
    public var queryDim: Int { headCount * headDim }
    /// Key (and value) width per position: KV heads × head size.
    public var kvDim: Int { kvHeadCount * headDim }

    /// Checks that the sizes are positive and consistent.
    /// - Parameter source: named in the error (the checkpoint path).
    /// - Throws: `EngineError.invalidConfig` naming the field.
    public func validate(source: String = "config") throws(EngineError) {
        let positive: [(String, Int)] = [
            ("vocabulary size", vocabularySize), ("hidden size", hiddenSize),
            ("intermediate size", intermediateSize), ("layer count", layerCount), ("head count", headCount),
            ("KV head count", kvHeadCount), ("head size", headDim), ("context length", contextLength),
        ]
        for (field, value) in positive where value <= 0 {
            throw EngineError(.invalidConfig, "\(source): \(field) must be positive, is \(value)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw EngineError(.invalidConfig,
                              "\(source): head count \(headCount) is not a multiple of KV head count \(kvHeadCount)")
        }
        guard headDim % 2 == 0 else {
            throw EngineError(.invalidConfig, "\(source): head size \(headDim) must be even for RoPE")
        }
        guard rmsNormEpsilon.isFinite, rmsNormEpsilon >= 0, ropeTheta.isFinite, ropeTheta > 0 else {
            throw EngineError(.invalidConfig, "\(source): RMSNorm epsilon \(rmsNormEpsilon) or RoPE θ \(ropeTheta) is invalid")
        }
    }
}
