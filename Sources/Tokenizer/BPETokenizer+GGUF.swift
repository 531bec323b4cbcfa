import ModelFormats

extension BPETokenizer {
    /// Builds the tokenizer a GGUF file embeds (`tokenizer.ggml.*`, as llama.cpp's converter writes it).
    ///
    /// Reads `model` (must be "gpt2", i.e. byte-level BPE), `tokens`, `token_type` (types 3 "control" and 4 "user
    /// defined" are special tokens), `merges` ("a b" strings), `bos_token_id`, `eos_token_id`, `eot_token_id`,
    /// `eom_token_id`, `add_bos_token` and `add_eos_token` (absent means false), `pre` (the pre-tokeniser; absent
    /// means "gpt2"), and `tokenizer.chat_template`.
    /// - Throws: `TokenizerError` naming the missing or malformed key.
    public convenience init(gguf metadata: [String: GGUFValue]) throws {
        func key(_ name: String) -> String { "tokenizer.ggml." + name }
        guard let model = metadata[key("model")]?.string else {
            throw TokenizerError(.missingField, "GGUF metadata has no string '\(key("model"))'")
        }
        guard model == "gpt2" else {
            throw TokenizerError(
                .unsupported, "\(key("model")) is '\(model)'; only 'gpt2' (byte-level BPE) is supported")
        }
        guard let tokens = metadata[key("tokens")]?.stringArray else {
            throw TokenizerError(.missingField, "GGUF metadata has no string array '\(key("tokens"))'")
        }
        guard let mergeStrings = metadata[key("merges")]?.stringArray else {
            throw TokenizerError(.missingField, "GGUF metadata has no string array '\(key("merges"))'")
        }
        var special: Set<Int32> = []
        if let value = metadata[key("token_type")] {
            guard let types = value.intArray, types.count == tokens.count else {
                throw TokenizerError(.invalidValue, "\(key("token_type")) is not \(tokens.count) integers")
            }
            for (id, type) in types.enumerated() where type == 3 || type == 4 { special.insert(Int32(id)) }
        }
        let merges = try mergeStrings.enumerated().map { index, text in
            try Self.splitMerge(text, index: index, field: key("merges"))
        }
        func id(_ name: String) throws -> Int32? {
            guard let value = metadata[key(name)] else { return nil }
            guard let id = value.int, let narrow = Int32(exactly: id) else {
                throw TokenizerError(.invalidValue, "\(key(name)) is \(value), not a token id")
            }
            return narrow
        }
        let preName = metadata[key("pre")]?.string ?? "gpt2"
        let pre = try PreTokenizer(named: preName)
        let extraEnds = Set([try id("eot_token_id"), try id("eom_token_id")].compactMap { $0 })
        try self.init(
            tokens: tokens, merges: merges, special: special, preTokenizer: pre,
            bosID: try id("bos_token_id"), eosID: try id("eos_token_id"),
            addBOS: metadata[key("add_bos_token")]?.bool ?? false,
            addEOS: metadata[key("add_eos_token")]?.bool ?? false,
            ignoreMerges: pre == .llama3, extraEndIDs: extraEnds,
            chatTemplate: metadata["tokenizer.chat_template"]?.string)
    }

    /// Splits a merge written "left right" into its two tokens.
    static func splitMerge(_ text: String, index: Int, field: String) throws -> (String, String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw TokenizerError(.invalidValue, "\(field)[\(index)] '\(text)' is not two tokens separated by a space")
        }
        return (String(parts[0]), String(parts[1]))
    }
}
