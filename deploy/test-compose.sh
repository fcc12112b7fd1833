#!/usr/bin/env bash
# End-to-end test of docker-compose.yml with real containers (rootful podman behind docker-compose 1.29's Docker API):
# the PKI job, the coordinator and four clients train a few rounds, the attacker joins through its profile, the
# coordinator's log must show attribution for every client including the attacker, `fedattr verify` must pass on the
# run directory read from the volume, and `down -v` must leave no container, volume, network or podman daemon behind.
#
#   deploy/test-compose.sh                     the test (root or sudo; ~2-4 min after the release build and setup)
#   deploy/test-compose.sh --mutations [quick|slow] proves the test can fail: runs it on broken copies of the compose file
#                                              (wrong command, flag, FEDATTR_* variable, volume) and requires each
#                                              run to fail with its own message; `quick` runs only those that fail
#                                              within seconds of `up` (CI), the default runs all (deploy/README.md)
#
# The image is deploy/Dockerfile's `prebuilt` stage: its runtime stage on localhost/bookworm-min (made by
# deploy/podman-setup.sh, no registry needed) plus a fedattr built here with --static-swift-stdlib.
# Knobs: FEDATTR_TEST_ATTACK (default: .env's ATTACK, attribution-first),
# FEDATTR_TEST_BINARY (use this binary instead of building), FEDATTR_TEST_ROUNDS (default 6),
# FEDATTR_TEST_COMPOSE_FILE (default docker-compose.yml; must sit in the repository root, whose .env it reads),
# FEDATTR_TEST_REGISTER_LIMIT (seconds for the honest clients to register, default 300),
# FEDATTR_TEST_KEEP_IMAGE=1 (keep the built image for the next run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
t0=$(date +%s)
log() { echo "test-compose: [$(( $(date +%s) - t0 ))s] $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
sock=/run/podman/podman.sock
service_up() { curl -s --unix-socket "$sock" http://d/_ping 2>/dev/null | grep -q OK; }

build_binary() {
  if [ -n "${FEDATTR_TEST_BINARY:-}" ]; then echo "$FEDATTR_TEST_BINARY"; return; fi
  log "building fedattr (release, static Swift stdlib)"
  local started; started=$(date +%s)
  swift build -c release --static-swift-stdlib --product fedattr >&2
  log "release build took $(( $(date +%s) - started ))s"
  echo "$(swift build -c release --static-swift-stdlib --show-bin-path)/fedattr"
}

stop_our_service() {  # stops the podman API service if this run started it, and waits until it is gone
  local was_up=$1
  if [ "$was_up" = false ] && [ -f /tmp/fedattr-podman-service.pid ]; then
    local pid; pid=$(cat /tmp/fedattr-podman-service.pid)
    $SUDO kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do $SUDO kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    rm -f /tmp/fedattr-podman-service.pid
  fi
}

# --- mutation runs: each broken copy of docker-compose.yml must make the test fail with its message ----------------
if [ "${1:-}" = --mutations ]; then
  set_name=${2:-all}
  case $set_name in all|quick|slow) ;; *) fail "usage: $0 [--mutations [quick|slow|all]]" ;; esac
  # name | quick? | original text | replacement | what the failure must say
  mutations=(
    "command|quick|    command: [coordinator]|    command: [coordinatr]|service coordinator exited with code [1-9]"
    "flag|quick|    command: [client, --id, client-2]|    command: [client, --identity, client-2]|service client-2 (exited with code [1-9]|keeps restarting)"
    "variable-name|quick|      FEDATTR_DATASET: |      FEDATTR_DATSET: |unknown setting in the environment.*FEDATTR_DATSET"
    "variable-value|quick|      FEDATTR_ROUNDS: \${FEDATTR_ROUNDS:?set FEDATTR_ROUNDS in .env}|      FEDATTR_ROUNDS: 0\${FEDATTR_ROUNDS:?set FEDATTR_ROUNDS in .env}x|service coordinator exited with code [1-9]"
    "volume-pki|quick|    - pki:/fedattr/pki:ro|    - pki:/fedattr/certs:ro|service (client-[0-3]|coordinator) (exited with code [1-9]|keeps restarting)"
    "variable-coordinator-url|slow|    FEDATTR_COORDINATOR: tls+tcp://coordinator:7400|    FEDATTR_COORDINATOR: tls+tcp://coordinator:7401|timed out after [0-9]+s waiting for the four honest clients to register"
    "volume-run|slow|      - run:/fedattr/run|      - run:/fedattr/runs|fedattr verify"
    "attacker-flag|slow|, --attack, \"\${ATTACK:-attribution-first}\"]|]|the attacker's log does not announce the attack"
  )
  was_up=false; service_up && was_up=true
  DOCKER_HOST=$(./deploy/podman-setup.sh | tail -n1); export DOCKER_HOST
  FEDATTR_TEST_BINARY=$(build_binary); export FEDATTR_TEST_BINARY
  results=$(mktemp -d /tmp/fedattr-mutations.XXXXXX)
  mutant="$root/docker-compose.mutant-$$.yml"
  trap 'rm -f "$mutant"; FEDATTR_IMAGE=localhost/fedattr-test:latest; $SUDO podman rmi -f "$FEDATTR_IMAGE" >/dev/null 2>&1 || true; stop_our_service "$was_up"' EXIT
  status=0
  for m in "${mutations[@]}"; do
    IFS='|' read -r name speed original replacement expected <<<"$m"
    [ "$set_name" = all ] || [ "$set_name" = "$speed" ] || continue
    # The mutation must change the file: an original text that no longer exists would test nothing.
    python3 - "$root/docker-compose.yml" "$mutant" "$original" "$replacement" <<'PY' || { status=1; continue; }
