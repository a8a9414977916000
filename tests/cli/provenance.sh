#!/usr/bin/env bash
# report.json says what made it: the version --version prints (the Python
# package's too), the revision built, the command line and the parsed
# options, UTC start and end, the hosts, and each input file with its
# bytes, modification time and (--hash-inputs) SHA-256, each checked
# against the file itself. Every file the three modes write is named in
# docs/outputs.md's table.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c "import numpy as np; np.save('$work/x.npy', np.random.default_rng(1).standard_normal((60, 5)))"
printf 'r%s\n' $(seq 0 59) >"$work/ids.txt"
job_seconds=60 run_job 2 --timeout 30 --input "$work/x.npy" --ids "$work/ids.txt" --out "$work/topk" --k 3 \
  --hash-inputs 2>"$work/topk.err" || fail "topk run: $(cat "$work/topk.err")"
job_seconds=60 run_job 2 --timeout 30 --input "$work/x.npy" --ids "$work/ids.txt" --out "$work/threshold" \
  --mode threshold --threshold 0.3 2>"$work/threshold.err" || fail "threshold run: $(cat "$work/threshold.err")"
job_seconds=60 run_job 1 --timeout 30 --input "$work/x.npy" --out "$work/full" --mode full \
  2>"$work/full.err" || fail "full run: $(cat "$work/full.err")"
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || true)
if /usr/bin/python3 - "$work" "$ringsim" "$root" "$revision" <<'PY'; then
import datetime, hashlib, json, os, re, subprocess, sys
w, binary, root, revision = sys.argv[1:]
bad = 0
def check(ok, what):
    global bad
    if not ok:
        print(f"FAIL: {what}"); bad += 1
p = json.load(open(f"{w}/topk/report.json"))["provenance"]
version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()
check(p["ringsim_version"] == version[1], f"version {p['ringsim_version']} vs --version {version}")
sys.path.insert(0, f"{root}/python")
import ringsim
check(p["ringsim_version"] == ringsim.__version__, f"version {p['ringsim_version']} vs the package's {ringsim.__version__}")
check(not revision or p["source_revision"] == revision, f"revision {p['source_revision']} vs HEAD {revision}")
check(p["command_line"][0].endswith("ringsim") and p["command_line"][1] == "run" and "--hash-inputs" in p["command_line"]
      and p["command_line"][p["command_line"].index("--k") + 1] == "3", f"command line {p['command_line']}")
check(p["options"]["--k"] == "3" and p["options"]["--mode"] == "topk" and p["options"]["--hash-inputs"] == "true"
      and p["options"]["--tile"] == "512", f"options {p['options']}")
utc = lambda text: datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
start, end = utc(p["started_utc"]), utc(p["finished_utc"])
now = datetime.datetime.now(datetime.timezone.utc)
check(now - datetime.timedelta(minutes=5) < start <= end <= now, f"start {start}, end {end}, now {now}")
check(p["hosts"] and all(isinstance(h, str) and h for h in p["hosts"]), f"hosts {p['hosts']}")
files = {f["role"]: f for f in p["inputs"]}
check(len(p["inputs"]) == 2 and set(files) == {"input", "ids"}, f"inputs {p['inputs']}")
for role, name in [("input", "x.npy"), ("ids", "ids.txt")]:
    f, path = files.get(role, {}), os.path.realpath(f"{w}/{name}")
    stat = os.stat(path)
    mtime = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc)
    check(os.path.realpath(f.get("path", "")) == path and f.get("bytes") == stat.st_size, f"{role}: {f}")
    check(abs((utc(f.get("modified_utc", "1970-01-01T00:00:00.0Z")) - mtime).total_seconds()) < 0.01,
          f"{role}: modified {f.get('modified_utc')} vs {mtime}")
    check(f.get("sha256") == hashlib.sha256(open(path, "rb").read()).hexdigest(), f"{role}: sha256 {f.get('sha256')}")
plain = json.load(open(f"{w}/threshold/report.json"))["provenance"]
check(all("sha256" not in f for f in plain["inputs"]), "sha256 without --hash-inputs")
# Every file a job writes is in docs/outputs.md's table.
listed = set()
for line in open(f"{root}/docs/outputs.md"):
    if line.startswith("| `"):
        listed |= set(re.findall(r"`([a-z_]+\.(?:npy|txt|csv|json))`", line.split("|")[1]))
for mode in ("topk", "threshold", "full"):
    for name in os.listdir(f"{w}/{mode}"):
        check(name in listed, f"{mode} wrote {name}, which docs/outputs.md's table does not list")
print(f"provenance: {p['ringsim_version']} {p['source_revision']}, {len(p['inputs'])} inputs; "
      f"docs/outputs.md lists the {len(listed)} files")
sys.exit(bad)
PY
  ok "report.json's provenance, and docs/outputs.md's file table"
else
  fail "the checks printed above"
fi
finish
