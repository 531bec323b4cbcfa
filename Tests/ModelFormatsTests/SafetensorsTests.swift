import Testing

@testable import ModelFormats

/// Safetensors checkpoints written in code: single file, sharded, and every validation rule.
struct SafetensorsTests {
    static let config =
        #"{"model_type":"llama","hidden_size":8,"rms_norm_eps":1e-05,"tie_word_embeddings":true,"#
        + #""rope_scaling":null,"architectures":["LlamaForCausalLM"]}"#

    static func sample() -> SafetensorsWriter {
        var w = SafetensorsWriter()
        w.add("model.embed_tokens.weight", dtype: "F32", shape: [2, 3], data: Blocks.f32([1, 2, 3, -4, 5.5, 6]))
        w.add("model.norm.weight", dtype: "F16", shape: [4], data: Blocks.f16([0.5, -1, 2, 0.25]))
        w.add(
            "model.layers.0.mlp.up_proj.weight", dtype: "BF16", shape: [2, 2], data: Blocks.bf16([1.5, -2, 3, 0.125]))
        w.add("step", dtype: "I64", shape: [], data: [7, 0, 0, 0, 0, 0, 0, 0])
        w.metadata = ["format": "pt"]
        return w
    }

    static func open(_ bytes: [UInt8], name: String = "model.safetensors") throws -> SafetensorsCheckpoint {
        try SafetensorsCheckpoint(
            name: "ckpt", configJSON: Array(config.utf8),
            shards: [MemorySource(name: name, bytes: bytes)])
    }

