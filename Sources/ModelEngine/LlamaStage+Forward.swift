import Kernels

/// A slice of one input that runs in one pass.
struct PassPiece {
    var input: Int
    var firstRow: Int
    var rows: Int
}

extension LlamaStage {
    func run(_ inputs: [StageInput], state: inout StageState) throws(EngineError) -> [StageOutput] {
        let cache = state.cache
        let rowCounts = try validate(inputs, cache: cache)
        let undo = try cache.reserve(zip(inputs, rowCounts).map { ($0.sequence, $0.startPosition + $1) })
        var hidden = rowCounts.map { isLast ? [Float]() : [Float](repeating: 0, count: $0 * config.hiddenSize) }
        var logits = [[Float]](repeating: [], count: inputs.count)
        do {
            for pass in passes(rowCounts) {
                try runPass(pass, inputs: inputs, rowCounts: rowCounts, cache: cache, scratch: state.scratch,
                            hidden: &hidden, logits: &logits)
            }
        } catch {
            cache.rollBack(undo)
            throw error
        }
        for (input, rows) in zip(inputs, rowCounts) { cache.setTokenCount(input.sequence, input.startPosition + rows) }
        return inputs.indices.map { i in
            StageOutput(sequence: inputs[i].sequence, nextPosition: inputs[i].startPosition + rowCounts[i],
                        payload: isLast ? .logits(logits[i]) : .hidden(hidden[i]))
        }
    }

