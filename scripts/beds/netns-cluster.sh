#!/usr/bin/env bash
# A SageMaker cluster on one Linux machine, with the real multi-host path:
# hosts algo-1..algo-N, each a network namespace with its own eth0 (a veth
# into one bridge that has no address, so the job's 10.x traffic never leaves
# the bridge), its own /etc/hosts (/etc/netns/NAME/hosts), host name, ML root
# (mounted at one path, WORK/ml, in each host's own mount namespace, as
# /opt/ml is on every instance) and its own sshd, which the launcher starts.
# The image's entrypoint (`train train`) runs in every namespace at once; the
# leader's mpirun logs in to the workers over ssh and the ranks talk over the
# veths (btl_tcp_if_include eth0). Everything it made is removed on exit,
# also when interrupted.
#
# Usage: scripts/beds/netns-cluster.sh N [--hostnames aws|random|algo] [--bandwidth RATE] [--sharded] [--transport mpi|tcp|tls]
#          [--rows R] [--cols D] [--ppn P] [--k K] [--hp KEY=VALUE]... [--matrix NPY] [--check] [--keep DIR]
#          [--foreign-certs HOST] [--capture FILE] [--delay HOST=SECONDS]... [--absent HOST]... [--fault KIND:HOST:SECONDS]...
#          [--roots DIR] [--check-isolated]
#   (--sharded ... --keep: the options of scripts/beds/cluster-job.sh, shared with scripts/beds/local-sagemaker.sh)
#   --hostnames  what each host's gethostname() says: aws (default, as in every SageMaker
#                container), random (a 12-hex container id, as in the SDK's local mode) or
#                algo (algo-K, its name in resourceconfig.json). algo-K names resolve
#                through each host's /etc/hosts in every case.
#   --bandwidth  cap every host's egress (tc tbf), e.g. 10gbit or 25gbit, as on EC2.
#   --foreign-certs HOST  with --transport tls: HOST's certificate channel
#                comes from another job CA (a host with the wrong credentials).
#   --capture F  record every frame on algo-1's link (its veth at the bridge)
#                while the hosts run, into F (tests/tools/capture.py).
#   --delay      start that host's container SECONDS later than the others.
#   --absent     never start that host's container.
#   --fault      SECONDS after the ranks are up (rank 0 printed its host table): link-down (that host's
#                veth goes down at the bridge, a cut cable) or kill (every
#                process of that host killed, a lost instance).
#   --roots DIR  the hosts' ML roots as made elsewhere (DIR/algo-1 ... DIR/algo-N, their channels
#                filled; tests/cli/sagemaker_guide.py --roots writes the docs' SDK example so),
#                instead of making them; --matrix names the input for --check.
#   --check-isolated  before the job, check that no host has a route beyond the
#                bridge (only its own /24, no default route) and that this machine's
#                own address is unreachable from it, as with SageMaker's
#                enable_network_isolation; fail (exit 1) otherwise.
# Exit code: the leader's (or the first non-zero host's); 77 when this machine
# cannot host the cluster (not root, no network namespaces, no sshd), with the
# reason on stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:?usage: netns-cluster.sh N [options]}; shift
hostnames=aws; bandwidth=""; delays=(); absent=(); faults=(); fault_pids=(); capture=""; capture_pid=""; foreign=""
roots=""; check_isolated=0
skip() { echo "netns-cluster: skipped: $*" >&2; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root to make network namespaces"
[[ -x /usr/sbin/sshd ]] || skip "no /usr/sbin/sshd (install openssh-server: scripts/setup/deps.sh --sshd)"
command -v ssh >/dev/null || skip "no ssh client (install openssh-client: scripts/setup/deps.sh --sshd)"
command -v unshare >/dev/null || skip "no unshare (util-linux)"
source "$root/scripts/beds/cluster-job.sh"
while (($#)); do
  case $1 in
    --hostnames) hostnames=$2; shift 2 ;;
    --bandwidth) bandwidth=$2; shift 2 ;;
    --foreign-certs) foreign=$2; shift 2 ;;
    --capture) capture=$2; shift 2 ;;
    --delay) delays+=("$2"); shift 2 ;;
    --absent) absent+=("$2"); shift 2 ;;
    --fault) faults+=("$2"); shift 2 ;;
    --roots) roots=$(realpath "$2"); shift 2 ;;
    --check-isolated) check_isolated=1; shift ;;
    *) job_option "$@" || { echo "unknown option $1" >&2; exit 2; }; shift "$job_option_words" ;;
  esac
done
case $hostnames in aws | random | algo) ;; *) echo "--hostnames: aws, random or algo, not $hostnames" >&2; exit 2 ;; esac

