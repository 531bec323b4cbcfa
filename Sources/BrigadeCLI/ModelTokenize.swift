import ArgumentParser
import Foundation
import ModelFormats
import Tokenizer

/// `brigade model tokenize`: the token ids (and pieces) a model's tokenizer gives for some text, and the text back.
struct ModelTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a model's tokenizer and show ids, pieces and the round trip."
    )

    @Option(help: "GGUF file, or a directory with tokenizer.json (default: the SmolLM2 GGUF in $BRIGADE_HOME).")
    var model: String?

    @Flag(help: "Treat special token strings (<|im_start|>) as plain text.")
    var plainSpecial = false

    @Flag(help: "Wrap the text as one user message in the model's chat template first.")
    var chat = false

    @Argument(help: "The text to tokenize (reads standard input when absent).")
    var text: String?

    func run() throws {
        let path = model ?? BenchModelPath.defaultModel()
        let tokenizer: BPETokenizer
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            tokenizer = try BPETokenizer(directory: path)
        } else {
            tokenizer = try BPETokenizer(gguf: GGUFFile(path: path).metadata)
        }
        var input = text ?? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        if chat {
            let template = try ChatTemplate.detect(from: tokenizer.chatTemplateSource)
            input = template.render([ChatMessage(role: "user", content: input)])
        }
        let ids = tokenizer.encode(input, parseSpecial: !plainSpecial)
        print("ids (\(ids.count)): \(ids)")
        let pieces = ids.map { id in String(decoding: tokenizer.bytes(for: id) ?? [], as: UTF8.self).debugDescription }
        print("pieces: " + pieces.joined(separator: " "))
        let back = tokenizer.decode(ids)
        print("round trip: \(back == input ? "exact" : "differs: \(back.debugDescription)")")
    }
}
