#!/usr/bin/env bash
# Kills the employees service with SIGKILL in the middle of a write load against a running suite
# (`make run`, which restarts it), then checks that every acknowledged create is stored.
# Loopback only; bounded: DURATION seconds of load with CONNECTIONS connections.
# Usage: tests/bench/kill_during_writes.sh   (env: PORT=8000 DURATION=6 CONNECTIONS=16 KILL_AFTER=2)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
port=${PORT:-8000}
export APIBUS_DATA_DIR=${APIBUS_DATA_DIR:-$top/var}   # where make run keeps the JWT secret
url=http://127.0.0.1:$port/pegasus/employees/api/employees/
user=$(( (RANDOM << 15 | RANDOM) + 1000 ))   # a fresh user, so its list holds only this run's rows
token=$("$top/build/release/cli/apibus" token --user-id "$user")
export ACKED_IDS
ACKED_IDS=$(mktemp)
trap 'rm -f "$ACKED_IDS"' EXIT

( sleep "${KILL_AFTER:-2}"; pkill -KILL -f 'services/employees/apibus-employees' && echo "killed apibus-employees at $(date +%T.%N)" ) &
wrk -t1 -c"${CONNECTIONS:-16}" -d"${DURATION:-6}"s --timeout 15s -s "$here/post_ids.lua" \
    -H "Authorization: Bearer $token" "$url" | grep -E 'requests in|Requests/sec|Non-2xx|Socket errors' || true
wait

python3 - "$url" "$token" "$ACKED_IDS" <<'PY'
import json, sys, urllib.request
url, token, acked_file = sys.argv[1:4]
stored = set()
while url:
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    page = json.load(urllib.request.urlopen(req, timeout=30))
    stored.update(e["id"] for e in page["results"])
    url = page["next"]
acked = {int(line) for line in open(acked_file) if line.strip()}
lost = acked - stored
print(f"acknowledged {len(acked)}, stored {len(stored)}, acknowledged but missing {len(lost)}, "
      f"stored but never acknowledged {len(stored - acked)}")
sys.exit(1 if lost else 0)
PY
