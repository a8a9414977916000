#!/usr/bin/env bash
# Issue 26 Part B in one call on a machine with an NVIDIA GPU: builds ringsim
# with the CUDA backend (-DRINGSIM_CUDA=ON) into build-gpu/, then measures
# (1) n=100000 d=256 k=10, one rank, fp32: ringsim --device cuda against a
#     torch chunked-matmul top-k script (bench/gpu/torch_topk.py; cupy, then
#     numpy on the CPU when torch is absent, and the summary says which), both
#     timed from process start to exit, on the same .npy; plus the GPU's own
#     fp32 GEMM rate (torch/cupy 8192^3) to set ringsim's compute rate against;
# (2) n=1,000,000 d=256 k=10: the torch script in TF32 and in fp32, ringsim in
#     fp32 (ringsim has no TF32 mode yet: docs/gpu.md);
# (3) P=4 ranks sharing the one GPU over tls (--tls-ephemeral) on a matrix
#     with exact ties and zero rows: neighbour sets against --device cpu;
# (4) the same P=4 GPU job over tls, tcp and mpi: wall, compute and wait
#     seconds, and the tls/tcp and tls/mpi ratios.
# Everything goes to a new folder bench/results/gpu-<UTC time>/ (each run's
# report.json and log, summary.md); the summary is printed at the end.
#
# Usage: scripts/bench/bench-gpu.sh [--quick]   (--quick: n / 10 everywhere, to try the script)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scale=1
[[ "${1:-}" == "--quick" ]] && scale=10
command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 ||
  { echo "bench-gpu: no NVIDIA GPU here (nvidia-smi -L failed); run it on a GPU machine" >&2; exit 2; }
