extension Topology {
    /// A model the cluster serves (an entry of `models:`).
    public struct Model: Sendable, Codable, Equatable {
        /// The name API clients send as `model`: 1-128 characters of letters, digits and `. _ - : /`.
        public var name: String
        /// Where the weights come from.
        public var source: ModelSource
        /// The expected SHA-256 of the weights file (64 lowercase hex digits), checked after fetching; nil: none.
        public var sha256: String?
        /// A chat template name that overrides the one in the model's metadata; nil: use the metadata.
        public var chatTemplate: String?
        /// A context-length cap below the model's own; nil: the model's own.
        public var contextLength: Int?
        /// Sampling defaults for requests that omit them.
        public var sampling: Sampling
        /// How workers keep the weights in memory: `quantized` (as stored: Q8_0/Q4 blocks, less memory, faster
        /// decode) or `float32` (expanded at load). Both give the same tokens.
        public var weights: String = "quantized"

        /// Makes a model entry; see the properties for the meaning of each value.
        public init(
            name: String, source: ModelSource = .default, sha256: String? = nil, chatTemplate: String? = nil,
            contextLength: Int? = nil, sampling: Sampling = Sampling()
        ) {
            self.name = name
            self.source = source
            self.sha256 = sha256
            self.chatTemplate = chatTemplate
            self.contextLength = contextLength
            self.sampling = sampling
        }
    }

    /// Where a model's weights come from (`models[].source`).
    public enum ModelSource: Sendable, Codable, Hashable {
        /// The project's default model, SmolLM2-135M-Instruct (Q4_1 GGUF) in `$BRIGADE_HOME/models/`.
        case `default`
        /// A local GGUF file (a path ending in `.gguf`), as written; relative to the topology file.
        case ggufFile(path: String)
        /// A local Hugging Face folder with `config.json` and `*.safetensors`, as written; relative to the file.
        case huggingFaceDirectory(path: String)
        /// An `http://` or `https://` URL the stages fetch their layer ranges from with Range requests.
        case url(String)

        /// The source as a topology file writes it.
        public var written: String {
            switch self {
            case .default: "default"
            case .ggufFile(let path), .huggingFaceDirectory(let path): path
            case .url(let url): url
            }
        }
    }

    /// Sampling defaults for requests that omit them (`models[].sampling`).
    public struct Sampling: Sendable, Codable, Equatable {
        /// Softmax temperature, 0-2; 0 means greedy (default 1.0).
        public var temperature: Double
        /// Nucleus sampling mass, in (0, 1]; 1 disables it (default 1.0).
        public var topP: Double
        /// Keep only the k most likely tokens; 0 disables it (default 0).
        public var topK: Int
        /// The most tokens one completion may generate (default 256).
        public var maxTokens: Int

        /// Makes sampling defaults.
        public init(temperature: Double = 1.0, topP: Double = 1.0, topK: Int = 0, maxTokens: Int = 256) {
            self.temperature = temperature
            self.topP = topP
            self.topK = topK
            self.maxTokens = maxTokens
        }
    }
}