import sys
src, dst, old, new = sys.argv[1:]
text = open(src).read()
if old not in text:
    sys.exit(f"test-compose: mutation text not found in docker-compose.yml: {old!r}")
open(dst, "w").write(text.replace(old, new, 1))
PY
    started=$(date +%s)
    set +e
    FEDATTR_TEST_COMPOSE_FILE=$mutant FEDATTR_TEST_KEEP_IMAGE=1 FEDATTR_TEST_REGISTER_LIMIT=90 \
      "$root/deploy/test-compose.sh" >"$results/$name.log" 2>&1
    rc=$?
    set -e
    took=$(( $(date +%s) - started ))
    said=$(grep -m1 "FAIL:" "$results/$name.log" | sed 's/^test-compose: \[[0-9]*s\] //' || true)
    if [ $rc -eq 0 ]; then
      log "mutation $name: NOT DETECTED (the test passed on a broken file) in ${took}s"; status=1
    elif ! grep -Eq "$expected" "$results/$name.log"; then
      log "mutation $name: failed (${took}s) but not with /$expected/: ${said:-exit $rc}"; status=1
    else
      log "mutation $name: detected in ${took}s: $said"
    fi
    if grep -q "FAIL: left behind" "$results/$name.log"; then log "mutation $name: left something behind"; status=1; fi
    # The failed run kept its logs for a person to read; an expected failure needs no such copy.
    kept=$(sed -n 's/.*logs of the failed run in //p' "$results/$name.log" | head -n1)
    [ -n "$kept" ] && [ -d "$kept" ] && rm -rf "$kept"
  done
  [ $status -eq 0 ] && rm -rf "$results" || log "logs of the mutation runs in $results"
  exit $status
fi

# --- engine -------------------------------------------------------------------------------------------------------
project=fedattr-test-$$
compose_file=${FEDATTR_TEST_COMPOSE_FILE:-$root/docker-compose.yml}
service_was_up=false
service_up && service_was_up=true
export DOCKER_HOST
DOCKER_HOST=$(./deploy/podman-setup.sh | tail -n1)

