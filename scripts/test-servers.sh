#!/usr/bin/env bash
# The Temporal servers (temporal, temporal-test-server) that one test run started and that are still
# alive: `bash scripts/test-servers.sh RUN_ID [--kill]`.
#
# A run is marked by LEADFLOW_TEST_RUN=RUN_ID in its environment (jest's globalSetup sets it, or .ci/run
# before `npm test`), and every process the run starts inherits it, the servers the Temporal SDK spawns
# included. Only processes whose own environment holds exactly that entry are listed, so another run's,
# another session's or a developer's `npm start` servers never are. Prints "pid command" per server;
# with --kill, ends them (SIGTERM, then SIGKILL after 5 s). Exits 1 when it found any, 0 otherwise.
# Linux only (/proc); elsewhere it says so and finds nothing.
set -uo pipefail

run_id=${1:?usage: test-servers.sh RUN_ID [--kill]}
kill_them=${2:-}

if [ ! -d /proc/self ]; then
  echo "test-servers.sh: no /proc here, cannot look for leftover servers" >&2
  exit 0
fi

found=()
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  [ "$pid" = "$$" ] && continue
  # argv[0]'s file name: the pinned binaries are called temporal and temporal-test-server.
  IFS= read -r -d '' argv0 < "$dir/cmdline" 2>/dev/null || continue
  case "${argv0##*/}" in
    temporal | temporal-test-server) ;;
    *) continue ;;
  esac
  grep -zFxq "LEADFLOW_TEST_RUN=$run_id" "$dir/environ" 2>/dev/null || continue
  echo "$pid $(tr '\0' ' ' < "$dir/cmdline" 2>/dev/null | cut -c1-300)"
  found+=("$pid")
done

[ "${#found[@]}" -eq 0 ] && exit 0

# Alive and not a zombie (a process ended but not yet reaped by its parent is gone for our purpose).
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

if [ "$kill_them" = "--kill" ]; then
  kill -TERM "${found[@]}" 2>/dev/null
  for _ in $(seq 1 50); do
    alive=()
    for pid in "${found[@]}"; do running "$pid" && alive+=("$pid"); done
    [ "${#alive[@]}" -eq 0 ] && break
    sleep 0.1
  done
  [ "${#alive[@]}" -gt 0 ] && kill -KILL "${alive[@]}" 2>/dev/null
fi
exit 1
