import Foundation
import ProcessSupport

#if canImport(Glibc)
import Glibc
#endif

/// A small network of "machines" on this one: `count` network namespaces, each joined by a veth pair to a bridge
/// in the root namespace (bridge `10.231.K.1/24`, namespace i `10.231.K.(i+2)/24`), each running its own `sshd`
/// that admits one generated client key for root.
///
/// Every name starts with `brl<PID of this test process>`, so `removeLeftovers()` can delete what a crashed run
/// left behind (names whose PID no longer runs) without touching a run in progress. `tearDown()` stops the sshd
/// processes and everything else inside the namespaces by PID, then deletes the namespaces and the bridge by name;
/// it is safe to call on every exit path, and more than once.
final class NetnsLab: @unchecked Sendable {
    static let prefix = "brl"

    /// Whether this machine can run the lab: root, with `ip`, `sshd`, `ssh` and `ssh-keygen`.
    static var available: Bool {
        getuid() == 0 && ["/usr/sbin/ip", "/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    let id = "\(NetnsLab.prefix)\(getpid())"
    let folder: String
    let subnet: String
    var bridge: String { id + "br" }
    let namespaces: [String]
    /// The bridge's address (this machine as the namespaces see it).
    var bridgeAddress: String { subnet + ".1" }
    /// The client key that the namespaces' sshd admit, and one that they do not.
    var clientKey: String { folder + "/ssh/client" }
    var strangerKey: String { folder + "/ssh/stranger" }
    private let lock = NSLock()
    private var sshd: [ChildProcess] = []
    private var tornDown = false

    /// `ssh -o` options for hosts whose keys are made afresh each run.
    static let sshOptions = ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "LogLevel=ERROR"]

    init(count: Int, folder: String) {
        self.folder = folder
        subnet = "10.231.\(20 + Int(getpid()) % 230)"
        namespaces = (0..<count).map { "\(NetnsLab.prefix)\(getpid())-\(String(UnicodeScalar(UInt8(97 + $0))))" }
    }

    /// The address of namespace `index`.
    func address(_ index: Int) -> String { "\(subnet).\(index + 2)" }

    /// Builds the network and starts sshd in every namespace; waits (with a deadline) until each admits the key.
    func setUp() async throws {
        try FileManager.default.createDirectory(atPath: folder + "/ssh", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for key in ["host", "client", "stranger"] {
            try sh("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "brigade-launch-test", "-f", "\(folder)/ssh/\(key)")
        }
        try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: folder + "/ssh/authorized_keys")

        try ip("link", "add", bridge, "type", "bridge")
        // Bridged frames must not meet the host's iptables FORWARD rules (br_netfilter); not every kernel has the knob.
        _ = try? ip("link", "set", bridge, "type", "bridge", "nf_call_iptables", "0")
        try ip("addr", "add", bridgeAddress + "/24", "dev", bridge)
        try ip("link", "set", bridge, "up")
        for (index, ns) in namespaces.enumerated() {
            let outside = ns, inside = ns + "p"
            try ip("netns", "add", ns)
            try ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            try ip("link", "set", inside, "netns", ns)
            try ip("link", "set", outside, "master", bridge)
            try ip("link", "set", outside, "up")
            try ip("-n", ns, "link", "set", "lo", "up")
            try ip("-n", ns, "addr", "add", address(index) + "/24", "dev", inside)
            try ip("-n", ns, "link", "set", inside, "up")
            try startSSHD(in: ns, address: address(index))
        }
        for index in namespaces.indices { try await waitForSSH(address(index)) }
    }

    private func startSSHD(in ns: String, address: String) throws {
        let config = "\(folder)/ssh/sshd-\(ns).conf"
        try """
            ListenAddress \(address)
            Port 22
            HostKey \(folder)/ssh/host
            PidFile \(folder)/ssh/sshd-\(ns).pid
            AuthorizedKeysFile \(folder)/ssh/authorized_keys
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            StrictModes no
            UsePAM no

            """.write(toFile: config, atomically: true, encoding: .utf8)
        // `ip netns exec` execs sshd, so the child's PID is sshd's (-D: no daemon; -e: log to the file).
        let child = try ChildProcess(
            name: "sshd-\(ns)", executable: "/usr/sbin/ip",
            arguments: ["netns", "exec", ns, "/usr/sbin/sshd", "-D", "-e", "-f", config],
            output: "\(folder)/ssh/sshd-\(ns).log")
        lock.withLock { sshd.append(child) }
    }

    /// Runs `true` over ssh until it succeeds, or fails after 30 s.
    private func waitForSSH(_ address: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var last = ""
        while ContinuousClock.now < deadline {
            if let dead = lock.withLock({ sshd.first { !$0.isRunning } }) {
                throw LabError("\(dead.name) exited: \(dead.termination!)\n\(log(of: dead.name))")
            }
            let result = try runProcess("/usr/bin/ssh", ["-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-i", clientKey]
                + Self.sshOptions.flatMap { ["-o", $0] } + ["root@" + address, "true"])
            if result.status == 0 { return }
            last = result.output
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError("sshd at \(address) did not admit the client key within 30 s: \(last)")
    }

    func log(of name: String) -> String {
        (try? String(contentsOfFile: "\(folder)/ssh/\(name).log", encoding: .utf8)) ?? "(no log)"
    }

    /// PIDs of the processes running in namespace `ns`.
    static func pids(in ns: String) -> [pid_t] {
        guard let result = try? runProcess("/usr/sbin/ip", ["netns", "pids", ns]), result.status == 0 else { return [] }
        return result.output.split(separator: "\n").compactMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `PID STATE COMMAND` of each process, for a failure message.
    static func describe(_ pids: [pid_t]) -> String {
        pids.map { pid in
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map {
                String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").prefix(160)
            } ?? ""
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?
                .split(separator: " ").first ?? "?"
            return "\(pid) \(stat) \(command)"
        }.joined(separator: "; ")
    }

    /// Stops every process in the namespaces (sshd, agents, workers), deletes the namespaces and the bridge.
    func tearDown() {
        let children: [ChildProcess]? = lock.withLock {
            guard !tornDown else { return nil }
            tornDown = true
            return sshd
        }
        guard let children else { return }
        for child in children where child.isRunning { child.send(SIGKILL) }
        Self.remove(namespaces: namespaces, links: [bridge] + namespaces)
    }

    /// Deletes namespaces and links named with the lab's prefix by a test process that no longer runs.
    static func removeLeftovers() {
        func stale(_ name: String) -> Bool {
            guard name.hasPrefix(prefix) else { return false }
            let digits = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = pid_t(digits), pid != getpid() else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        let namespaces = ((try? runProcess("/usr/sbin/ip", ["netns", "list"]))?.output ?? "")
            .split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }.filter(stale)
        let links = ((try? runProcess("/usr/sbin/ip", ["-o", "link", "show"]))?.output ?? "")
            .split(separator: "\n").compactMap { line -> String? in
                // "12: brl123br: <...>" or "13: brl123-a@if12: <...>"
                let fields = line.split(separator: ":", maxSplits: 2)
                guard fields.count > 1 else { return nil }
                return String(fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@")[0])
            }.filter(stale)
        remove(namespaces: namespaces, links: links)
    }

    private static func remove(namespaces: [String], links: [String]) {
        for ns in namespaces {
            // Kill by PID whatever still runs inside (agents and workers a failed test left), until none is left.
            let deadline = ContinuousClock.now + .seconds(10)
            while case let running = pids(in: ns), !running.isEmpty, ContinuousClock.now < deadline {
                for pid in running { kill(pid, SIGKILL) }
                usleep(50_000)
            }
            _ = try? runProcess("/usr/sbin/ip", ["netns", "delete", ns])
        }
        for link in links { _ = try? runProcess("/usr/sbin/ip", ["link", "delete", link]) }
    }

    @discardableResult
    private func ip(_ arguments: String...) throws -> String {
        try sh("/usr/sbin/ip", arguments)
    }

    @discardableResult
    private func sh(_ executable: String, _ arguments: String...) throws -> String {
        try sh(executable, arguments)
    }

    private func sh(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try runProcess(executable, arguments)
        guard result.status == 0 else {
            throw LabError("\(executable) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.output)")
        }
        return result.output
    }
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
