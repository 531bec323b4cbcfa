import Foundation
import ModelEngine

/// A direct double-precision Llama forward pass written from the model's definition, to check the engine's math.
struct NaiveLlama {
    let config: LlamaConfig
    let tensors: [String: [Double]]
    let names: LlamaTensorNames

    init(config: LlamaConfig, values: [(String, [Int], [Float])], names: LlamaTensorNames = .gguf) {
        self.config = config
        self.names = names
        tensors = Dictionary(uniqueKeysWithValues: values.map { ($0.0, $0.2.map(Double.init)) })
    }

    func matvec(_ name: String, _ x: [Double]) -> [Double] {
        let w = tensors[name]!, cols = x.count
        return (0..<(w.count / cols)).map { r in (0..<cols).reduce(0.0) { $0 + w[r * cols + $1] * x[$1] } }
    }

    func rmsNorm(_ x: [Double], _ name: String) -> [Double] {
        let w = tensors[name]!
        let scale = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + Double(config.rmsNormEpsilon)).squareRoot()
        return x.indices.map { x[$0] * scale * w[$0] }
    }

    func rope(_ v: inout [Double], heads: Int, position: Int) {
        let hd = config.headDim
        for h in 0..<heads {
            for i in 0..<(hd / 2) {
                let theta = Double(position) * pow(config.ropeTheta, -2 * Double(i) / Double(hd))
                let (a, b) = config.ropePairing == .interleaved ? (h * hd + 2 * i, h * hd + 2 * i + 1) : (h * hd + i, h * hd + i + hd / 2)
                let (x0, x1) = (v[a], v[b])
                v[a] = x0 * cos(theta) - x1 * sin(theta)
                v[b] = x0 * sin(theta) + x1 * cos(theta)
            }
        }
    }

    /// Logits after each token of `tokens`.
    func logits(_ tokens: [Int32]) -> [[Double]] {
        let c = config, hd = c.headDim, emb = tensors[names.embedding]!
        var keys = [[[Double]]](repeating: [], count: c.layerCount), vals = keys
        var result: [[Double]] = []
        for (pos, token) in tokens.enumerated() {
            var x = Array(emb[(Int(token) * c.hiddenSize)..<((Int(token) + 1) * c.hiddenSize)])
            for l in 0..<c.layerCount {
                let n = names.layer(l)
                let xn = rmsNorm(x, n.attentionNorm)
                var q = matvec(n.query, xn), k = matvec(n.key, xn)
                let v = matvec(n.value, xn)
                rope(&q, heads: c.headCount, position: pos)
                rope(&k, heads: c.kvHeadCount, position: pos)
                keys[l].append(k)
                vals[l].append(v)
                var att = [Double](repeating: 0, count: c.queryDim)
                for h in 0..<c.headCount {
                    let kvh = h / (c.headCount / c.kvHeadCount)
                    let scores = (0...pos).map { p in
                        (0..<hd).reduce(0.0) { $0 + q[h * hd + $1] * keys[l][p][kvh * hd + $1] } / Double(hd).squareRoot()
                    }
                    let m = scores.max()!, e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                    for p in 0...pos { for d in 0..<hd { att[h * hd + d] += e[p] / z * vals[l][p][kvh * hd + d] } }
                }
                let o = matvec(n.attentionOutput, att)
                x = x.indices.map { x[$0] + o[$0] }
                let xm = rmsNorm(x, n.mlpNorm)
                let g = matvec(n.gate, xm), u = matvec(n.up, xm)
                let act = g.indices.map { g[$0] / (1 + exp(-g[$0])) * u[$0] }
                let d = matvec(n.down, act)
                x = x.indices.map { x[$0] + d[$0] }
            }
            let head = c.tiedEmbeddings ? names.embedding : names.output
            result.append(matvec(head, rmsNorm(x, names.outputNorm)))
        }
        return result
    }
}

/// The largest |a - b| relative to the largest |b|.
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    let scale = b.map(abs).max() ?? 1
    return zip(a, b).map { abs(Double($0) - $1) }.max()! / scale
}
