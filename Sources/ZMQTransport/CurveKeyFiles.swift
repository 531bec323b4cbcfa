#if canImport(Glibc)
import Glibc
#endif
import Transport
import ZeroMQ

/// A node's CURVE key files, as `brigade keys` writes them: `NODE.key` holds the secret key (Z85, one line, mode
/// 0600) and `NODE.pub` the public key (Z85, one line).
public enum CurveKeyFiles {
    /// Where `name`'s files go in `directory`: (secret, public).
    public static func paths(for name: String, in directory: String) -> (secret: String, public: String) {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        return (base + ".key", base + ".pub")
    }

    /// Writes `keys` for node `name` into `directory`. Refuses to replace existing files unless `overwrite`.
    /// - Throws: `TransportError(.invalidConfiguration)` for a bad name, `.io` naming the file that failed.
    public static func write(_ keys: CurveKeyPair, name: String, directory: String, overwrite: Bool = false) throws(TransportError) {
        guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), name != ".", name != ".." else {
            throw TransportError(.invalidConfiguration, "node name '\(name)' cannot name a key file")
        }
        let (secret, publicPath) = paths(for: name, in: directory)
        try writeFile(secret, keys.secretKey + "\n", mode: 0o600, overwrite: overwrite)
        try writeFile(publicPath, keys.publicKey + "\n", mode: 0o644, overwrite: overwrite)
    }

    /// Reads a secret-key file and derives the pair. Refuses a file that others can read.
    /// - Throws: `TransportError(.invalidConfiguration)` naming the file and what is wrong with it.
    public static func load(secretKeyFile path: String) throws(TransportError) -> CurveKeyPair {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw TransportError(.invalidConfiguration, "key file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw TransportError(.invalidConfiguration, "key file \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        let text = try readFile(path).trimmingWhitespace()
        do {
            return try CurveKeyPair(secretKey: text)
        } catch {
            throw TransportError(.invalidConfiguration, "key file \(path): \(error.message)")
        }
    }

    /// Reads a public-key file (one Z85 key).
    public static func loadPublicKey(_ path: String) throws(TransportError) -> String {
        let text = try readFile(path).trimmingWhitespace()
        do {
            try CurveKeyPair.validate(text, role: "public")
        } catch {
            throw TransportError(.invalidConfiguration, "public key file \(path): \(error.message)")
        }
        return text
    }

    private static func writeFile(_ path: String, _ text: String, mode: mode_t, overwrite: Bool) throws(TransportError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL)
        let fd = open(path, flags, mode)
        guard fd >= 0 else {
            throw TransportError(.io, "cannot create \(path): \(String(cString: strerror(errno)))\(errno == EEXIST ? " (use --force to replace it)" : "")")
        }
        defer { close(fd) }
        // O_CREAT applies `mode` only to new files; make an overwritten file's mode right too.
        guard fchmod(fd, mode) == 0 else { throw TransportError(.io, "chmod \(path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw TransportError(.io, "writing \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func readFile(_ path: String) throws(TransportError) -> String {
        guard let file = fopen(path, "r") else {
            throw TransportError(.invalidConfiguration, "key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = fread(&bytes, 1, bytes.count, file)
        return String(decoding: bytes[..<count], as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0.properties.isWhitespace }
        return String(String.UnicodeScalarView(scalars.reversed().drop { $0.properties.isWhitespace }.reversed()))
    }
}
