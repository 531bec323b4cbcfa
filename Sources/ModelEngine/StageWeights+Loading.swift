import Kernels
import ModelFormats

/// Reads one stage's tensors from a checkpoint, tensor by tensor: only those tensors' byte ranges are fetched.
struct StageWeightLoader {
    let store: any TensorStore
    let config: LlamaConfig
    let names: LlamaTensorNames
    let storage: WeightStorage

    /// One matrix to load: the tensors stacked into it, its shape and its storage encoding.
    struct MatrixPlan {
        var infos: [TensorInfo]
        var rows: Int
        var columns: Int
        var encoding: WeightEncoding
        var byteCount: Int { rows * encoding.rowBytes(columns: columns)! }
    }

    /// Loads the weights for `layers`: checks every tensor first, then reads them into one arena (see
    /// `WeightArena`) in order.
    func load(layers: Range<Int>) throws(EngineError) -> StageWeights {
        let h = config.hiddenSize, f = config.intermediateSize
        let embeddingPlan = layers.lowerBound == 0
            ? try plan([names.embedding], rows: [config.vocabularySize], columns: h) : nil
        var layerPlans: [[MatrixPlan]] = []
        for i in layers {
            let n = names.layer(i)
            layerPlans.append([
                try plan([n.query, n.key, n.value], rows: [config.queryDim, config.kvDim, config.kvDim], columns: h),
                try plan([n.attentionOutput], rows: [h], columns: config.queryDim),
                try plan([n.gate, n.up], rows: [f, f], columns: h),
                try plan([n.down], rows: [h], columns: f),
            ])
        }
        let isLast = layers.upperBound == config.layerCount
        let sharedHead = isLast && config.tiedEmbeddings && embeddingPlan != nil
        let headPlan = isLast && !sharedHead
            ? try plan([config.tiedEmbeddings ? names.embedding : names.output], rows: [config.vocabularySize], columns: h)
            : nil
        let all = [embeddingPlan, headPlan].compactMap { $0 } + layerPlans.flatMap { $0 }
        let arena: WeightArena
        do { arena = try WeightArena(byteCount: WeightArena.bytesNeeded(all.map(\.byteCount))) } catch {
            throw EngineError(.resources, "\(store.name): cannot map memory for the stage's weights", cause: error)
        }

        let embedding = try embeddingPlan.map { p throws(EngineError) in try build(p, arena: arena) }
        var loaded: [LayerWeights] = []
        for (i, plans) in zip(layers, layerPlans) {
            let n = names.layer(i)
            loaded.append(LayerWeights(
                attentionNorm: try vector(n.attentionNorm, count: h), qkv: try build(plans[0], arena: arena),
                attentionOutput: try build(plans[1], arena: arena), mlpNorm: try vector(n.mlpNorm, count: h),
                gateUp: try build(plans[2], arena: arena), down: try build(plans[3], arena: arena)))
        }
        var outputNorm: [Float]?
        var output: WeightMatrix?
        if isLast {
            outputNorm = try vector(names.outputNorm, count: h)
            output = sharedHead ? embedding : try headPlan.map { p throws(EngineError) in try build(p, arena: arena) }
        }
        return StageWeights(embedding: embedding, layers: loaded, outputNorm: outputNorm, output: output)
    }

    /// The tensor's description, checked against the shape the configuration implies.
    func info(_ name: String, shape: [Int]) throws(EngineError) -> TensorInfo {
        guard let info = store.tensors[name] else {
            throw EngineError(.missingTensor, "\(store.name): tensor \(name) is missing")
        }
        guard info.shape == shape else {
            throw EngineError(.shapeMismatch, "\(store.name): tensor \(name) has shape \(info.shape), expected \(shape)")
        }
        guard info.dtype.canDequantize else {
            throw EngineError(.unsupportedDType, "\(store.name): tensor \(name) has type \(info.dtype), which the engine cannot read")
        }
        return info
    }

    /// A 1-D f32 vector.
    func vector(_ name: String, count: Int) throws(EngineError) -> [Float] {
        _ = try info(name, shape: [count])
        let values: [Float]
        do { values = try store.readFloat32(name) } catch { throw readError(name, error) }
        try checkFinite(values, name)
        return values
    }

    /// Checks the named [rows[i], columns] tensors and picks how their stack is stored: kept quantised when
    /// `storage` allows and all parts share one quantised type, else f32.
    func plan(_ parts: [String], rows: [Int], columns: Int) throws(EngineError) -> MatrixPlan {
        var infos: [TensorInfo] = []
        for (name, r) in zip(parts, rows) { infos.append(try info(name, shape: [r, columns])) }
        return MatrixPlan(infos: infos, rows: rows.reduce(0, +), columns: columns,
                          encoding: storageEncoding(infos.map(\.dtype), columns: columns))
    }

