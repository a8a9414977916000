# A bring-your-own SageMaker training image for ringsim (Debian 12).
# Built and run as SageMaker runs it by scripts/test/test-image.sh (in .ci/run).
# Build, push and start a job: docs/sagemaker.md. SageMaker runs it as
# `docker run IMAGE train`; scripts/train takes that argument.
#   docker build --build-arg RINGSIM_COMMIT=$(git rev-parse --short HEAD) -t ringsim .
# (.dockerignore keeps .git out of the context, so the commit that
# `ringsim --version` names comes in as a build argument.)
#
# This is the CPU image. The CUDA variant (GPU instances, hyperparameter
# device=cuda, docs/gpu.md) needs nvcc and cuBLAS at build time and cuBLAS at
# run time, so both stages start from NVIDIA's CUDA images instead:
#   build stage:   FROM nvidia/cuda:13.0.1-devel-ubuntu24.04, the same
#                  apt-get line, and -DRINGSIM_CUDA=ON added to the cmake line
#                  (it fails naming what is missing rather than build a CPU
#                  binary);
#   runtime stage: FROM nvidia/cuda:13.0.1-runtime-ubuntu24.04 (cuBLAS; the
#                  CUDA runtime itself is linked statically), the same packages
#                  with Ubuntu 24.04's names (libfmt9 -> libfmt9t64 ...).
# Nothing else changes: SageMaker's GPU hosts run the container with NVIDIA's
# runtime, which mounts the driver (libcuda, libnvidia-ml) and creates
# /dev/nvidia0..N for the instance's GPUs. The launcher counts those GPUs
# itself (NVML, else the device nodes; a bring-your-own image gets no
# SM_NUM_GPUS) and runs one rank per GPU.
FROM debian:12-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build libopenmpi-dev openmpi-bin libssl-dev libeigen3-dev \
      libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libopenblas-dev libdnnl-dev ccache && rm -rf /var/lib/apt/lists/*
COPY . /src
ARG RINGSIM_COMMIT=unknown
# Only the binary and its gethostname() shim: no tests, benchmark tools or Python module.
# Through ccache only where a cache is mounted at /ccache: scripts/test/test-image.sh
# mounts the host's (podman build -v), so CI compiles ringsim once. Paths are
# hashed relative to /src and the build folder is /src/build, as the host's
# build/ is to its checkout, so the host's objects match.
RUN if [ -d /ccache ]; then export CCACHE_DIR=/ccache CCACHE_BASEDIR=/src; else export CCACHE_DISABLE=1; fi \
    && cmake -S /src -B /src/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRINGSIM_TESTS=OFF -DRINGSIM_PYTHON=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DRINGSIM_COMMIT="$RINGSIM_COMMIT" \
    && cmake --build /src/build --target ringsim ringsim_hostname

FROM debian:12-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openmpi-bin libopenmpi3 libssl3 libfmt9 libspdlog1.10 libopenblas0-pthread libdnnl2 openssh-server openssh-client \
      ca-certificates && rm -rf /var/lib/apt/lists/*
# mpirun starts the ranks on the workers over ssh. No private key is baked
# in: the leader's launcher makes an ssh key for each job and hands its public
# half to the workers' launchers over the control channel (authenticated by
# the job's certificates when it has a tls_channel), and each container makes
# its own sshd host keys at start (ssh-keygen -A). mpirun's logins to the
# job's hosts do not check host keys (launcher/mpirun_command.cpp); no other
# ssh login is relaxed. Keys only: no password logins.
# Workers' launchers run sshd in the foreground (sshd -D -e, logging to the
# job's log: errors only); a one-host job runs none.
RUN mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && rm -f /etc/ssh/ssh_host_*_key* \
    && sed -i -e 's/^#\?PermitRootLogin.*/PermitRootLogin prohibit-password/' -e 's/^#\?LogLevel.*/LogLevel ERROR/' \
         -e 's/^#\?PasswordAuthentication.*/PasswordAuthentication no/' /etc/ssh/sshd_config \
    && grep -q '^PasswordAuthentication no' /etc/ssh/sshd_config
COPY --from=build /src/build/ringsim /opt/ringsim/bin/ringsim
# The gethostname() shim a multi-host launch preloads (every container here
# is called "aws"); the launcher finds it in ../lib beside bin/.
COPY --from=build /src/build/libringsim_hostname.so /opt/ringsim/lib/libringsim_hostname.so
COPY scripts/train /usr/local/bin/train
ENV PATH=/opt/ringsim/bin:$PATH
# Every library the binary links is in this stage (a missing one fails the
# build here, not the job on SageMaker).
RUN if ldd /opt/ringsim/bin/ringsim | grep 'not found'; then exit 1; fi && ringsim --version
ENTRYPOINT ["/usr/local/bin/train"]
