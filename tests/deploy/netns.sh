#!/usr/bin/env bash
# The deploy tier: the topology docker-compose creates, built from Linux namespaces, since no
# Docker engine runs here (docs/deploy.md, tech notes §11).
#
#   - every program instance is a "container": its own network namespace, with one veth into a
#     private test bridge that lives in a dedicated "switch" namespace (10.213.0.0/24; nothing is
#     added to the host's namespace), the bus over TCP to the gateway's address;
#   - the replicas of a service share one PID namespace whose PID 1 is a trivial holder, as
#     compose's pid: "service:<service>-pidns" makes them, and one data directory (the volume);
#     single-instance programs (gateway, schema-svc) get a PID namespace of their own.
#
# Then: the PID-namespace guard refuses a replica in a namespace of its own; kill -9 of one of
# three employees instances under a bounded load (what fails, how fast, every acknowledged write
# read back); a restarted and a fourth instance take the work alone; every service restarted
# one instance at a time under load with zero failed requests (schema-svc, a single instance,
# is waited out by the gateway). The figures go to stdout and to $REPORT.
#
# Usage: tests/deploy/netns.sh BUILD_DIR   (root; iproute2 and util-linux). KEEP=1 keeps the logs.
set -euo pipefail

B=$(cd "${1:?usage: netns.sh BUILD_DIR}" && pwd)
REPORT=${REPORT:-$B/tests/deploy/report.txt}
fail() { echo "deploy: FAIL: $*" >&2; exit 1; }
say() { echo "deploy: $*"; }

# --- what the tier needs: missing capabilities fail loudly, never skip ---------------------------
[ "$(id -u)" = 0 ] || fail "the deploy tier needs root (ip netns, veth, unshare --pid, nsenter); CI runs it as root"
for tool in ip unshare nsenter timeout curl; do
  command -v "$tool" >/dev/null || fail "$tool is missing (packages iproute2, util-linux, coreutils, curl)"
done
for bin in gateway/apibus-gateway services/auth/apibus-auth services/employees/apibus-employees \
           schema-svc/apibus-schema cli/apibus tests/deploy/deploy_load; do
  [ -x "$B/$bin" ] || fail "$B/$bin is not built"
done
HAVE_KEYS=0
[ -x "$B/services/keys/apibus-keys" ] && HAVE_KEYS=1

RUN=ab$(printf '%04x' $(( $$ % 65536 )))$(printf '%02x' $(( RANDOM % 256 )))
T=$(mktemp -d /tmp/apibus-deploy-XXXXXX)
mkdir -p "$T/log" "$T/health" "$T/vol" "$T/static"
NETNS=()
HOLDERS=()          # unshare processes whose child is a PID namespace's PID 1
declare -A PID=()   # instance -> host PID of the service process
declare -A OUTER=() # instance -> the launcher process (ip netns exec / nsenter / unshare)
declare -A NS_OF=() SVC_OF=() HOLDER_OF=()
STARTED_AT=$(date +%s)

