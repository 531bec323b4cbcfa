#if canImport(Glibc)
import Glibc
#endif
import DataPlane
import ModelEngine
import Synchronization
import Transport

/// Runs one pipeline stage's token loop (DESIGN.md §6): data-plane messages come in from any thread, a dedicated
/// step thread runs the engine on batches of several sequences (continuous batching), and results go on through
/// the stage's links — hidden states to the next stage; on the last stage, sampled tokens to the gateway and back
/// to the first stage.
///
/// The runtime knows nothing of sockets: `links` are closures, so the same runtime is wired in-process (tests,
/// single-process runs) or over the transport (stage workers). Links can be replaced while running, which is how a
/// pipeline is rewired.
public final class StageRuntime: Sendable {
    /// Where a stage's results go.
    public struct Links: Sendable {
        /// The next stage (nil on the last stage).
        public var downstream: (@Sendable (PipelineMessage) -> Void)?
        /// The first stage, which turns sampled tokens into its next input (last stage only).
        public var firstStage: (@Sendable (PipelineMessage) -> Void)?
        /// The gateway: token events and failures.
        public var gateway: @Sendable (PipelineMessage) -> Void

        public init(
            downstream: (@Sendable (PipelineMessage) -> Void)?, firstStage: (@Sendable (PipelineMessage) -> Void)?,
            gateway: @escaping @Sendable (PipelineMessage) -> Void
        ) {
            self.downstream = downstream
            self.firstStage = firstStage
            self.gateway = gateway
        }
    }

    /// Settings of the token loop.
    public struct Options: Sendable {
        /// The most rows one forward call runs (a prompt longer than this still runs, alone).
        public var rowBudget: Int
        /// The most sequences in one forward call.
        public var maxSequences: Int
        /// First stage only: how many batches may be out in the pipeline at once; the live sequences are split into
        /// that many groups, and a new step waits while that many are out. The pipeline's depth keeps every stage
        /// busy when each has its own machine; 1 sends one batch round whole, which suits stages that share one
        /// machine's cores (they take turns, each with all the cores).
        public var microBatches: Int
        /// First stage: a batch not back after this long no longer counts against `microBatches` (its messages
        /// may have been lost with a failed stage; rewiring also clears the count).
        public var batchReturnTimeout: Duration = .seconds(2)
        public init(rowBudget: Int = 512, maxSequences: Int = 64, microBatches: Int = 1) {
            self.rowBudget = rowBudget
            self.maxSequences = maxSequences
            self.microBatches = max(1, microBatches)
        }
    }

    /// Counters for metrics and `/v1/cluster`.
    public struct Statistics: Sendable, Equatable {
        public var steps: UInt64 = 0
        public var rows: UInt64 = 0
        public var stepSeconds: Double = 0
        public var lastStepSeconds: Double = 0
        public var failedSequences: UInt64 = 0
        public var liveSequences: Int = 0
        /// First stage: batches that did not come back within `Options.batchReturnTimeout`.
        public var lostBatches: UInt64 = 0
    }

    /// The stage's position in the pipeline.
    public let stageIndex: Int
    /// The engine stage it runs.
    public let stage: LlamaStage
    private let options: Options

    private struct State: ~Copyable {
        var inbox: [PipelineMessage] = []
        var links: Links
        var running = true
        var rewired = false
        var statistics = Statistics()
    }
    private let state: Mutex<State>
    private let wakeup = Condition()
    private let samplers = Mutex<[SequenceID: Sampler]>([:])

    /// Creates a runtime for `stage` and starts its step thread.
    public init(stage: LlamaStage, stageIndex: Int, links: Links, options: Options = Options()) {
        self.stage = stage
        self.stageIndex = stageIndex
        self.options = options
        self.state = Mutex(State(links: links))
        StepThread.start { [self] in loop() }
    }

    /// Hands a message to the stage. Never blocks on the engine; safe from the transport's I/O thread.
    public func deliver(_ message: PipelineMessage) {
        state.withLock { $0.inbox.append(message) }
        // Rows from upstream, or a batch come home to stage 0: a step follows at once, so the compute threads wake
        // now, alongside the step thread, not one after the other. (An admission may have to wait for the batch
        // out, so it wakes nobody.)
        if case .step = message { stage.wakeThreads() }
        if case .tokens = message { stage.wakeThreads() }
        wakeup.signal()
    }

    /// Replaces the links (rewiring). Takes effect from the next step.
    public func setLinks(_ links: Links) {
        state.withLock {
            $0.links = links
            $0.rewired = true
        }
        wakeup.signal()
    }

