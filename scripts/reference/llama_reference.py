#!/usr/bin/env python3
"""Independent reference for Brigade's Llama forward pass: numpy, float64, written from the Llama definition.

Reads a llama-architecture GGUF with the PyPI `gguf` package (GGUFReader + gguf.quants.dequantize), runs each
prompt (token ids in), and prints one JSON object per prompt: the logits after the prompt ("logits") and a greedy
continuation ("greedy", end-of-sequence tokens not treated specially).

Needs: pip install numpy gguf

Usage:
  python3 scripts/reference/llama_reference.py --model ~/.cache/brigade/models/SmolLM2-135M-Instruct.Q4_1.gguf \
      --tokens 1,504,3458 --tokens 28,1126 --steps 48
  python3 scripts/reference/llama_reference.py --model M.gguf --tokens 1,2,3 --steps 0 --top 5   # logits summary
"""
import argparse
import json
import sys

import numpy as np

try:
    import gguf
except ImportError:
    sys.exit("llama_reference.py needs the PyPI package 'gguf' (pip install gguf)")


class Model:
    """The weights, as float64 arrays shaped [out, in], and the hyper-parameters."""

    def __init__(self, path):
        reader = gguf.GGUFReader(path)
        meta = {name: field.contents() for name, field in reader.fields.items() if not name.startswith("tokenizer.")}
        if meta.get("general.architecture") != "llama":
            raise SystemExit(f"{path}: general.architecture is {meta.get('general.architecture')!r}, not 'llama'")
        self.n_layer = int(meta["llama.block_count"])
        self.n_embd = int(meta["llama.embedding_length"])
        self.n_head = int(meta["llama.attention.head_count"])
        self.n_kv_head = int(meta.get("llama.attention.head_count_kv", self.n_head))
        self.head_dim = self.n_embd // self.n_head
        self.eps = float(meta.get("llama.attention.layer_norm_rms_epsilon", 1e-5))
        self.theta = float(meta.get("llama.rope.freq_base", 10000.0))
        self.w = {}
        for t in reader.tensors:
            values = gguf.quants.dequantize(t.data, t.tensor_type)
            # GGUF lists dimensions innermost first; numpy wants outermost first.
            self.w[t.name] = np.asarray(values, dtype=np.float64).reshape(tuple(int(d) for d in reversed(t.shape)))
        # A tied LM head reuses the token embeddings.
        self.lm_head = self.w.get("output.weight", self.w["token_embd.weight"])

    def rms_norm(self, x, weight):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * weight

    def rope(self, x, positions):
        """Rotates consecutive pairs (2i, 2i+1) of each head by position * theta^(-2i/head_dim): the GGUF layout.
        x: [tokens, heads, head_dim]."""
        half = self.head_dim // 2
        freqs = self.theta ** (-2.0 * np.arange(half) / self.head_dim)
        angles = np.outer(positions, freqs)[:, None, :]  # [tokens, 1, half]
        cos, sin = np.cos(angles), np.sin(angles)
        even, odd = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2] = even * cos - odd * sin
        out[..., 1::2] = even * sin + odd * cos
        return out

    def forward(self, tokens, cache, start):
        """Runs tokens at positions start..start+len-1, appending to cache (per layer K and V); returns the logits
        of the last token."""
        n = len(tokens)
        positions = np.arange(start, start + n)
        x = self.w["token_embd.weight"][tokens]
        group = self.n_head // self.n_kv_head
        for layer in range(self.n_layer):
            p = f"blk.{layer}."
            h = self.rms_norm(x, self.w[p + "attn_norm.weight"])
            q = (h @ self.w[p + "attn_q.weight"].T).reshape(n, self.n_head, self.head_dim)
            k = (h @ self.w[p + "attn_k.weight"].T).reshape(n, self.n_kv_head, self.head_dim)
            v = (h @ self.w[p + "attn_v.weight"].T).reshape(n, self.n_kv_head, self.head_dim)
            q, k = self.rope(q, positions), self.rope(k, positions)
            keys = np.concatenate([cache[layer][0], k]) if cache[layer] else k
            values = np.concatenate([cache[layer][1], v]) if cache[layer] else v
            cache[layer] = (keys, values)
            total = keys.shape[0]
            # Causal mask: query at position start+i sees keys 0..start+i.
            mask = np.arange(total)[None, :] > (start + np.arange(n))[:, None]
            att = np.empty((n, self.n_head, self.head_dim))
            for head in range(self.n_head):
                kv = head // group
                scores = q[:, head, :] @ keys[:, kv, :].T / np.sqrt(self.head_dim)
                scores[mask] = -np.inf
                scores = np.exp(scores - scores.max(axis=1, keepdims=True))
                scores /= scores.sum(axis=1, keepdims=True)
                att[:, head, :] = scores @ values[:, kv, :]
            x = x + att.reshape(n, -1) @ self.w[p + "attn_output.weight"].T
            h = self.rms_norm(x, self.w[p + "ffn_norm.weight"])
            gate = h @ self.w[p + "ffn_gate.weight"].T
            up = h @ self.w[p + "ffn_up.weight"].T
            x = x + (gate / (1.0 + np.exp(-gate)) * up) @ self.w[p + "ffn_down.weight"].T
        last = self.rms_norm(x[-1], self.w["output_norm.weight"])
        return last @ self.lm_head.T


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a llama GGUF file")
    parser.add_argument("--tokens", action="append", required=True, help="comma-separated prompt token ids (repeatable)")
    parser.add_argument("--steps", type=int, default=48, help="greedy tokens to generate after each prompt")
    parser.add_argument("--top", type=int, default=0, help="print only the top-N logits instead of all")
    args = parser.parse_args()
    model = Model(args.model)
    for text in args.tokens:
        prompt = [int(t) for t in text.split(",") if t.strip()]
        cache = [None] * model.n_layer
        logits = model.forward(prompt, cache, 0)
        first = logits
        greedy = []
        position = len(prompt)
        for _ in range(args.steps):
            token = int(np.argmax(logits))
            greedy.append(token)
            if len(greedy) == args.steps:
                break
            logits = model.forward([token], cache, position)
            position += 1
        result = {"prompt": prompt, "greedy": greedy}
        if args.top:
            order = np.argsort(-first)[: args.top]
            result["top"] = [[int(i), float(first[i])] for i in order]
        else:
            result["logits"] = [float(v) for v in first]
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
