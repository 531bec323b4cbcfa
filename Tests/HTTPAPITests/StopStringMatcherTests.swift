import Testing

@testable import HTTPAPI

@Suite struct StopStringMatcherTests {
    /// Feeds pieces and returns the text released, whether a stop matched, and the held text at the end.
    private func run(_ stops: [String], _ pieces: [String]) -> (released: [String], stopped: Bool, tail: String) {
        var matcher = StopStringMatcher(stops)
        var released: [String] = []
        for piece in pieces {
            let (text, stopped) = matcher.append(piece)
            released.append(text)
            if stopped { return (released, true, matcher.finish()) }
        }
        return (released, false, matcher.finish())
    }

    @Test func withoutStopStringsTextPassesStraightThrough() {
        let result = run([], ["Hel", "lo", "\n\n"])
        #expect(result.released == ["Hel", "lo", "\n\n"])
        #expect(!result.stopped)
    }

    @Test func stopStringSplitAcrossPiecesIsFoundAndNotReturned() {
        let result = run(["\n\n"], ["The answer is 4", "2.\n", "\nNext question"])
        #expect(result.released == ["The answer is 4", "2.", ""])
        #expect(result.stopped)
        #expect(result.tail == "")
    }

    @Test func textThatMightStartAStopIsHeldUntilItCannot() {
        var matcher = StopStringMatcher(["STOP"])
        #expect(matcher.append("go ST") == ("go ", false))
        #expect(matcher.append("O") == ("", false))
        #expect(matcher.append("RE") == ("STORE", false))
    }

    @Test func heldTextIsReleasedWhenTheGenerationEnds() {
        let result = run(["<end>"], ["done <en"])
        #expect(result.released == ["done "])
        #expect(!result.stopped)
        #expect(result.tail == "<en")
    }

    @Test func theEarliestOfSeveralStopStringsWins() {
        let result = run(["world", "lo w"], ["Hello world"])
        #expect(result.released == ["Hel"])
        #expect(result.stopped)
    }

    @Test func aStopStringInsideOnePieceCutsThere() {
        let result = run(["###"], ["abc###def"])
        #expect(result.released == ["abc"])
        #expect(result.stopped)
    }

    @Test func multiByteStopStringsMatchAcrossPiecesWithoutBreakingCharacters() {
        let result = run(["世界"], ["你好", "世", "界!"])
        #expect(result.released == ["你好", "", ""])
        #expect(result.stopped)
        // A held prefix that turns out not to be a stop is released whole.
        let other = run(["世界"], ["你好世", "人"])
        #expect(other.released == ["你好", "世人"])
    }

    @Test func overlappingPrefixesHoldTheLongestPossibleStart() {
        // "aab" could start at either 'a'; both must be held until the next character decides.
        var matcher = StopStringMatcher(["aab"])
        #expect(matcher.append("xaa") == ("x", false))
        #expect(matcher.append("a") == ("a", false))
        #expect(matcher.append("b") == ("", true))
    }

    @Test func afterStoppingNothingMoreIsReleased() {
        var matcher = StopStringMatcher(["x"])
        #expect(matcher.append("axb") == ("a", true))
        #expect(matcher.append("more") == ("", true))
        #expect(matcher.finish() == "")
    }
}
