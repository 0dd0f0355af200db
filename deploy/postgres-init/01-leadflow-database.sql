-- Runs once, when the postgres container initialises an empty data volume (docker-entrypoint-initdb.d).
-- Temporal's own databases (temporal, temporal_visibility) are created by the temporal-admin-tools
-- service; this one holds Leadflow's read model: lead_events, leads, idempotency keys, migrations.
-- With an existing volume this file is skipped: create the database by hand
--   docker compose exec postgresql createdb -U temporal leadflow
CREATE DATABASE leadflow;