leftovers_list() {  # containers, volumes and networks of compose project $1
  $SUDO podman ps -a -q --filter "label=com.docker.compose.project=$1"
  $SUDO podman volume ls -q | grep "^${1}_" || true
  $SUDO podman network ls --format '{{.Name}}' | grep "^${1}_" || true
}
remove_project() {  # removes compose project $1's containers, volumes and networks with podman itself
  # A container caught between two restarts can refuse one `rm -f` ("container state improper"): retry.
  for _ in 1 2 3 4 5; do
    for id in $($SUDO podman ps -a -q --filter "label=com.docker.compose.project=$1"); do $SUDO podman rm -f "$id" >/dev/null 2>&1 || true; done
    for v in $($SUDO podman volume ls -q | grep "^${1}_" || true); do $SUDO podman volume rm -f "$v" >/dev/null 2>&1 || true; done
    for n in $($SUDO podman network ls --format '{{.Name}}' | grep "^${1}_" || true); do $SUDO podman network rm -f "$n" >/dev/null 2>&1 || true; done
    [ -n "$(leftovers_list "$1")" ] || return 0
    sleep 2
  done
  return 1
}
# An interrupted earlier run (its process gone) may have left its project behind: remove it first.
for other in $( { $SUDO podman ps -a --format '{{index .Labels "com.docker.compose.project"}}'
                  $SUDO podman volume ls -q; $SUDO podman network ls --format '{{.Name}}'; } \
                | grep -o '^fedattr-test-[0-9]*' | sort -u); do
  pid=${other#fedattr-test-}
  if ! kill -0 "$pid" 2>/dev/null; then
    log "removing what an interrupted run left behind: $other"
    remove_project "$other" || fail "cannot remove $other: $(leftovers_list "$other" | tr '\n' ' ')"
  fi
done

# --- binary and image ---------------------------------------------------------------------------------------------
binary=$(build_binary)
mkdir -p .build/docker
cp "$binary" .build/docker/fedattr

# The attack .env gives the attacker service (attribution-first), unless the caller picks another.
attack=${FEDATTR_TEST_ATTACK:-$(sed -n 's/^ATTACK=//p' .env)}
[ -n "$attack" ] || fail ".env sets no ATTACK"
rounds=${FEDATTR_TEST_ROUNDS:-6}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

export COMPOSE_PROJECT_NAME=$project FEDATTR_IMAGE=localhost/fedattr-test:latest FEDATTR_IMAGE_TARGET=prebuilt \
  FEDATTR_RUNTIME_IMAGE=localhost/bookworm-min COORDINATOR_PORT=$port ATTACK=$attack \
  FEDATTR_ROUNDS=$rounds FEDATTR_MIN_CLIENTS=5 FEDATTR_TRAIN_LIMIT=20000 FEDATTR_TEST_SIZE=2000 FEDATTR_ROUND_DEADLINE=60
compose() { docker-compose --ansi never -f "$compose_file" "$@" 2>&1; }

work=$(mktemp -d /tmp/fedattr-compose-test.XXXXXX)
leftovers() { [ -n "$(leftovers_list "$project")" ]; }
cleanup() {
  status=$?
  if [ $status -ne 0 ]; then
    log "logs of the failed run in $work"
    compose --profile attack logs --no-color >"$work/all.log" || true
  fi
  # A container being restarted can make one `down` miss the network or volumes: retry, then check.
  for _ in 1 2 3; do
    compose --profile attack down -v --remove-orphans >>"$work/down.log" || true
    leftovers || break
    sleep 3
  done
  if leftovers; then
    # After a failure (e.g. a container in a restart loop) `down -v` can miss a container: podman removes it.
    if [ $status -ne 0 ] && remove_project "$project"; then
      log "down -v after the failure left containers/volumes behind; removed them with podman rm -f"
    else
      log "FAIL: left behind after down -v: $(leftovers_list "$project" | tr '\n' ' ')"; remove_project "$project" || true; status=1
    fi
  fi
  [ "${FEDATTR_TEST_KEEP_IMAGE:-0}" = 1 ] || $SUDO podman rmi -f "$FEDATTR_IMAGE" >/dev/null 2>&1 || true
  stop_our_service "$service_was_up"
  if [ "$service_was_up" = false ] && pgrep -x podman >/dev/null; then
    log "FAIL: podman processes left running: $(pgrep -a -x podman | tr '\n' ' ')"; status=1
  fi
  [ $status -eq 0 ] && rm -rf "$work"
  exit $status
}
trap cleanup EXIT

log "building the image (deploy/Dockerfile, target prebuilt, base localhost/bookworm-min)"
compose build pki >"$work/build.log" || { cat "$work/build.log" >&2; fail "image build"; }

# --- the user's commands --------------------------------------------------------------------------------------------
started=$(date +%s)
log "docker-compose up -d (project $project, $rounds rounds, port $port)"
compose up -d >"$work/up.log" || { cat "$work/up.log" >&2; fail "up"; }

# A broken service must fail the test at once, with its own log, instead of letting a wait run out.
check_services() {
  local ids; ids=$($SUDO podman ps -a -q --filter "label=com.docker.compose.project=$project")
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  while read -r svc status code restarts; do
    if [ "${restarts:-0}" -gt 0 ]; then
      compose logs --no-color --tail 12 "$svc" >&2 || true
      fail "service $svc keeps restarting (restarted $restarts times, last exit code $code); its last log lines are above"
    elif [ "$status" = exited ] && [ "$code" != 0 ]; then
      compose logs --no-color --tail 12 "$svc" >&2 || true
      fail "service $svc exited with code $code; its last log lines are above"
    fi
  done < <($SUDO podman inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}' $ids)
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@"; do
    check_services
    if [ "$(date +%s)" -ge "$deadline" ]; then
      for s in coordinator client-0; do compose logs --no-color --tail 6 "$s" >&2 || true; done
      fail "timed out after ${limit}s waiting for $what (last log lines of the coordinator and client-0 above)"
    fi
    sleep 2
  done
}
unknown_variables() {  # fails when a service's log says a FEDATTR_* variable is read by no setting (a misspelling)
  local found; found=$(grep -h "unknown setting in the environment" "$@" | head -n3 || true)
  [ -z "$found" ] || { echo "$found" >&2; fail "unknown setting in the environment: $(grep -o 'variable=[A-Z_]*' <<<"$found" | tr '\n' ' ')"; }
}
coordinator_log() { compose logs --no-color coordinator >"$work/coordinator.log"; }
container() { compose ps -q "$1" | head -n1; }
exited() { [ "$($SUDO podman inspect -f '{{.State.Status}}' "$1")" = exited ]; }
# The test's coordinator waits for five clients (FEDATTR_MIN_CLIENTS=5), so the attacker, started once the four
# honest clients have registered, takes part in every round and the test does not race the rounds. (With .env's
# FEDATTR_MIN_CLIENTS=4 the rounds start without it and it joins at the next round after it registers.)
honest_registered() {
  coordinator_log
  unknown_variables "$work/coordinator.log"
  local id; id=$(container coordinator)
  if [ -n "$id" ] && exited "$id"; then check_services; fail "the coordinator stopped before the clients registered"; fi
  grep -q "msg=\"waiting for clients\" registered=4 required=5" "$work/coordinator.log"
}
wait_for "${FEDATTR_TEST_REGISTER_LIMIT:-300}" "the four honest clients to register" honest_registered

log "docker-compose --profile attack up -d attacker (attack $attack)"
compose --profile attack up -d attacker >"$work/attacker-up.log" || { cat "$work/attacker-up.log" >&2; fail "attacker up"; }

coordinator_id=$(container coordinator)
[ -n "$coordinator_id" ] || fail "no coordinator container"
wait_for 600 "the coordinator to finish $rounds rounds" exited "$coordinator_id"
coordinator_log
code=$($SUDO podman inspect -f '{{.State.ExitCode}}' "$coordinator_id")
[ "$code" = 0 ] || { tail -n 12 "$work/coordinator.log" >&2; fail "coordinator exited with $code"; }

# --- what the user sees in `docker compose logs coordinator` ------------------------------------------------------
attacker_id=${ATTACKER_ID:-client-4}
for client in client-0 client-1 client-2 client-3 "$attacker_id"; do
  grep -Eq "msg=attribution .*client=$client .*value=" "$work/coordinator.log" \
    || fail "the coordinator's log has no attribution value for $client"
  grep -Eq "^coordinator[^|]*\|   $client +[0-9]+ +[+-][0-9.]+ " "$work/coordinator.log" \
    || fail "the coordinator's console block has no row for $client"
done
grep -Eq "\| round $rounds/$rounds " "$work/coordinator.log" || fail "no console block for round $rounds"
grep -Eq "\|   shapley-exact +samples +value +rank +cumulative +stand" "$work/coordinator.log" \
  || fail "the console block does not follow shapley-exact (auto with 5 participants)"
grep -q "msg=\"federation finished\"" "$work/coordinator.log" || fail "the federation did not finish"
compose --profile attack logs --no-color >"$work/all.log"
unknown_variables "$work/all.log"
compose --profile attack logs --no-color attacker >"$work/attacker.log"
grep -Eq "msg=\"ADVERSARIAL client.* attack=\"?$attack" "$work/attacker.log" || fail "the attacker's log does not announce the attack $attack"
grep -q "msg=\"attack round\"" "$work/attacker.log" || fail "the attacker ran no attack round"
grep -q "msg=\"update sent\"" "$work/attacker.log" || fail "the attacker sent no update"

for service in client-0 client-1 client-2 client-3; do
  id=$(container "$service")
  wait_for 60 "$service to exit" exited "$id"
  [ "$($SUDO podman inspect -f '{{.State.ExitCode}}' "$id")" = 0 ] || fail "$service did not exit 0"
done

# --- the run directory, read from the volume by the same image ----------------------------------------------------
compose run --rm --no-deps coordinator verify /fedattr/run --ca /fedattr/pki/ca.crt >"$work/verify.log" \
  || { tail -n 5 "$work/verify.log" >&2; fail "fedattr verify on the run volume: $(tail -n1 "$work/verify.log")"; }
grep -q "^ok: $rounds ledger records (rounds 1…$rounds), $(( rounds * 5 )) signed updates" "$work/verify.log" \
  || { cat "$work/verify.log" >&2; fail "fedattr verify: expected $rounds rounds with 5 signed updates each"; }
log "$(grep '^ok:' "$work/verify.log")"
# The README's report and copy-out commands: report.html lands in the run volume and `cp` brings it out.
compose run --rm --no-deps coordinator report /fedattr/run >"$work/report.log" \
  || { tail -n 5 "$work/report.log" >&2; fail "fedattr report on the run volume"; }
mkdir "$work/run"
$SUDO podman cp "$coordinator_id:/fedattr/run/." "$work/run" >"$work/cp.log" 2>&1 || { cat "$work/cp.log" >&2; fail "copying the run directory out"; }
for f in rounds.jsonl attribution.jsonl ledger.jsonl summary.json report.html report/attribution.csv report/accuracy.svg; do
  [ -s "$work/run/$f" ] || fail "the copied run directory has no $f"
done
log "cluster ran $rounds rounds with the attacker in $(( $(date +%s) - started ))s"

# --- nothing left behind ------------------------------------------------------------------------------------------
compose --profile attack down -v --remove-orphans >"$work/down.log" || { cat "$work/down.log" >&2; fail "down -v"; }
if leftovers; then fail "left behind after down -v: $(leftovers_list "$project" | tr '\n' ' ')"; fi
log "ok"
