-- The databases of the production topology besides the engine's own (named by DATABASE_URL, created
-- with the server): Keycloak keeps its realms apart from billing data. Temporal's two databases are
-- created by its SQL tool (ops/temporal/setup-schema.sh). Safe to run again: a database that exists is
-- left alone.
SELECT 'CREATE DATABASE keycloak' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'keycloak')
\gexec
