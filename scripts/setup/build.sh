#!/usr/bin/env bash
# Configures and builds ringsim into build/ (Release). Extra arguments go to cmake.
# BUILD_DIR picks another build folder (a sanitizer build, say); BUILD_TARGET
# builds one target (and what it needs) instead of everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${BUILD_DIR:-build}
launcher=()
# ccache (when installed) makes rebuilds of other checkouts and build types cheap.
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"}
