#!/usr/bin/env bash
# What a job trusts, said at start and in report.json:
#  1. --encrypt: report.json's `encrypt` is the policy asked for (all,
#     inter-host; null without tls), beside each edge's `encrypted`;
#  2. checkpoints without --checkpoint-key-file: one warning that they are not
#     keyed, and report.json's checkpoints_keyed false (true with a key, null
#     without checkpoints);
#  3. a one-host SageMaker job with checkpoints keys them from its job
#     secret, given as job_secret or job_secret_channel, and says so when it
#     has none.
source "$(dirname "$0")/lib.sh"
"$ringsim" gen --rows 300 --cols 8 --seed 5 --out "$work/x.npy" >/dev/null
field() {  # REPORT KEY -> its value as JSON
  /usr/bin/python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])).get(sys.argv[2], "absent")))' "$@"
}

# 1. The encryption policy.
for policy in all inter-host none; do
  out=$work/encrypt-$policy
  if [[ $policy == none ]]; then
    run_job 2 --input "$work/x.npy" --out "$out" --transport tcp 2>"$out.err"
    expected=null
  else
    run_job 2 --input "$work/x.npy" --out "$out" --transport tls --tls-ephemeral --encrypt "$policy" 2>"$out.err"
    expected="\"$policy\""
  fi
  got=$(field "$out/report.json" encrypt 2>/dev/null)
  [[ $got == "$expected" ]] && ok "report.json: encrypt $got (${policy})" \
    || { fail "report.json: encrypt is ${got:-unreadable} for $policy, not $expected"; tail -3 "$out.err"; }
done

# 2. Keyed and unkeyed checkpoints, and none.
head -c 64 /dev/urandom >"$work/job.key"
for keyed in no yes none; do
  out=$work/ck-$keyed
  args=(--checkpoint-dir "$work/ck-$keyed-dir")
  [[ $keyed == yes ]] && args+=(--checkpoint-key-file "$work/job.key")
  [[ $keyed == none ]] && args=()
  run_job 2 --input "$work/x.npy" --out "$out" "${args[@]}" 2>"$out.err"
  got=$(field "$out/report.json" checkpoints_keyed 2>/dev/null)
  warnings=$(grep -c "are not keyed" "$out.err")
  case $keyed in
    no) expected=false want=1 ;;
    yes) expected=true want=0 ;;
    none) expected=null want=0 ;;
  esac
  if [[ $got == "$expected" && $warnings -eq $want ]]; then
    ok "checkpoints $keyed: checkpoints_keyed $got, $warnings warning(s) $(grep -m1 'are not keyed' "$out.err")"
  else
    fail "checkpoints $keyed: checkpoints_keyed ${got:-unreadable} (want $expected), $warnings warning(s) (want $want)"
  fi
done

# 3. One SageMaker host with checkpoints (/opt/ml/checkpoints exists).
cp "$work/x.npy" "$work/full.npy"
secret=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))')
for given in job_secret job_secret_channel none; do
  dir=$work/sm-$given
  mkdir -p "$dir"
  cp "$work/full.npy" "$dir/"
  case $given in
    job_secret) /usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$dir" 1 "job_secret=$secret" >/dev/null ;;
    job_secret_channel)
      /usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$dir" 1 job_secret_channel=secret >/dev/null
      mkdir -p "$dir/algo-1/input/data/secret"
      echo "$secret" >"$dir/algo-1/input/data/secret/job_secret"
      /usr/bin/python3 -c 'import json, sys; p = sys.argv[1]; c = json.load(open(p))
c["secret"] = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
json.dump(c, open(p, "w"))' "$dir/algo-1/input/config/inputdataconfig.json"
      ;;
    none) /usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$dir" 1 --no-secret >/dev/null ;;
  esac
  mkdir -p "$dir/algo-1/checkpoints"
  timeout 120 "$ringsim" launch --local --ml-root "$dir/algo-1" >"$dir/launch.log" 2>&1
  code=$?
  got=$(field "$dir/algo-1/model/report.json" checkpoints_keyed 2>/dev/null)
  expected=true
  [[ $given == none ]] && expected=false
  if [[ $code -eq 0 && $got == "$expected" ]] && { [[ $given != none ]] || grep -q "are not keyed" "$dir/launch.log"; }; then
    ok "one SageMaker host, checkpoints, secret as $given: exit 0, checkpoints_keyed $got"
  else
    fail "one SageMaker host, checkpoints, secret as $given: exit $code, checkpoints_keyed ${got:-unreadable} (want $expected)"
    tail -5 "$dir/launch.log"
  fi
done
finish
