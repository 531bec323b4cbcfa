#!/usr/bin/env bash
# The test command (README "Quick start"; CI's .ci/run calls it). On a fresh machine it installs what is missing,
# builds everything once in release with testing enabled, fetches the default model, and runs the whole suite:
# unit tests, model checks against the numpy reference, and the multi-process integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --python

BUILD_FLAGS=(-c release -Xswiftc -enable-testing)
echo "== build (release, testing enabled)" >&2
swift build "${BUILD_FLAGS[@]}" --build-tests

echo "== default model" >&2
.build/release/brigade model fetch >/dev/null

export BRIGADE_REQUIRE_MODEL=1
if [ $# -gt 0 ]; then
    exec swift test "${BUILD_FLAGS[@]}" --skip-build "$@"
fi

# Four phases, so that tests which measure time never share the 2 cores with number crunching (the model's
# arithmetic or the membership simulator's seed sweeps can starve a timing test's tasks for seconds) or with the
# cluster's processes.
TIMING='^(TransportTests|ZMQTransportTests|ActorSystemTests|ProcessSupportTests|DataPlaneTests|HTTPAPITests)\.'
MEMBERS='^MembershipTests\.MultiProcessMembershipTests'
CLUSTER='^ClusterTests\.'
echo "== tests 1/4: transport, actors, HTTP API (timing-sensitive)" >&2
swift test "${BUILD_FLAGS[@]}" --skip-build --filter "$TIMING"
echo "== tests 2/4: membership with real processes (detection times)" >&2
swift test "${BUILD_FLAGS[@]}" --skip-build --filter "$MEMBERS"
echo "== tests 3/4: formats, tokenizer, model engine, pipeline, topology, membership simulation" >&2
swift test "${BUILD_FLAGS[@]}" --skip-build --skip "$TIMING" --skip "$MEMBERS" --skip "$CLUSTER"
echo "== tests 4/4: the cluster as real processes" >&2
swift test "${BUILD_FLAGS[@]}" --skip-build --filter "$CLUSTER"
