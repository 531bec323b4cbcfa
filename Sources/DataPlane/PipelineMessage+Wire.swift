import Transport

extension PipelineMessage {
    /// Wire version of the data-plane header; a message of another version is rejected as unsupported.
    public static let wireVersion: UInt8 = 1

    private enum TypeTag: UInt8 {
        case admit = 1, step = 2, token = 3, release = 4, failure = 5, tokens = 6
    }

    /// The payload frames of this message (after the transport header).
    public func frames() -> [Buffer] {
        var w = ByteWriter()
        switch self {
        case .admit(let admit):
            w.u8(TypeTag.admit.rawValue)
            w.u8(Self.wireVersion)
            w.u64(admit.sequence.rawValue)
            Self.write(admit.sampling, to: &w)
            w.i32Array(admit.promptTokens)
            return [Buffer(w.bytes)]
        case .step(let batch):
            w.u8(TypeTag.step.rawValue)
            w.u8(Self.wireVersion)
            w.u32(UInt32(batch.hiddenSize))
            w.u32(UInt32(batch.entries.count))
            for entry in batch.entries {
                w.u64(entry.sequence.rawValue)
                w.i32(entry.start)
                w.i32(entry.count)
                if let admission = entry.admission {
                    w.u8(1)
                    w.i32(admission.promptLength)
                    Self.write(admission.sampling, to: &w)
                } else {
                    w.u8(0)
                }
            }
            return [Buffer(w.bytes), batch.hidden]
        case .token(let event):
            w.u8(TypeTag.token.rawValue)
            w.u8(Self.wireVersion)
            w.u64(event.sequence.rawValue)
            w.i32(event.index)
            w.i32(event.token)
            w.u8(event.finish?.rawValue ?? 0)
            return [Buffer(w.bytes)]
        case .tokens(let events):
            w.u8(TypeTag.tokens.rawValue)
            w.u8(Self.wireVersion)
            w.u32(UInt32(events.count))
            for event in events {
                w.u64(event.sequence.rawValue)
                w.i32(event.index)
                w.i32(event.token)
                w.u8(event.finish?.rawValue ?? 0)
            }
            return [Buffer(w.bytes)]
        case .release(let release):
            w.u8(TypeTag.release.rawValue)
            w.u8(Self.wireVersion)
            w.u32(UInt32(release.sequences.count))
            for sequence in release.sequences { w.u64(sequence.rawValue) }
            return [Buffer(w.bytes)]
        case .failure(let failure):
            w.u8(TypeTag.failure.rawValue)
            w.u8(Self.wireVersion)
            w.u64(failure.sequence.rawValue)
            w.i32(failure.stage)
            w.string(failure.message)
            return [Buffer(w.bytes)]
        }
    }

