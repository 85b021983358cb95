#!/usr/bin/env bash
# Regenerates tests/fixtures/sources/ : every kind of certificate source an
# Exchange 2010 administrator can hand to owa-im-migrate, all made from the SAME
# four server certificates, so that tests can prove every source agrees:
#
#   cas21..cas24 as DER (.cer)                      the plain source of truth
#   PKCS#12 (.pfx)                                  legacy RC2/3DES, 3DES, AES, no key
#   Get-ExchangeCertificate | Export-Csv            PowerShell 2.0 ASCII, UTF-8, UTF-16, fr-FR
#   Get-ExchangeCertificate | ConvertTo-Json        Windows PowerShell 5.1, PowerShell 7
#   Get-ExchangeCertificate | Export-Clixml         full objects, RawData only, _xHHHH_ escapes
#   hostile/                                        broken and contradictory variants
#
# Two throw-away certification authorities are created in a temporary
# directory:
#   ContosoCA          /DC=com/DC=contoso/CN=ContosoCA
#   Zürich Issuing CA  /C=CH/O=Contoso Zürich AG/CN=Zürich Issuing CA (UTF8String)
# ContosoCA issues cas21, cas22 and cas23; Zürich Issuing CA issues cas24.
# Private keys (CAs and servers) live only in the temporary directory, which is
# deleted on exit; the only copies that leave it are inside the password
# protected .pfx files (password Contoso!2010).
#
# Subjects, serials, dates and extensions are fixed; keys, signatures and
# therefore thumbprints change on every run. manifest.json is rewritten with
# the new values: tests must read thumbprints from it, never hard-code them.
#
# The whole of tests/fixtures/sources/ is deleted and rewritten. Nothing else
# is touched. The exports themselves, manifest.json, README.md and the checks
# are written by scripts/make-source-fixtures.py.
#
# Usage: scripts/make-source-fixtures.sh
#        (requires openssl 3.0+ with the legacy provider, python3, and PowerShell for
#        the PKCS#7 chains: $OWA_IM_MIGRATE_PWSH, else pwsh on PATH)

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$(cd "$here/.." && pwd)/tests/fixtures/sources"

command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }
export LC_ALL=C.UTF-8

# RC2-40 (cas21-legacy.pfx) needs OpenSSL 3's legacy provider.
openssl list -providers -provider legacy 2>/dev/null | grep -qi legacy || {
  echo "the OpenSSL legacy provider is not available (needed for PBE-SHA1-RC2-40)" >&2; exit 1; }

umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

PASS='Contoso!2010'

# --- fixed data ---------------------------------------------------------------
CA_START="20200101000000Z"
CA_END="20400101000000Z"
SRV_START="20250115000000Z"
SRV_END="20300115000000Z"

# id       subject (underscores stand for spaces)                 serial (hex)
CAS=(
  "contoso  /DC=com/DC=contoso/CN=ContosoCA                        3C2F6B0E7A1D4E5F8091A2B3C4D5E6F7"
  "zurich   /C=CH/O=Contoso_Zürich_AG/CN=Zürich_Issuing_CA         5D0E1F2A3B4C5D6E7F8091A2B3C4D5E6"
)

# name    issuer   CN                   serial (hex)
LEAVES=(
  "cas21  contoso  cas21.contoso.com    4A0000000000000000000021"
  "cas22  contoso  cas22.contoso.com    4A0000000000000000000022"
  "cas23  contoso  cas23.contoso.com    4A0000000000000000000023"
  "cas24  zurich   cas24.contoso.com    4A0000000000000000000024"
)

# --- CA configuration -----------------------------------------------------------
cat > "$work/ca.cnf" <<'CNF'
[ ca ]
default_ca = fixture_ca

[ fixture_ca ]
dir              = ${ENV::CA_DIR}
database         = $dir/index.txt
new_certs_dir    = $dir/newcerts
serial           = $dir/serial
default_md       = sha256
policy           = policy_any
unique_subject   = no
copy_extensions  = none
preserve         = yes
string_mask      = utf8only
utf8             = yes

[ policy_any ]
countryName            = optional
organizationName       = optional
domainComponent        = optional
commonName             = supplied

[ req ]
distinguished_name = req_dn
prompt             = no
string_mask        = utf8only
utf8               = yes
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
subjectAltName         = ${ENV::SAN}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
CNF

export SAN="DNS:unused"
export CA_DIR="$work/unused"

