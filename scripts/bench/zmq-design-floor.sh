#!/usr/bin/env bash
# The floor under `brigade bench rpc`: the transport's design (two connections per peer pair, a poll loop that reads
# until EAGAIN, a thread hand-off to the caller) built in plain C on libzmq, against libzmq's own echo, in one run.
#
#   scripts/bench/zmq-design-floor.sh [--calls 20000] [--rounds 3] [--one-cpu]
#
# Rounds take the four designs in turn (see zmq_design_floor.c), so the machine's slow spells hit them alike. Prints
# every JSON line, then one summary line with the median p50 of each design and its ratio to raw. With --one-cpu,
# everything runs on one CPU (taskset), so a round trip takes about the CPU work of all its threads: what is left
# when cross-CPU wake-ups are taken out. Needs a C compiler and libzmq3-dev (scripts/install-deps.sh).
set -euo pipefail

calls=20000 rounds=3 pin=()
while [ $# -gt 0 ]; do
    case "$1" in
        --calls) calls="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --one-cpu) pin=(taskset -c "$(( $(nproc) - 1 ))"); shift ;;
        *) echo "usage: $0 [--calls N] [--rounds N] [--one-cpu]" >&2; exit 2 ;;
    esac
done

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/floor" "$here/zmq_design_floor.c" -lzmq -lpthread

port=$(( 20000 + RANDOM % 20000 ))
for round in $(seq 1 "$rounds"); do
    for design in raw two poll handoff; do
        "${pin[@]}" "$work/floor" "$design" "$calls" "$port" | tee -a "$work/lines"
        port=$(( port + 2 ))
    done
done

python3 - "$work/lines" "${#pin[@]}" <<'EOF'
import json, statistics, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
p50 = {d: statistics.median(l["p50_us"] for l in lines if l["design"] == d) for d in ("raw", "two", "poll", "handoff")}
summary = {"bench": "zmq_design_floor_summary", "one_cpu": sys.argv[2] != "0"}
for design, value in p50.items():
    summary[f"{design}_p50_us"] = round(value, 3)
    summary[f"ratio_{design}"] = round(value / p50["raw"], 3)
print(json.dumps(summary))
EOF
