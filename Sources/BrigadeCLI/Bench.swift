import ArgumentParser

/// `brigade bench …`: benchmarks that print one JSON object per line (snake_case keys).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its numbers as JSON lines.",
        subcommands: [
            BenchDecode.self,
            BenchFormats.self,
            BenchTokenizer.self,
            BenchTransport.self,
            BenchRPC.self,
            BenchHTTP.self,
            BenchServe.self,
            BenchMembership.self,
        ]
    )
}
