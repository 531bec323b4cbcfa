import Transport
import ZMQTransport

#if canImport(Glibc)
import Glibc
#endif

/// The `flood` command of `transport-node`: fills the bulk queue to a peer and reports what that cost in memory,
/// measured in this process, which does nothing else.
enum TransportFlood {
    /// Runs `flood PEER BYTES COUNT` and returns `accepted=… refused=… queued_bytes=… in_flight_bytes=…
    /// rss_before=… rss_full=… rss_after_retries=…` (bytes). After the first refusal it keeps trying 200 more
    /// times, to show that refused sends cost no memory.
    static func run(_ command: String, on transport: ZMQTransport) -> String {
        let words = command.split(separator: " ").map(String.init)
        guard words.count == 4, let size = Int(words[2]), let count = Int(words[3]), size > 0 else {
            return "error=usage:flood_PEER_BYTES_COUNT"
        }
        let peer = words[1]
        let before = residentBytes()
        var accepted = 0, refused = 0
        func attempt() -> Bool {
            // A fresh buffer each time: only what the transport keeps stays in memory.
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
            bytes.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: accepted))
            let message = Message(
                header: FrameHeader(kind: .oneway, sender: transport.localNode),
                frames: [Buffer(adoptingMalloced: bytes.baseAddress!, count: size)])
            do {
                try transport.trySend(message, to: peer, lane: .bulk)
                return true
            } catch {
                return false
            }
        }
        while accepted < count, attempt() { accepted += 1 }
        let full = residentBytes()
        for _ in 0..<200 where !attempt() { refused += 1 }
        let after = residentBytes()
        let depth = transport.queueDepth(to: peer, lane: .bulk)
        return "accepted=\(accepted) refused=\(refused) queued_bytes=\(depth?.bytes ?? -1) "
            + "in_flight_bytes=\(transport.zeroCopyBytesInFlight.now) rss_before=\(before) rss_full=\(full) rss_after_retries=\(after)"
    }

    /// This process's resident memory in bytes (/proc/self/statm).
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return 0 }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
