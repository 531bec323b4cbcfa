#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Hugging Face checkpoint: `config.json` plus `model.safetensors`, or several shards listed by
/// `model.safetensors.index.json`. Opening reads `config.json` and each shard's header only.
///
/// Tensors may be F32, F16 or BF16 for `readFloat32`; other dtypes are listed but rejected on read. Shapes are as
/// stored (Hugging Face writes Llama weights [out, in]).
public struct SafetensorsCheckpoint: TensorStore {
    /// The directory path (or the name given to `init(name:config:shards:)`).
    public let name: String
    /// The parsed `config.json`.
    public let config: [String: JSONValue]
    /// Every tensor, by name, across all shards.
    public let tensors: [String: TensorInfo]
    /// The `__metadata__` string pairs of every shard, merged.
    public let headerMetadata: [String: String]
    private let sources: [String: any ByteRangeSource]

    /// The config wrapped for format-independent callers.
    public var modelMetadata: ModelMetadata { .huggingFace(config: config) }

    /// Opens the checkpoint in `directory`.
    /// - Throws: `ModelFormatError` naming the file and field that is missing or wrong.
    public init(directory: String) throws {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let configSource = try LocalFileSource(path: dir + "/config.json")
        let configBytes = try configSource.read(offset: 0, count: configSource.size())
        let indexPath = dir + "/model.safetensors.index.json"
        var shardFiles: [String]
        var weightMap: [String: String]? = nil
        if access(indexPath, F_OK) == 0 {
            let index = try LocalFileSource(path: indexPath)
            let map = try Self.weightMap(try index.read(offset: 0, count: index.size()), file: indexPath)
            weightMap = map
            shardFiles = Array(Set(map.values)).sorted()
        } else {
            shardFiles = ["model.safetensors"]
        }
        let shards: [any ByteRangeSource] = try shardFiles.map { try LocalFileSource(path: dir + "/" + $0) }
        let mapByPath = weightMap.map { map in map.mapValues { dir + "/" + $0 } }
        try self.init(
            name: dir, configJSON: configBytes, configName: configSource.name, shards: shards,
            weightMap: mapByPath)
    }

    /// Builds a checkpoint from sources already at hand (bytes in memory, ranges fetched from a store).
    /// - Parameters:
    ///   - configJSON: the bytes of `config.json`.
    ///   - shards: one source per `.safetensors` file; tensors are looked up by the source's `name`.
    ///   - weightMap: if given, tensor name → source name, as in `model.safetensors.index.json`; every listed tensor
    ///     must be found in the shard it names.
    public init(
        name: String, configJSON: [UInt8], configName: String = "config.json",
        shards: [any ByteRangeSource], weightMap: [String: String]? = nil
    ) throws {
        self.name = name
        guard case .object(let config) = try JSONValue.parse(configJSON, file: configName) else {
            throw ModelFormatError(.invalidValue, file: configName, "config.json is not a JSON object")
        }
        self.config = config
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        var sources: [String: any ByteRangeSource] = [:]
        for shard in shards {
            guard sources.updateValue(shard, forKey: shard.name) == nil else {
                throw ModelFormatError(.duplicate, file: shard.name, "shard listed twice")
            }
            let header = try SafetensorsHeader(source: shard)
            metadata.merge(header.metadata) { first, _ in first }
            for info in header.tensors {
                if let other = tensors[info.name] {
                    throw ModelFormatError(
                        .duplicate, file: shard.name,
                        "tensor '\(info.name)' is also in \(other.source)")
                }
                tensors[info.name] = info
            }
        }
        if let weightMap {
            for (tensor, shard) in weightMap where tensors[tensor]?.source != shard {
                throw ModelFormatError(
                    .missingTensor, file: shard,
                    "the index puts tensor '\(tensor)' in this shard, but it is not there")
            }
        }
        self.tensors = tensors
        self.headerMetadata = metadata
        self.sources = sources
    }

    /// The shard with this name (its path, or the name the in-memory source was given).
    public func source(named sourceName: String) throws -> any ByteRangeSource {
        guard let source = sources[sourceName] else {
            throw ModelFormatError(.missingTensor, file: name, "no shard named '\(sourceName)'")
        }
        return source
    }

    /// Reads `weight_map` from an index file, rejecting shard names that leave the directory.
    static func weightMap(_ bytes: [UInt8], file: String) throws -> [String: String] {
        guard let map = try JSONValue.parse(bytes, file: file)["weight_map"]?.object else {
            throw ModelFormatError(.invalidValue, file: file, "no 'weight_map' object")
        }
        return try map.mapValues { value in
            guard let shard = value.string, !shard.isEmpty, !shard.contains("/"), shard != "..", shard != "." else {
                throw ModelFormatError(.invalidValue, file: file, "weight_map entry \(value) is not a file name")
            }
            return shard
        }
    }
}
