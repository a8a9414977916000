#!/usr/bin/env bash
# Installs the Debian 12 packages ringsim needs, skipping those already there.
# Usage: scripts/setup/deps.sh [--bench] [--faiss] [--sshd] [--fuzz] [--image]
#   --bench: plotting for the benchmark reports; --faiss: faiss for bench-kernel;
#   --sshd: ssh server and client for the multi-host test bed (scripts/beds/netns-cluster.sh);
#   --fuzz: clang and its sanitizer / libFuzzer runtimes for scripts/test/fuzz.sh;
#   --image: podman (with runc and its network stack), buildah and mmdebstrap for
#   scripts/test/test-image.sh, which builds and runs the image without a Docker daemon.
set -euo pipefail
# ccache: scripts/setup/build.sh compiles through it, so a second build of the same
# sources (the CUDA variant, the image's build stage in .ci/run) reuses objects.
packages=(build-essential cmake ninja-build ccache pkg-config openmpi-bin libopenmpi-dev libssl-dev openssl
          libeigen3-dev libfmt-dev libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev
          python3 python3-numpy python3-pandas python3-venv python3-pip python3-wheel python3-dev pybind11-dev
          python3-mpi4py procps iproute2 libopenblas-dev clang-format libspdlog-dev libdnnl-dev)
for option in "$@"; do
  case $option in
    --bench) packages+=(python3-matplotlib) ;;
    --sshd) packages+=(openssh-server openssh-client) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    --image) packages+=(podman buildah mmdebstrap runc netavark aardvark-dns iptables uidmap) ;;
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
