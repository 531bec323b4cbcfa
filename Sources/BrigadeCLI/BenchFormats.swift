import ArgumentParser
import Foundation
import ModelFormats

/// `brigade bench formats`: GGUF header parse time and dequantisation speed per stored type, against reading the
/// same bytes raw in the same run (the baseline), plus the bytes a layer-range stage would fetch.
struct BenchFormats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "Measure GGUF header parsing and dequantisation speed (JSON lines)."
    )

    @Option(help: "GGUF file to read (default: $BRIGADE_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf).")
    var model: String?

    @Option(help: "Timed repetitions; the median is reported.")
    var runs = 5

    func run() throws {
        let path = model ?? BenchModelPath.defaultModel()
        var opens: [Double] = []
        var file: GGUFFile?
        for _ in 0..<runs {
            let start = ContinuousClock.now
            file = try GGUFFile(path: path)
            opens.append(BenchClock.ms(since: start))
        }
        guard let file else { return }
        BenchJSON.line([
            "bench": "gguf_open", "model": (path as NSString).lastPathComponent, "runs": runs,
            "open_ms_median": BenchClock.median(opens), "tensors": file.tensors.count,
            "metadata_keys": file.metadata.count, "header_bytes": file.dataOffset,
        ])

        let byType = Dictionary(grouping: file.tensors.values.filter { $0.dtype.canDequantize }, by: \.dtype)
        for (dtype, infos) in byType.sorted(by: { $0.key.name < $1.key.name }) {
            let names = infos.map(\.name)
            let elements = infos.reduce(0) { $0 + $1.elementCount }
            let stored = infos.reduce(0) { $0 + $1.byteCount }
            var buffer = [Float](repeating: 0, count: infos.map(\.elementCount).max() ?? 0)
            var raw: [Double] = []
            var dequant: [Double] = []
            for _ in 0..<runs {
                var start = ContinuousClock.now
                for name in names { _ = try file.readRaw(name) }
                raw.append(BenchClock.ms(since: start))
                start = ContinuousClock.now
                for info in infos {
                    try buffer.withUnsafeMutableBufferPointer { all in
                        try file.readFloat32(
                            info.name, into: UnsafeMutableBufferPointer(rebasing: all[0..<info.elementCount]))
                    }
                }
                dequant.append(BenchClock.ms(since: start))
            }
            let rawMs = BenchClock.median(raw)
            let dequantMs = BenchClock.median(dequant)
            BenchJSON.line([
                "bench": "dequantize", "dtype": dtype.name, "tensors": infos.count,
                "stored_mb": Double(stored) / 1e6, "output_mb": Double(elements * 4) / 1e6,
                "raw_read_ms_median": rawMs, "dequantize_ms_median": dequantMs,
                "dequantize_vs_raw_read": dequantMs / max(rawMs, 1e-9),
                "output_gb_per_s": Double(elements * 4) / 1e6 / dequantMs,
            ])
        }

        let layers = file.metadata["llama.block_count"]?.int ?? 0
        let firstThird = file.tensorNames.filter { name in
            guard name.hasPrefix("blk."), let index = Int(name.split(separator: ".")[1]) else { return false }
            return index < max(1, layers / 3)
        }
        let stageBytes = file.byteRanges(for: firstThird).reduce(0) { $0 + $1.count }
        let totalBytes = file.tensors.values.reduce(0) { $0 + $1.byteCount }
        BenchJSON.line([
            "bench": "layer_range", "blocks": max(1, layers / 3), "of_blocks": layers,
            "ranges": firstThird.count, "stage_mb": Double(stageBytes) / 1e6,
            "all_tensors_mb": Double(totalBytes) / 1e6,
            "stage_fraction": Double(stageBytes) / Double(max(totalBytes, 1)),
        ])
    }
}
