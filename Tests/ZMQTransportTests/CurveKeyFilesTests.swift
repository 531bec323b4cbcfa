import Testing
import Transport
import ZMQTransport
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite("CURVE key files")
struct CurveKeyFilesTests {
    private func temporaryFolder() throws -> String {
        var template = Array("/tmp/brigade-keys-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
        return String(cString: path)
    }

    @Test("keys are written as NODE.key (mode 0600) and NODE.pub, and load back")
    func writeAndLoad() throws {
        let folder = try temporaryFolder()
        let keys = try CurveKeyPair.generate()
        try CurveKeyFiles.write(keys, name: "node-a", directory: folder)
        let (secret, publicPath) = CurveKeyFiles.paths(for: "node-a", in: folder)
        var info = stat()
        #expect(stat(secret, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try CurveKeyFiles.load(secretKeyFile: secret) == keys)
        #expect(try CurveKeyFiles.loadPublicKey(publicPath) == keys.publicKey)
        let again = #expect(throws: TransportError.self) { try CurveKeyFiles.write(keys, name: "node-a", directory: folder) }
        #expect(again?.message.contains("--force") == true)
        try CurveKeyFiles.write(try CurveKeyPair.generate(), name: "node-a", directory: folder, overwrite: true)
        #expect(try CurveKeyFiles.load(secretKeyFile: secret) != keys)
        unlink(secret)
        unlink(publicPath)
        rmdir(folder)
    }

    @Test("a secret key others can read, a corrupt key and a bad name are refused, naming the file")
    func refusals() throws {
        let folder = try temporaryFolder()
        let keys = try CurveKeyPair.generate()
        try CurveKeyFiles.write(keys, name: "n", directory: folder)
        let (secret, publicPath) = CurveKeyFiles.paths(for: "n", in: folder)
        chmod(secret, 0o644)
        let open = #expect(throws: TransportError.self) { try CurveKeyFiles.load(secretKeyFile: secret) }
        #expect(open?.message.contains(secret) == true)
        chmod(secret, 0o600)
        let file = fopen(secret, "w")
        fputs("not-a-key\n", file)
        fclose(file)
        let corrupt = #expect(throws: TransportError.self) { try CurveKeyFiles.load(secretKeyFile: secret) }
        #expect(corrupt?.message.contains(secret) == true)
        #expect(throws: TransportError.self) { try CurveKeyFiles.write(keys, name: "../x", directory: folder) }
        unlink(secret)
        unlink(publicPath)
        rmdir(folder)
    }
}
