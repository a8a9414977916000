#!/usr/bin/env bash
# Installs the Debian 12 packages ringsim needs, skipping those already there.
# Usage: scripts/deps.sh [--bench] [--faiss] [--fuzz]
#   --bench: plotting for the benchmark reports; --faiss: faiss for bench-kernel;
#   --fuzz: clang and its sanitizer / libFuzzer runtimes for scripts/fuzz.sh.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config openmpi-bin libopenmpi-dev libssl-dev openssl
          libeigen3-dev libfmt-dev libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev
          python3 python3-numpy procps iproute2 libopenblas-dev)
# Intel's ipsec-mb seals TLS records ~5x faster than OpenSSL 3.0 where the
# CPU has VAES; Debian ships it for amd64 only (optional: found or not).
if [[ $(dpkg --print-architecture 2>/dev/null) == amd64 ]]; then packages+=(libipsec-mb-dev); fi
for option in "$@"; do
  case $option in
    --bench) packages+=(python3-matplotlib) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    # faiss is optional: compared against when Debian ships it.
    --faiss) if apt-cache show python3-faiss >/dev/null 2>&1; then packages+=(python3-faiss); fi ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ringsim: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
