#!/bin/sh
# The PostgreSQL roles and databases of docker-compose.yml, one role per service, each owning only its
# own databases and able to connect to no other:
#
#   billing   BILLING_DB_PASSWORD   billing                        (the engine: API, workers, migrate)
#   temporal  TEMPORAL_DB_PASSWORD  temporal, temporal_visibility  (Temporal's server and its SQL tool)
#   keycloak  KEYCLOAK_DB_PASSWORD  keycloak
#
# None is a superuser or may create databases or roles; the superuser (POSTGRES_USER, POSTGRES_PASSWORD)
# is for operators alone. The server's image runs this on the first start of an empty volume
# (/docker-entrypoint-initdb.d); it is safe to run again as the superuser (docs/operations.md says how, for a
# volume made before it): roles and databases that exist are given the password, attributes and owner
# above, and nothing else is touched.
set -e

for name in BILLING_DB_PASSWORD TEMPORAL_DB_PASSWORD KEYCLOAK_DB_PASSWORD; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "create-roles: $name is not set" >&2
    exit 1
  fi
done
# A password shared is a role shared: whoever holds one could sign in as the other.
if [ "$(printf '%s\n' "$BILLING_DB_PASSWORD" "$TEMPORAL_DB_PASSWORD" "$KEYCLOAK_DB_PASSWORD" "${POSTGRES_PASSWORD:-}" | sort -u | wc -l)" -ne 4 ]; then
  echo 'create-roles: BILLING_DB_PASSWORD, TEMPORAL_DB_PASSWORD, KEYCLOAK_DB_PASSWORD and POSTGRES_PASSWORD must all differ' >&2
  exit 1
fi

# The passwords go from the environment to psql's variables (\getenv), never on a command line.
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" <<'SQL'
\getenv billing_password BILLING_DB_PASSWORD
\getenv temporal_password TEMPORAL_DB_PASSWORD
\getenv keycloak_password KEYCLOAK_DB_PASSWORD

CREATE TEMPORARY TABLE wanted_role (name text, password text);
INSERT INTO wanted_role VALUES
  ('billing', :'billing_password'),
  ('temporal', :'temporal_password'),
  ('keycloak', :'keycloak_password');
CREATE TEMPORARY TABLE wanted_database (name text, owner text);
INSERT INTO wanted_database VALUES
  ('billing', 'billing'),
  ('temporal', 'temporal'),
  ('temporal_visibility', 'temporal'),
  ('keycloak', 'keycloak');

SELECT format('CREATE ROLE %I', name) FROM wanted_role
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
SELECT format(
  'ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD %L',
  name, password) FROM wanted_role \gexec

-- CREATE DATABASE cannot run inside a transaction block, hence one statement each.
SELECT format('CREATE DATABASE %I OWNER %I', name, owner) FROM wanted_database
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = name) \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', name, owner) FROM wanted_database \gexec
-- Every role may connect to every database until told otherwise: only the owner may now.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', name) FROM wanted_database \gexec
SQL
echo 'create-roles: roles billing, temporal and keycloak, each owning its own databases'