newdb() {
  mkdir -p "$work/db-$1/newcerts"
  : > "$work/db-$1/index.txt"
  echo "unique_subject = no" > "$work/db-$1/index.txt.attr"
}

# ca <db> <serial-hex> <openssl ca arguments...>
ca() {
  local db="$1" serial="$2"; shift 2
  echo "$serial" > "$work/db-$db/serial"
  CA_DIR="$work/db-$db" openssl ca -config "$work/ca.cnf" -batch -notext -utf8 -preserveDN "$@" \
    2>"$work/ca.log" || { cat "$work/ca.log" >&2; exit 1; }
}

newkey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$1.key" 2>/dev/null; }
newreq() { openssl req -new -config "$work/ca.cnf" -utf8 -key "$work/$1.key" -subj "$2" -out "$work/$1.csr"; }

# --- certification authorities ----------------------------------------------------
for line in "${CAS[@]}"; do
  read -r id subj serial <<<"$line"
  subj="${subj//_/ }"
  newdb "$id"
  newkey "ca-$id"
  newreq "ca-$id" "$subj"
  ca "$id" "$serial" -selfsign -keyfile "$work/ca-$id.key" -in "$work/ca-$id.csr" \
     -extensions v3_ca -startdate "$CA_START" -enddate "$CA_END" -out "$work/ca-$id.pem"
done

# --- server certificates ------------------------------------------------------------
for line in "${LEAVES[@]}"; do
  read -r name issuer cn serial <<<"$line"
  newkey "$name"
  newreq "$name" "/CN=$cn"
  SAN="DNS:$cn" ca "$issuer" "$serial" -cert "$work/ca-$issuer.pem" -keyfile "$work/ca-$issuer.key" \
    -in "$work/$name.csr" -extensions v3_server -startdate "$SRV_START" -enddate "$SRV_END" \
    -out "$work/$name.pem"
done

# --- staging directory: DER certificates and PKCS#12 files ----------------------------
umask 022
stage="$work/out"
mkdir -p "$stage/hostile"

der() { openssl x509 -in "$work/$1.pem" -outform DER -out "$stage/$2"; }
der ca-contoso contoso-ca.cer
der ca-zurich  zurich-ca.cer
for n in cas21 cas22 cas23 cas24; do der "$n" "$n.cer"; done

# p12 <output> <openssl pkcs12 -export arguments...>
p12() {
  local out="$1"; shift
  openssl pkcs12 -export -passout "pass:$PASS" -out "$stage/$out" "$@" 2>"$work/p12.log" \
    || { cat "$work/p12.log" >&2; exit 1; }
}

# Windows Server 2008 era: certificates RC2-40, key 3DES, SHA-1 MAC, with the chain.
p12 cas21-legacy.pfx -legacy -certpbe PBE-SHA1-RC2-40 -keypbe PBE-SHA1-3DES -macalg sha1 \
  -inkey "$work/cas21.key" -in "$work/cas21.pem" -certfile "$work/ca-contoso.pem" \
  -name "cas21.contoso.com" -caname "ContosoCA"
# OpenSSL 3 default: PBES2 (PBKDF2 + AES-256-CBC) and a SHA-256 MAC, with the chain.
p12 cas22-aes.pfx \
  -inkey "$work/cas22.key" -in "$work/cas22.pem" -certfile "$work/ca-contoso.pem" \
  -name "cas22.contoso.com" -caname "ContosoCA"
# Certificate only: no key bag at all.
p12 cas23-nokey.pfx -nokeys -in "$work/cas23.pem" -name "cas23.contoso.com"
# Export-PfxCertificate on Windows Server 2008 R2: 3DES for both bags, SHA-1 MAC, no chain.
p12 cas21-3des.pfx -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 \
  -inkey "$work/cas21.key" -in "$work/cas21.pem" -name "cas21.contoso.com"

# --- exports, hostile variants, manifest, README, checks -------------------------------
python3 "$here/make-source-fixtures.py" "$stage" "$PASS"

# --- replace tests/fixtures/sources/ ----------------------------------------------------
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
cp -R "$stage" "$dest"

# --- the containers made from these certificates: chains, a store, Excel, look-alikes ----
"$here/make-chain-fixtures.sh"
python3 "$here/make-store-fixture.py"
python3 "$here/make-excel-fixtures.py"

python3 - "$dest/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
for name, c in m["certificates"].items():
    print(f"{name}  {c['serial']}  {c['thumbprint']}  {c['windows_issuer']}")
print(f"{len(m['files'])} files, {len(m['hostile'])} hostile files")
PY
