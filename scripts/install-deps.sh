#!/usr/bin/env bash
# Installs what Brigade needs on a fresh Debian machine and is missing: libzmq, OpenBLAS, pkg-config (apt),
# and the Python packages the reference checks use (pip). Safe to run again: it only installs what is absent.
set -euo pipefail

apt_packages=(libzmq3-dev libopenblas-dev pkg-config libsqlite3-dev openssh-client openssh-server iproute2)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${BRIGADE_EXTRA_APT:-}" != "" ]; then
    for p in $BRIGADE_EXTRA_APT; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "brigade: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --python: the packages the test suite's reference checks use (numpy and gguf for the model reference, openai for
# the client check), installed for this user when missing.
if [ "${1:-}" = "--python" ]; then
    if ! python3 -c "import numpy, gguf, openai" >/dev/null 2>&1; then
        echo "brigade: installing python packages numpy gguf openai" >&2
        python3 -m pip install --quiet --disable-pip-version-check numpy gguf openai
    fi
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "brigade: swift is not on PATH (expected Swift 6 at /opt/swift/usr/bin)" >&2
    exit 1
fi
