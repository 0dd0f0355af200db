# Shared by the one-shot setup services that talk to the Temporal frontend (sourced, not run).

# The CLI sometimes resolves the service name to an address it cannot reach (the official compose files
# work around this the same way): use the first IPv4 address of TEMPORAL_ADDRESS's host.
temporal_address() {
  host="${TEMPORAL_ADDRESS%:*}"
  port="${TEMPORAL_ADDRESS##*:}"
  ip="$(getent ahosts "$host" 2>/dev/null | awk '/STREAM/ && $1 ~ /^[0-9.]+$/ { print $1; exit }')"
  echo "${ip:-$host}:$port"
}

wait_for_temporal() {
  tries=0
  until temporal operator cluster health --address "$1" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then echo "Temporal at $1 did not become healthy" >&2; exit 1; fi
    sleep 2
  done
}
