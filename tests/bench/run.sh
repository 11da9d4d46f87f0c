#!/usr/bin/env bash
# `make bench`: the suite side by side with bare h2o on this machine, in one run.
#
# Starts the release build with deploy/run-local (as `make run` does) on its own ports and a
# fresh data folder, seeds a user with 100 employees (exactly one page), an API key and 10,000
# access tokens, serves the exact bytes of page 1 from Debian's h2o, and measures with wrk on
# loopback. Prints one table and writes it, with the machine's description, between the bench
# markers of docs/benchmarks.md. Nothing here asserts a time: the targets are read off the table.
# Two rows measure the bus alone (tests/bench/bus_floor.c: the job board with 64 jobs in flight and
# 16 worker threads, replies the size of page 1 and of one employee, no HTTP): the ceiling of (a)/(c).
#
# Usage: tests/bench/run.sh   (make bench builds first and installs h2o and wrk)
# Env: APIBUS_BIN_DIR (build/release), DURATION (5 s per row), CONNECTIONS (64), REVOCATIONS (30),
#      BENCH_PORT (18000), BENCH_BUS_PORT_BASE (17100), BENCH_H2O_PORT (18080), BENCH_FLOOR_PORT (17900),
#      BENCH_OUT (docs/benchmarks.md; empty: print only), KEEP=1 keeps the temporary folder,
#      HOLD=1 stops after seeding with everything running, prints how to reach it (to profile by
#      hand, docs/benchmarks.md) and waits for Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${APIBUS_BIN_DIR:-build/release}
case $bin in /*) ;; *) bin=$top/$bin ;; esac
duration=${DURATION:-5}
conns=${CONNECTIONS:-64}
port=${BENCH_PORT:-18000}
h2o_port=${BENCH_H2O_PORT:-18080}
floor_port=${BENCH_FLOOR_PORT:-17900}
out=${BENCH_OUT-$top/docs/benchmarks.md}
apibus=$bin/cli/apibus
base=http://127.0.0.1:$port
list_path=/pegasus/employees/api/employees/

for tool in wrk h2o curl python3 cc; do
  command -v $tool >/dev/null || { echo "bench: $tool is missing (make bench installs it)" >&2; exit 1; }
done
[ -x "$bin/gateway/apibus-gateway" ] && [ -x "$apibus" ] || { echo "bench: no build in $bin (make build)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/apibus-bench.XXXXXX)
results=$tmp/results
mkdir -p "$results"
suite= h2o_pid=
cleanup() {
  # only what this script started, by pid: run-local stops its own children on TERM
  [ -n "$h2o_pid" ] && kill -TERM "$h2o_pid" 2>/dev/null || true
  [ -n "$suite" ] && kill -TERM "$suite" 2>/dev/null && wait "$suite" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "bench: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 143' INT TERM   # so that cleanup runs on Ctrl-C and kill too

# Our own ports and data, so a `make run` or another engineer's tests are never touched. Failed
# API keys are not throttled here: the revocation row polls each revoked key until its first
# 401, and after 10 such failures an address would get 429 instead (nothing else fails a key).
export APIBUS_DATA_DIR=$tmp/var APIBUS_HTTP_PORT=$port APIBUS_BUS_PORT_BASE=${BENCH_BUS_PORT_BASE:-17100}
export APIBUS_KEY_FAIL_FREE=1000000 BENCH_DIR=$here

# The token minter and revocation prober, and the bus alone, compiled against the proto library
# of this very build.
cc -std=c11 -O2 -I"$top" "$here/helper.c" "$bin/proto/libapibus_proto.a" \
   $(pkg-config --libs libjwt jansson libsodium libcrypto) -o "$tmp/bench-helper"
cc -std=c11 -O2 -I"$top" "$here/bus_floor.c" "$bin/proto/libapibus_proto.a" \
   $(pkg-config --libs nanomsg) -pthread -o "$tmp/bench-bus-floor"

{
  echo "cpu: $(nproc) × $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r); $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "tools: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(h2o --version | head -1)"
  # what one durable commit costs on this disk: the ceiling of the one-client create rate
  t=$(date +%s%N); dd if=/dev/zero of="$tmp/fsync-probe" bs=4096 count=200 oflag=dsync 2>/dev/null
  echo "data disk: $(df -T "$tmp" | awk 'NR == 2 {print $2}'), a synchronous 4 KiB write takes $(( ($(date +%s%N) - t) / 200000 )) µs"
  rm -f "$tmp/fsync-probe"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$top" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
} > "$results/machine.txt"

# --- start the suite, time it to /readyz -----------------------------------------------------
# APIBUS_BUS_TRANSPORT=ipc compares the bus over unix sockets; nothing creates their folder yet
[ "${APIBUS_BUS_TRANSPORT:-tcp}" = ipc ] && mkdir -p "$APIBUS_DATA_DIR/bus"
t0=$(date +%s%N)
"$top/deploy/run-local" > "$tmp/run-local.log" 2>&1 &
suite=$!
until curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; do
  kill -0 "$suite" 2>/dev/null && [ $(( $(date +%s%N) - t0 )) -lt 20000000000 ] || {
    cat "$tmp/run-local.log" >&2; echo "bench: the suite did not become ready" >&2; exit 1; }
  sleep 0.005
done
echo $(( ($(date +%s%N) - t0) / 1000000 )) > "$results/ready_ms"
# run-local's first start creates a demo user and key: let it finish before anything is measured
for _ in $(seq 100); do [ -s "$APIBUS_DATA_DIR/demo-credentials.json" ] && break; sleep 0.1; done

apibus_pids() {  # the suite's processes: run-local's children named apibus-* (restarts included)
  ps -o pid=,comm= --ppid "$suite" | awk '$2 ~ /^apibus-/ {print $1}'
}

# --- seed ------------------------------------------------------------------------------------
password=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
make_user() { printf '%s\n' "$password" | "$apibus" user create --email "$1" | awk '{print $1; exit}'; }
uid=$(make_user bench@example.com)     # reads: exactly 100 employees, never written after seeding
wuid=$(make_user writer@example.com)   # writes: rows (d) create into this user's list
"$tmp/bench-helper" tokens 10000 "$uid" > "$tmp/tokens"
jwt=$(head -1 "$tmp/tokens")
wjwt=$("$tmp/bench-helper" tokens 1 "$wuid")
key=$("$apibus" key create --user bench@example.com --name bench 2>>"$tmp/seed.log")

# 100 creates in one curl process (one keep-alive connection): page 1 holds exactly all of them
args=()
for i in $(seq -w 1 100); do
  dept=(hr finance engineering marketing sales); dept=${dept[$((10#$i % 5))]}
  args+=(--next -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $jwt" -H 'Content-Type: application/json'
         -d "{\"name\":\"Employee $i\",\"department\":\"$dept\",\"salary\":\"$((40000 + 10#$i * 731))\"}" "$base$list_path")
done
codes=$(curl "${args[@]:1}" | sort | uniq -c | xargs)
[ "$codes" = "100 201" ] || { echo "bench: seeding answered: $codes" >&2; exit 1; }
curl -fsS -H "Authorization: Api-Key $key" "$base$list_path" -o "$tmp/page1.json"
emp_id=$(grep -o '"id":[0-9]*' "$tmp/page1.json" | head -1 | cut -d: -f2)
len_one=$(curl -fsS -o /dev/null -w '%{size_download}' -H "Authorization: Api-Key $key" "$base$list_path$emp_id/")

# --- bare h2o serving the same bytes ------------------------------------------------------------
cat > "$tmp/h2o.conf" <<EOF
# bare h2o: one file, no access log, the same number of threads as cores (its default)
user: $(id -un)
pid-file: $tmp/h2o.pid
error-log: $tmp/h2o-error.log
listen:
  host: 127.0.0.1
  port: $h2o_port
hosts:
  default:
    paths:
      $list_path:
        file.file: $tmp/page1.json
EOF
h2o -c "$tmp/h2o.conf" > "$tmp/h2o.log" 2>&1 &
h2o_pid=$!
until curl -fsS -o /dev/null "http://127.0.0.1:$h2o_port$list_path" 2>/dev/null; do
  kill -0 $h2o_pid 2>/dev/null || { cat "$tmp/h2o.log" "$tmp/h2o-error.log" >&2; exit 1; }
  sleep 0.02
done
len_apibus=$(curl -sS -o /dev/null -w '%{size_download}' -H "Authorization: Api-Key $key" "$base$list_path")
len_h2o=$(curl -sSI "http://127.0.0.1:$h2o_port$list_path" | tr -d '\r' | awk 'tolower($1) == "content-length:" {print $2}')
[ "$len_apibus" = "$len_h2o" ] || { echo "bench: h2o serves $len_h2o bytes, apibus $len_apibus" >&2; exit 1; }
echo "bench: page 1 is $len_apibus bytes; user $uid, employee $emp_id; ready in $(cat "$results/ready_ms") ms"

if [ "${HOLD:-0}" = 1 ]; then
  echo "bench: holding. suite $base (run-local pid $suite, processes $(apibus_pids | xargs)), h2o :$h2o_port (pid $h2o_pid)"
  echo "  export BENCH_DIR=$here APIBUS_DATA_DIR=$APIBUS_DATA_DIR APIBUS_BUS_PORT_BASE=$APIBUS_BUS_PORT_BASE"
  echo "  export AUTH='Api-Key $key' TOKENS=$tmp/tokens WJWT=$wjwt EMP=$emp_id"
  echo "  export LOGIN_BODY='{\"email\":\"bench@example.com\",\"password\":\"$password\"}'"
  echo "  wrk -t2 -c$conns -d10s -s $here/get.lua $base$list_path"
  while :; do sleep 1; done
fi

# --- measuring --------------------------------------------------------------------------------
sample_pss() {  # phase: one line per process, "phase name pid kib"
  python3 "$here/measure.py" pss $(apibus_pids) | sed "s/^/$1 /" >> "$results/pss.txt"
}

settle() {  # until the suite is idle (< 10% of a core for 200 ms; at most 10 s), so that no row
            # pays for the queue the last one left (logins go on hashing after wrk has gone)
  local c0 c1
  for _ in $(seq 50); do
    c0=$(python3 "$here/measure.py" cpu $(apibus_pids)); sleep 0.2; c1=$(python3 "$here/measure.py" cpu $(apibus_pids))
    [ $((c1 - c0)) -lt 20000 ] && return
  done
}

# run_wrk ID LABEL FLAGS WRK-ARGS...: one row. FLAGS: read (compared with bare h2o), bare (the
# baseline: CPU of h2o), nocpu (runs beside another row: CPU not attributable), nosettle (starts
# at once: the other half of a pair), pss (sample memory half-way through).
run_wrk() {
  local id=$1 label=$2 flags=$3
  shift 3
  local pids cpu0 line
  [[ $flags == *nosettle* ]] || settle
  if [[ $flags == *bare* ]]; then pids=$h2o_pid; else pids=$(apibus_pids); fi
  cpu0=$(python3 "$here/measure.py" cpu $pids)
  [[ $flags == *pss* ]] && { sleep $((duration / 2)); sample_pss "load:$id"; } &
  line=$(wrk --timeout 10s -d"${duration}s" "$@" | grep '^BENCH ')
  wait $! 2>/dev/null || true
  local extra="read=$([[ $flags == *read* ]] && echo 1 || echo 0) base=$([[ $flags == *bare* ]] && echo 1 || echo 0)"
  [[ $flags == *nocpu* ]] || extra+=" cpu_us=$(( $(python3 "$here/measure.py" cpu $pids) - cpu0 ))"
  printf '%s\t%s\t%s %s\n' "$id" "$label" "${line#BENCH }" "$extra" >> "$results/rows.tsv"
  echo "bench: $label: ${line#BENCH }"
}

# run_floor ID LABEL REPLY_BYTES: the bus alone, one row in run_wrk's format, flagged read so that
# the table shows its ratio to bare h2o. Its CPU is that of its own two processes (it measures
# them itself). A failure (say, its port taken) costs the row, not the run.
run_floor() {
  local id=$1 label=$2 line
  settle
  if ! line=$("$tmp/bench-bus-floor" -p "$floor_port" -d "$duration" -r "$3" | grep '^BUSFLOOR '); then
    echo "bench: $label: bench-bus-floor failed; no row" >&2
    return 0
  fi
  printf '%s\t%s\t%s read=1 base=0\n' "$id" "$label" \
    "$(tr ' ' '\n' <<<"$line" | grep -E '^(requests|duration_us|p50_us|p99_us|errors|cpu_us)=' | xargs)" >> "$results/rows.tsv"
  echo "bench: $label: ${line#BUSFLOOR }"
}

sleep 1
sample_pss idle
w="-t2 -c$conns"
# warm-up: connections, the key cache, the page cache of the LMDB file (not recorded)
wrk -t2 -c$conns -d1s -s "$here/get.lua" "http://127.0.0.1:$h2o_port$list_path" >/dev/null
AUTH="Api-Key $key" wrk -t2 -c$conns -d1s -s "$here/get.lua" "$base$list_path" >/dev/null

AUTH="Api-Key $key" run_wrk bare1 "bare h2o, the same bytes as a file" bare $w -s "$here/get.lua" "http://127.0.0.1:$h2o_port$list_path"
AUTH="Api-Key $key" run_wrk a "(a) GET list (100 employees), Api-Key" read,pss $w -s "$here/get.lua" "$base$list_path"
AUTH="Api-Key $key" run_wrk bare2 "bare h2o again, right after (a)" bare $w -s "$here/get.lua" "http://127.0.0.1:$h2o_port$list_path"
run_floor floor_list "bus alone, $(awk "BEGIN {printf \"%.1f\", $len_apibus / 1000}") KB replies (no HTTP)" "$len_apibus"
run_floor floor_one "bus alone, $len_one B replies (no HTTP)" "$len_one"
TOKENS=$tmp/tokens run_wrk b "(b) GET list, Bearer, 10,000 tokens" read,pss $w -s "$here/get.lua" "$base$list_path"
AUTH="Api-Key $key" run_wrk c "(c) GET one employee, Api-Key" read,pss $w -s "$here/get.lua" "$base$list_path$emp_id/"
AUTH="Bearer $wjwt" run_wrk d1 "(d) POST create, 1 client" "" -t1 -c1 -s "$here/post.lua" "$base$list_path"
AUTH="Bearer $wjwt" run_wrk d64 "(d) POST create, $conns clients" pss $w -s "$here/post.lua" "$base$list_path"
AUTH="Bearer $wjwt" run_wrk mix "(d) 90/10 list/create, $conns clients" pss $w -s "$here/mix.lua" "$base$list_path"
export LOGIN_BODY="{\"email\":\"bench@example.com\",\"password\":\"$password\"}"
run_wrk login "(e) login alone, 32 clients" pss -t1 -c32 -s "$here/login.lua" "$base/api/auth/login/"
settle
run_wrk flood "(e) login, 32 clients beside (a)" nocpu,nosettle -t1 -c32 -s "$here/login.lua" "$base/api/auth/login/" &
flood=$!
AUTH="Api-Key $key" run_wrk a_flood "(e) (a) beside the login flood" read,nocpu,nosettle,pss $w -s "$here/get.lua" "$base$list_path"
wait $flood

# (f) revocation: keys made through the API with a JWT, each revoked after one use
args=()
for i in $(seq "${REVOCATIONS:-30}"); do
  args+=(--next -sS -w '\n' -H "Authorization: Bearer $jwt" -H 'Content-Type: application/json'
         -d "{\"name\":\"revoke $i\"}" "$base/api/keys/")
done
curl "${args[@]:1}" | sed -n 's/.*"id":\([0-9]*\).*"key":"\([^"]*\)".*/\1 \2/p; s/.*"key":"\([^"]*\)".*"id":\([0-9]*\).*/\2 \1/p' \
  > "$tmp/revoke-keys"
[ -s "$tmp/revoke-keys" ] || { echo "bench: could not create keys through /api/keys/" >&2; exit 1; }
"$tmp/bench-helper" revoke "$port" "$jwt" "$tmp/revoke-keys" > "$results/revoke_us.txt"

python3 "$here/measure.py" report "$results" ${out:+"$out"}