    /// Counters so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Stops the step thread after the current step. Sequences are not released (the process is going away).
    public func stop() {
        state.withLock { $0.running = false }
        wakeup.signal()
    }

    // MARK: - The step thread

    private func loop() {
        var sequences = StageSequences(hiddenSize: Int32(stage.config.hiddenSize))
        let limitsBatches = stageIndex == 0 && !stage.isLast
        let timeout = UInt64(options.batchReturnTimeout.components.seconds) * 1_000_000_000
            + UInt64(options.batchReturnTimeout.components.attoseconds / 1_000_000_000)
        while true {
            let (messages, links, running, rewired) = state.withLock { state -> ([PipelineMessage], Links, Bool, Bool) in
                defer {
                    state.inbox.removeAll(keepingCapacity: true)
                    state.rewired = false
                }
                return (state.inbox, state.links, state.running, state.rewired)
            }
            guard running else { return }
            if rewired { sequences.inFlight.removeAll() }
            for message in messages { absorb(message, into: &sequences, links: links) }
            // Stage 0 holds its next step while `microBatches` batches are out (see `InFlightBatches`).
            var holdUntil: Clock.Instant?
            if limitsBatches, sequences.inFlight.count >= options.microBatches {
                let now = Clock.now
                let lost = sequences.inFlight.expire(sentBefore: now > timeout ? now - timeout : 0)
                if lost > 0 { state.withLock { $0.statistics.lostBatches += UInt64(lost) } }
                if sequences.inFlight.count >= options.microBatches, let oldest = sequences.inFlight.oldestSentAt {
                    holdUntil = oldest + timeout
                }
            }
            if sequences.hasWork, holdUntil == nil {
                step(&sequences, links: links)
            } else {
                state.withLock { $0.statistics.liveSequences = sequences.sequences.count }
                // Waiting for the next input: the compute threads must not spin on cores that another stage on
                // this machine is about to use.
                stage.parkThreads()
                wakeup.wait(until: { self.state.withLock { !$0.inbox.isEmpty || !$0.running || $0.rewired } }, deadline: holdUntil)
            }
        }
    }

    private func absorb(_ message: PipelineMessage, into sequences: inout StageSequences, links: Links) {
        switch message {
        case .admit(let admit):
            do {
                try sequences.admit(admit)
                if stage.isLast { prepareSampler(admit.sequence, admit.sampling, links: links) }
            } catch { fail(error.sequence, error.message, &sequences, links: links) }
        case .token(let event):
            sequences.feedBack(event)
        case .tokens(let events):
            for event in events { sequences.feedBack(event) }
        case .step(let batch):
            for rejection in sequences.receive(batch) {
                fail(rejection.sequence, rejection.message, &sequences, links: links)
            }
            if stage.isLast {
                for entry in batch.entries { if let admission = entry.admission { prepareSampler(entry.sequence, admission.sampling, links: links) } }
            }
        case .release(let release):
            for sequence in release.sequences { forget(sequence, &sequences) }
        case .failure:
            break  // failures travel to the gateway, not between stages
        }
    }

    private func prepareSampler(_ sequence: SequenceID, _ sampling: SamplingSettings, links: Links) {
        let parameters = SamplingParameters(
            temperature: sampling.temperature, topK: Int(sampling.topK), topP: sampling.topP, seed: sampling.seed)
        do {
            let sampler = try Sampler(parameters)
            samplers.withLock { $0[sequence] = sampler }
        } catch {
            links.gateway(.failure(SequenceFailure(sequence: sequence, stage: Int32(stageIndex), message: "\(error)")))
        }
    }

    private func forget(_ sequence: SequenceID, _ sequences: inout StageSequences) {
        sequences.release(sequence)
        stage.free(sequence.rawValue)
        samplers.withLock { _ = $0.removeValue(forKey: sequence) }
    }

    private func fail(_ sequence: SequenceID, _ message: String, _ sequences: inout StageSequences, links: Links) {
        forget(sequence, &sequences)
        state.withLock { $0.statistics.failedSequences += 1 }
        links.gateway(.failure(SequenceFailure(sequence: sequence, stage: Int32(stageIndex), message: message)))
    }

