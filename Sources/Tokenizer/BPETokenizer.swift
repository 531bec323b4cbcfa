import Synchronization

/// A byte-level BPE tokenizer (GPT-2 family: GPT-2, SmolLM2, Llama 3, Qwen…).
///
/// Text is split at special tokens (matched as whole strings), pre-tokenised into words by a `PreTokenizer`, each
/// word's UTF-8 bytes mapped to the GPT-2 byte characters, then merged pair by pair, lowest merge rank first.
/// Build one from a GGUF file's metadata (`init(gguf:)`) or a Hugging Face `tokenizer.json`
/// (`init(tokenizerJSON:config:)`). Instances are immutable apart from an internal word cache, and safe to share
/// between threads.
///
/// ```swift
/// let tokenizer = try BPETokenizer(gguf: GGUFFile(path: path).metadata)
/// let ids = tokenizer.encode("Hello, world!")
/// let text = tokenizer.decode(ids)  // "Hello, world!"
/// ```
public final class BPETokenizer: Sendable {
    /// Every token string by id, as the vocabulary stores it (byte-level characters for ordinary tokens).
    public let tokens: [String]
    /// The pre-tokeniser in use.
    public let preTokenizer: PreTokenizer
    /// The beginning-of-sequence id, if the vocabulary names one.
    public let bosID: Int32?
    /// The end-of-sequence id, if the vocabulary names one.
    public let eosID: Int32?
    /// Whether `encode(_:addSpecial:)` puts `bosID` first.
    public let addBOS: Bool
    /// Whether `encode(_:addSpecial:)` puts `eosID` last.
    public let addEOS: Bool
    /// Ids that end a generation: the eos id and end-of-turn markers (`<|im_end|>`, `<|endoftext|>`, `<|eot_id|>`…).
    public let endOfGenerationIDs: Set<Int32>
    /// The chat template text the checkpoint ships (Jinja), if any; see `ChatTemplate.detect(from:)`.
    public let chatTemplateSource: String?
    /// Bytes that have no token of their own. Encoding drops them, as the reference implementations do, so text
    /// containing them does not round-trip. SmolLM2 lacks six ASCII controls (U+0004, U+0006, U+0013, U+0014,
    /// U+0016, U+001D) and the UTF-8 lead bytes of the unassigned planes 4–11, among bytes valid UTF-8 can hold.
    public let missingByteTokens: [UInt8]

    let tokenIDs: [String: Int32]
    let tokenBytes: [[UInt8]]
    let special: Set<Int32>
    let specialMatcher: SpecialTokenMatcher
    let byteTokens: [Int32]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: [UInt64: UInt64]
    let ignoreMerges: Bool
    private let cache = Mutex<[[UInt8]: [Int32]]>([:])
    private static let cacheLimit = 50_000

    /// The number of token ids.
    public var vocabularySize: Int { tokens.count }

    /// Builds a tokenizer from its parts.
    /// - Parameters:
    ///   - tokens: token strings by id; ordinary tokens in GPT-2 byte-level form, special tokens as plain text.
    ///   - merges: merge pairs in rank order (first = applied first).
    ///   - special: ids matched as whole strings before BPE and decoded as their plain text.
    ///   - ignoreMerges: take a word whole when it is itself a token (Llama 3).
    ///   - extraEndIDs: ids that also end a generation, besides `eosID` and the well-known end-of-turn tokens.
    /// - Throws: `TokenizerError` if a merge names an unknown token or an id is out of range.
    public init(
        tokens: [String], merges: [(String, String)], special: Set<Int32>, preTokenizer: PreTokenizer,
        bosID: Int32?, eosID: Int32?, addBOS: Bool = false, addEOS: Bool = false, ignoreMerges: Bool = false,
        extraEndIDs: Set<Int32> = [], chatTemplate: String? = nil
    ) throws {
        self.tokens = tokens
        self.preTokenizer = preTokenizer
        self.ignoreMerges = ignoreMerges
        self.chatTemplateSource = chatTemplate
        for (name, id) in [("bos", bosID), ("eos", eosID)] {
            if let id, !(0..<Int32(tokens.count)).contains(id) {
                throw TokenizerError(.invalidValue, "\(name) id \(id) is outside the vocabulary of \(tokens.count)")
            }
        }
        for id in special.union(extraEndIDs) where !(0..<Int32(tokens.count)).contains(id) {
            throw TokenizerError(.invalidValue, "special token id \(id) is outside the vocabulary of \(tokens.count)")
        }
        self.bosID = bosID
        self.eosID = eosID
        self.addBOS = addBOS && bosID != nil
        self.addEOS = addEOS && eosID != nil
        self.special = special

        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            let id = Int32(index)
            if !token.isEmpty, ids[token] == nil || special.contains(id) { ids[token] = id }
            bytes.append(special.contains(id) ? Array(token.utf8) : ByteLevel.decode(token) ?? Array(token.utf8))
        }
        tokenIDs = ids
        tokenBytes = bytes
        specialMatcher = SpecialTokenMatcher(special.map { (Array(tokens[Int($0)].utf8), $0) })

