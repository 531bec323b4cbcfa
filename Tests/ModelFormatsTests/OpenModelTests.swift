import Testing

@testable import ModelFormats

/// `openModel(at:)` picks the format from the path.
struct OpenModelTests {
    @Test func opensGGUFByExtensionOrMagic() throws {
        let dir = try TemporaryDirectory()
        let bytes = GGUFReadTests.sampleFile().bytes()
        try dir.write("tiny.gguf", bytes)
        try dir.write("tiny.bin", bytes)
        for name in ["tiny.gguf", "tiny.bin"] {
            let model = try openModel(at: dir.path + "/" + name)
            #expect(model is GGUFFile)
            #expect(try model.readFloat32("f32") == [1, -2, 3.5, 0, 1e-3, -7])
            #expect(model.modelMetadata.gguf?["general.architecture"]?.string == "llama")
        }
    }

    @Test func rejectsWhatItDoesNotKnow() throws {
        let dir = try TemporaryDirectory()
        try dir.write("notes.txt", "hello")
        let unknown = #expect(throws: ModelFormatError.self) { try openModel(at: dir.path + "/notes.txt") }
        #expect(unknown?.code == .unknownFormat)
        let empty = #expect(throws: ModelFormatError.self) { try openModel(at: dir.path) }
        #expect(empty?.code == .unknownFormat)
        let absent = #expect(throws: ModelFormatError.self) { try openModel(at: dir.path + "/nothing.gguf") }
        #expect(absent?.code == .io)
        #expect(absent?.file.hasSuffix("nothing.gguf") == true)
    }

    @Test func localFileSourceReadsRangesAndRejectsOverruns() throws {
        let dir = try TemporaryDirectory()
        try dir.write("data", (0..<100).map(UInt8.init))
        let source = try LocalFileSource(path: dir.path + "/data")
        #expect(try source.size() == 100)
        #expect(try source.read(offset: 90, count: 10) == (90..<100).map(UInt8.init))
        let past = #expect(throws: ModelFormatError.self) { try source.read(offset: 95, count: 10) }
        #expect(past?.code == .truncated)
        let overflow = #expect(throws: ModelFormatError.self) { try source.read(offset: Int.max, count: 2) }
        #expect(overflow?.code == .truncated)
        #expect((#expect(throws: ModelFormatError.self) { try LocalFileSource(path: dir.path) })?.code == .io)
    }
}

/// Many threads reading one file at once through `LocalFileSource` (pread) get exactly the bytes they asked for.
struct ConcurrentReadTests {
    @Test func concurrentTensorReadsAgree() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("tiny.gguf", GGUFReadTests.sampleFile().bytes())
        let file = try GGUFFile(path: dir.path + "/tiny.gguf")
        let expected = try Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, try file.readFloat32($0)) })
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for round in 0..<50 {
                        let name = file.tensorNames[(task + round) % file.tensorNames.count]
                        guard try file.readFloat32(name) == expected[name] else { return false }
                    }
                    return true
                }
            }
            for try await agreed in group { #expect(agreed) }
        }
    }
}