    static func expectError(
        _ code: ModelFormatError.Code, mentioning text: String, header: String,
        writer: SafetensorsWriter = sample(), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: ModelFormatError.self, sourceLocation: sourceLocation) {
            try open(writer.bytes(header: header))
        }
        #expect(error?.code == code, "got \(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.file == "model.safetensors", sourceLocation: sourceLocation)
        #expect(
            error?.message.contains(text) == true, "\(String(describing: error)) lacks '\(text)'",
            sourceLocation: sourceLocation)
    }

    @Test func readsEveryFloatTypeExactly() throws {
        let ckpt = try Self.open(Self.sample().bytes())
        #expect(ckpt.tensors.count == 4)
        #expect(try ckpt.info("model.embed_tokens.weight").shape == [2, 3])
        #expect(try ckpt.readFloat32("model.embed_tokens.weight") == [1, 2, 3, -4, 5.5, 6])
        #expect(try ckpt.readFloat32("model.norm.weight") == [0.5, -1, 2, 0.25])
        #expect(try ckpt.readFloat32("model.layers.0.mlp.up_proj.weight") == [1.5, -2, 3, 0.125])
        #expect(try ckpt.info("step").shape == [])
        #expect(try ckpt.readRaw("step") == [7, 0, 0, 0, 0, 0, 0, 0])
        let error = #expect(throws: ModelFormatError.self) { try ckpt.readFloat32("step") }
        #expect(error?.code == .unsupportedDType)
        #expect(ckpt.headerMetadata == ["format": "pt"])
    }

    @Test func configAccessors() throws {
        let ckpt = try Self.open(Self.sample().bytes())
        #expect(ckpt.config["model_type"]?.string == "llama")
        #expect(ckpt.config["hidden_size"]?.int == 8)
        #expect(ckpt.config["rms_norm_eps"]?.double == 1e-5)
        #expect(ckpt.config["tie_word_embeddings"]?.bool == true)
        #expect(ckpt.config["rope_scaling"]?.isNull == true)
        #expect(ckpt.config["architectures"]?.array?.first?.string == "LlamaForCausalLM")
        #expect(ckpt.modelMetadata.config?["hidden_size"] == .int(8))
    }

    @Test func headerValidation() {
        let w = Self.sample()
        let good = w.headerJSON()
        Self.expectError(.invalidJSON, mentioning: "does not start with '{'", header: " " + good)
        Self.expectError(.invalidJSON, mentioning: "JSON at byte", header: String(good.dropLast()))
        Self.expectError(
            .invalidJSON, mentioning: "duplicate key",
            header: good.replacingOccurrences(
                of: "\"model.norm.weight\"", with: "\"model.embed_tokens.weight\""))
        Self.expectError(
            .invalidValue, mentioning: "unknown dtype 'F99'",
            header: good.replacingOccurrences(
                of: "\"F16\"", with: "\"F99\""))
        Self.expectError(
            .outOfRange, mentioning: "F32 [4] needs 4 × 4 bytes but data_offsets span 8",
            header:
                good.replacingOccurrences(of: "\"F16\"", with: "\"F32\""))
        Self.expectError(
            .outOfRange, mentioning: "'model.norm.weight'",
            header: good.replacingOccurrences(
                of: "\"shape\":[4]", with: "\"shape\":[5]"))
        Self.expectError(
            .invalidValue, mentioning: "unknown field 'strides'",
            header: good.replacingOccurrences(
                of: "\"dtype\":\"F16\"", with: "\"dtype\":\"F16\",\"strides\":[1]"))
        Self.expectError(
            .invalidValue, mentioning: "__metadata__ 'format' is not a string",
            header:
                good.replacingOccurrences(of: "\"format\":\"pt\"", with: "\"format\":1"))
    }

    @Test func offsetsMustTileTheData() {
        var w = SafetensorsWriter()
        w.add("a", dtype: "F32", shape: [2], data: Blocks.f32([1, 2]))
        w.add("b", dtype: "F32", shape: [2], data: Blocks.f32([3, 4]))
        let overlap =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        Self.expectError(.outOfRange, mentioning: "overlaps", header: overlap, writer: w)
        let gap =
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        Self.expectError(.outOfRange, mentioning: "gap", header: gap, writer: w)
        let past =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#
        Self.expectError(.truncated, mentioning: "cover 24 data bytes but the file holds 16", header: past, writer: w)
        let short = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        Self.expectError(.outOfRange, mentioning: "cover 8 data bytes but the file holds 16", header: short, writer: w)
        let backwards = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#
        Self.expectError(.invalidValue, mentioning: "data_offsets", header: backwards, writer: w)
    }

    @Test func headerLengthIsChecked() throws {
        var huge: [UInt8] = []
        huge.append(le: UInt64(200_000_000))
        huge += Array("{}".utf8)
        let tooBig = #expect(throws: ModelFormatError.self) { try Self.open(huge) }
        #expect(tooBig?.code == .outOfRange)
        #expect(tooBig?.message.contains("100 MB") == true)
        var past: [UInt8] = []
        past.append(le: UInt64(64))
        past += Array("{}".utf8)
        #expect((#expect(throws: ModelFormatError.self) { try Self.open(past) })?.code == .truncated)
        #expect((#expect(throws: ModelFormatError.self) { try Self.open([1, 2, 3]) })?.code == .truncated)
        #expect(try Self.open(SafetensorsWriter().bytes(header: "{}")).tensors.isEmpty)
    }

    @Test func shardedDirectoryWithIndex() throws {
        let dir = try TemporaryDirectory()
        var first = SafetensorsWriter()
        first.add("model.layers.0.w", dtype: "F32", shape: [2], data: Blocks.f32([1, 2]))
        var second = SafetensorsWriter()
        second.add("model.layers.1.w", dtype: "F16", shape: [2], data: Blocks.f16([3, 4]))
        try dir.write("config.json", Self.config)
        try dir.write("model-00001-of-00002.safetensors", first.bytes())
        try dir.write("model-00002-of-00002.safetensors", second.bytes())
        try dir.write(
            "model.safetensors.index.json",
            #"{"metadata":{"total_size":12},"weight_map":{"#
                + #""model.layers.0.w":"model-00001-of-00002.safetensors","#
                + #""model.layers.1.w":"model-00002-of-00002.safetensors"}}"#)
        let model = try openModel(at: dir.path)
        #expect(model.tensors.count == 2)
        #expect(try model.readFloat32("model.layers.0.w") == [1, 2])
        #expect(try model.readFloat32("model.layers.1.w") == [3, 4])
        let ranges = model.byteRanges(for: ["model.layers.1.w"])
        #expect(ranges.count == 1 && ranges[0].source.hasSuffix("model-00002-of-00002.safetensors"))
        #expect(ranges[0].count == 4)
        #expect(model.modelMetadata.config?["model_type"]?.string == "llama")

        try dir.write(
            "model.safetensors.index.json", #"{"weight_map":{"model.layers.0.w":"model-00002-of-00002.safetensors"}}"#)
        let misplaced = #expect(throws: ModelFormatError.self) { try openModel(at: dir.path) }
        #expect(misplaced?.code == .missingTensor)
        #expect(misplaced?.message.contains("model.layers.0.w") == true)

        try dir.write("model.safetensors.index.json", #"{"weight_map":{"model.layers.0.w":"../etc/passwd"}}"#)
        #expect((#expect(throws: ModelFormatError.self) { try openModel(at: dir.path) })?.code == .invalidValue)
    }

    @Test func singleFileDirectoryAndMissingConfig() throws {
        let dir = try TemporaryDirectory()
        try dir.write("model.safetensors", Self.sample().bytes())
        let missing = #expect(throws: ModelFormatError.self) { try openModel(at: dir.path) }
        #expect(missing?.code == .io)
        #expect(missing?.file.hasSuffix("config.json") == true)
        try dir.write("config.json", Self.config)
        let model = try openModel(at: dir.path + "/")
        #expect(try model.readFloat32("model.norm.weight") == [0.5, -1, 2, 0.25])
    }
}
