#!/usr/bin/env bash
# Builds scripts/bench/kernels_vs_openblas.c against Sources/CKernels and Debian's OpenBLAS, and runs it:
#   scripts/bench/kernels-vs-openblas.sh [threads=2] [repetitions=5]
# Prints JSON lines: decode GEMV time for all of SmolLM2-135M's matrices, 128-token prefill GEMM time, and whether
# a row's result is bitwise independent of the number of rows in the call, for both libraries.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cc="${CC:-clang}"
command -v "$cc" >/dev/null || cc=gcc
blas_include="$(pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)"
"$cc" -O3 -fno-math-errno -I"$root/Sources/CKernels/include" $blas_include "$root"/Sources/CKernels/*.c \
    "$root/scripts/bench/kernels_vs_openblas.c" -o "$out/kernels_vs_openblas" -lopenblas -lpthread -lm
"$out/kernels_vs_openblas" "${1:-2}" "${2:-5}"
