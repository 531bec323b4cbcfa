import ArgumentParser

/// `brigade topology …`: work with topology files (docs/topology.md).
struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Work with topology files.",
        subcommands: [TopologyCheck.self]
    )
}
