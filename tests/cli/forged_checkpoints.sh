#!/usr/bin/env bash
# Checkpoints written by someone who can write the checkpoint folder (on
# SageMaker: the checkpoint_s3_uri prefix) but does not hold the job key.
#  1. keyed (--checkpoint-key-file): row 0's neighbours rewritten to 7 at
#     0.999 and the checksum recomputed: the rerun is refused naming the file
#     and its HMAC; the same with an HMAC under another key;
#  2. unkeyed: a neighbour id outside the matrix, checksum recomputed;
#  3. unkeyed, full mode: a band header moved outside the matrix (which grew
#     similarity.npy), checksum recomputed;
# each refused with one line, non-zero exit, and no result file written.
source "$(dirname "$0")/lib.sh"
"$ringsim" gen --rows 601 --cols 12 --seed 4 --out "$work/x.npy" >/dev/null
head -c 64 /dev/urandom >"$work/job.key"
job() {  # job OUT ARGS...
  local out=$1; shift
  run_job 3 --input "$work/x.npy" --out "$out" --timeout 20 --tile 64 "$@"
}
forge() {  # forge FILE WHAT [KEYFILE]: rewrites a checkpoint as a forger would
  /usr/bin/python3 - "$@" <<'PY'
import hashlib, hmac, struct, sys
path, what = sys.argv[1], sys.argv[2]
key = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else None
data = open(path, "rb").read()
size = struct.unpack("<Q", data[24:32])[0]
header, payload = data[:32], bytearray(data[32:32 + size])
if what.startswith("topk-row0"):           # float32 scores (rows x k), then int64 ids
    rows_k = len(payload) // 12
    k = 5
    for s in range(k):
        struct.pack_into("<f", payload, 4 * s, 0.999)
        struct.pack_into("<q", payload, 4 * rows_k + 8 * s, 7)
elif what == "topk-id-outside":
    rows_k = len(payload) // 12
    struct.pack_into("<q", payload, 4 * rows_k, 10**9)
elif what == "full-band-outside":           # 7 int64 per band header: blocks, own [b, e), visiting [b, e), diagonal
    vb, ve = struct.unpack_from("<qq", payload, 32)
    struct.pack_into("<qq", payload, 32, vb + 601, ve + 601)
    struct.pack_into("<q", payload, 48, 0)
payload = bytes(payload)
if what.endswith("with-another-key"):
    mac_key = hashlib.sha256(b"ringsim checkpoint HMAC key v1\n" + b"not the job key").digest()
    trailer = hmac.new(mac_key, header + payload, "sha256").digest()
elif key is not None:                      # the forger recomputes what it can: the checksum
    h = 0xcbf29ce484222325
    for b in payload:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    trailer = struct.pack("<Q", h) + bytes(24)
else:
    h = 0xcbf29ce484222325
    for b in payload:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    trailer = struct.pack("<Q", h)
open(path, "wb").write(header + payload + trailer)
PY
}
case_() {  # case_ NAME WHAT KEYED ARGS...
  local name=$1 what=$2 keyed=$3; shift 3
  local ck="$work/$name-ck" out="$work/$name-out"
  local key=()
  [[ $keyed == yes ]] && key=(--checkpoint-key-file "$work/job.key")
  RINGSIM_FAULT="1:checkpoint-0:KILL" job "$out" --checkpoint-dir "$ck" "${key[@]}" "$@" >/dev/null 2>&1
  [[ -f "$ck/rank-0.step-0.ckpt" ]] || { fail "$name: no checkpoint of step 0 to forge"; return; }
  forge "$ck/rank-0.step-0.ckpt" "$what" ${key:+"$work/job.key"}
  local start=$SECONDS
  job "$out" --checkpoint-dir "$ck" "${key[@]}" "$@" >"$work/$name.log" 2>&1
  local code=$?
  local line; line=$(grep -m1 "^ringsim: error" "$work/$name.log")
  if [[ $code -ne 0 ]] && grep -q "rank-0.step-0.ckpt\|refused" <<<"$line" && [[ -z "$(ls -A "$out" 2>/dev/null)" ]]; then
    ok "$name: exit $code in $((SECONDS - start)) s, no output: $line"
  else
    fail "$name: exit $code, output: $(ls -A "$out" 2>/dev/null | tr '\n' ' '), error: ${line:-none}"
    tail -5 "$work/$name.log"
  fi
}
case_ keyed-neighbours-rewritten topk-row0 yes --k 5
case_ keyed-another-key topk-row0-with-another-key yes --k 5
case_ unkeyed-id-outside topk-id-outside no --k 5
case_ unkeyed-full-band-outside full-band-outside no --mode full
# The key changes nothing else: a keyed job killed and rerun resumes as before.
RINGSIM_FAULT="1:checkpoint-0:KILL" job "$work/resume" --checkpoint-dir "$work/resume-ck" \
  --checkpoint-key-file "$work/job.key" --k 5 >/dev/null 2>&1
job "$work/resume" --checkpoint-dir "$work/resume-ck" --checkpoint-key-file "$work/job.key" --k 5 2>"$work/resume.err"
resumed=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['resumed_steps'])" \
  "$work/resume/report.json" 2>/dev/null)
[[ $resumed == 1 ]] && ok "keyed resume: resumed_steps 1" || { fail "keyed resume: resumed_steps '$resumed'"; cat "$work/resume.err"; }
finish