    /// Parses the payload frames of a `.data` message. Throws `DataPlaneError` naming what is wrong; never traps.
    public init(frames: [Buffer]) throws(DataPlaneError) {
        guard let first = frames.first else { throw DataPlaneError(.malformed, "data message without frames") }
        self = try first.withUnsafeBytes { (bytes) throws(DataPlaneError) -> PipelineMessage in
            var r = ByteReader(bytes, context: "data message")
            let tag = try r.u8("type")
            let version = try r.u8("version")
            guard version == Self.wireVersion else {
                throw DataPlaneError(.unsupported, "data message version \(version) (this build speaks \(Self.wireVersion))")
            }
            guard let type = TypeTag(rawValue: tag) else {
                throw DataPlaneError(.unsupported, "data message type \(tag)")
            }
            let expectedFrames = type == .step ? 2 : 1
            guard frames.count == expectedFrames else {
                throw DataPlaneError(.malformed, "\(type) message with \(frames.count) frames, expected \(expectedFrames)")
            }
            let message: PipelineMessage
            switch type {
            case .admit:
                let sequence = SequenceID(try r.u64("sequence"))
                let sampling = try Self.readSampling(&r)
                let prompt = try r.i32Array("prompt tokens")
                message = .admit(Admit(sequence: sequence, promptTokens: prompt, sampling: sampling))
            case .step:
                let hiddenSize = try r.u32("hidden size")
                guard hiddenSize > 0, hiddenSize <= 1 << 20 else {
                    throw DataPlaneError(.malformed, "step batch: hidden size \(hiddenSize)")
                }
                let count = try r.count("entry count", elementSize: 17)
                var entries = [StepEntry]()
                entries.reserveCapacity(count)
                var rows = 0
                for _ in 0..<count {
                    let sequence = SequenceID(try r.u64("sequence"))
                    let start = try r.i32("start")
                    let rowCount = try r.i32("count")
                    guard start >= 0, rowCount > 0 else {
                        throw DataPlaneError(.malformed, "step batch: \(sequence) start \(start) count \(rowCount)")
                    }
                    var admission: StepEntry.Admission?
                    switch try r.u8("admission flag") {
                    case 0: break
                    case 1: admission = .init(promptLength: try r.i32("prompt length"), sampling: try Self.readSampling(&r))
                    case let flag: throw DataPlaneError(.malformed, "step batch: admission flag \(flag)")
                    }
                    rows += Int(rowCount)
                    entries.append(StepEntry(sequence: sequence, start: start, count: rowCount, admission: admission))
                }
                let expectedBytes = rows * Int(hiddenSize) * MemoryLayout<Float>.size
                guard frames[1].count == expectedBytes else {
                    throw DataPlaneError(.malformed, "step batch: \(frames[1].count) bytes of rows, expected \(expectedBytes) (\(rows) rows × \(hiddenSize))")
                }
                message = .step(StepBatch(entries: entries, hiddenSize: Int32(hiddenSize), hidden: frames[1]))
            case .token:
                message = .token(try Self.readTokenEvent(&r))
            case .tokens:
                let n = try r.count("token count", elementSize: 17)
                var events: [TokenEvent] = []
                events.reserveCapacity(n)
                for _ in 0..<n { events.append(try Self.readTokenEvent(&r)) }
                message = .tokens(events)
            case .release:
                let n = try r.count("sequence count", elementSize: 8)
                var sequences = [SequenceID]()
                for _ in 0..<n { sequences.append(SequenceID(try r.u64("sequence"))) }
                message = .release(Release(sequences: sequences))
            case .failure:
                let sequence = SequenceID(try r.u64("sequence"))
                let stage = try r.i32("stage")
                let text = try r.string("message")
                message = .failure(SequenceFailure(sequence: sequence, stage: stage, message: text))
            }
            try r.expectEnd()
            return message
        }
    }

    private static func write(_ s: SamplingSettings, to w: inout ByteWriter) {
        w.f32(s.temperature)
        w.f32(s.topP)
        w.i32(s.topK)
        w.u64(s.seed)
        w.i32(s.maxTokens)
        w.i32Array(s.stopTokenIDs)
    }

    private static func readSampling(_ r: inout ByteReader) throws(DataPlaneError) -> SamplingSettings {
        let temperature = try r.f32("temperature")
        let topP = try r.f32("top_p")
        let topK = try r.i32("top_k")
        let seed = try r.u64("seed")
        let maxTokens = try r.i32("max tokens")
        let stops = try r.i32Array("stop token ids")
        guard temperature.isFinite, temperature >= 0, topP.isFinite, topP > 0, topP <= 1, topK >= 0, maxTokens >= 0 else {
            throw DataPlaneError(.malformed, "sampling settings out of range (temperature \(temperature), top_p \(topP), top_k \(topK), max tokens \(maxTokens))")
        }
        return SamplingSettings(temperature: temperature, topP: topP, topK: topK, seed: seed, maxTokens: maxTokens, stopTokenIDs: stops)
    }
}

extension PipelineMessage {
    /// One token event's fields: sequence, index, token, finish reason (0: none).
    fileprivate static func readTokenEvent(_ r: inout ByteReader) throws(DataPlaneError) -> TokenEvent {
        let sequence = SequenceID(try r.u64("sequence"))
        let index = try r.i32("index")
        let token = try r.i32("token")
        let finishRaw = try r.u8("finish")
        let finish = FinishReason(rawValue: finishRaw)
        guard finishRaw == 0 || finish != nil else {
            throw DataPlaneError(.malformed, "token event: finish reason \(finishRaw)")
        }
        return TokenEvent(sequence: sequence, index: index, token: token, finish: finish)
    }
}
