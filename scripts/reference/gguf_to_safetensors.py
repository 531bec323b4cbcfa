#!/usr/bin/env python3
"""Writes a Hugging Face checkpoint (config.json + model.safetensors, f32) from a llama GGUF file.

Tensors get Hugging Face names, and the q/k projection rows are permuted back to the "rotate_half" layout that
Hugging Face checkpoints use (llama.cpp's converter undid that permutation when it wrote the GGUF). Brigade reads
the result with half-split RoPE; its logits must match the GGUF's up to rounding. The safetensors file is written
by hand (8-byte little-endian header length, JSON header, raw little-endian data), so only numpy and gguf are needed.

Usage:
  python3 scripts/reference/gguf_to_safetensors.py ~/.cache/brigade/models/SmolLM2-135M-Instruct.Q4_1.gguf OUT_DIR
"""
import json
import os
import struct
import sys

import numpy as np
import gguf

NAMES = {
    "token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
LAYER = {
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
}


def hf_name(name):
    if name in NAMES:
        return NAMES[name]
    _, layer, part, _ = name.split(".")
    return f"model.layers.{layer}.{LAYER[part]}.weight"


def to_rotate_half(w, heads):
    """Within each head, row 2i+e moves to e*head_dim/2 + i (Hugging Face's permute)."""
    rows, cols = w.shape
    return w.reshape(heads, rows // heads // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    reader = gguf.GGUFReader(src)
    meta = {k: reader.fields[k].contents() for k in reader.fields if k.startswith("llama.")}
    heads = int(meta["llama.attention.head_count"])
    kv_heads = int(meta.get("llama.attention.head_count_kv", heads))
    tensors = {}
    for t in reader.tensors:
        w = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(tuple(int(d) for d in reversed(t.shape)))
        if ".attn_q." in t.name:
            w = to_rotate_half(w, heads)
        elif ".attn_k." in t.name:
            w = to_rotate_half(w, kv_heads)
        tensors[hf_name(t.name)] = np.ascontiguousarray(w)
    os.makedirs(out, exist_ok=True)
    header, offset = {}, 0
    for name, w in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(w.shape), "data_offsets": [offset, offset + w.nbytes]}
        offset += w.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for w in tensors.values():
            f.write(w.astype("<f4").tobytes())
    config = {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_act": "silu",
        "hidden_size": int(meta["llama.embedding_length"]), "intermediate_size": int(meta["llama.feed_forward_length"]),
        "num_hidden_layers": int(meta["llama.block_count"]), "num_attention_heads": heads,
        "num_key_value_heads": kv_heads, "max_position_embeddings": int(meta["llama.context_length"]),
        "rms_norm_eps": float(meta.get("llama.attention.layer_norm_rms_epsilon", 1e-5)),
        "rope_theta": float(meta.get("llama.rope.freq_base", 10000.0)),
        "tie_word_embeddings": "lm_head.weight" not in tensors, "vocab_size": int(tensors["model.embed_tokens.weight"].shape[0]),
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(out)


if __name__ == "__main__":
    main()
