#!/bin/sh
# Creates Temporal's two databases and installs or upgrades their schemas with Temporal's own SQL tool,
# whose schemas are embedded in it (so they always match the server built at the same version). Every
# step is a no-op when already done: run it before each start of the server, and after an upgrade of it.
set -eu
tool() {
  name=$1
  shift
  temporal-sql-tool --plugin postgres12 --ep "${TEMPORAL_DB_HOST:-127.0.0.1}" --port "${TEMPORAL_DB_PORT:-5432}" \
    --user "${TEMPORAL_DB_USER:-temporal}" --password "${TEMPORAL_DB_PASSWORD:-}" --db "$name" "$@"
}
for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db=${pair%%:*}
  schema=${pair#*:}
  # Unless the databases were made beforehand (docker-compose.yml: ops/postgres/create-roles.sh makes
  # them, owned by a role that may not create databases).
  if [ "${TEMPORAL_CREATE_DATABASES:-true}" != false ]; then tool "$db" create-database; fi
  # Only the versioning tables, at 0.0: update-schema then applies every version up to the newest.
  tool "$db" setup-schema -v 0.0
  tool "$db" update-schema --schema-name "postgresql/v12/$schema"
done
