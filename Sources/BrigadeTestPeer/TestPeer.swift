import ArgumentParser

/// `brigade-test-peer`: a child process that multi-process tests start as a peer (an echo node, an actor host…).
/// Each scenario is a subcommand; tests find this binary next to the test bundle in the build folder.
@main
struct TestPeer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brigade-test-peer",
        abstract: "Peer processes for Brigade's multi-process tests.",
        subcommands: [TransportNode.self, TransportEcho.self, ActorHost.self, MembershipNode.self]
    )
}
