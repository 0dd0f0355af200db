#!/usr/bin/env bash
# One command to try Leadflow locally: a persisted Temporal dev server (Web UI on :8233) with the lead
# search attributes, then the worker and the API (port 3000) on the embedded PGlite database (or
# DATABASE_URL). The Web UI decodes lead payloads through the API's codec server (/codec), which
# start-all lets this machine call without a key. Ctrl-C stops everything.
#
# Both stay up: the dev server and the worker + API process are each restarted when they die, with a
# backoff (1 s doubling to 30 s, back to 1 s after a minute up), and the console says so. The worker and
# the API wait out a dev server restart (they reconnect), and lose nothing: leads live in Temporal's
# data file and the read model in the data folder.
set -euo pipefail
# Job control: each supervisor (and what it runs) in its own process group, so a Ctrl-C reaches this
# script alone, which then stops the supervisors in order instead of racing them.
set -m
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

eval "$(bash scripts/temporal-tools.sh --print)"
export TEMPORAL_CLI # start-all's banner shows how to read a lead's history with it
data_dir="${LEADFLOW_DATA_DIR:-$root/.data}"
mkdir -p "$data_dir"
port="${TEMPORAL_PORT:-7233}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
codec_endpoint="http://localhost:${PORT:-3000}/codec"
attrs=(LeadStage=Keyword LeadOwner=Keyword SlaDueAt=Datetime FitScore=Int EngagementScore=Int)

# Runs a command again whenever it exits, until this supervisor is told to stop (INT or TERM: the
# command gets the same signal and is waited for, so the worker drains).
supervise() {
  local name=$1; shift
  local delay=1 stopping=0 pid=
  trap 'stopping=1; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true' INT TERM
  while [ "$stopping" -eq 0 ]; do
    local started=$SECONDS
    "$@" &
    pid=$!
    local code=0
    wait "$pid" || code=$?
    # A signal interrupts `wait`; the command is still draining: wait for it to end.
    while kill -0 "$pid" 2>/dev/null; do wait "$pid" 2>/dev/null || true; done
    [ "$stopping" -eq 0 ] || break
    [ $((SECONDS - started)) -lt 60 ] || delay=1
    echo "leadflow: $name exited (code $code); starting it again in ${delay}s" >&2
    sleep "$delay" & wait $! || true
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

supervisors=()
cleanup() {
  for p in "${supervisors[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

start_dev_server() {
  local flags=(); for a in "${attrs[@]}"; do flags+=(--search-attribute "$a"); done
  exec "$TEMPORAL_CLI" server start-dev --db-filename "$data_dir/temporal.db" --port "$port" --ui-port "$ui_port" \
    --dynamic-config-value frontend.enableExecuteMultiOperation=true --ui-codec-endpoint "$codec_endpoint" \
    --log-level warn "${flags[@]}" >>"$data_dir/temporal.log" 2>&1
}

if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  supervise "the Temporal dev server" start_dev_server &
  supervisors+=($!)
  export TEMPORAL_ADDRESS="localhost:$port"
  healthy=0
  for _ in $(seq 1 60); do
    if "$TEMPORAL_CLI" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then healthy=1; break; fi
    sleep 1
  done
  [ "$healthy" -eq 1 ] || { echo "Temporal dev server did not come up within 60 s; see $data_dir/temporal.log" >&2; exit 1; }
  # --search-attribute only applies when the database file is new; register any that are missing.
  for a in "${attrs[@]}"; do
    "$TEMPORAL_CLI" operator search-attribute create --address "$TEMPORAL_ADDRESS" --name "${a%%=*}" --type "${a#*=}" \
      >/dev/null 2>&1 || true
  done
  echo "Temporal dev server on $TEMPORAL_ADDRESS, Web UI at http://localhost:$ui_port (data in $data_dir)"
fi

npm run --silent build >/dev/null
# Worker and API in one process: the embedded PGlite database admits a single process.
export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://localhost:$ui_port}" NODE_ENV="${NODE_ENV:-production}"
supervise "the worker and the API" node dist/scripts/start-all.js &
supervisors+=($!)
wait