        // A byte with no token is dropped from the text, as Hugging Face `tokenizers` and llama.cpp do.
        let byteTokens = (0..<256).map { ids[String(ByteLevel.byteToScalar[$0])] ?? -1 }
        self.byteTokens = byteTokens
        missingByteTokens = (0..<256).filter { byteTokens[$0] < 0 }.map(UInt8.init)

        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, pair) in merges.enumerated() {
            guard let left = ids[pair.0], let right = ids[pair.1] else {
                throw TokenizerError(
                    .invalidValue, "merge \(rank) '\(pair.0) \(pair.1)' names a token not in the vocabulary")
            }
            guard let merged = ids[pair.0 + pair.1] else {
                throw TokenizerError(
                    .invalidValue, "merge \(rank) '\(pair.0) \(pair.1)' makes a token not in the vocabulary")
            }
            let key = UInt64(UInt32(left)) << 32 | UInt64(UInt32(right))
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(merged)) }
        }
        self.merges = table

        var ends: Set<Int32> = extraEndIDs
        if let eosID { ends.insert(eosID) }
        for marker in ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "<end_of_turn>"] {
            if let id = ids[marker], special.contains(id) { ends.insert(id) }
        }
        endOfGenerationIDs = ends
    }

    /// The id of the token whose vocabulary string is exactly `string` (special or ordinary), or nil.
    public func tokenID(for string: String) -> Int32? { tokenIDs[string] }

    /// The id of the special token `string` (`"<|im_start|>"`), or nil if it is not a special token.
    public func specialTokenID(_ string: String) -> Int32? {
        guard let id = tokenIDs[string], special.contains(id) else { return nil }
        return id
    }

    /// Whether `id` is a special token (control or added token, matched whole).
    public func isSpecial(_ id: Int32) -> Bool { special.contains(id) }

    /// The bytes token `id` stands for (plain text for special tokens), or nil if `id` is out of range.
    public func bytes(for id: Int32) -> [UInt8]? {
        (0..<Int32(tokenBytes.count)).contains(id) ? tokenBytes[Int(id)] : nil
    }

    /// The cached merge result for one pre-tokenised word, computing it on a miss.
    func word(_ piece: ArraySlice<UInt8>, into out: inout [Int32]) {
        let key = Array(piece)
        if let hit = cache.withLock({ $0[key] }) {
            out.append(contentsOf: hit)
            return
        }
        let ids = merge(key)
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = ids
        }
        out.append(contentsOf: ids)
    }

    /// Applies the merges to one word: repeatedly joins the adjacent pair with the lowest rank (leftmost on ties).
    func merge(_ piece: [UInt8]) -> [Int32] {
        if ignoreMerges, let whole = tokenIDs[ByteLevel.encode(piece)] { return [whole] }
        var symbols = piece.compactMap { byte in
            let id = byteTokens[Int(byte)]
            return id >= 0 ? id : nil
        }
        if symbols.count < 2 { return symbols }
        let none = UInt64.max
        func pairRank(_ i: Int) -> UInt64 {
            merges[UInt64(UInt32(symbols[i])) << 32 | UInt64(UInt32(symbols[i + 1]))] ?? none
        }
        var ranks = (0..<(symbols.count - 1)).map(pairRank)
        while true {
            var best = 0
            var bestRank = none
            for i in 0..<ranks.count where ranks[i] < bestRank {
                best = i
                bestRank = ranks[i]
            }
            if bestRank == none { break }
            symbols[best] = Int32(truncatingIfNeeded: UInt32(bestRank & 0xFFFF_FFFF))
            symbols.remove(at: best + 1)
            ranks.remove(at: best)
            if best < ranks.count { ranks[best] = pairRank(best) }
            if best > 0 { ranks[best - 1] = pairRank(best - 1) }
        }
        return symbols
    }
}
