#!/bin/sh
# Registers the custom search attributes every lead workflow upserts (workflows/lead.search-attributes.ts),
# so leads can be found in the Temporal UI: LeadStage = 'mql' AND SlaDueAt < "…", LeadOwner = 'rep-ada'.
# With SQL visibility (PostgreSQL) they belong to the namespace. A lead workflow upserting an attribute
# that is not registered fails its workflow task, so the worker starts only after this has succeeded.
# Idempotent: an attribute already registered is left alone.
set -eu
. /scripts/lib.sh

namespace="${TEMPORAL_NAMESPACE:-default}"
address="$(temporal_address)"
wait_for_temporal "$address"

# A namespace created a moment ago is "not found" here until the frontend's namespace cache refreshes.
tries=0
until registered="$(temporal operator search-attribute list --address "$address" --namespace "$namespace")"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then echo "cannot list the search attributes of namespace $namespace" >&2; exit 1; fi
  sleep 2
done
for attribute in LeadStage=Keyword LeadOwner=Keyword SlaDueAt=Datetime FitScore=Int EngagementScore=Int; do
  name="${attribute%%=*}"
  type="${attribute#*=}"
  if printf '%s\n' "$registered" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --address "$address" --namespace "$namespace" --name "$name" --type "$type"
    echo "search attribute $name ($type) registered"
  fi
done
