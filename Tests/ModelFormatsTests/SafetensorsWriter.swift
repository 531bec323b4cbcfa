import Foundation
import ModelFormats

/// Writes small safetensors files for tests; the header can be replaced to test validation.
struct SafetensorsWriter {
    private(set) var entries: [(name: String, dtype: String, shape: [Int], data: [UInt8])] = []
    var metadata: [String: String] = [:]

    mutating func add(_ name: String, dtype: String, shape: [Int], data: [UInt8]) {
        entries.append((name, dtype, shape, data))
    }

    /// The header JSON the writer would produce.
    func headerJSON() -> String {
        var parts: [String] = []
        var offset = 0
        for entry in entries {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            parts.append(
                "\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + entry.data.count)]}")
            offset += entry.data.count
        }
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// The file bytes, with `header` in place of the generated header when given.
    func bytes(header: String? = nil) -> [UInt8] {
        var json = Array((header ?? headerJSON()).utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.append(le: UInt64(json.count))
        out += json
        for entry in entries { out += entry.data }
        return out
    }
}

/// A temporary directory removed when the test is done.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("brigade-formats-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }
}

/// A source that records every range read from it, to check that a tensor read touches only that tensor.
final class RecordingSource: ByteRangeSource, @unchecked Sendable {
    let inner: MemorySource
    private let lock = NSLock()
    private var _reads: [Range<Int>] = []

    init(_ inner: MemorySource) { self.inner = inner }

    var name: String { inner.name }
    var reads: [Range<Int>] { lock.withLock { _reads } }
    func reset() { lock.withLock { _reads.removeAll() } }

    func size() throws -> Int { try inner.size() }

    func read(offset: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        lock.withLock { _reads.append(offset..<(offset + count)) }
        try inner.read(offset: offset, count: count, into: buffer)
    }
}