cleanup() {
  local rc=$?
  set +e
  for inst in "${!OUTER[@]}"; do
    [ -n "${PID[$inst]:-}" ] && kill -KILL "${PID[$inst]}" 2>/dev/null
    kill -KILL "${OUTER[$inst]}" 2>/dev/null
  done
  for h in "${HOLDERS[@]}"; do kill -KILL "$h" 2>/dev/null; done
  wait 2>/dev/null
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ $rc -ne 0 ]; then
    for f in "$T"/log/*.log; do echo "---- $(basename "$f") (last lines)"; tail -n 15 "$f"; done
  fi
  if [ -n "${KEEP:-}" ]; then echo "deploy: logs kept in $T"; else rm -rf "$T"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the network: a switch namespace with a bridge, one veth per container ------------------------
SW=${RUN}sw
ip netns add "$SW" || fail "cannot create a network namespace (ip netns add): is this a restricted container?"
NETNS+=("$SW")
ip -n "$SW" link add br0 type bridge || fail "cannot create a bridge in the switch namespace"
ip -n "$SW" link set br0 up
ip -n "$SW" link set lo up
N_LINKS=0

# netns NAME IP: a container's network namespace, wired to the bridge
netns() {
  local ns=$RUN$1 ip=$2
  ip netns add "$ns"; NETNS+=("$ns")
  N_LINKS=$((N_LINKS + 1))
  ip -n "$SW" link add "v$N_LINKS" type veth peer name eth0 netns "$ns" ||
    fail "cannot create a veth pair into $ns"
  ip -n "$SW" link set "v$N_LINKS" master br0 up
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
}

GW_IP=10.213.0.1
netns gw $GW_IP
netns cl 10.213.0.2
netns sc 10.213.0.3
for i in 1 2; do netns "au$i" "10.213.0.1$i"; done
for i in 1 2 3 4 5; do netns "em$i" "10.213.0.3$i"; done
[ $HAVE_KEYS = 1 ] && for i in 1 2; do netns "ky$i" "10.213.0.2$i"; done

# --- PID namespaces --------------------------------------------------------------------------------
child_of() { # the first child of a process (the program behind unshare --fork / nsenter)
  local p=$1 c
  for _ in $(seq 1 200); do
    c=$(cut -d' ' -f1 "/proc/$p/task/$p/children" 2>/dev/null || true)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.01
  done
  return 1
}
holder() { # holder VAR: a new PID namespace whose PID 1 is `sleep infinity`; VAR gets its PID
  unshare --pid --fork --kill-child --mount-proc sleep infinity &
  local outer=$! pid1
  HOLDERS+=("$outer")
  pid1=$(child_of $outer) || fail "cannot create a PID namespace (unshare --pid)"
  printf -v "$1" '%s' "$pid1"
}

SECRET=apibus-deploy-tier-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
BASE_ENV=(PATH=/usr/bin:/bin "ASAN_OPTIONS=${ASAN_OPTIONS:-}" "UBSAN_OPTIONS=${UBSAN_OPTIONS:-}"
          APIBUS_BUS_TRANSPORT=tcp APIBUS_BUS_PORT_BASE=7100 APIBUS_BUS_HOST=$GW_IP
          APIBUS_FRAGMENTS_ENDPOINT=tcp://10.213.0.3:7102 APIBUS_FRAGMENT_PUSH_MS=500
          APIBUS_WORKERS=4 APIBUS_SHUTDOWN_GRACE_MS=3000 APIBUS_LMDB_MAP_SIZE=256M
          APIBUS_LMDB_READER_CHECK_MS=500 APIBUS_JWT_SECRET=$SECRET)
DEADLINE_MS=2000
WORKERS=4

# start INSTANCE SERVICE [HOLDER]: one container; with HOLDER it joins that PID namespace
start() {
  local inst=$1 svc=$2 holder_pid=${3:-} bin outer
  case $svc in
    gateway) bin=$B/gateway/apibus-gateway ;;
    schema) bin=$B/schema-svc/apibus-schema ;;
    *) bin=$B/services/$svc/apibus-$svc ;;
  esac
  local env=("${BASE_ENV[@]}" "APIBUS_DATA_DIR=$T/vol/$svc" "APIBUS_HEALTH_FILE=$T/health/$inst")
  case $svc in
    gateway) env+=(APIBUS_HTTP_BIND=$GW_IP APIBUS_HTTP_PORT=8000 APIBUS_BUS_BIND=$GW_IP
                   APIBUS_UPSTREAM_TIMEOUT_MS=$DEADLINE_MS APIBUS_NO_WORKER_WAIT_MS=8000
                   "APIBUS_STATIC_DIR=$T/static" APIBUS_REQUIRED_ROLES=auth,employees) ;;
    schema) env+=(APIBUS_BUS_BIND=10.213.0.3) ;;
    auth) env+=(APIBUS_AUTH_HASH_THREADS=2) ;;
  esac
  local ns=${NS_OF[$inst]:-$RUN${inst}}
  NS_OF[$inst]=$ns SVC_OF[$inst]=$svc HOLDER_OF[$inst]=$holder_pid
  if [ -n "$holder_pid" ]; then
    # its own mount namespace with a /proc of the shared PID namespace, as a container has
    ip netns exec "$ns" nsenter --target "$holder_pid" --pid -- unshare --mount --mount-proc \
      env -i "${env[@]}" "$bin" >>"$T/log/$inst.log" 2>&1 &
  else
    ip netns exec "$ns" unshare --pid --fork --kill-child --mount-proc env -i "${env[@]}" "$bin" \
      >>"$T/log/$inst.log" 2>&1 &
  fi
  outer=$!
  OUTER[$inst]=$outer
  PID[$inst]=$(child_of $outer) || fail "$inst did not start"
}

# healthy INSTANCE: the image's HEALTHCHECK (apibus-<service> --health) passes
healthy() {
  local inst=$1 svc=${SVC_OF[$1]} bin
  case $svc in schema) bin=$B/schema-svc/apibus-schema ;; *) bin=$B/services/$svc/apibus-$svc ;; esac
  for _ in $(seq 1 150); do
    APIBUS_HEALTH_FILE=$T/health/$inst ASAN_OPTIONS=detect_leaks=0 "$bin" --health >/dev/null 2>&1 && return 0
    kill -0 "${PID[$inst]}" 2>/dev/null || fail "$inst exited while starting"
    sleep 0.1
  done
  fail "$inst did not become healthy (no worker connected to the gateway)"
}

# stop INSTANCE: SIGTERM, wait (bounded), expect a clean exit after a full drain
stop() {
  local inst=$1 pid=${PID[$1]} outer=${OUTER[$1]} rc=0 drained
  drained=$(grep -c "drain: the gateway released all" "$T/log/$inst.log" || true)
  kill -TERM "$pid"
  timeout 15 tail --pid="$pid" -f /dev/null || fail "$inst did not exit within 15 s of SIGTERM"
  wait "$outer" || rc=$?
  [ $rc = 0 ] || fail "$inst exited with status $rc after SIGTERM"
  [ "$(grep -c "drain: the gateway released all" "$T/log/$inst.log")" -gt "$drained" ] ||
    fail "$inst closed without a full drain"
  unset 'OUTER[$inst]'
}

CLIENT=(ip netns exec "${RUN}cl")
token() { env -i PATH=/usr/bin:/bin APIBUS_JWT_SECRET=$SECRET APIBUS_DATA_DIR=$T/vol/cli \
          ASAN_OPTIONS=detect_leaks=0 "$B/cli/apibus" token --user-id "$1"; }

# --- the suite ----------------------------------------------------------------------------------
say "run $RUN: switch namespace $SW, bridge 10.213.0.0/24, data in $T"
start gw gateway
start sc schema
holder AUTH_NS; holder EMP_NS
start au1 auth "$AUTH_NS"; start au2 auth "$AUTH_NS"
start em1 employees "$EMP_NS"; start em2 employees "$EMP_NS"; start em3 employees "$EMP_NS"
KEYS=()
if [ $HAVE_KEYS = 1 ]; then
  holder KEYS_NS; start ky1 keys "$KEYS_NS"; start ky2 keys "$KEYS_NS"; KEYS=(ky1 ky2)
fi
for inst in sc au1 au2 em1 em2 em3 "${KEYS[@]}"; do healthy "$inst"; done
ok=0
for _ in $(seq 1 100); do
  "${CLIENT[@]}" curl -fsS -o /dev/null --max-time 2 "http://$GW_IP:8000/readyz" && { ok=1; break; }
  sleep 0.1
done
[ $ok = 1 ] || fail "the gateway never became ready at http://$GW_IP:8000/ (seen from the client's namespace, over the test bridge)"

# same PID namespace for the replicas of a service, PID 1 is the holder (compose's shape)
[ "$(readlink /proc/${PID[em1]}/ns/pid)" = "$(readlink /proc/${PID[em3]}/ns/pid)" ] ||
  fail "employees replicas are not in one PID namespace"
[ "$(readlink /proc/${PID[em1]}/ns/pid)" != "$(readlink /proc/${PID[au1]}/ns/pid)" ] ||
  fail "auth and employees share a PID namespace"
[ "$(readlink /proc/${PID[em1]}/ns/net)" != "$(readlink /proc/${PID[em2]}/ns/net)" ] ||
  fail "replicas share a network namespace"
say "topology: gateway, schema-svc, auth x2, employees x3$([ $HAVE_KEYS = 1 ] && echo ', keys x2'), each in its own network namespace; replicas share their service's PID namespace"

# --- 1. the guard: a replica in a PID namespace of its own is refused --------------------------------
rc=0
timeout 20 ip netns exec "${RUN}em5" unshare --pid --fork --kill-child --mount-proc env -i "${BASE_ENV[@]}" \
  "APIBUS_DATA_DIR=$T/vol/employees" "APIBUS_HEALTH_FILE=$T/health/em5" \
  "$B/services/employees/apibus-employees" >"$T/log/em5-guard.log" 2>&1 || rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "a replica in its own PID namespace was not refused (status $rc)"
grep -q "in another PID namespace" "$T/log/em5-guard.log" || fail "the refusal does not say why"
say "guard: a replica in its own PID namespace stopped at once (status $rc): $(grep -o 'is in use by a process in another PID namespace' "$T/log/em5-guard.log" | head -1)"

# --- 2. kill -9 one of three employees instances under a bounded load --------------------------------
TOKEN1=$(token 1)
rm -f "$T/progress" "$T/killed"
"${CLIENT[@]}" "$B/tests/deploy/deploy_load" writes "$GW_IP:8000" "$TOKEN1" 600 12 kill "$T/progress" \
  "$T/killed" $WORKERS $DEADLINE_MS >"$T/kill.out" 2>&1 &
LOAD=$!
for _ in $(seq 1 300); do
  [ "$(cat "$T/progress" 2>/dev/null || echo 0)" -ge 150 ] && break
  kill -0 $LOAD 2>/dev/null || break
  sleep 0.05
done
kill -0 $LOAD 2>/dev/null || { cat "$T/kill.out"; fail "the load ended before the kill"; }
date +%s%3N >"$T/killed"
kill -KILL "${PID[em2]}"
say "killed em2 (pid ${PID[em2]}) after $(cat "$T/progress") operations"
wait "${OUTER[em2]}" 2>/dev/null || true
unset 'OUTER[em2]'
load_rc=0; wait $LOAD || load_rc=$?
cat "$T/kill.out"
[ $load_rc = 0 ] || fail "kill test"

# --- 3. a restarted instance and a new fourth one take the work alone ------------------------------
start em2 employees "$EMP_NS"; start em4 employees "$EMP_NS"
healthy em2; healthy em4
stop em1; stop em3
TOKEN2=$(token 2)
out=$("${CLIENT[@]}" "$B/tests/deploy/deploy_load" writes "$GW_IP:8000" "$TOKEN2" 200 8 fresh "$T/progress2" - \
      $WORKERS $DEADLINE_MS) || { echo "$out"; fail "the restarted and the new instance did not serve everything"; }
echo "$out" | sed 's/^load:/after restart, em2 (restarted) and em4 (new) alone:/'
start em1 employees "$EMP_NS"; start em3 employees "$EMP_NS"
healthy em1; healthy em3

# --- 4. rolling restart of every service, one instance at a time, under load -------------------------
TOKEN3=$(token 3)
# token/verify checks the user too: a registered account's own token
reg=$("${CLIENT[@]}" curl -sS --max-time 20 -H 'Content-Type: application/json' "http://$GW_IP:8000/api/auth/register/" \
      -d '{"email":"roll@example.com","password1":"tulip-orbit-cascade","password2":"tulip-orbit-cascade"}')
VERIFY=$(echo "$reg" | grep -o '"access":"[^"]*"' | head -1 | cut -d'"' -f4)
[ -n "$VERIFY" ] || fail "cannot register a user for the load: $reg"
rm -f "$T/stop"
"${CLIENT[@]}" "$B/tests/deploy/deploy_load" mixed "$GW_IP:8000" "$TOKEN3" 8 "$T/stop" 200000 "$VERIFY" \
  >"$T/roll.out" 2>&1 &
LOAD=$!
sleep 1
restarted=0
t_roll=$(date +%s%3N)
for inst in au1 au2 "${KEYS[@]}" em1 em2 em3 em4 sc; do
  svc=${SVC_OF[$inst]}
  stop "$inst"
  start "$inst" "$svc" "${HOLDER_OF[$inst]}"
  healthy "$inst"
  restarted=$((restarted + 1))
  kill -0 $LOAD 2>/dev/null || { cat "$T/roll.out"; fail "the load stopped during the rolling restart"; }
  sleep 0.3
done
t_roll=$(( $(date +%s%3N) - t_roll ))
touch "$T/stop"
load_rc=0; wait $LOAD || load_rc=$?
cat "$T/roll.out"
[ $load_rc = 0 ] || fail "rolling restart: requests failed"
drains=$(grep -h "drain: the gateway released all" "$T"/log/*.log | sed 's/.* in \([0-9]*\) ms/\1/' | sort -n)
say "rolling restart: $restarted instances restarted one at a time in $t_roll ms; drain times (ms): $(echo $drains)"

# --- no sanitizer report in any log -------------------------------------------------------------------
if grep -l -E "AddressSanitizer|LeakSanitizer|runtime error:" "$T"/log/*.log; then
  fail "a sanitizer reported an error (log above)"
fi

{
  echo "deploy tier, $(date -u +%FT%TZ), $(( $(date +%s) - STARTED_AT )) s"
  grep -v '^  FAIL' "$T/kill.out"
  echo "$out" | sed 's/^load:/after restart, em2 (restarted) and em4 (new) alone:/'
  cat "$T/roll.out"
  echo "rolling restart: $restarted instances, one at a time, in $t_roll ms; drain times (ms): $(echo $drains)"
} >"$REPORT"
say "PASS in $(( $(date +%s) - STARTED_AT )) s (report: $REPORT)"
