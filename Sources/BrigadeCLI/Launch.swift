import ArgumentParser
import Cluster
import Foundation

/// `brigade launch`: starts a topology's agents on their hosts over SSH and checks that they joined.
struct Launch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the agents of a topology on their hosts over SSH, and check that they join.",
        discussion: """
            For each node (or each --node), runs `brigade agent --topology PATH --node NAME` on the node's host \
            over ssh (with BatchMode=yes, the node's ssh.user, ssh.port and ssh.identity_file, and a connect \
            timeout), detached with setsid and nohup, its output in STATE_DIR/logs/NAME.log on that host. A \
            loopback node without an ssh section is started on this machine without ssh. The remote hosts must \
            hold the brigade binary and the topology at the same absolute paths as here (a shared or identically \
            laid out file system) unless --remote-brigade and --remote-topology say otherwise, plus the keys and \
            the model; BRIGADE_HOME is passed on when it is set here.

            The coordinator: by default it is started on this machine (detached, log in STATE_DIR/logs/\
            coordinator.log) unless one already answers at the topology's API address; --coordinator always \
            starts it (and fails if one answers), --no-coordinator never does. Starting it here needs this \
            machine to own the topology's coordinator address.

            Then it polls the coordinator's /v1/cluster until every launched agent is a member, printing a line \
            per step, and exits 0 (with --wait-serving, it also waits until every pipeline serves). An ssh \
            failure, a missing binary or an agent that exits is reported with the node's name, and everything \
            the launch started is stopped again (not after a --wait-serving timeout: the agents have joined by then). The PIDs are recorded in STATE_DIR/launch.json; \
            `brigade launch --stop TOPOLOGY` stops those agents over ssh (SIGTERM, which stops their workers; \
            SIGKILL after the grace period) and then the coordinator if the launch started it.
            """)

    @Argument(help: "The topology file.")
    var topology: String

    @Flag(help: "Stop what the last launch of this topology started, instead of launching.")
    var stop = false

    @Option(name: .customLong("node"), help: "Launch only this node (repeatable; default: every node).")
    var nodes: [String] = []

    @Flag(inversion: .prefixedNo, help: "Start the coordinator on this machine (default: unless one answers already).")
    var coordinator: Bool?

    @Option(help: "The brigade binary on the remote hosts (default: this binary's absolute path).")
    var remoteBrigade: String?

    @Option(help: "The topology file on the remote hosts (default: this file's absolute path).")
    var remoteTopology: String?

    @Option(help: "Seconds ssh may take to connect to a host.")
    var connectTimeout = 10

    @Option(name: .customLong("ssh-option"), help: "An extra ssh -o option, e.g. StrictHostKeyChecking=accept-new (repeatable).")
    var sshOptions: [String] = []

    @Option(help: "Seconds to wait for the coordinator to answer and every agent to join.")
    var timeout = 120

    @Flag(help: "After the agents join, also wait until every pipeline serves.")
    var waitServing = false

    @Option(help: "Seconds to wait for the pipelines to serve (with --wait-serving).")
    var servingTimeout = 600

    @Option(help: "With --stop: seconds an agent has to stop after SIGTERM before it gets SIGKILL.")
    var grace = 10

    func validate() throws {
        if stop, !nodes.isEmpty { throw ValidationError("--stop stops every process of the last launch; leave out --node") }
        if connectTimeout < 1 { throw ValidationError("--connect-timeout must be at least 1") }
        if timeout < 1 || servingTimeout < 1 || grace < 0 { throw ValidationError("timeouts must be positive") }
    }

    func run() async throws {
        let launch = try RemoteLaunch(
            topologyPath: topology, executable: brigadeExecutable(),
            options: .init(
                remoteExecutable: remoteBrigade, remoteTopology: remoteTopology, nodes: nodes, coordinator: coordinator,
                connectTimeout: connectTimeout, sshOptions: sshOptions))
        if stop {
            do {
                try await launch.stop(grace: .seconds(grace)) { logLine($0) }
            } catch {
                logLine("brigade launch --stop failed: \(error)")
                throw ExitCode(1)
            }
            return
        }
        do {
            let record = try await launch.start(joinTimeout: .seconds(timeout)) { logLine($0) }
            if waitServing { try await launch.waitUntilServing(timeout: .seconds(servingTimeout)) { logLine($0) } }
            print("launched \(record.agents.count) agent(s): \(record.agents.map { "\($0.node) (pid \($0.pid) on \($0.host))" }.joined(separator: ", "))")
            print("API: \(launch.apiURL)/v1; stop with: brigade launch --stop \(launch.topologyPath)")
        } catch {
            logLine("brigade launch failed: \(error)")
            throw ExitCode(1)
        }
    }
}
