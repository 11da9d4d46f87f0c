#!/usr/bin/env bash
# deploy/docker-compose.yml is valid for Debian's docker-compose 1.29 (`config -q`) and keeps the
# properties docs/deploy.md promises. No engine is needed: `config` only reads the file.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "compose: FAIL: $*" >&2; exit 1; }
command -v docker-compose >/dev/null ||
  fail "docker-compose is missing: it is in deploy/packages.txt (stage test); run tools/install-deps test"
cd "$top/deploy"
export APIBUS_ENV_FILE=apibus.env.example APIBUS_JWT_SECRET=compose-config-check-secret-0123456789abcdef
docker-compose -f docker-compose.yml config -q || fail "docker-compose config -q"
cfg=$(docker-compose -f docker-compose.yml config)
services=$(docker-compose -f docker-compose.yml config --services | sort | tr '\n' ' ')
for s in gateway auth keys employees schema-svc auth-pidns keys-pidns employees-pidns; do
  case " $services " in *" $s "*) ;; *) fail "service $s is missing (have: $services)" ;; esac
done
# replicas of each LMDB service share their holder's PID namespace
for s in auth keys employees; do
  echo "$cfg" | awk -v s="  $s:" '$0 == s {on=1; next} /^  [a-z]/ {on=0} on' | grep -q "pid: service:$s-pidns" ||
    fail "$s does not share the PID namespace of $s-pidns"
done
# only the gateway publishes a port; the bus network is internal
[ "$(echo "$cfg" | grep -c '^    ports:')" = 1 ] || fail "a service other than the gateway publishes a port"
echo "$cfg" | awk '/^networks:/ {on=1} on' | grep -A1 '^  bus:' | grep -q 'internal: true' || fail "the bus network is not internal"
# no demo user, and the JWT secret is required, never defaulted
grep -qi 'first-run\|demo' docker-compose.yml && fail "the compose file creates a demo user"
if APIBUS_JWT_SECRET= docker-compose -f docker-compose.yml config -q 2>/dev/null; then
  fail "the compose file starts without APIBUS_JWT_SECRET"
fi
echo "compose: deploy/docker-compose.yml is valid (docker-compose $(docker-compose version --short)) and keeps its promises"
