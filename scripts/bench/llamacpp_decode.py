#!/usr/bin/env python3
"""llama.cpp's prefill time, decode speed and memory on a GGUF model, as one JSON line with the keys of
`brigade bench decode` (engine "llama.cpp").

Runs in a Python that has llama-cpp-python (built from source, with numpy and gguf); decode-vs-llamacpp.sh makes
such a scratch venv outside the repository. With --type f32 it first writes an f32 copy of the model with the
`gguf` package (dequantising every tensor), cached beside the model, so both engines read the same f32 weights.
The prompt is the same fixed token sequence brigade uses: id_i = (37·i + 11) mod vocabulary.

Usage:
  $VENV/bin/python scripts/bench/llamacpp_decode.py --model ~/.cache/brigade/models/SmolLM2-135M-Instruct.Q4_1.gguf \
      --type f32 --threads 2 --prompt-tokens 128 --decode-tokens 128 --runs 3
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

try:
    import gguf
    import llama_cpp
except ImportError as error:
    sys.exit(f"llamacpp_decode.py needs llama-cpp-python, numpy and gguf in this Python: {error}")


def f32_copy(src):
    """Writes (once) and returns an f32 copy of a GGUF file, every tensor dequantised."""
    dst = src[: -len(".gguf")] + ".f32.gguf" if src.endswith(".gguf") else src + ".f32.gguf"
    if src.endswith(".f32.gguf") or os.path.exists(dst):
        return dst
    print(f"llamacpp_decode.py: writing {dst}", file=sys.stderr)
    reader = gguf.GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    partial = dst + ".partial"
    writer = gguf.GGUFWriter(partial, arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        if name == "general.file_type":
            writer.add_uint32(name, int(gguf.LlamaFileType.ALL_F32))
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), vtype, sub_type=sub)
    for t in reader.tensors:
        values = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        writer.add_tensor(t.name, values.reshape(tuple(int(d) for d in reversed(t.shape))))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.rename(partial, dst)
    return dst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.path.join(os.environ.get("BRIGADE_HOME", os.path.expanduser("~/.cache/brigade")),
                                                        "models", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    parser.add_argument("--type", choices=["f32", "native"], default="f32", help="f32 copy, or the file as it is")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    path = f32_copy(args.model) if args.type == "f32" else args.model
    reader = gguf.GGUFReader(path)
    weight_bytes = sum(int(t.n_bytes) for t in reader.tensors)
    meta = {k: reader.fields[k].contents() for k in reader.fields if k.startswith("llama.")}
    n_ctx = args.prompt_tokens + args.decode_tokens + 16
    start = time.perf_counter()
    llm = llama_cpp.Llama(model_path=path, n_ctx=n_ctx, n_batch=512, n_threads=args.threads,
                          n_threads_batch=args.threads, use_mmap=False, verbose=False)
    load_seconds = time.perf_counter() - start
    vocab = llm.n_vocab()
    prompt = [(37 * i + 11) % vocab for i in range(args.prompt_tokens)]

    prefill, rates = [], []
    for _ in range(args.runs):
        llm.reset()
        llm._ctx.kv_cache_clear() if hasattr(llm._ctx, "kv_cache_clear") else None
        clock = time.perf_counter()
        llm.eval(prompt)
        prefill.append(time.perf_counter() - clock)
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        clock = time.perf_counter()
        for _ in range(args.decode_tokens):
            llm.eval([token])
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        rates.append(args.decode_tokens / (time.perf_counter() - clock))

    # llama.cpp's KV cache: f16 K and V for every layer over n_ctx positions.
    n_head = int(meta["llama.attention.head_count"])
    head_dim = int(meta["llama.embedding_length"]) // n_head
    kv_bytes = 2 * int(meta["llama.block_count"]) * int(meta.get("llama.attention.head_count_kv", n_head)) * head_dim * n_ctx * 2
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({
        "engine": "llama.cpp", "model": path, "threads": args.threads, "weight_storage": args.type,
        "prompt_tokens": args.prompt_tokens, "decode_tokens": args.decode_tokens, "load_seconds": load_seconds,
        "prefill_seconds": statistics.median(prefill), "decode_tokens_per_second": statistics.median(rates),
        "prefill_seconds_runs": prefill, "decode_tokens_per_second_runs": rates,
        "peak_rss_bytes": rss, "weight_bytes": weight_bytes, "kv_bytes": kv_bytes,
        "rss_ratio": rss / (weight_bytes + kv_bytes),
    }, sort_keys=True))


if __name__ == "__main__":
    main()