# Names unique to this cluster, so that clusters (and other users of the
# machine) never collide: netns "rs<id>-algo-i", bridge "rsb<id>", veth
# "rsv<id>-i", addresses 10.<a>.<b>.0/24.
id=$(printf '%04x' $(($$ % 65536)))
net="10.$((200 + $$ % 50)).$((($$ / 50) % 250))"
bridge="rsb$id"
ns_of() { echo "rs$id-algo-$1"; }
veth_of() { echo "rsv$id-$1"; }
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
pids=()

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [[ $code -ne 0 && -z ${logs_shown:-} ]]; then
    # Stopped early (a timeout around the bed, a signal): what each host said so far.
    for log in "$work"/algo-*.log; do
      [[ -f $log ]] && { echo "--- $(basename "$log") (last lines)"; tail -15 "$log"; }
    done
  fi
  local i pid
  for pid in "${pids[@]}" "${fault_pids[@]}" "$capture_pid"; do [[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 "$n"); do
    # Whatever still runs in a host's namespace is ours (its launcher, sshd,
    # orted, ranks, ssh sessions).
    for pid in $(ip netns pids "$(ns_of "$i")" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  for i in $(seq 1 "$n"); do
    ip netns del "$(ns_of "$i")" 2>/dev/null || true
    ip link del "$(veth_of "$i")" 2>/dev/null || true
    rm -rf "/etc/netns/$(ns_of "$i")"
  done
  ip link del "$bridge" 2>/dev/null || true
  [[ -n $keep ]] || rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "netns-cluster: id $id: host names $hostnames, namespaces $(ns_of 1)..$n, bridge $bridge, veths $(veth_of 1)..$n, $net.0/24"
ip netns add "$(ns_of probe)" 2>/dev/null || skip "cannot make network namespaces here"
ip netns del "$(ns_of probe)"
mkdir -p "$work/ml"
unshare --mount --uts --propagation private /bin/sh -c "mount --bind '$work' '$work/ml' && hostname algo-probe" \
  2>/dev/null || skip "cannot make mount and UTS namespaces here (unshare --mount --uts)"
# No address on the bridge: the root namespace has no route into the
# cluster. nf_call_iptables 0: the host's firewall does not see this
# bridge's frames (br_netfilter would send them through FORWARD).
ip link add "$bridge" type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 2>/dev/null \
  || ip link add "$bridge" type bridge
ip link set "$bridge" up
hosts_file="127.0.0.1 localhost"$'\n'
for i in $(seq 1 "$n"); do hosts_file+="$net.$((i + 1)) algo-$i"$'\n'; done
for i in $(seq 1 "$n"); do
  ns=$(ns_of "$i") veth=$(veth_of "$i")
  ip netns add "$ns"
  ip link add "$veth" type veth peer name "e$id-$i"
  ip link set "e$id-$i" netns "$ns"
  ip -n "$ns" link set "e$id-$i" name eth0
  ip -n "$ns" addr add "$net.$((i + 1))/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip link set "$veth" master "$bridge"
  ip link set "$veth" up
  if [[ -n $bandwidth ]]; then
    # Egress cap per host; burst: at least one 10 ms worth of the rate.
    ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$bandwidth" burst 16mbit latency 50ms
  fi
  mkdir -p "/etc/netns/$ns"
  printf '%s' "$hosts_file" >"/etc/netns/$ns/hosts"
done

# A host key, only in WORK. No login key: as in the image, the leader's
# launcher makes one for the job and hands its public half to the workers'
# launchers, which add it to the authorized_keys file sshd reads here.
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
: >"$work/authorized_keys"
cat >"$work/sshd_config" <<EOF
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
LogLevel ERROR
PermitUserRC no
# Sessions get an empty home: mpirun's remote shell must not run this
# machine's root dotfiles (a bashrc may do slow or locking work), as in a
# fresh container.
SetEnv HOME=$work/home
EOF
mkdir -p "$work/home"
cat >"$work/ssh_config" <<EOF
Host *
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  BatchMode yes
  LogLevel ERROR
EOF
chmod 600 "$work/host_key"

if [[ -n $roots ]]; then
  for i in $(seq 1 "$n"); do
    [[ -d $roots/algo-$i ]] || { echo "netns-cluster: --roots $roots has no algo-$i" >&2; exit 2; }
    cp -a "$roots/algo-$i" "$work/"
  done
  [[ -z $matrix ]] || cp "$matrix" "$work/full.npy"
  write_entrypoint
else
  make_job_roots --interface eth0
fi

# SageMaker's enable_network_isolation: the hosts reach each other and
# nothing else.
if ((check_isolated)); then
  outside=$(ip -4 -o addr show scope global | awk '{ sub("/.*", "", $4); print $4; exit }')
  for i in $(seq 1 "$n"); do
    routes=$(ip -n "$(ns_of "$i")" -4 route show)
    if [[ $routes != "$net.0/24 dev eth0 "* || $(wc -l <<<"$routes") -ne 1 ]]; then
      echo "netns-cluster: algo-$i has routes beyond its bridge: $routes" >&2; exit 1
    fi
    if ip netns exec "$(ns_of "$i")" ip route get 192.0.2.1 >/dev/null 2>&1; then
      echo "netns-cluster: algo-$i has a route to 192.0.2.1" >&2; exit 1
    fi
    if [[ -n $outside ]] && ip netns exec "$(ns_of "$i")" timeout 3 bash -c "exec 3<>/dev/tcp/$outside/22" 2>/dev/null; then
      echo "netns-cluster: algo-$i reached this machine's $outside:22" >&2; exit 1
    fi
  done
  echo "isolated: every host's only route is $net.0/24 on eth0; no default route; this machine's ${outside:-address} unreachable"
fi
if [[ -n $foreign ]]; then
  rm -rf "$work/$foreign/input/data/certs"
  "$ringsim" certs --out "$work/$foreign/input/data/certs" --hosts "$(seq -s, -f 'algo-%g' 1 "$n")" >/dev/null
fi

delay_of() {  # HOST -> seconds, 0 by default
  local d
  for d in "${delays[@]}"; do [[ ${d%%=*} == "$1" ]] && { echo "${d#*=}"; return; }; done
  echo 0
}
is_absent() { local a; for a in "${absent[@]}"; do [[ $a == "$1" ]] && return 0; done; return 1; }

hostname_of() {  # HOST -> what its gethostname() says
  case $hostnames in
    aws) echo aws ;;
    algo) echo "$1" ;;
    random) od -An -N6 -tx1 /dev/urandom | tr -d ' \n' ;;
  esac
}
# A host's container: its own namespaces (network from ip netns exec, which
# also mounts /etc/netns/NAME/hosts over /etc/hosts; mount and host name from
# unshare), its own /dev/shm (Open MPI's segment names carry the host name,
# which all hosts share when they all say aws), its ML root at WORK/ml, then
# the image's entrypoint.
start_host() {  # I
  local i=$1 host="algo-$1"
  ip netns exec "$(ns_of "$i")" unshare --mount --uts --propagation private /bin/sh -c '
      hostname "$3" && mount -t tmpfs -o size=1g tmpfs /dev/shm && mount --bind "$2/$1" "$2/ml" &&
      exec "$2/train" train' sh "$host" "$work" "$(hostname_of "$host")" >"$work/$host.log" 2>&1
}
export RINGSIM_ML_ROOT="$work/ml"
export RINGSIM_SSHD="/usr/sbin/sshd -D -e -f $work/sshd_config"
export RINGSIM_AUTHORIZED_KEYS="$work/authorized_keys"
export OMPI_MCA_plm_rsh_agent="ssh -F $work/ssh_config"
if [[ -n $capture ]]; then
  /usr/bin/python3 "$root/tests/tools/capture.py" "$(veth_of 1)" "$capture" --seconds 300 --ready "$work/capture.ready" &
  capture_pid=$!
  for _ in $(seq 100); do [[ -e "$work/capture.ready" ]] && break; sleep 0.05; done