    private func step(_ sequences: inout StageSequences, links: Links) {
        var limit = options.maxSequences
        if stageIndex == 0, options.microBatches > 1 {
            let live = sequences.sequences.count
            limit = min(limit, max(1, (live + options.microBatches - 1) / options.microBatches))
        }
        let chosen = sequences.nextBatch(rowBudget: options.rowBudget, maxSequences: limit)
        guard !chosen.isEmpty else { return }
        let inputs = chosen.map { choice -> StageInput in
            switch choice.rows.payload {
            case .tokens(let tokens):
                return .tokens(choice.sequence.rawValue, at: Int(choice.rows.start), tokens)
            case .hidden(let rows):
                return StageInput(sequence: choice.sequence.rawValue, startPosition: Int(choice.rows.start), payload: .hidden(rows))
            }
        }
        let started = Clock.now
        let outputs: [StageOutput]
        do {
            outputs = try stage.forward(inputs)
        } catch {
            // The call is atomic: no cache changed. Find the culprit(s) by running each sequence alone.
            if chosen.count == 1 {
                fail(chosen[0].sequence, "stage \(stageIndex): \(error)", &sequences, links: links)
                return
            }
            var recovered: [StageOutput] = []
            var kept: [StageSequences.Chosen] = []
            for (choice, input) in zip(chosen, inputs) {
                do {
                    recovered.append(contentsOf: try stage.forward([input]))
                    kept.append(choice)
                } catch {
                    fail(choice.sequence, "stage \(stageIndex): \(error)", &sequences, links: links)
                }
            }
            finish(kept, recovered, started: started, &sequences, links: links)
            return
        }
        finish(chosen, outputs, started: started, &sequences, links: links)
    }

    private func finish(
        _ chosen: [StageSequences.Chosen], _ outputs: [StageOutput], started: Clock.Instant,
        _ sequences: inout StageSequences, links: Links
    ) {
        let seconds = Clock.seconds(since: started)
        let rowCount = chosen.reduce(0) { $0 + Int($1.rows.rows) }
        state.withLock { state in
            state.statistics.steps += 1
            state.statistics.rows += UInt64(rowCount)
            state.statistics.stepSeconds += seconds
            state.statistics.lastStepSeconds = seconds
        }
        for (choice, output) in zip(chosen, outputs) {
            sequences.advance(choice.sequence, to: Int32(output.nextPosition))
        }
        if stage.isLast {
            emitTokens(chosen, outputs, &sequences, links: links)
        } else {
            sendDownstream(chosen, outputs, &sequences, links: links)
        }
    }

    private func sendDownstream(
        _ chosen: [StageSequences.Chosen], _ outputs: [StageOutput], _ sequences: inout StageSequences, links: Links
    ) {
        var entries: [StepEntry] = []
        var rows: [Float] = []
        rows.reserveCapacity(outputs.reduce(0) { $0 + $1.values.count })
        for (choice, output) in zip(chosen, outputs) {
            entries.append(StepEntry(
                sequence: choice.sequence, start: choice.rows.start, count: choice.rows.rows,
                admission: sequences.announce(choice.sequence)))
            rows.append(contentsOf: output.values)
        }
        let hidden = rows.withUnsafeBufferPointer { Buffer(copyingFloats: $0) }
        if stageIndex == 0 { sequences.inFlight.sent(chosen.map(\.sequence), at: Clock.now) }
        links.downstream?(.step(StepBatch(entries: entries, hiddenSize: Int32(stage.config.hiddenSize), hidden: hidden)))
    }

    private func emitTokens(
        _ chosen: [StageSequences.Chosen], _ outputs: [StageOutput], _ sequences: inout StageSequences, links: Links
    ) {
        var returning: [TokenEvent] = []
        for (choice, output) in zip(chosen, outputs) {
            let id = choice.sequence
            guard let known = sequences[id] else { continue }
            let sampled: Int32
            do {
                sampled = try samplers.withLock { samplers throws(EngineError) -> Int32 in
                    guard var sampler = samplers[id] else {
                        throw EngineError(.unknownSequence, "no sampler for \(id)")
                    }
                    defer { samplers[id] = sampler }
                    return try sampler.sample(output.logits ?? [], sequence: id.rawValue)
                }
            } catch {
                fail(id, "stage \(stageIndex): \(error)", &sequences, links: links)
                continue
            }
            // Same rules as LocalPipeline.generate, so a pipeline's output equals a one-process run's.
            let index = known.generated
            var finish: FinishReason?
            if known.admission.sampling.stopTokenIDs.contains(sampled) {
                finish = .stop
            } else {
                let generated = sequences.countGenerated(id)
                if generated >= known.admission.sampling.maxTokens || output.nextPosition >= stage.config.contextLength {
                    finish = .length
                }
            }
            let event = TokenEvent(sequence: id, index: index, token: sampled, finish: finish)
            returning.append(event)
            if finish != nil { forget(id, &sequences) }  // before the gateway hears of the end, so its KV is free by then
            links.gateway(.token(event))
        }
        // Finished sequences go back too: stage 0 learns that the batch is home without waiting for the release.
        if !returning.isEmpty, let first = links.firstStage { first(.tokens(returning)) }
    }
}
