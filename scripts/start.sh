#!/usr/bin/env bash
# One command to try Leadflow locally: a persisted Temporal dev server (Web UI on :8233) with the lead
# search attributes, then the worker and the API (port 3000) on the embedded PGlite database (or
# DATABASE_URL). The Web UI decodes lead payloads through the API's codec server (/codec), which
# start-all lets this machine call without a key. Ctrl-C stops everything.
set -euo pipefail
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

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  flags=(); for a in "${attrs[@]}"; do flags+=(--search-attribute "$a"); done
  "$TEMPORAL_CLI" server start-dev --db-filename "$data_dir/temporal.db" --port "$port" --ui-port "$ui_port" \
    --dynamic-config-value frontend.enableExecuteMultiOperation=true --ui-codec-endpoint "$codec_endpoint" \
    --log-level warn "${flags[@]}" \
    >"$data_dir/temporal.log" 2>&1 &
  pids+=($!)
  export TEMPORAL_ADDRESS="localhost:$port"
  for _ in $(seq 1 60); do
    "$TEMPORAL_CLI" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
    kill -0 "${pids[0]}" 2>/dev/null || { echo "Temporal dev server exited; see $data_dir/temporal.log" >&2; exit 1; }
    sleep 1
  done
  # --search-attribute only applies when the database file is new; register any that are missing.
  for a in "${attrs[@]}"; do
    "$TEMPORAL_CLI" operator search-attribute create --address "$TEMPORAL_ADDRESS" --name "${a%%=*}" --type "${a#*=}" \
      >/dev/null 2>&1 || true
  done
  echo "Temporal dev server on $TEMPORAL_ADDRESS, Web UI at http://localhost:$ui_port (data in $data_dir)"
fi

npm run --silent build >/dev/null
# Worker and API in one process: the embedded PGlite database admits a single process.
TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://localhost:$ui_port}" NODE_ENV="${NODE_ENV:-production}" node dist/scripts/start-all.js &
pids+=($!)
wait -n "${pids[@]}"