out=$root/bench/results/gpu-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
build=${RINGSIM_GPU_BUILD_DIR:-$root/build-gpu}
if [[ -z "${RINGSIM_SKIP_BUILD:-}" ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRINGSIM_CUDA=ON -DRINGSIM_TESTS=OFF -DRINGSIM_PYTHON=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=native "${launcher[@]}" >"$out/cmake.log" 2>&1 ||
    { tail -20 "$out/cmake.log"; exit 1; }
  ninja -C "$build" -j "$(nproc)" ringsim >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
fi
ringsim=$build/ringsim
source "$root/scripts/setup/env.sh"
# The first Python with numpy (PYTHON overrides): torch / cupy are looked for in it.
python=${PYTHON:-}
for candidate in python3 /usr/bin/python3; do
  [[ -z $python ]] && "$candidate" -c "import numpy" 2>/dev/null && python=$candidate
done
[[ -n $python ]] || { echo "bench-gpu: no python3 with numpy found (set PYTHON)" >&2; exit 2; }
data=${RINGSIM_BENCH_DATA:-$(mktemp -d)}
nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
{
  echo "# ringsim on the GPU ($(date -u +%FT%TZ))"
  echo
  echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)"
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  echo "- ringsim: $("$ringsim" --version) (build-gpu, -DRINGSIM_CUDA=ON)"
} >"$out/summary.md"
say() { echo "$*" | tee -a "$out/summary.md"; }

seconds_of() {  # wall seconds of a command, process start to exit; its output to $out/$1.log
  local name=$1; shift
  local start=$EPOCHREALTIME
  "$@" >"$out/$name.log" 2>&1 || { echo "FAILED ($?): $*" >>"$out/$name.log"; tail -5 "$out/$name.log" >&2; }
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}
report_field() {  # report.json field (jq-like path in python) of run folder $1
  "$python" -c "import json,sys; r=json.load(open('$1/report.json')); print($2)" 2>/dev/null || echo "n/a"
}
gemm_peak() {  # the GPU's fp32 GEMM rate in TFLOP/s (8192^3, torch or cupy)
  "$python" - <<'PY' 2>/dev/null || echo "n/a"
import time
try:
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    a = torch.randn(8192, 8192, device="cuda"); b = torch.randn(8192, 8192, device="cuda")
    for _ in range(3): a @ b
    torch.cuda.synchronize(); t = time.time()
    for _ in range(20): a @ b
    torch.cuda.synchronize(); print(f"{2 * 8192**3 * 20 / (time.time() - t) / 1e12:.1f}")
except ImportError:
    import cupy as cp
    a = cp.random.rand(8192, 8192, dtype=cp.float32); b = cp.random.rand(8192, 8192, dtype=cp.float32)
    for _ in range(3): a @ b
    cp.cuda.Stream.null.synchronize(); t = time.time()
    for _ in range(20): a @ b
    cp.cuda.Stream.null.synchronize(); print(f"{2 * 8192**3 * 20 / (time.time() - t) / 1e12:.1f}")
PY
}

# (1) n = 100000, one rank, fp32.
n1=$((100000 / scale))
"$ringsim" gen --rows "$n1" --cols 256 --seed 1 --out "$data/x1.npy" >/dev/null
peak=$(gemm_peak)
say ""
say "## 1. n=$n1 d=256 k=10, one rank, fp32 (seconds from process start to exit)"
t_ring=$(seconds_of ring1 mpirun -np 1 "$ringsim" run --input "$data/x1.npy" --out "$data/r1" --k 10 --device cuda --tile 8192 --quiet)
t_torch=$(seconds_of torch1 "$python" "$root/bench/gpu/torch_topk.py" "$data/x1.npy" 10 fp32 "$data/t1")
cp "$data/r1/report.json" "$out/ring1.report.json" 2>/dev/null || true
gflops=$(report_field "$data/r1" "r['ranks'][0]['gflops']")
say "- ringsim --device cuda: $t_ring s (compute $(report_field "$data/r1" "r['ranks'][0]['seconds']['compute']") s, $gflops GFLOP/s; GPU $(report_field "$data/r1" "r['ranks'][0]['device']"))"
say "- baseline: $t_torch s ($(cat "$data/t1.json" 2>/dev/null))"
say "- GPU fp32 GEMM peak (8192^3): $peak TFLOP/s; ringsim compute / peak: $("$python" -c "print(f'{float(\"$gflops\") / 1e3 / float(\"$peak\"):.2f}')" 2>/dev/null || echo n/a)"
say "- ringsim / baseline wall: $("$python" -c "print(f'{$t_ring / $t_torch:.2f}')" 2>/dev/null || echo n/a)"
say "- neighbours vs baseline: $("$python" "$root/bench/gpu/compare.py" "$data/r1/neighbors.npy" "$data/r1/scores.npy" "$data/t1.ids.npy" "$data/t1.scores.npy" 1e-5 2>&1 || true)"

# (2) n = 1,000,000.
n2=$((1000000 / scale))
"$ringsim" gen --rows "$n2" --cols 256 --seed 2 --out "$data/x2.npy" >/dev/null
say ""
say "## 2. n=$n2 d=256 k=10, one rank"
t_tf32=$(seconds_of torch2_tf32 "$python" "$root/bench/gpu/torch_topk.py" "$data/x2.npy" 10 tf32 "$data/t2")
t_fp32=$(seconds_of torch2_fp32 "$python" "$root/bench/gpu/torch_topk.py" "$data/x2.npy" 10 fp32 "$data/t2f")
t_ring2=$(seconds_of ring2 mpirun -np 1 "$ringsim" run --input "$data/x2.npy" --out "$data/r2" --k 10 --device cuda --tile 8192 --quiet)
cp "$data/r2/report.json" "$out/ring2.report.json" 2>/dev/null || true
say "- baseline TF32: $t_tf32 s, fp32: $t_fp32 s ($(cat "$data/t2.json" 2>/dev/null))"
say "- ringsim --device cuda fp32: $t_ring2 s (compute $(report_field "$data/r2" "r['ranks'][0]['seconds']['compute']") s; ringsim has no TF32 mode yet)"
say "- ringsim fp32 vs baseline fp32 (exact): $("$python" "$root/bench/gpu/compare.py" "$data/r2/neighbors.npy" "$data/r2/scores.npy" "$data/t2f.ids.npy" "$data/t2f.scores.npy" 1e-5 2>&1 || true)"
say "- baseline TF32 vs fp32 (what TF32 costs in exactness): $("$python" "$root/bench/gpu/compare.py" "$data/t2.ids.npy" "$data/t2.scores.npy" "$data/t2f.ids.npy" "$data/t2f.scores.npy" 0 2>&1 || true)"
rm -f "$data/x2.npy"

# (3) P = 4 on one GPU over tls: ties and zero rows, against the CPU path.
n3=$((40000 / scale))
"$ringsim" gen --rows "$n3" --cols 64 --seed 3 --out "$data/x3.npy" >/dev/null
"$python" - "$data/x3.npy" <<'PY'
import sys, numpy as np
x = np.load(sys.argv[1])
x[7::7] = x[3::7][: len(x[7::7])]  # exact duplicates: tied scores
x[11::11] = 0                         # zero rows: score 0 with everything
np.save(sys.argv[1], x)
PY
say ""
say "## 3. n=$n3 d=64 k=10 with ties and zero rows, P=4 on one GPU over tls, against --device cpu"
t_gpu4=$(seconds_of ring3_gpu mpirun -np 4 "$ringsim" run --input "$data/x3.npy" --out "$data/r3g" --k 10 --device cuda --transport tls --tls-ephemeral --quiet)
t_cpu4=$(seconds_of ring3_cpu mpirun -np 4 "$ringsim" run --input "$data/x3.npy" --out "$data/r3c" --k 10 --device cpu --transport tls --tls-ephemeral --quiet)
say "- wall: GPU $t_gpu4 s, CPU $t_cpu4 s; GPUs used: $(report_field "$data/r3g" "sorted({q['device'].get('uuid', '?') for q in r['ranks']})")"
say "- neighbour sets GPU vs CPU: $("$python" "$root/bench/gpu/compare.py" "$data/r3g/neighbors.npy" "$data/r3g/scores.npy" "$data/r3c/neighbors.npy" "$data/r3c/scores.npy" 1e-6 2>&1 || true)"

# (4) tls / tcp / mpi, P = 4 on the GPU.
say ""
say "## 4. transports, P=4 on one GPU, n=$n1 d=256 k=10"
declare -A wall
for transport in tls tcp mpi; do
  extra=(); [[ $transport == tls ]] && extra=(--tls-ephemeral)
  wall[$transport]=$(seconds_of "ring4_$transport" mpirun -np 4 "$ringsim" run --input "$data/x1.npy" --out "$data/r4$transport" --k 10 --device cuda --tile 8192 --transport "$transport" "${extra[@]}" --quiet)
  cp "$data/r4$transport/report.json" "$out/ring4_$transport.report.json" 2>/dev/null || true
  say "- $transport: ${wall[$transport]} s (ring $(report_field "$data/r4$transport" "r['ring_seconds'] if 'ring_seconds' in r else max(q['seconds']['ring'] for q in r['ranks'])") s, max compute $(report_field "$data/r4$transport" "max(q['seconds']['compute'] for q in r['ranks'])") s, max wait $(report_field "$data/r4$transport" "max(q['seconds']['communication_wait'] for q in r['ranks'])") s)"
done
say "- tls/tcp $("$python" -c "print(f'{${wall[tls]} / ${wall[tcp]}:.3f}')") , tls/mpi $("$python" -c "print(f'{${wall[tls]} / ${wall[mpi]}:.3f}')")"
say ""
say "Logs and reports: $out"
echo
cat "$out/summary.md"
