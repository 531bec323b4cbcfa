#if canImport(Glibc)
import Glibc
#endif
import Transport

/// The bytes of one bulk transfer being reassembled; the delivered frames borrow slices of it.
final class ReassemblyStorage: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int

    init?(count: Int) {
        guard let memory = malloc(max(count, 1)) else { return nil }
        base = memory
        self.count = count
    }

    deinit { free(base) }
}

/// Puts chunked bulk messages back together, within limits on size, count and time (loop-confined state).
///
/// Chunks of one transfer arrive in order on one connection, so each must be the next in sequence at the next
/// offset; anything else ends the transfer. Every rejected or abandoned transfer is reported once, with a reason,
/// and its later chunks are ignored.
struct Reassembler {
    struct Limits {
        var chunkSize: Int
        var maxMessageSize: Int
        var maxFrames: Int
        var maxTransfersPerSender: Int
        var maxTransfers: Int
        var idleTimeoutNanoseconds: UInt64
    }

    struct Key: Hashable {
        var sender: NodeID
        var transferID: UInt64
    }

    /// Why a chunk or a transfer was dropped.
    struct Rejection: Error {
        var reason: DropReason
        var message: String
    }

    /// A finished transfer: the original header and its frames.
    struct Completed {
        var header: FrameHeader
        var frames: [Buffer]
    }

    private struct Transfer {
        var storage: ReassemblyStorage
        var original: ChunkDescriptor.Original
        var chunkCount: UInt32
        var nextSequence: UInt32 = 0
        var received = 0
        var lastActivity: UInt64
    }

    let limits: Limits
    private var transfers: [Key: Transfer] = [:]
    /// Transfers already reported as dropped, whose remaining chunks are ignored silently (bounded).
    private var abandoned: Set<Key> = []

    init(limits: Limits) { self.limits = limits }

    var activeTransfers: Int { transfers.count }

    /// Checks the chunk `descriptor` from `header.sender` and returns where its `chunkBytes` of data go. Returns nil
    /// for a chunk of a transfer already dropped (ignore it).
    mutating func begin(_ descriptor: ChunkDescriptor, from header: FrameHeader, now: UInt64) throws(Rejection)
        -> UnsafeMutableRawBufferPointer?
    {
        let key = Key(sender: header.sender, transferID: descriptor.transferID)
        if abandoned.contains(key) { return nil }
        guard Int(descriptor.chunkBytes) <= limits.chunkSize else {
            throw abandon(key, .oversize, "chunk of \(descriptor.chunkBytes) bytes exceeds the \(limits.chunkSize)-byte chunk size")
        }
        if descriptor.sequence == 0 {
            guard transfers[key] == nil else { throw abandon(key, .malformed, "transfer \(key.transferID) started twice") }
            guard let original = descriptor.original else { throw abandon(key, .malformed, "first chunk lacks the original header") }
            guard original.header.sender == header.sender else {
                throw abandon(key, .forgedSender, "chunk sender \(header.sender) carries a message from \(original.header.sender)")
            }
            guard descriptor.totalBytes <= UInt64(limits.maxMessageSize) else {
                throw abandon(key, .oversize, "transfer of \(descriptor.totalBytes) bytes exceeds \(limits.maxMessageSize)")
            }
            let fromSender = transfers.keys.filter { $0.sender.name == header.sender.name }.count
            guard fromSender < limits.maxTransfersPerSender, transfers.count < limits.maxTransfers else {
                throw abandon(key, .queueFull, "too many transfers being reassembled (\(fromSender) from \(header.sender.name), \(transfers.count) in all)")
            }
            guard let storage = ReassemblyStorage(count: Int(descriptor.totalBytes)) else {
                throw abandon(key, .oversize, "cannot allocate \(descriptor.totalBytes) bytes")
            }
            transfers[key] = Transfer(storage: storage, original: original, chunkCount: descriptor.chunkCount, lastActivity: now)
        }
        guard var transfer = transfers[key] else {
            throw abandon(key, .malformed, "chunk \(descriptor.sequence) of unknown transfer \(key.transferID)")
        }
        guard descriptor.sequence == transfer.nextSequence, descriptor.chunkCount == transfer.chunkCount,
            descriptor.totalBytes == UInt64(transfer.storage.count), descriptor.offset == UInt64(transfer.received)
        else {
            throw abandon(key, .malformed, "chunk \(descriptor.sequence) at \(descriptor.offset) out of order (expected \(transfer.nextSequence) at \(transfer.received))")
        }
        let isLast = descriptor.sequence == descriptor.chunkCount - 1
        guard isLast == (transfer.received + Int(descriptor.chunkBytes) == transfer.storage.count) else {
            throw abandon(key, .malformed, "chunk \(descriptor.sequence) of \(descriptor.chunkCount) does not end the transfer where its size says")
        }
        transfer.lastActivity = now
        transfers[key] = transfer
        return UnsafeMutableRawBufferPointer(start: transfer.storage.base + transfer.received, count: Int(descriptor.chunkBytes))
    }

