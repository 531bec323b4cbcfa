#!/usr/bin/env python3
"""Golden dequantisation values for Brigade's GGUF reader, made by the PyPI `gguf` package.

For a few tensors of each stored type in SmolLM2-135M-Instruct.Q4_1.gguf, dequantises with
gguf.quants.dequantize and records the row-major shape (outermost first), the first and last 8 values, a few
values from the middle, and the float64 sum. Values are written with repr() so float32s round-trip exactly.

Usage (scratch venv, never committed):
  python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install gguf numpy
  /tmp/refvenv/bin/python scripts/reference/make_dequant_fixtures.py \
      ~/.cache/brigade/models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/formats/smollm2-dequant.json
"""
import importlib.metadata
import json
import sys

import gguf
import numpy as np
from gguf.quants import dequantize

TENSORS = ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight", "blk.7.attn_k.weight",
           "output_norm.weight", "blk.5.attn_norm.weight"]


def main():
    path, out_path = sys.argv[1], sys.argv[2]
    reader = gguf.GGUFReader(path)
    by_name = {t.name: t for t in reader.tensors}
    cases = []
    for name in TENSORS:
        tensor = by_name[name]
        values = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        shape = [int(d) for d in reversed(tensor.shape)]  # GGUF lists dims innermost first
        flat = values.reshape(-1)
        assert flat.size == int(np.prod(shape))
        middle = [int(i) for i in np.linspace(0, flat.size - 1, 16).astype(np.int64)]
        cases.append({
            "name": name,
            "type": tensor.tensor_type.name.lower(),
            "shape": shape,
            "first": [float(v) for v in flat[:8]],
            "last": [float(v) for v in flat[-8:]],
            "at": {str(i): float(flat[i]) for i in middle},
            "sum": float(flat.astype(np.float64).sum()),
        })
    fixture = {
        "model": path.split("/")[-1],
        "made_by": f"gguf {importlib.metadata.version('gguf')} quants.dequantize, numpy {np.__version__}",
        "command": "python3 scripts/reference/make_dequant_fixtures.py "
                   "~/.cache/brigade/models/SmolLM2-135M-Instruct.Q4_1.gguf Tests/Fixtures/formats/smollm2-dequant.json",
        "tensors": cases,
    }
    with open(out_path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} tensors to {out_path}")


if __name__ == "__main__":
    main()
