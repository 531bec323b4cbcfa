import ArgumentParser
import Cluster
import Foundation

/// `brigade chat`: talks to a running cluster through its OpenAI-compatible API.
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a model served by a running cluster.",
        discussion: "With a MESSAGE, sends it and prints the streamed answer. Without one, reads messages from standard input, one per line, keeping the conversation.")

    @Argument(help: "A message to send (omit for an interactive session).")
    var message: String?

    @Option(help: "The cluster's API URL.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "The model (default: the first one the cluster serves).")
    var model: String?

    @Option(help: "The most tokens per answer.")
    var maxTokens: Int?

    @Option(help: "Sampling temperature (0 is greedy).")
    var temperature: Double?

    @Option(help: "Bearer token for the API (default: $BRIGADE_API_TOKEN).")
    var token: String? = ProcessInfo.processInfo.environment["BRIGADE_API_TOKEN"]

    func run() async throws {
        let client = ClusterHTTPClient(baseURL: url, token: token)
        let modelName: String
        if let model {
            modelName = model
        } else {
            let (status, body) = try await client.get("/v1/models")
            guard status == 200, let object = try JSONSerialization.jsonObject(with: body) as? [String: Any],
                let first = (object["data"] as? [[String: Any]])?.first?["id"] as? String
            else { throw ValidationError("cannot list the models at \(url) (status \(status))") }
            modelName = first
        }
        var history: [[String: String]] = []
        func send(_ text: String) async throws {
            history.append(["role": "user", "content": text])
            var answer = ""
            _ = try await client.streamChat(model: modelName, messages: history, maxTokens: maxTokens, temperature: temperature) { piece in
                answer += piece
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            print()
            history.append(["role": "assistant", "content": answer])
        }
        if let message {
            try await send(message)
            return
        }
        logLine("chatting with \(modelName) at \(url); one message per line, Ctrl-D to end")
        while let line = readLine() {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            try await send(line)
        }
    }
}
