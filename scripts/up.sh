#!/usr/bin/env bash
# The main job (README "Quick start"): on a fresh machine, installs what is missing, builds Brigade in release,
# fetches the default model and starts a local cluster (coordinator + three agents, SmolLM2-135M-Instruct in three
# pipeline stages) from topologies/local.yaml, serving the OpenAI-compatible API. Ctrl-C stops everything.
# Arguments are passed to `brigade up` (e.g. another topology file).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "== build (release)" >&2
swift build -c release --product brigade
exec .build/release/brigade up "$@"
