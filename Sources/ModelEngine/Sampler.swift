import Kernels

/// How the next token is chosen from logits.
public struct SamplingParameters: Sendable, Hashable, Codable {
    /// Divides the logits; 0 means greedy (the most likely token, first on ties).
    public var temperature: Float
    /// Keeps only the k most likely tokens; 0 keeps all.
    public var topK: Int
    /// Keeps the fewest most likely tokens whose probabilities sum to at least p; 1 keeps all.
    public var topP: Float
    /// Seeds the sequence's own random generator: the same seed and logits give the same tokens.
    public var seed: UInt64

    /// Creates parameters; the defaults are greedy.
    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters()

    /// Checks the ranges. - Throws: `EngineError.invalidInput` naming the parameter.
    public func validate() throws(EngineError) {
        guard temperature.isFinite, temperature >= 0 else {
            throw EngineError(.invalidInput, "temperature must be a finite number ≥ 0, is \(temperature)")
        }
        guard topK >= 0 else { throw EngineError(.invalidInput, "top-k must be ≥ 0, is \(topK)") }
        guard topP > 0, topP <= 1 else { throw EngineError(.invalidInput, "top-p must be in (0, 1], is \(topP)") }
    }
}

/// Picks tokens for one sequence. Its random generator (SplitMix64) belongs to the sequence, so no other sequence
/// or global state influences its draws; `state` can be saved and restored (migration).
public struct Sampler: Sendable, Hashable, Codable {
    /// The parameters in force.
    public let parameters: SamplingParameters
    /// The generator's state; advance only through `sample`.
    public var state: UInt64

    /// Creates a sampler seeded from `parameters.seed`.
    public init(_ parameters: SamplingParameters) throws(EngineError) {
        try parameters.validate()
        self.parameters = parameters
        self.state = parameters.seed
    }

    /// The next token for these logits.
    /// - Parameter sequence: named in errors.
    /// - Throws: `EngineError.nonFinite` when a logit is NaN or infinite, `.invalidInput` for empty logits.
    public mutating func sample(_ logits: [Float], sequence: SequenceID = 0) throws(EngineError) -> Int32 {
        guard !logits.isEmpty else { throw EngineError(.invalidInput, "sequence \(sequence): no logits to sample") }
        let bad = logits.withUnsafeBufferPointer { Ops.countNonFinite($0.baseAddress!, count: $0.count) }
        guard bad == 0 else {
            throw EngineError(.nonFinite, "sequence \(sequence): \(bad) logits are NaN or infinite")
        }
        if parameters.temperature == 0 {
            return Int32(logits.withUnsafeBufferPointer { Ops.argmax($0.baseAddress!, count: $0.count)! })
        }
        // Candidates, most likely first (ties: lower id first).
        let inverseT = 1 / Double(parameters.temperature)
        let ordered: (Int, Int) -> Bool = { a, b in logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }
        var ids: [Int]
        var weights: [Double]
        var total: Double
        if parameters.topK > 0 && parameters.topK < logits.count {
            ids = topK(parameters.topK, of: Array(logits.indices), by: ordered)
            let maxLogit = Double(logits[ids[0]])
            weights = ids.map { ((Double(logits[$0]) - maxLogit) * inverseT).exp }
            total = weights.reduce(0, +)
        } else {
            let maxLogit = Double(logits.max()!)
            let all = logits.map { ((Double($0) - maxLogit) * inverseT).exp }
            total = all.reduce(0, +)  // in id order: the nucleus threshold needs no sort
            ids = Array(logits.indices)
            weights = all
            if parameters.topP < 1 {
                // Only tokens at least as heavy as the nucleus's lightest can be in it: sort just the heavy ones,
                // and sort everything only when the nucleus reaches below that weight.
                let floor = total * 1e-7
                var heavy = ids.filter { all[$0] >= floor }
                heavy.sort(by: ordered)
                var mass = 0.0
                for id in heavy { mass += all[id] }
                if mass >= Double(parameters.topP) * total {
                    ids = heavy
                } else {
                    ids.sort(by: ordered)
                }
                weights = ids.map { all[$0] }
            }
        }
        if parameters.topP < 1 {
            var mass = 0.0, keep = 0
            while keep < weights.count {
                mass += weights[keep]
                keep += 1
                if mass >= Double(parameters.topP) * total { break }
            }
            ids.removeSubrange(keep...)
            weights.removeSubrange(keep...)
            total = mass
        }
        let u = nextUniform() * total
        var cumulative = 0.0
        for (id, w) in zip(ids, weights) {
            cumulative += w
            if u < cumulative { return Int32(id) }
        }
        return Int32(ids[ids.count - 1])
    }

    /// A uniform double in [0, 1) from SplitMix64.
    mutating func nextUniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-53
    }

    /// The k best ids in order, without sorting the whole vocabulary.
    func topK(_ k: Int, of ids: [Int], by ordered: (Int, Int) -> Bool) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for id in ids {
            if best.count == k, let worst = best.last, !ordered(id, worst) { continue }
            let at = best.partitioningIndex { !ordered($0, id) }
            best.insert(id, at: at)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}

extension Double {
    fileprivate var exp: Double {
        #if canImport(Glibc)
        return Glibc.exp(self)
        #else
        return Foundation.exp(self)
        #endif
    }
}

extension Array {
    /// The first index whose element satisfies `belongsInSecondPartition` (which must be monotone).
    fileprivate func partitioningIndex(where belongsInSecondPartition: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongsInSecondPartition(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

#if canImport(Glibc)
import Glibc
#endif
