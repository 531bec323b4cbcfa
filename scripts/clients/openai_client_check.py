#!/usr/bin/env python3
"""Checks a running Brigade HTTP API with the official `openai` Python client.

Runs, against --base-url: the model list, a completion, a chat completion, the same chat completion streamed
(with usage), and two errors (unknown model -> 404, bad parameter -> 400). Every answer must have OpenAI's shape;
the streamed text must equal the whole one (temperature 0). Exits 1 on the first mismatch, naming it; prints one
JSON line of results on success.

Set up once (a scratch venv, never committed):
    python3 -m venv .venv-clients && .venv-clients/bin/pip install openai
Then:
    .venv-clients/bin/python scripts/clients/openai_client_check.py \
        --base-url http://127.0.0.1:8080/v1 --model SmolLM2-135M-Instruct [--api-key KEY] [--expect-chat TEXT]
"""

import argparse
import json
import sys

try:
    import openai
except ImportError:
    sys.exit("the 'openai' package is missing: python3 -m venv .venv-clients && .venv-clients/bin/pip install openai")


class Mismatch(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Mismatch(what)


def check_usage(usage, where):
    check(usage is not None, f"{where}: no usage")
    check(usage.prompt_tokens > 0, f"{where}: prompt_tokens {usage.prompt_tokens} is not positive")
    check(usage.completion_tokens >= 0, f"{where}: completion_tokens {usage.completion_tokens} is negative")
    check(usage.total_tokens == usage.prompt_tokens + usage.completion_tokens,
          f"{where}: total_tokens {usage.total_tokens} != prompt + completion")


def run(args):
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key or "none", max_retries=0, timeout=60)
    results = {}

    models = client.models.list()
    ids = [model.id for model in models.data]
    check(args.model in ids, f"models.list: {args.model!r} not in {ids}")
    results["models"] = ids

    completion = client.completions.create(model=args.model, prompt="Hello", max_tokens=8, temperature=0)
    check(completion.object == "text_completion", f"completion: object is {completion.object!r}")
    check(completion.model == args.model, f"completion: model is {completion.model!r}")
    check(len(completion.choices) == 1, f"completion: {len(completion.choices)} choices")
    check(isinstance(completion.choices[0].text, str), "completion: text is not a string")
    check(completion.choices[0].finish_reason in ("stop", "length"),
          f"completion: finish_reason {completion.choices[0].finish_reason!r}")
    check_usage(completion.usage, "completion")
    check(completion.usage.completion_tokens <= 8, "completion: more tokens than max_tokens")
    results["completion"] = completion.choices[0].text

    messages = [{"role": "user", "content": "Say hello."}]
    chat = client.chat.completions.create(model=args.model, messages=messages, max_tokens=16, temperature=0, seed=1)
    check(chat.object == "chat.completion", f"chat: object is {chat.object!r}")
    message = chat.choices[0].message
    check(message.role == "assistant", f"chat: role is {message.role!r}")
    check(isinstance(message.content, str), "chat: content is not a string")
    check(chat.choices[0].finish_reason in ("stop", "length"), f"chat: finish_reason {chat.choices[0].finish_reason!r}")
    check_usage(chat.usage, "chat")
    if args.expect_chat is not None:
        check(message.content == args.expect_chat, f"chat: content {message.content!r} != {args.expect_chat!r}")
    results["chat"] = message.content

    stream = client.chat.completions.create(model=args.model, messages=messages, max_tokens=16, temperature=0, seed=1,
                                            stream=True, stream_options={"include_usage": True})
    pieces, finish, usage, chunks = [], None, None, 0
    for chunk in stream:
        chunks += 1
        check(chunk.object == "chat.completion.chunk", f"stream: object is {chunk.object!r}")
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            if choice.finish_reason is not None:
                finish = choice.finish_reason
    streamed = "".join(pieces)
    check(finish in ("stop", "length"), f"stream: finish_reason {finish!r}")
    check_usage(usage, "stream")
    check(streamed == message.content, f"stream: text {streamed!r} != whole answer {message.content!r}")
    check(usage.completion_tokens == chat.usage.completion_tokens, "stream: usage differs from the whole answer")
    results["stream_chunks"] = chunks

    try:
        client.chat.completions.create(model=args.model + "-missing", messages=messages, max_tokens=4)
        raise Mismatch("an unknown model was accepted")
    except openai.NotFoundError as error:
        check(error.status_code == 404, f"unknown model: status {error.status_code}")
    try:
        client.chat.completions.create(model=args.model, messages=messages, max_tokens=4, temperature=5)
        raise Mismatch("temperature 5 was accepted")
    except openai.BadRequestError as error:
        check(error.status_code == 400, f"bad temperature: status {error.status_code}")
        check("temperature" in str(error), f"bad temperature: the error does not name the field: {error}")
    results["errors"] = "ok"
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the API's /v1 URL, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", required=True, help="a served model's name")
    parser.add_argument("--api-key", help="the bearer token, if the server needs one")
    parser.add_argument("--expect-chat", help="the exact chat answer expected (for deterministic test services)")
    args = parser.parse_args()
    try:
        results = run(args)
    except Mismatch as mismatch:
        print(f"MISMATCH: {mismatch}", file=sys.stderr)
        return 1
    except openai.APIError as error:
        print(f"MISMATCH: unexpected API error: {error!r}", file=sys.stderr)
        return 1
    print(json.dumps({"openai_client_check": "ok", "openai_version": openai.__version__, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
