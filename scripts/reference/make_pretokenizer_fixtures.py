#!/usr/bin/env python3
"""Golden pre-tokeniser splits for Brigade's hand-written scanners, made by Hugging Face `tokenizers`.

Seeded random strings (spaces, tabs, CR/LF, letters, digits, punctuation, apostrophes and contraction letters,
accents, combining marks, CJK, emoji, ZWJ, no-break spaces) are split by `tokenizers`' regex engine with the
published patterns: GPT-2's, SmolLM's (Digits(individual_digits) first, then GPT-2's) and Llama 3's.

Usage (scratch venv, never committed):
  /tmp/refvenv/bin/pip install tokenizers
  /tmp/refvenv/bin/python scripts/reference/make_pretokenizer_fixtures.py Tests/Fixtures/tokenizer/pretokenizer.json [count]
"""
import json
import random
import sys

import tokenizers
from tokenizers import Regex, pre_tokenizers

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
          r"\s*[\r\n]+|\s+(?!\S)|\s+")

POOL = (list(" " * 8) + ["\n", "\n", "\r", "\t", "\u00a0", "\u3000"] + list("abcXYZ") + list("stmdrevlSTL") +
        ["'", "'", "'"] + list("0123456789") + list(".,!?-_(){}<>;:\"/") +
        ["é", "ß", "Ω", "ж", "\u0301", "日", "本", "語", "한", "😀", "👍", "\u200d", "🏽", "٣", "Ⅻ", "½"])


def splitter(kind):
    split = lambda pattern: pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    if kind == "gpt2":
        return split(GPT2)
    if kind == "smollm":
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), split(GPT2)])
    return split(LLAMA3)


def main():
    out_path = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    rng = random.Random(20261123)
    texts = ["".join(rng.choice(POOL) for _ in range(rng.randint(1, 24))) for _ in range(count)]
    texts += ["Hello world", "  two  spaces ", "a\n\n b", "I'm", "DON'T", "x 123456 y", "tab\t\tword", " \r\n x"]
    cases = []
    for text in texts:
        case = {"text": text}
        for kind in ("gpt2", "smollm", "llama3"):
            pieces = [piece for piece, _ in splitter(kind).pre_tokenize_str(text)]
            assert "".join(pieces) == text, (kind, text, pieces)
            case[kind] = pieces
        cases.append(case)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write('{\n "made_by": "tokenizers %s pre_tokenizers.Split (Oniguruma)",\n "cases": [\n  ' % tokenizers.__version__)
        f.write(",\n  ".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n ]\n}\n")
    json.load(open(out_path, encoding="utf-8"))
    print(f"wrote {len(cases)} cases to {out_path}")


if __name__ == "__main__":
    main()
