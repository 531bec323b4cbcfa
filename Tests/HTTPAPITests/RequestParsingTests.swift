import Foundation
import Testing

@testable import HTTPAPI

@Suite struct RequestParsingTests {
    private func object(_ json: String) throws -> [String: JSONValue] {
        try JSONValue.parseObject(Data(json.utf8))
    }

    private func completionError(_ json: String) throws -> APIError {
        let object = try object(json)
        do {
            _ = try CompletionRequest(object)
        } catch let error as APIError {
            return error
        }
        Issue.record("expected \(json) to be rejected")
        return APIError.internalError("not rejected")
    }

    private func chatError(_ json: String) throws -> APIError {
        let object = try object(json)
        do {
            _ = try ChatCompletionRequest(object)
        } catch let error as APIError {
            return error
        }
        Issue.record("expected \(json) to be rejected")
        return APIError.internalError("not rejected")
    }

    @Test func aMinimalCompletionTakesDefaultsAndIgnoresUnknownFields() throws {
        let request = try CompletionRequest(
            object(#"{"model": "m", "prompt": "Hi", "user": "u-1", "some_future_field": {"x": [1, 2]}}"#))
        #expect(request.prompt == .text("Hi"))
        #expect(request.options.model == "m")
        #expect(request.options.maxTokens == nil)
        #expect(request.options.stop == [])
        #expect(!request.options.stream)
        #expect(!request.options.includeUsage)
    }

    @Test func everyPromptFormIsRead() throws {
        #expect(try CompletionRequest(object(#"{"model":"m","prompt":["one"]}"#)).prompt == .text("one"))
        #expect(try CompletionRequest(object(#"{"model":"m","prompt":[1,2,3]}"#)).prompt == .tokens([1, 2, 3]))
        #expect(try CompletionRequest(object(#"{"model":"m","prompt":[[7,8]]}"#)).prompt == .tokens([7, 8]))
        let many = try completionError(#"{"model":"m","prompt":["a","b"]}"#)
        #expect(many.param == "prompt" && many.code == "unsupported_parameter")
        #expect(try completionError(#"{"model":"m","prompt":[]}"#).param == "prompt")
        #expect(try completionError(#"{"model":"m","prompt":[1,-2]}"#).message.contains("prompt[1]"))
        #expect(try completionError(#"{"model":"m"}"#).code == "missing_required_parameter")
    }

    @Test func samplingFieldsAreReadAndNormalised() throws {
        let request = try CompletionRequest(
            object(
                #"{"model":"m","prompt":"x","temperature":0,"top_p":0.5,"top_k":-1,"seed":-1,"max_tokens":5,"#
                    + #""max_completion_tokens":7,"stop":"\n","stream":true,"#
                    + #""stream_options":{"include_usage":true},"n":1}"#))
        #expect(request.options.temperature == 0)
        #expect(request.options.topP == 0.5)
        #expect(request.options.topK == 0)
        #expect(request.options.seed == UInt64.max)
        #expect(request.options.maxTokens == 7, "max_completion_tokens wins over max_tokens")
        #expect(request.options.stop == ["\n"])
        #expect(request.options.stream && request.options.includeUsage)
    }

    @Test(arguments: [
        (#"{"model":"m","prompt":"x","temperature":"hot"}"#, "temperature", "must be a number"),
        (#"{"model":"m","prompt":"x","temperature":2.5}"#, "temperature", "from 0 to 2, got 2.5"),
        (#"{"model":"m","prompt":"x","top_p":1.5}"#, "top_p", "from 0 to 1"),
        (#"{"model":"m","prompt":"x","top_k":2.5}"#, "top_k", "must be an integer"),
        (#"{"model":"m","prompt":"x","max_tokens":0}"#, "max_tokens", "got 0"),
        (#"{"model":"m","prompt":"x","max_tokens":true}"#, "max_tokens", "got a boolean"),
        (#"{"model":"m","prompt":"x","seed":"abc"}"#, "seed", "must be an integer"),
        (#"{"model":"m","prompt":"x","stop":["a",3]}"#, "stop", "'stop[1]' must be a string"),
        (#"{"model":"m","prompt":"x","stop":[""]}"#, "stop", "'stop[0]' must be 1 to"),
        (#"{"model":"m","prompt":"x","stream":"yes"}"#, "stream", "must be a boolean"),
        (#"{"model":"m","prompt":"x","stream_options":{"include_usage":true}}"#, "stream_options", "only allowed"),
        (#"{"model":"m","prompt":"x","n":2}"#, "n", "must be 1"),
        (#"{"model":"","prompt":"x"}"#, "model", "must not be empty"),
        (#"{"model":7,"prompt":"x"}"#, "model", "must be a string"),
        (#"{"model":"m","prompt":"x","echo":true}"#, "echo", "not supported"),
        (#"{"model":"m","prompt":"x","logprobs":2}"#, "logprobs", "not supported"),
        (#"{"model":"m","prompt":"x","presence_penalty":3}"#, "presence_penalty", "from -2 to 2"),
    ])
    func badCompletionFieldsAreNamed(json: String, param: String, message: String) throws {
        let error = try completionError(json)
        #expect(error.status == .badRequest)
        #expect(error.param == param)
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func chatMessagesAreReadWithTextPartsAndDeveloperRole() throws {
        let request = try ChatCompletionRequest(
            object(
                #"{"model":"m","messages":[{"role":"developer","content":"Be brief."},"#
                    + #"{"role":"user","content":[{"type":"text","text":"Hi "},"#
                    + #"{"type":"text","text":"there"}],"name":"x"},"#
                    + #"{"role":"assistant","content":null}]}"#))
        #expect(request.messages.map(\.role) == ["system", "user", "assistant"])
        #expect(request.messages.map(\.content) == ["Be brief.", "Hi there", ""])
    }

    @Test(arguments: [
        (#"{"model":"m"}"#, "messages", "you must provide 'messages'"),
        (#"{"model":"m","messages":[]}"#, "messages", "at least one"),
        (#"{"model":"m","messages":["hi"]}"#, "messages[0]", "must be an object"),
        (#"{"model":"m","messages":[{"content":"hi"}]}"#, "messages[0].role", "you must provide"),
        (#"{"model":"m","messages":[{"role":"wizard","content":"hi"}]}"#, "messages[0].role", "got 'wizard'"),
        (#"{"model":"m","messages":[{"role":"tool","content":"hi"}]}"#, "messages[0].role", "not supported"),
        (#"{"model":"m","messages":[{"role":"user"}]}"#, "messages[0].content", "you must provide"),
        (#"{"model":"m","messages":[{"role":"user","content":5}]}"#, "messages[0].content", "got a number"),
        (
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}"#,
            "messages[0].content[0].type", "not supported"
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]}"#, "tools",
            "not supported"
        ),
        (#"{"model":"m","messages":[{"role":"user","content":"hi"}],"logprobs":true}"#, "logprobs", "not supported"),
    ])
    func badChatFieldsAreNamed(json: String, param: String, message: String) throws {
        let error = try chatError(json)
        #expect(error.status == .badRequest)
        #expect(error.param == param)
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func invalidJSONIsRejectedWithTheReason() throws {
        for body in ["{\"model\": ", "not json", "", "[1, 2]", "\"text\""] {
            #expect(throws: APIError.self) { try JSONValue.parseObject(Data(body.utf8)) }
        }
        do {
            _ = try JSONValue.parseObject(Data("[1]".utf8))
        } catch let error as APIError {
            #expect(error.code == "invalid_json")
            #expect(error.message.contains("must be a JSON object, not an array"))
        }
    }
}
