import ArgumentParser

/// `brigade model …`: manage model files (fetch the default model into the local cache).
struct Model: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage model files.",
        subcommands: [ModelFetch.self, ModelInspect.self, ModelTokenize.self]
    )
}
