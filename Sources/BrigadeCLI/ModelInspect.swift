import ArgumentParser
import Foundation
import ModelFormats

/// `brigade model inspect PATH`: what a checkpoint holds (format, metadata, tensors), read from its header only.
struct ModelInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a GGUF file's or safetensors directory's metadata and tensor table."
    )

    @Argument(help: "A .gguf file or a directory with config.json and safetensors.")
    var path: String

    @Flag(help: "List every tensor (name, dtype, shape, bytes).")
    var tensors = false

    func run() throws {
        let model: any TensorStore
        do {
            model = try openModel(at: path)
        } catch let error as ModelFormatError {
            throw ValidationError(error.description)
        }
        let infos = model.tensors.values.sorted { ($0.source, $0.byteOffset) < ($1.source, $1.byteOffset) }
        let bytes = infos.reduce(0) { $0 + $1.byteCount }
        let params = infos.reduce(0) { $0 + $1.elementCount }
        print("\(path)")
        print("  format: \(model is GGUFFile ? "GGUF v\((model as! GGUFFile).version)" : "safetensors")")
        print("  tensors: \(infos.count), \(params) values, \(String(format: "%.1f", Double(bytes) / 1e6)) MB")
        let byType = Dictionary(grouping: infos, by: \.dtype.name).mapValues(\.count).sorted { $0.key < $1.key }
        print("  types: " + byType.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
        print("  metadata:")
        switch model.modelMetadata {
        case .gguf(let values):
            let order = (model as? GGUFFile)?.metadataKeys ?? values.keys.sorted()
            for key in order { print("    \(key) = \(Self.show(values[key]!))") }
        case .huggingFace(let config):
            for key in config.keys.sorted() { print("    \(key) = \(Self.show(config[key]!))") }
        }
        if tensors {
            print("  tensor table:")
            for info in infos {
                print("    \(info.name)  \(info.dtype)  \(info.shape)  \(info.byteCount) B @ \(info.byteOffset)")
            }
        }
    }

    /// A value on one line; long arrays and strings are cut.
    static func show(_ value: GGUFValue) -> String {
        switch value {
        case .string(let s): return cut(s.debugDescription)
        case .array(let items):
            let head = items.prefix(6).map(show).joined(separator: ", ")
            return "[\(head)\(items.count > 6 ? ", … (\(items.count) items)" : "")]"
        default: return value.double.map { v in value.int.map(String.init) ?? String(v) } ?? value.bool.map(String.init) ?? "?"
        }
    }

    static func show(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return cut(s.debugDescription)
        case .array(let items): return "[\(items.prefix(6).map(show).joined(separator: ", "))\(items.count > 6 ? ", …" : "")]"
        case .object(let members): return "{\(members.keys.sorted().prefix(6).joined(separator: ", "))}"
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .bool(let v): return String(v)
        case .null: return "null"
        }
    }

    static func cut(_ text: String) -> String { text.count > 100 ? String(text.prefix(100)) + "…" : text }
}
