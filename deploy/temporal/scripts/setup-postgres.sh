#!/bin/sh
# Temporal schema setup for PostgreSQL, run once by the temporal-admin-tools service before the server
# starts (the temporalio/server image does not set up schemas itself). Creates the `temporal` and
# `temporal_visibility` databases and brings both schemas to the version of this admin-tools image.
# Safe to re-run: `create` accepts an existing database, `setup-schema -v 0.0` leaves an existing schema
# alone, and `update-schema` applies only the versions not yet applied (this is also how to upgrade).
set -eu

host="${POSTGRES_SEEDS:?}"
port="${DB_PORT:-5432}"
user="${POSTGRES_USER:?}"
export SQL_PASSWORD="${POSTGRES_PWD:?}"
schemas=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL on $host:$port"
tries=0
until nc -z -w 2 "$host" "$port"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "PostgreSQL did not open $host:$port" >&2; exit 1; fi
  sleep 1
done

sql() { temporal-sql-tool --plugin postgres12 --ep "$host" -p "$port" -u "$user" "$@"; }
for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  dir="${pair#*:}"
  echo "schema of database $db"
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$schemas/$dir/versioned"
done
echo "Temporal schema setup complete"
