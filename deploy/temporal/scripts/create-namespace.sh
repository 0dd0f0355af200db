#!/bin/sh
# Registers the namespace Leadflow runs in (the temporalio/server image does not create `default`).
# Retention is how long a closed lead's workflow history (won / disqualified) stays in Temporal; the
# lead_events table in the leadflow database keeps the events for good.
set -eu
. /scripts/lib.sh

namespace="${TEMPORAL_NAMESPACE:-default}"
address="$(temporal_address)"
wait_for_temporal "$address"

if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --address "$address" --namespace "$namespace" --retention "${TEMPORAL_RETENTION:-30d}"
  echo "namespace $namespace created"
fi
