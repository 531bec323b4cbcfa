/// The scanning loops behind `PreTokenizer`: each appends the pieces of `start..<end` to `out`.
struct Scanner {
    let scalars: UnsafeBufferPointer<Unicode.Scalar>
    let classes: UnsafeBufferPointer<ScalarClass>

    private func isNewline(_ i: Int) -> Bool { scalars[i] == "\n" || scalars[i] == "\r" }

    /// The end of the run of `cls` starting at `i`.
    private func run(_ i: Int, _ end: Int, _ cls: ScalarClass) -> Int {
        var j = i
        while j < end, classes[j] == cls { j += 1 }
        return j
    }

    /// The length of a contraction (`'s`, `'re`…) at `i`, or 0.
    private func contraction(_ i: Int, _ end: Int, ignoringCase: Bool) -> Int {
        guard scalars[i] == "'", i + 1 < end else { return 0 }
        func lower(_ k: Int) -> UInt32 {
            let v = scalars[k].value
            return ignoringCase && (0x41...0x5A).contains(v) ? v + 32 : v
        }
        let a = lower(i + 1)
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 }  // s t m d
        guard i + 2 < end else { return 0 }
        let b = lower(i + 2)
        if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return 3 }  // re ve ll
        return 0
    }

    /// `\s+(?!\S)|\s+` at `i`, which must be whitespace: the whole run if it ends the text, else all but its last
    /// character (which then joins the next piece or stands alone).
    private func whitespace(_ i: Int, _ end: Int) -> Int {
        let w = run(i, end, .space)
        if w == end || w - i < 2 { return w }
        return w - 1
    }

    mutating func gpt2(_ start: Int, _ end: Int, into out: inout [Range<Int>]) {
        var i = start
        while i < end {
            let contracted = contraction(i, end, ignoringCase: false)
            if contracted > 0 {
                out.append(i..<(i + contracted))
                i += contracted
                continue
            }
            var j = i
            if scalars[i] == " ", i + 1 < end, classes[i + 1] != .space { j = i + 1 }
            let cls = classes[j]
            let next = cls == .space ? whitespace(i, end) : run(j, end, cls)
            out.append(i..<next)
            i = next
        }
    }

    mutating func llama3(_ start: Int, _ end: Int, into out: inout [Range<Int>]) {
        var i = start
        while i < end {
            let next = llama3Piece(i, end)
            out.append(i..<next)
            i = next
        }
    }

    private func llama3Piece(_ i: Int, _ end: Int) -> Int {
        let contracted = contraction(i, end, ignoringCase: true)
        if contracted > 0 { return i + contracted }
        let cls = classes[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls == .letter { return run(i, end, .letter) }
        if cls != .number, !isNewline(i), i + 1 < end, classes[i + 1] == .letter { return run(i + 1, end, .letter) }
        // \p{N}{1,3}
        if cls == .number {
            var j = i
            while j < end, j - i < 3, classes[j] == .number { j += 1 }
            return j
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        var j = i
        if scalars[i] == " ", i + 1 < end, classes[i + 1] == .other { j = i + 1 }
        if classes[j] == .other {
            j = run(j, end, .other)
            while j < end, isNewline(j) { j += 1 }
            return j
        }
        // \s*[\r\n]+ : up to and including the last newline of the whitespace run.
        let w = run(i, end, .space)
        var lastNewline = -1
        for k in i..<w where isNewline(k) { lastNewline = k }
        if lastNewline >= 0 { return lastNewline + 1 }
        return whitespace(i, end)
    }
}
