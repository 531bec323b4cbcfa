import ModelFormats

extension BPETokenizer {
    /// Builds a tokenizer from a Hugging Face `tokenizer.json` (and, optionally, `tokenizer_config.json`).
    ///
    /// Supported: `model.type` "BPE" with `vocab` and `merges` (as "a b" strings or [a, b] pairs), `ignore_merges`;
    /// `added_tokens` (matched whole and decoded as text); a `pre_tokenizer` that is ByteLevel (GPT-2 rules), a
    /// Sequence of Digits(individual_digits) and ByteLevel (SmolLM), or a Sequence of Split(Llama 3 regex) and
    /// ByteLevel; a `post_processor` that is absent, ByteLevel, or TemplateProcessing (whose single-sequence
    /// template decides BOS/EOS). `tokenizer_config.json` supplies `bos_token`, `eos_token`, `add_bos_token`,
    /// `add_eos_token` and `chat_template` when given.
    /// - Throws: `TokenizerError` naming the field that is missing, malformed or unsupported.
    public convenience init(tokenizerJSON: [UInt8], config: [UInt8]? = nil, file: String = "tokenizer.json") throws {
        let root: JSONValue
        let settings: [String: JSONValue]
        do {
            root = try JSONValue.parse(tokenizerJSON, file: file)
            settings = try config.map { try JSONValue.parse($0, file: "tokenizer_config.json").object ?? [:] } ?? [:]
        } catch let error as ModelFormatError {
            throw TokenizerError(.invalidValue, "cannot parse \(error.file)", cause: error)
        }
        guard let model = root["model"]?.object else {
            throw TokenizerError(.missingField, "\(file): no 'model' object")
        }
        guard model["type"]?.string == "BPE" else {
            throw TokenizerError(
                .unsupported, "\(file): model.type is \(model["type"] ?? .null), only \"BPE\" is supported")
        }
        guard let vocab = model["vocab"]?.object else { throw TokenizerError(.missingField, "\(file): no model.vocab") }
        var byID: [Int: String] = [:]
        for (token, value) in vocab {
            guard let id = value.int, id >= 0 else {
                throw TokenizerError(.invalidValue, "\(file): vocab '\(token)' has id \(value)")
            }
            byID[id] = token
        }
        var special: Set<Int32> = []
        for (index, entry) in (root["added_tokens"]?.array ?? []).enumerated() {
            guard let id = entry["id"]?.int, id >= 0, let content = entry["content"]?.string else {
                throw TokenizerError(.invalidValue, "\(file): added_tokens[\(index)] lacks an id or content")
            }
            byID[id] = content
            special.insert(Int32(id))
        }
        let count = (byID.keys.max() ?? -1) + 1
        guard count == byID.count else {
            throw TokenizerError(
                .invalidValue, "\(file): token ids are not dense (\(byID.count) tokens, highest id \(count - 1))")
        }
        let tokens = (0..<count).map { byID[$0]! }
        let merges = try Self.merges(model["merges"], file: file)
        let pre = try Self.preTokenizer(root["pre_tokenizer"], file: file)
        var (prefix, suffix) = try Self.template(root["post_processor"], file: file)
        func tokenID(_ key: String) -> Int32? {
            let name = settings[key]?.string ?? settings[key]?["content"]?.string
            return name.flatMap { name in tokens.firstIndex(of: name).map(Int32.init) }
        }
        if let add = settings["add_bos_token"]?.bool { prefix = add ? (prefix ?? tokenID("bos_token")) : nil }
        if let add = settings["add_eos_token"]?.bool { suffix = add ? (suffix ?? tokenID("eos_token")) : nil }
        try self.init(
            tokens: tokens, merges: merges, special: special, preTokenizer: pre,
            bosID: tokenID("bos_token") ?? prefix, eosID: tokenID("eos_token") ?? suffix,
            addBOS: prefix != nil, addEOS: suffix != nil,
            ignoreMerges: model["ignore_merges"]?.bool ?? false,
            chatTemplate: settings["chat_template"]?.string)
    }

    /// Reads `tokenizer.json` and, if present beside it, `tokenizer_config.json` from `directory`.
    public convenience init(directory: String) throws {
        do {
            let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            let json = try LocalFileSource(path: dir + "/tokenizer.json")
            let config = try? LocalFileSource(path: dir + "/tokenizer_config.json")
            try self.init(
                tokenizerJSON: json.read(offset: 0, count: json.size()),
                config: try config.map { try $0.read(offset: 0, count: $0.size()) }, file: json.name)
        } catch let error as ModelFormatError {
            throw TokenizerError(.missingField, "cannot read \(error.file)", cause: error)
        }
    }

    private static func merges(_ value: JSONValue?, file: String) throws -> [(String, String)] {
        guard let list = value?.array else { throw TokenizerError(.missingField, "\(file): no model.merges array") }
        return try list.enumerated().map { index, item in
            if let text = item.string { return try splitMerge(text, index: index, field: "\(file): model.merges") }
            if let pair = item.array, pair.count == 2, let a = pair[0].string, let b = pair[1].string { return (a, b) }
            throw TokenizerError(.invalidValue, "\(file): model.merges[\(index)] is neither \"a b\" nor [a, b]")
        }
    }

    private static func preTokenizer(_ value: JSONValue?, file: String) throws -> PreTokenizer {
        let steps =
            value?["type"]?.string == "Sequence" ? value?["pretokenizers"]?.array ?? [] : value.map { [$0] } ?? []
        let types = steps.map { $0["type"]?.string ?? "?" }
        if types == ["ByteLevel"], steps[0]["use_regex"]?.bool ?? true { return .gpt2 }
        if types == ["Digits", "ByteLevel"], steps[0]["individual_digits"]?.bool == true { return .smollm }
        if types == ["Split", "ByteLevel"], let pattern = steps[0]["pattern"]?["Regex"]?.string,
            pattern.hasPrefix("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}")
        {
            return .llama3
        }
        throw TokenizerError(
            .unsupported,
            "\(file): pre_tokenizer \(types) is not one of ByteLevel, "
                + "Digits+ByteLevel (SmolLM) or Split+ByteLevel (Llama 3)")
    }

    /// The special token ids a TemplateProcessing post-processor puts before and after a single sequence.
    private static func template(_ value: JSONValue?, file: String) throws -> (prefix: Int32?, suffix: Int32?) {
        guard let value, !value.isNull, value["type"]?.string == "TemplateProcessing" else { return (nil, nil) }
        guard let single = value["single"]?.array else {
            throw TokenizerError(.invalidValue, "\(file): post_processor.single is missing")
        }
        func specialID(_ item: JSONValue) -> Int32? {
            guard let name = item["SpecialToken"]?["id"]?.string,
                let id = value["special_tokens"]?[name]?["ids"]?.array?.first?.int
            else { return nil }
            return Int32(id)
        }
        let sequenceAt = single.firstIndex { $0["Sequence"] != nil } ?? single.count
        let prefix = single[..<sequenceAt].compactMap(specialID).first
        let suffix = single[sequenceAt...].compactMap(specialID).first
        return (prefix, suffix)
    }
}
