import ArgumentParser
import ZMQTransport
import ZeroMQ

/// `brigade keys`: generates a node's CURVE key pair (DESIGN.md §3, security).
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a CURVE key pair for a node.",
        discussion: """
            Writes NODE.key (the secret key, Z85, readable only by you: mode 0600) and NODE.pub (the public key, \
            Z85) into the output folder, and prints the public key. List the public key under the node in the \
            topology's security section so peers admit it; keep NODE.key on the node only.
            """)

    @Option(help: "Folder to write the key files into.")
    var out = "."

    @Option(help: "Node name; the files are NODE.key and NODE.pub.")
    var name = "node"

    @Flag(help: "Replace existing key files.")
    var force = false

    func run() throws {
        let keys = try CurveKeyPair.generate()
        try CurveKeyFiles.write(keys, name: name, directory: out, overwrite: force)
        print(keys.publicKey)
    }
}