    /// Records that the data of the chunk opened by `begin` was written (`written` bytes). Returns the message
    /// when this was the last chunk.
    mutating func finish(_ descriptor: ChunkDescriptor, from sender: NodeID, written: Int) throws(Rejection) -> Completed? {
        let key = Key(sender: sender, transferID: descriptor.transferID)
        guard var transfer = transfers[key] else { return nil }
        guard written == Int(descriptor.chunkBytes) else {
            throw abandon(key, .malformed, "chunk \(descriptor.sequence) carried \(written) bytes, its descriptor says \(descriptor.chunkBytes)")
        }
        transfer.received += written
        transfer.nextSequence += 1
        guard transfer.nextSequence == transfer.chunkCount else {
            transfers[key] = transfer
            return nil
        }
        transfers[key] = nil
        let storage = transfer.storage
        var frames: [Buffer] = []
        var offset = 0
        for size in transfer.original.frameSizes {
            frames.append(size == 0 ? .empty : Buffer(borrowing: storage.base + offset, count: size, owner: storage))
            offset += size
        }
        return Completed(header: transfer.original.header, frames: frames)
    }

    /// Drops transfers idle for longer than the limit or past their deadline; returns one rejection each.
    mutating func expire(now: UInt64) -> [Rejection] {
        var dropped: [Rejection] = []
        for (key, transfer) in transfers {
            if transfer.original.header.deadline.isExpired {
                dropped.append(abandon(key, .expired, "transfer \(key.transferID) from \(key.sender) passed its deadline"))
            } else if now &- transfer.lastActivity > limits.idleTimeoutNanoseconds {
                dropped.append(abandon(key, .malformed, "transfer \(key.transferID) from \(key.sender) stalled after \(transfer.received) of \(transfer.storage.count) bytes"))
            }
        }
        return dropped
    }

    /// Drops every transfer from incarnations of `name` older than `incarnation` (the peer restarted).
    mutating func dropTransfers(from name: String, olderThan incarnation: UInt64) -> [Rejection] {
        transfers.keys.filter { $0.sender.name == name && $0.sender.incarnation < incarnation }.map {
            abandon($0, .staleIncarnation, "transfer \($0.transferID) from \($0.sender), which restarted")
        }
    }

    /// Drops the transfer `key` (e.g. the chunk's data could not be read).
    mutating func abort(sender: NodeID, transferID: UInt64, _ reason: DropReason, _ message: String) -> Rejection {
        abandon(Key(sender: sender, transferID: transferID), reason, message)
    }

    private mutating func abandon(_ key: Key, _ reason: DropReason, _ message: String) -> Rejection {
        transfers[key] = nil
        if abandoned.count >= 4096 { abandoned.removeAll() }
        abandoned.insert(key)
        return Rejection(reason: reason, message: message)
    }
}
