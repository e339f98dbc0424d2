#!/bin/sh
# Makes the certificates docker-compose.yml mounts, with an internal certificate authority of its own:
#
#   secrets/ca/           ca.pem, ca.key: the CA. Mounted nowhere; keep ca.key offline once done.
#   secrets/temporal/     frontend.pem/.key (Temporal's frontend, for the name `temporal`),
#                         system-worker.pem/.key (the server's own client of its frontend), ca.pem
#   secrets/engine/       temporal-client.pem/.key (the API, the workers, migrate, temporal-namespace), ca.pem
#   secrets/temporal-ui/  temporal-client.pem/.key (the UI's server), ca.pem
#   secrets/admin/        temporal-client.pem/.key for an operator's `temporal` CLI, ca.pem
#   secrets/keycloak/     tls.pem/.key for KEYCLOAK_HOSTNAME, unless a certificate is already there
#
# Temporal's frontend accepts a client certificate only from this CA. Keycloak's certificate is what
# browsers are shown: in production put one a public CA issued for KEYCLOAK_HOSTNAME in
# secrets/keycloak/tls.pem and tls.key first; the one made here is trusted by the engine only.
#
# `npm run cluster` (tools/cluster/cluster.ts) makes its own with this script at every start, with two
# settings compose does not use: TEMPORAL_INTERNODE=1 also issues secrets/temporal/internode.pem/.key
# (for the name temporal-internode, serverAuth and clientAuth: Temporal's services present it to each
# other, there on a shared host's loopback where compose keeps them inside one container), and
# NO_KEYCLOAK_CERT=1 issues none for Keycloak (the cluster's listens in plain HTTP on loopback).
#
# Usage: KEYCLOAK_HOSTNAME=sso.example.com sh ops/tls/make-certs.sh [secrets]
# (KEYCLOAK_HOSTNAME is read from ./.env when not set.) What exists is kept: run it again to fill in
# what is missing; delete a certificate and its key to issue it again (rotation), and restart its
# service. Run as root, it gives the files to uid 1000, the user the images run as (node, temporal,
# keycloak); otherwise run `sudo chown -R 1000 secrets/temporal secrets/engine secrets/temporal-ui
# secrets/keycloak` afterwards unless you are uid 1000.
set -eu

out=${1:-secrets}
days=${CERT_DAYS:-397}
owner=${SECRETS_UID:-1000}
if [ -z "${KEYCLOAK_HOSTNAME:-}" ] && [ -f .env ]; then
  KEYCLOAK_HOSTNAME=$(sed -n 's/^[[:space:]]*KEYCLOAK_HOSTNAME[[:space:]]*=[[:space:]]*//p' .env | tail -n 1 | tr -d "\"'")
fi

umask 077
mkdir -p "$out/ca" "$out/temporal" "$out/engine" "$out/temporal-ui" "$out/admin" "$out/keycloak"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# An EC P-256 key in PKCS#8, unencrypted (what the SDKs, Temporal and Keycloak read).
newkey() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

ca=$out/ca
if [ ! -f "$ca/ca.pem" ]; then
  newkey "$ca/ca.key"
  openssl req -x509 -new -key "$ca/ca.key" -out "$ca/ca.pem" -days 3650 -subj '/CN=billing internal CA' \
    -addext 'basicConstraints=critical,CA:TRUE,pathlen:0' -addext 'keyUsage=critical,keyCertSign,cRLSign'
  echo "made the CA: $ca/ca.pem"
fi

# issue <file without .pem> <common name> <client | server DNS names, comma-separated> [client: a server
# certificate that is a client's too]
issue() {
  if [ -f "$1.pem" ] && [ -f "$1.key" ]; then return; fi
  newkey "$1.key"
  openssl req -new -key "$1.key" -out "$work/req.csr" -subj "/CN=$2"
  if [ "$3" = client ]; then
    usage='extendedKeyUsage=clientAuth'
  else
    usage="extendedKeyUsage=serverAuth${4:+,clientAuth}
subjectAltName=$(printf '%s' "$3" | sed 's/^/DNS:/; s/,/,DNS:/g')"
  fi
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n%s\n' "$usage" >"$work/ext"
  openssl x509 -req -in "$work/req.csr" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -CAcreateserial \
    -CAserial "$ca/ca.srl" -days "$days" -extfile "$work/ext" -out "$1.pem"
  echo "issued $1.pem ($2)"
}

issue "$out/temporal/frontend" temporal temporal,localhost
issue "$out/temporal/system-worker" temporal-system-worker client
if [ "${TEMPORAL_INTERNODE:-}" = 1 ]; then
  issue "$out/temporal/internode" temporal-internode temporal-internode client
fi
issue "$out/engine/temporal-client" billing-engine client
issue "$out/temporal-ui/temporal-client" temporal-ui client
issue "$out/admin/temporal-client" temporal-admin client
for dir in temporal engine temporal-ui admin; do
  cp "$ca/ca.pem" "$out/$dir/ca.pem"
done
if [ "${NO_KEYCLOAK_CERT:-}" = 1 ]; then
  rmdir "$out/keycloak" 2>/dev/null || true
elif [ ! -f "$out/keycloak/tls.pem" ]; then
  if [ -z "${KEYCLOAK_HOSTNAME:-}" ]; then
    echo "set KEYCLOAK_HOSTNAME (or put Keycloak's certificate in $out/keycloak/tls.pem and tls.key)" >&2
    exit 1
  fi
  issue "$out/keycloak/tls" "$KEYCLOAK_HOSTNAME" "$KEYCLOAK_HOSTNAME"
fi

# Certificates may be read by anyone who can reach the folder; keys by their service's user alone.
chmod 700 "$ca" && chmod 600 "$ca/ca.key"
for dir in temporal engine temporal-ui admin keycloak; do
  if [ ! -d "$out/$dir" ]; then continue; fi
  chmod 700 "$out/$dir"
  chmod 644 "$out/$dir"/*.pem
  chmod 600 "$out/$dir"/*.key
  if [ "$(id -u)" = 0 ] && [ "$dir" != admin ]; then chown -R "$owner" "$out/$dir"; fi
done