fi
started=$SECONDS
for i in $(seq 1 "$n"); do
  host="algo-$i"
  if is_absent "$host"; then
    echo "$host: never started"
    pids+=("")
    continue
  fi
  delay=$(delay_of "$host")
  if [[ $delay == 0 ]]; then
    start_host "$i" &
  else
    (sleep "$delay"; start_host "$i") &
  fi
  pids+=($!)
done

# Faults, timed from the moment the leader starts mpirun.
for fault in "${faults[@]}"; do
  IFS=: read -r kind host after <<<"$fault"
  i=${host#algo-}
  (
    for _ in $(seq 1200); do grep -q "rank -> host" "$work/algo-1.log" 2>/dev/null && break; sleep 0.1; done
    sleep "$after"
    case $kind in
      link-down) ip link set "$(veth_of "$i")" down ;;
      kill) for pid in $(ip netns pids "$(ns_of "$i")"); do kill -KILL "$pid" 2>/dev/null || true; done ;;
      *) echo "unknown fault $kind" >&2; exit 1 ;;
    esac
    echo "fault: $kind on $host at $((SECONDS - started)) s"
  ) &
  fault_pids+=($!)
done

wait_hosts
if [[ -n $capture_pid ]]; then
  kill -TERM "$capture_pid" 2>/dev/null || true
  wait "$capture_pid" 2>/dev/null || true
  capture_pid=""
fi
logs_shown=1
finish_job "$status"
