#!/bin/sh
# Creates everything the compose federation needs and git must never see, in ./state next to
# this script (or in $STATE):
#
#   state/tls/ca.pem, ca.key             a throw-away CA for this federation (keep ca.key safe
#                                        or delete it once the certificates exist)
#   state/tls/{broker,musterstadt,stadtwerke}.pem   server certificates signed by that CA
#   state/secrets/*-tls-key.pem          their private keys
#   state/secrets/broker-authority-key.jwk, broker-admin-token      from `broker init`
#   state/secrets/*-participant-key.jwk, *-management-token         from `connector init`
#   state/authority.jwk                  the authority's public key (no private part)
#   state/daten/stadtwerke/              data the Stadtwerke connector offers (read-only mount)
#
# Needs openssl and the `broker` and `connector` programs: from $DATASPACE_BIN (a folder, e.g.
# target/release), from PATH, or else from the image $DATASPACE_IMAGE through `docker run`.
# Run as root (or with sudo) so that the secret files can be given to the containers' user
# 10001 with mode 0400; otherwise the script prints the command to do that.
#
# It never overwrites: with an existing state folder it stops. Certificates from any other CA
# work the same way: put them at the same paths (see deploy/README.md, "Certificates").

set -eu

here=$(cd "$(dirname "$0")" && pwd)
state=${STATE:-$here/state}
image=${DATASPACE_IMAGE:-kommunaler-datenraum:local}
days=${CERT_DAYS:-397}
service_uid=10001

broker_host=broker.datenraum.example
musterstadt_host=daten.musterstadt.example
stadtwerke_host=daten.stadtwerke-musterstadt.example
broker_url="https://$broker_host:8443"
authority_did="did:web:$broker_host%3A8443"

die() {
    echo "make-state.sh: $*" >&2
    exit 1
}

command -v openssl >/dev/null 2>&1 || die "openssl is needed (apt-get install openssl)"
[ -e "$state" ] && die "$state exists already; move it away to start over (it holds the keys)"

# run PROGRAM ARGS…: a service binary, local or in the image. Paths given to it must lie
# inside $work, which the image sees at the same path.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
run() {
    program=$1
    shift
    if [ -n "${DATASPACE_BIN:-}" ]; then
        "$DATASPACE_BIN/$program" "$@"
    elif command -v "$program" >/dev/null 2>&1; then
        "$program" "$@"
    else
        command -v docker >/dev/null 2>&1 ||
            die "neither $program (set DATASPACE_BIN) nor docker found"
        docker run --rm --user "$(id -u):$(id -g)" --volume "$work:$work" \
            "$image" "$program" "$@"
    fi
}

umask 077
mkdir -p "$state/tls" "$state/secrets" "$state/daten/stadtwerke"

echo "== CA and server certificates (ECDSA P-256, $days days)"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$state/tls/ca.key" -out "$state/tls/ca.pem" -days 3650 \
    -subj "/O=Datenraum Musterstadt (compose)/CN=Datenraum Compose CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# server NAME FILE-STEM SUBJECT-ALT-NAMES
server() {
    cat >"$work/$2.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$3
EOF
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$state/secrets/$2-tls-key.pem" -out "$work/$2.csr" -subj "/CN=$1" 2>/dev/null
    openssl x509 -req -in "$work/$2.csr" -CA "$state/tls/ca.pem" -CAkey "$state/tls/ca.key" \
        -CAcreateserial -days "$days" -sha256 -extfile "$work/$2.ext" \
        -out "$state/tls/$2.pem" 2>/dev/null
    openssl verify -CAfile "$state/tls/ca.pem" "$state/tls/$2.pem" >/dev/null ||
        die "the certificate for $1 does not verify"
    echo "   $state/tls/$2.pem  ($3)"
}
# The broker's admin CLI checks the certificate for 127.0.0.1, hence the IP address.
server "$broker_host" broker "DNS:$broker_host,DNS:localhost,IP:127.0.0.1"
server "$musterstadt_host" musterstadt "DNS:$musterstadt_host,DNS:localhost"
server "$stadtwerke_host" stadtwerke "DNS:$stadtwerke_host,DNS:localhost"
rm -f "$state/tls/ca.srl"

echo "== authority key and admin token (broker init)"
run broker init --dir "$work/broker" --public-url "$broker_url" --public-listen 0.0.0.0:8443 \
    --admin-listen 127.0.0.1:8444 >/dev/null
cp "$work/broker/authority-key.jwk" "$state/secrets/broker-authority-key.jwk"
cp "$work/broker/admin-token" "$state/secrets/broker-admin-token"
# The public half: the JWK without its private member "d" (as /.well-known/did.json shows it).
sed -e 's/"d":"[^"]*",//' -e 's/,"d":"[^"]*"//' "$work/broker/authority-key.jwk" \
    >"$state/authority.jwk"
grep -q '"d"' "$state/authority.jwk" && die "could not strip the private key from authority.jwk"
chmod 0644 "$state/authority.jwk"
echo "   $authority_did"

# participant STEM HOST LEGAL-NAME
participant() {
    run connector init --dir "$work/$1" --public-url "https://$2:8443" --legal-name "$3" \
        --dsp-listen 0.0.0.0:8443 --management-listen 0.0.0.0:8444 \
        --authority-did "$authority_did" --authority-key "$work/authority.jwk" >/dev/null
    cp "$work/$1/keys/participant.jwk" "$state/secrets/$1-participant-key.jwk"
    cp "$work/$1/keys/management.token" "$state/secrets/$1-management-token"
    echo "   $3: did:web:$2%3A8443"
}
echo "== participant keys and management tokens (connector init)"
# `docker run` sees only $work.
cp "$state/authority.jwk" "$work/authority.jwk"
participant musterstadt "$musterstadt_host" "Stadt Musterstadt"
participant stadtwerke "$stadtwerke_host" "Stadtwerke Musterstadt GmbH"

chmod 0755 "$state" "$state/tls" "$state/daten" "$state/daten/stadtwerke"
chmod 0644 "$state"/tls/*.pem
chmod 0600 "$state/tls/ca.key"
chmod 0700 "$state/secrets"
chmod 0400 "$state"/secrets/*

echo "== ownership of the secrets"
if [ "$(id -u)" = 0 ]; then
    chown "$service_uid:$service_uid" "$state"/secrets/*
    echo "   owned by uid $service_uid, mode 0400"
else
    echo "   not root: give the secrets to the containers' user before 'docker compose up':"
    echo "   sudo chown $service_uid:$service_uid $state/secrets/*"
fi

cat <<EOF

Done. Next:
  docker compose -f $here/compose.yaml up -d
  docker compose -f $here/compose.yaml ps        # all three healthy after about 30 s
Trust $state/tls/ca.pem in your browser (or curl --cacert) and map the names in /etc/hosts:
  127.0.0.1 $broker_host
EOF
