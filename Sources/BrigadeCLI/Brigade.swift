import ArgumentParser

/// The `brigade` command: one executable for every role (DESIGN.md §7).
@main
struct Brigade: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brigade",
        abstract: "Serve large language models across a cluster as a pipeline of stage workers.",
        version: "0.1.0",
        subcommands: [
            Up.self,
            CoordinatorCommand.self,
            AgentCommand.self,
            Launch.self,
            WorkerCommand.self,
            Status.self,
            Chat.self,
            Generate.self,
            Model.self,
            TopologyCommand.self,
            Bench.self,
            Keys.self,
        ],
        defaultSubcommand: Up.self
    )
}