    /// Allocates a planned matrix in `arena` and reads its tensors into it.
    func build(_ plan: MatrixPlan, arena: WeightArena) throws(EngineError) -> WeightMatrix {
        let m: WeightMatrix
        do { m = try WeightMatrix(rows: plan.rows, columns: plan.columns, encoding: plan.encoding, arena: arena) } catch {
            throw EngineError(.resources, "cannot hold tensor \(plan.infos.map(\.name).joined(separator: "+")): \(error)", cause: error)
        }
        var row = 0
        for info in plan.infos {
            try fill(m, from: info, firstRow: row)
            row += info.shape[0]
        }
        return m
    }

    func storageEncoding(_ dtypes: [TensorDType], columns: Int) -> WeightEncoding {
        guard storage == .quantized, columns % 32 == 0, let first = dtypes.first, dtypes.allSatisfy({ $0 == first })
        else { return .f32 }
        switch first {
        case .q8_0: return .q8_0
        case .q4_1: return .q4_1
        default: return .f32
        }
    }

    /// Reads one tensor into rows `firstRow...` of `m`, converting to f32 when `m` is f32.
    func fill(_ m: WeightMatrix, from info: TensorInfo, firstRow: Int) throws(EngineError) {
        let rows = info.shape[0], columns = m.columns
        let dst = m.bytes.baseAddress! + firstRow * m.rowBytes
        do {
            let source = try store.source(named: info.source)
            if m.encoding != .f32 {  // kept as stored: the bytes go straight into the matrix
                try source.read(offset: info.byteOffset, count: info.byteCount,
                                into: UnsafeMutableRawBufferPointer(start: dst, count: info.byteCount))
                try checkFinite(m, rows: firstRow..<(firstRow + rows), name: info.name)
                return
            }
            let out = dst.assumingMemoryBound(to: Float.self)
            if let encoding = quantizedEncoding(info.dtype) {
                // Expanded here with the kernels' own formula, so `.float32` and `.quantized` agree bit for bit.
                let rowBytes = encoding.rowBytes(columns: columns)!
                let chunkRows = max(1, (4 << 20) / rowBytes)
                let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: min(rows, chunkRows) * rowBytes, alignment: 64)
                defer { scratch.deallocate() }
                var r = 0
                while r < rows {
                    let n = min(chunkRows, rows - r)
                    try source.read(offset: info.byteOffset + r * rowBytes, count: n * rowBytes,
                                    into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(n * rowBytes)]))
                    for i in 0..<n {
                        Ops.dequantizeRow(encoding, scratch.baseAddress! + i * rowBytes, into: out + (r + i) * columns, columns: columns)
                    }
                    r += n
                }
            } else {
                try store.readFloat32(info.name, into: UnsafeMutableBufferPointer(start: out, count: rows * columns))
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw readError(info.name, error)
        }
        let bad = Ops.countNonFinite(dst.assumingMemoryBound(to: Float.self), count: rows * columns)
        if bad > 0 { throw EngineError(.nonFinite, "\(store.name): tensor \(info.name) holds \(bad) NaN or infinite values") }
    }

    func quantizedEncoding(_ dtype: TensorDType) -> WeightEncoding? {
        switch dtype {
        case .q8_0: return .q8_0
        case .q4_1: return .q4_1
        default: return nil
        }
    }

    func checkFinite(_ values: [Float], _ name: String) throws(EngineError) {
        let bad = values.withUnsafeBufferPointer { Ops.countNonFinite($0.baseAddress!, count: $0.count) }
        if bad > 0 { throw EngineError(.nonFinite, "\(store.name): tensor \(name) holds \(bad) NaN or infinite values") }
    }

    /// Expands quantised rows one at a time to check their scales give finite values.
    func checkFinite(_ m: WeightMatrix, rows: Range<Int>, name: String) throws(EngineError) {
        var row = [Float](repeating: 0, count: m.columns)
        for r in rows {
            let bad = row.withUnsafeMutableBufferPointer { buf in
                m.dequantizeRow(r, into: buf.baseAddress!)
                return Ops.countNonFinite(buf.baseAddress!, count: buf.count)
            }
            if bad > 0 {
                throw EngineError(.nonFinite, "\(store.name): tensor \(name) row \(r - rows.lowerBound) holds NaN or infinite values")
            }
        }
    }

    func readError(_ name: String, _ error: any Error) -> EngineError {
        let cause = error as? ModelFormatError
        let code: EngineError.Code = cause?.code == .missingTensor ? .missingTensor
            : cause?.code == .unsupportedDType ? .unsupportedDType : .readFailed
        return EngineError(code, "\(store.name): cannot read tensor \(name)", cause: cause)
    }
}
