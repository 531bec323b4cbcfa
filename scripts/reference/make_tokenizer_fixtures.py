#!/usr/bin/env python3
"""Golden tokenizer fixtures for Brigade's BPETokenizer, made by Hugging Face's own implementations.

Builds SmolLM2-135M-Instruct's tokenizer with Hugging Face `tokenizers` from the GGUF file's vocab and merges,
with SmolLM2's pre-tokenizer (Digits(individual_digits) then ByteLevel, as in its tokenizer.json) and the
ByteLevel decoder. When transformers can load the GGUF tokenizer itself (AutoTokenizer with gguf_file=..., which
needs torch), the two must agree on every string. Writes, for each test string, the ids with special tokens parsed
("ids") and with special strings tokenised as plain text ("ids_plain").

Usage (scratch venv, never committed):
  python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install gguf numpy tokenizers transformers
  /tmp/refvenv/bin/python scripts/reference/make_tokenizer_fixtures.py \
      ~/.cache/brigade/models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/tokenizer/smollm2.json
"""
import json
import os
import sys

import gguf
import tokenizers
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

STRINGS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "  leading spaces",
    "trailing spaces   ",
    "multiple    spaces   between words",
    " ",
    "",
    "line one\nline two\n\nline four\n",
    "tabs\tand\t\ttabs\n\t indented",
    "\r\nwindows\r\nline endings\r\n",
    "1234567890",
    "Pi is 3.14159265358979, and 2^64 = 18446744073709551616.",
    "Prices: $5.99, €12,50, ¥1000 (10% off!)",
    "!!!???...;;;---***",
    "I'm sure they're fine, we've seen it, you'll see, he'd go, it's John's.",
    "I'M SHOUTING, THEY'RE LOUD",
    "café naïve résumé coöperate Zürich Ångström",
    "e\u0301 decomposed accents a\u0308",
    "日本語のテキストです。中文文本。한국어 텍스트.",
    "Emoji: 😀🎉👍🏽 and flags 🇫🇷🇯🇵",
    "ZWJ family 👨‍👩‍👧‍👦 and 🏳️‍🌈 rainbow",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "func add(_ a: Int, _ b: Int) -> Int { a + b }",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "const f = async (x) => { await fetch(`/api/${x}`); };",
    "<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>",
    "text<|im_end|>more text<|im_start|>",
    "<|im_start|><|im_end|>",
    "<repo_name>brigade<file_sep>main.swift",
    "not special: <|im_start without end, <| im_end |>",
    "Ελληνικά και русский текст, עברית, العربية",
    "नमस्ते दुनिया",
    "Mixed123numbers456and789letters",
    "   \n   \n   ",
    "a\u00a0non-breaking\u3000ideographic space",
    "https://example.com/path?query=1&other=two#frag",
    "user@example.com, @mention #hashtag",
    "\u0000\u0001 control \u007f chars",
    # U+0004 and the lead byte 0xF1 of U+50000 have no byte token in SmolLM2: the reference drops them.
    "dropped \u0004 bytes \U00050000 here",
]


def build_by_hand(reader):
    field = lambda name: reader.fields[name].contents()
    tokens = field("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ")) for m in field("tokenizer.ggml.merges")]
    types = field("tokenizer.ggml.token_type")
    assert field("tokenizer.ggml.pre") == "smollm", field("tokenizer.ggml.pre")
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    specials = [tokenizers.AddedToken(tokens[i], special=True, normalized=False)
                for i, t in enumerate(types) if t in (3, 4)]
    tok.add_special_tokens(specials)
    return tok


def main():
    gguf_path, out_path = sys.argv[1], sys.argv[2]
    reader = gguf.GGUFReader(gguf_path)
    by_hand = build_by_hand(reader)
    try:
        hf = transformers.AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(gguf_path)),
                                                        gguf_file=os.path.basename(gguf_path))
        checked_by = f"transformers {transformers.__version__} GGUF loader"
    except Exception as error:  # transformers' GGUF reader imports torch
        print(f"transformers cross-check skipped: {str(error).splitlines()[0]}", file=sys.stderr)
        hf, checked_by = None, None
    plain_tok = build_by_hand(reader)
    plain_tok.encode_special_tokens = True
    cases = []
    for text in STRINGS:
        ids = by_hand.encode(text, add_special_tokens=False).ids
        if hf is not None:
            other = hf.encode(text, add_special_tokens=False)
            assert ids == other, f"references disagree on {text!r}: {ids} vs {other}"
        plain = plain_tok.encode(text, add_special_tokens=False).ids
        decoded = by_hand.decode(ids, skip_special_tokens=False)
        case = {"text": text, "ids": ids, "ids_plain": plain}
        if decoded != text:
            case["decoded"] = decoded  # bytes with no token were dropped
        cases.append(case)
    fixture = {
        "model": os.path.basename(gguf_path),
        "made_by": f"tokenizers {tokenizers.__version__} BPE from the GGUF vocab and merges",
        "cross_checked_by": checked_by,
        "command": "python3 scripts/reference/make_tokenizer_fixtures.py "
                   "~/.cache/brigade/models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/tokenizer/smollm2.json",
        "cases": cases,
    }
    # One case per line keeps the fixture small and its diffs readable.
    head = {k: v for k, v in fixture.items() if k != "cases"}
    lines = [json.dumps(case, ensure_ascii=False) for case in cases]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "cases": [\n  ')
        f.write(",\n  ".join(lines) + "\n ]\n}\n")
    json.load(open(out_path, encoding="utf-8"))  # still valid JSON
    print(f"wrote {len(cases)} cases to {out_path}")


if __name__ == "__main__":
    main()
