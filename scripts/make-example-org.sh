#!/usr/bin/env bash
# Regenerates examples/contoso/certs/ for the Contoso example organisation.
#
# Creates a throw-away "ContosoCA" certification authority in a temporary
# directory, issues one server certificate per Client Access Server with the
# fixed serial numbers and validity dates the committed web.config files refer
# to, writes the public certificates into examples/contoso/certs/ and deletes
# every private key (CA and servers) on exit.
#
# Subjects, serials, dates and extensions are fixed. Keys are generated afresh
# on every run, so the SHA-1 thumbprints change each time the script is run;
# the web.config files name certificates by issuer + serial number only and
# stay valid.
#
# Only certs/ is touched. configs/ (hand-written web.config files),
# server-map.csv and README.md are never written by this script.
#
# Usage: scripts/make-example-org.sh        (requires openssl 1.1.1 or later)

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
org="$(cd "$here/.." && pwd)/examples/contoso"
certs="$org/certs"

command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 1; }
[ -d "$org/configs" ] || { echo "missing $org/configs" >&2; exit 1; }

umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- fixed data ---------------------------------------------------------------
CA_SUBJ="/DC=com/DC=contoso/CN=ContosoCA"
CA_SERIAL="5F3C9E0A1B2D4C6E8F7A9B0C1D2E3F40"
CA_START="20210601000000Z"
CA_END="20410601000000Z"

SRV_START="20250115000000Z"
SRV_END="20300115000000Z"

# name            host                 serial (hex)            start             end
ISSUE=(
  "cas01-2022     cas01.contoso.com    6B0F2A1C000000000002    20221231000000Z   20241231235959Z"
  "cas01          cas01.contoso.com    1F5EDD03000000000005    $SRV_START        $SRV_END"
  "cas02          cas02.contoso.com    9A12C4E7000000000006    $SRV_START        $SRV_END"
  "cas03          cas03.contoso.com    1F5EDD03000000000007    $SRV_START        $SRV_END"
  "cas04          cas04.contoso.com    3C7B91D5000000000008    $SRV_START        $SRV_END"
  "cas05          cas05.contoso.com    4E2A60F8000000000009    $SRV_START        $SRV_END"
)

# --- CA configuration ---------------------------------------------------------
mkdir -p "$work/ca/newcerts"
: > "$work/ca/index.txt"
echo "unique_subject = no" > "$work/ca/index.txt.attr"

cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = contoso_ca

[ contoso_ca ]
dir              = $work/ca
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
serial           = \$dir/serial
certificate      = $work/ContosoCA.pem
private_key      = $work/ContosoCA.key
default_md       = sha256
policy           = policy_any
unique_subject   = no
copy_extensions  = none
preserve         = yes
email_in_dn      = no

[ policy_any ]
domainComponent  = optional
commonName       = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder

[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ v3_server ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:\${ENV::SAN_DNS}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
CNF

export SAN_DNS="unused"
ca() { openssl ca -config "$work/ca.cnf" -batch -notext -preserveDN "$@" 2>"$work/ca.log" \
         || { cat "$work/ca.log" >&2; exit 1; }; }

# --- root CA (self-signed through "openssl ca" so serial and dates are fixed) ---
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$work/ContosoCA.key" 2>/dev/null
openssl req -new -config "$work/ca.cnf" -key "$work/ContosoCA.key" -subj "$CA_SUBJ" \
  -out "$work/ContosoCA.csr"
echo "$CA_SERIAL" > "$work/ca/serial"
ca -selfsign -keyfile "$work/ContosoCA.key" -in "$work/ContosoCA.csr" \
   -extensions v3_ca -startdate "$CA_START" -enddate "$CA_END" -out "$work/ContosoCA.pem"

# --- server certificates ------------------------------------------------------
for line in "${ISSUE[@]}"; do
  read -r name host serial start end <<<"$line"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$name.key" 2>/dev/null
  openssl req -new -config "$work/ca.cnf" -key "$work/$name.key" -subj "/CN=$host" \
    -out "$work/$name.csr"
  echo "$serial" > "$work/ca/serial"
  SAN_DNS="$host" ca -in "$work/$name.csr" -extensions v3_server \
    -startdate "$start" -enddate "$end" -out "$work/$name.pem"
done

# --- write certs/ from scratch ------------------------------------------------
umask 022
rm -rf "$certs"
mkdir -p "$certs"

der() { openssl x509 -in "$work/$1.pem" -outform DER -out "$certs/$2"; }
der ContosoCA  ContosoCA.cer
der cas01      cas01.cer
der cas01-2022 cas01-2022.cer
der cas03      cas03.cer
openssl x509 -in "$work/cas02.pem" -out "$certs/cas02.crt"

# Lyon site: both certificates in one PEM file with human-readable text around
# the blocks, as produced by copy/paste from "openssl x509 -text" and
# "openssl pkcs12 -nokeys" output.
{
  echo "Contoso Ltd - Lyon site Client Access Server certificates (CAS04, CAS05)"
  echo "Issued by ContosoCA. Public certificates only."
  echo
  openssl x509 -in "$work/cas04.pem" -text
  echo
  echo "Bag Attributes"
  echo "    friendlyName: cas05.contoso.com"
  openssl x509 -in "$work/cas05.pem" -noout -subject -issuer
  openssl x509 -in "$work/cas05.pem"
} > "$certs/cas04-cas05.pem"

# --- summary --------------------------------------------------------------------
printf '%-16s %-22s %-22s %-24s %s\n' file subject serial notAfter sha1
for f in "$certs"/*.cer "$certs"/*.crt; do
  fmt=DER; case "$f" in *.crt) fmt=PEM;; esac
  s=$(openssl x509 -in "$f" -inform "$fmt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
  n=$(openssl x509 -in "$f" -inform "$fmt" -noout -serial | sed 's/^serial=//')
  e=$(openssl x509 -in "$f" -inform "$fmt" -noout -enddate | sed 's/^notAfter=//')
  t=$(openssl x509 -in "$f" -inform "$fmt" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g')
  printf '%-16s %-22s %-22s %-24s %s\n' "$(basename "$f")" "$s" "$n" "$e" "$t"
done
# the bundle: split on BEGIN/END markers
awk '/-----BEGIN CERTIFICATE-----/{p=1; n++} p{print > ("'"$work"'/bundle" n ".pem")} /-----END CERTIFICATE-----/{p=0}' \
  "$certs/cas04-cas05.pem"
for b in "$work"/bundle*.pem; do
  s=$(openssl x509 -in "$b" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
  n=$(openssl x509 -in "$b" -noout -serial | sed 's/^serial=//')
  e=$(openssl x509 -in "$b" -noout -enddate | sed 's/^notAfter=//')
  t=$(openssl x509 -in "$b" -noout -fingerprint -sha1 | sed 's/^.*=//; s/://g')
  printf '%-16s %-22s %-22s %-24s %s\n' "cas04-cas05.pem" "$s" "$n" "$e" "$t"
done
