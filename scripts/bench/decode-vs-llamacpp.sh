#!/usr/bin/env bash
# Brigade's decode benchmark against llama.cpp on the same weights, back to back in one session, with ratios.
#
#   scripts/bench/decode-vs-llamacpp.sh [--threads 2] [--rounds 3] [--runs 1] [--quantized]
#
# Each round runs `brigade bench decode` (f32 weights) then llama.cpp on an f32 copy of the same GGUF, alternating
# to spread the machine's noise; with --quantized, also brigade --weights quantized against llama.cpp on the
# Q4_1 file as it is. Prints every JSON line, then one summary line with the medians and the ratios
# (decode_speed_ratio = brigade tok/s / llama.cpp tok/s, higher is better; prefill_time_ratio = brigade s /
# llama.cpp s, lower is better; brigade_rss_ratio = peak RSS / (weights + KV)).
#
# llama.cpp comes from PyPI llama-cpp-python 0.3.36, built from source (about ten minutes) into a scratch venv at
# $BRIGADE_LLAMACPP_VENV (default $BRIGADE_HOME/llamacpp-venv, outside the repository).
set -euo pipefail

threads=2 rounds=3 runs=1 quantized=0
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) threads="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --quantized) quantized=1; shift ;;
        *) echo "usage: $0 [--threads N] [--rounds N] [--runs N] [--quantized]" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/../.." && pwd)"
home="${BRIGADE_HOME:-$HOME/.cache/brigade}"
model="$home/models/SmolLM2-135M-Instruct.Q4_1.gguf"
venv="${BRIGADE_LLAMACPP_VENV:-$home/llamacpp-venv}"

if ! "$venv/bin/python" -c "import llama_cpp, gguf, numpy" 2>/dev/null; then
    echo "decode-vs-llamacpp: building llama-cpp-python 0.3.36 into $venv (about ten minutes)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-cache-dir "llama-cpp-python==0.3.36" numpy gguf >&2
fi
brigade="$root/.build/release/brigade"
if [ ! -x "$brigade" ] || [ "${BRIGADE_REBUILD:-1}" = 1 ]; then
    (cd "$root" && swift build -c release --product brigade >&2)
fi
[ -f "$model" ] || "$brigade" model fetch >/dev/null

common=(--threads "$threads" --prompt-tokens 128 --decode-tokens 128 --runs "$runs")
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$venv/bin/python" "$root/scripts/bench/llamacpp_decode.py" --model "$model" --type f32 --prompt-tokens 1 --decode-tokens 1 >/dev/null  # writes the f32 copy once
for round in $(seq "$rounds"); do
    "$brigade" bench decode --model "$model" "${common[@]}" | tee -a "$out"
    "$venv/bin/python" "$root/scripts/bench/llamacpp_decode.py" --model "$model" --type f32 "${common[@]}" | tee -a "$out"
    if [ "$quantized" = 1 ]; then
        "$brigade" bench decode --model "$model" --weights quantized "${common[@]}" | tee -a "$out"
        "$venv/bin/python" "$root/scripts/bench/llamacpp_decode.py" --model "$model" --type native "${common[@]}" | tee -a "$out"
    fi
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def med(engine, storage, key):
    values = [r[key] for r in rows if r["engine"] == engine and r["weight_storage"] == storage]
    return statistics.median(values) if values else None
summary = {"summary": "decode-vs-llamacpp", "threads": rows[0]["threads"], "rounds": sum(1 for r in rows if r["engine"] == "brigade" and r["weight_storage"] == "float32")}
pairs = [("f32", "float32", "f32")] + ([("q4_1", "quantized", "native")] if any(r["weight_storage"] == "quantized" for r in rows) else [])
for label, ours, theirs in pairs:
    b_tps, l_tps = med("brigade", ours, "decode_tokens_per_second"), med("llama.cpp", theirs, "decode_tokens_per_second")
    b_pre, l_pre = med("brigade", ours, "prefill_seconds"), med("llama.cpp", theirs, "prefill_seconds")
    summary.update({
        f"{label}_brigade_decode_tokens_per_second": b_tps, f"{label}_llamacpp_decode_tokens_per_second": l_tps,
        f"{label}_decode_speed_ratio": b_tps / l_tps,
        f"{label}_brigade_prefill_seconds": b_pre, f"{label}_llamacpp_prefill_seconds": l_pre,
        f"{label}_prefill_time_ratio": b_pre / l_pre,
        f"{label}_brigade_rss_ratio": med("brigade", ours, "rss_ratio"),
    })
print(json.dumps(summary, sort_keys=True))
PY