    /// Checks every input before anything changes; returns each input's row count.
    func validate(_ inputs: [StageInput], cache: KVCache) throws(EngineError) -> [Int] {
        var seen = Set<SequenceID>()
        var rowCounts: [Int] = []
        for input in inputs {
            let seq = input.sequence
            guard seen.insert(seq).inserted else {
                throw EngineError(.invalidInput, "sequence \(seq) appears twice in one forward call")
            }
            let rows: Int
            switch input.payload {
            case .tokens(let tokens):
                guard isFirst else {
                    throw EngineError(.invalidInput, "sequence \(seq): stage \(layers) takes hidden states, not token ids")
                }
                if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
                    throw EngineError(.invalidInput, "sequence \(seq): token id \(bad) is outside the vocabulary 0..<\(config.vocabularySize)")
                }
                rows = tokens.count
            case .hidden(let values):
                guard !isFirst else {
                    throw EngineError(.invalidInput, "sequence \(seq): the first stage takes token ids, not hidden states")
                }
                guard values.count % config.hiddenSize == 0 else {
                    throw EngineError(.invalidInput, "sequence \(seq): \(values.count) hidden values are not whole rows of \(config.hiddenSize)")
                }
                let bad = values.withUnsafeBufferPointer { Ops.countNonFinite($0.baseAddress!, count: $0.count) }
                guard bad == 0 else {
                    throw EngineError(.invalidInput, "sequence \(seq): hidden states hold \(bad) NaN or infinite values")
                }
                rows = values.count / config.hiddenSize
            }
            guard rows > 0 else { throw EngineError(.invalidInput, "sequence \(seq): no rows to run") }
            let cached = cache.tokenCount(of: seq) ?? 0
            guard input.startPosition == cached else {
                throw EngineError(.positionMismatch, "sequence \(seq): call starts at position \(input.startPosition), but the stage holds \(cached) positions")
            }
            guard cached + rows <= config.contextLength else {
                throw EngineError(.contextOverflow, "sequence \(seq): \(cached + rows) positions exceed the context length \(config.contextLength)")
            }
            rowCounts.append(rows)
        }
        return rowCounts
    }

    /// Groups rows into passes of at most `maxRowsPerPass`, splitting long inputs.
    func passes(_ rowCounts: [Int]) -> [[PassPiece]] {
        let limit = options.maxRowsPerPass
        var passes: [[PassPiece]] = []
        var current: [PassPiece] = []
        var room = limit
        for (i, rows) in rowCounts.enumerated() {
            var done = 0
            while done < rows {
                if room == 0 {
                    passes.append(current)
                    current = []
                    room = limit
                }
                let take = min(room, rows - done)
                current.append(PassPiece(input: i, firstRow: done, rows: take))
                done += take
                room -= take
            }
        }
        if !current.isEmpty { passes.append(current) }
        return passes
    }

    /// Runs every layer of the stage over one pass's rows.
    func runPass(
        _ pieces: [PassPiece], inputs: [StageInput], rowCounts: [Int], cache: KVCache, scratch: Scratch,
        hidden: inout [[Float]], logits: inout [[Float]]
    ) throws(EngineError) {
        let c = config
        let h = c.hiddenSize, qd = c.queryDim, kvd = c.kvDim, f = c.intermediateSize, half = c.headDim / 2
        let qkvWidth = qd + 2 * kvd
        let n = pieces.reduce(0) { $0 + $1.rows }
        try scratch.begin(floats: n * (4 * h + qkvWidth + qd + 3 * f + 2 * half))
        let x = scratch.take(n * h), xn = scratch.take(n * h), tmp = scratch.take(n * h)
        let qkv = scratch.take(n * qkvWidth), att = scratch.take(n * qd)
        let gateUp = scratch.take(n * 2 * f), act = scratch.take(n * f)
        let cosTable = scratch.take(n * half), sinTable = scratch.take(n * half)

        // Rows in, and each row's position and angles.
        var positions: [Int] = []
        positions.reserveCapacity(n)
        var row = 0
        for piece in pieces {
            let input = inputs[piece.input]
            for j in 0..<piece.rows {
                let position = input.startPosition + piece.firstRow + j
                positions.append(position)
                switch input.payload {
                case .tokens(let tokens):
                    weights.embedding!.dequantizeRow(Int(tokens[piece.firstRow + j]), into: x + row * h)
                case .hidden(let values):
                    values.withUnsafeBufferPointer { (x + row * h).update(from: $0.baseAddress! + (piece.firstRow + j) * h, count: h) }
                }
                RoPE.angles(position: position, headDim: c.headDim, base: c.ropeTheta,
                            cos: cosTable + row * half, sin: sinTable + row * half)
                row += 1
            }
        }

        let g = cache.geometry
        let blocks = pieces.map { cache.blockPointers(inputs[$0.input].sequence) }
        for (li, layer) in weights.layers.enumerated() {
            // Attention block.
            layer.attentionNorm.withUnsafeBufferPointer { w in
                for r in 0..<n { Ops.rmsNorm(x + r * h, weight: w.baseAddress!, out: xn + r * h, count: h, epsilon: c.rmsNormEpsilon) }
            }
            Ops.matmul(layer.qkv, x: xn, ldx: h, tokens: n, y: qkv, ldy: qkvWidth, pool: pool)
            row = 0
            for (p, piece) in pieces.enumerated() {
                for _ in 0..<piece.rows {
                    let q = qkv + row * qkvWidth, k = q + qd, v = k + kvd
                    Ops.rope(q, heads: c.headCount, headDim: c.headDim, cos: cosTable + row * half, sin: sinTable + row * half, pairing: c.ropePairing)
                    Ops.rope(k, heads: c.kvHeadCount, headDim: c.headDim, cos: cosTable + row * half, sin: sinTable + row * half, pairing: c.ropePairing)
                    let position = positions[row]
                    let slot = blocks[p][position / KVBlockGeometry.blockTokens] + g.keyOffset(layer: li)
                        + (position % KVBlockGeometry.blockTokens) * kvd
                    slot.update(from: k, count: kvd)
                    (slot + g.valueOffset).update(from: v, count: kvd)
                    row += 1
                }
            }
            row = 0
            for (p, piece) in pieces.enumerated() {
                let keyBlocks = blocks[p].map { Optional(UnsafePointer($0 + g.keyOffset(layer: li))) }
                Ops.attention(AttentionInput(
                    queries: qkv + row * qkvWidth, queryStride: qkvWidth, output: att + row * qd, outputStride: qd,
                    tokens: piece.rows, firstPosition: positions[row], heads: c.headCount, kvHeads: c.kvHeadCount,
                    headDim: c.headDim, scale: 1 / Float(c.headDim).squareRoot(), keyBlocks: keyBlocks,
                    valueOffset: g.valueOffset, blockTokens: KVBlockGeometry.blockTokens, kvStride: kvd), pool: pool)
                row += piece.rows
            }
            Ops.matmul(layer.attentionOutput, x: att, ldx: qd, tokens: n, y: tmp, ldy: h, pool: pool)
            Ops.add(x, tmp, count: n * h)

            // MLP block.
            layer.mlpNorm.withUnsafeBufferPointer { w in
                for r in 0..<n { Ops.rmsNorm(x + r * h, weight: w.baseAddress!, out: xn + r * h, count: h, epsilon: c.rmsNormEpsilon) }
            }
            Ops.matmul(layer.gateUp, x: xn, ldx: h, tokens: n, y: gateUp, ldy: 2 * f, pool: pool)
            for r in 0..<n { Ops.swiglu(gate: gateUp + r * 2 * f, up: gateUp + r * 2 * f + f, out: act + r * f, count: f) }
            Ops.matmul(layer.down, x: act, ldx: f, tokens: n, y: tmp, ldy: h, pool: pool)
            Ops.add(x, tmp, count: n * h)
        }

        if isLast {
            try finishLogits(pieces, rowCounts: rowCounts, x: x, logits: &logits)
        } else {
            row = 0
            for piece in pieces {
                hidden[piece.input].withUnsafeMutableBufferPointer { out in
                    (out.baseAddress! + piece.firstRow * h).update(from: x + row * h, count: piece.rows * h)
                }
                row += piece.rows
            }
        }
    }

    /// Final norm and LM head on the last row of every input that ends in this pass.
    func finishLogits(_ pieces: [PassPiece], rowCounts: [Int], x: UnsafeMutablePointer<Float>, logits: inout [[Float]]) throws(EngineError) {
        let h = config.hiddenSize, vocab = config.vocabularySize
        var ends: [(input: Int, row: Int)] = []
        var row = 0
        for piece in pieces {
            row += piece.rows
            if piece.firstRow + piece.rows == rowCounts[piece.input] { ends.append((piece.input, row - 1)) }
        }
        guard !ends.isEmpty, let norm = weights.outputNorm, let head = weights.output else { return }
        var last = [Float](repeating: 0, count: ends.count * h)
        var out = [Float](repeating: 0, count: ends.count * vocab)
        last.withUnsafeMutableBufferPointer { lastBuf in
            norm.withUnsafeBufferPointer { w in
                for (i, end) in ends.enumerated() {
                    Ops.rmsNorm(x + end.row * h, weight: w.baseAddress!, out: lastBuf.baseAddress! + i * h, count: h, epsilon: config.rmsNormEpsilon)
                }
            }
            out.withUnsafeMutableBufferPointer { o in
                Ops.matmul(head, x: lastBuf.baseAddress!, ldx: h, tokens: ends.count, y: o.baseAddress!, ldy: vocab, pool: pool)
            }
        }
        for (i, end) in ends.enumerated() { logits[end.input] = Array(out[(i * vocab)..<((i + 1) * vocab)]) }
    }
}
