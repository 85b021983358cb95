#!/usr/bin/env bash
# Regenerates tests/fixtures/certs/ : the X.509 certificates the integration
# tests use for certificate lookup (issuer distinguished name + serial number)
# and SHA-1 thumbprint computation, plus manifest.json describing each of them.
#
# Four throw-away certification authorities are created in a temporary
# directory:
#   ContosoCA            /DC=com/DC=contoso/CN=ContosoCA
#   ContosoCA (twin)     same subject, different key (a rebuilt CA)
#   Fabrikam Issuing CA  /C=US/O=Fabrikam, Inc./CN=Fabrikam Issuing CA
#   Contoso Legacy CA    /C=US/ST=Washington/L=Redmond/O=Contoso/OU=IT/
#                        CN=Contoso Legacy CA/emailAddress=pki@contoso.com
# They issue the server certificates listed below. Only public certificates
# are written; every private key (CAs and servers) lives in the temporary
# directory, which is deleted on exit.
#
# Subjects, serial numbers, validity dates and extensions are fixed. Keys (and
# therefore signatures and SHA-1 thumbprints) are generated afresh on every
# run; manifest.json is rewritten with the new thumbprints, so tests must read
# thumbprints from the manifest rather than hard-code them.
#
# The whole of tests/fixtures/certs/ (README.md included) is deleted and
# rewritten. Nothing else is touched.
#
# Usage: scripts/make-test-fixtures.sh    (requires openssl 1.1.1+ and python3)

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
certs="$(cd "$here/.." && pwd)/tests/fixtures/certs"

command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }
export LC_ALL=C

umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- fixed data ---------------------------------------------------------------
CA_START="20200101000000Z"
CA_END="20400101000000Z"
SRV_START="20250115000000Z"
SRV_END="20300115000000Z"

# id        subject                                                                               serial (hex)
CAS=(
  "contoso  /DC=com/DC=contoso/CN=ContosoCA                                                       5F3C9E0A1B2D4C6E8F7A9B0C1D2E3F40"
  "twin     /DC=com/DC=contoso/CN=ContosoCA                                                       2A7D4B91C3E5F60718293A4B5C6D7E8F"
  "fabrikam /C=US/O=Fabrikam,_Inc./CN=Fabrikam_Issuing_CA                                         6E1F0A2B3C4D5E6F708192A3B4C5D6E7"
  "legacy   /C=US/ST=Washington/L=Redmond/O=Contoso/OU=IT/CN=Contoso_Legacy_CA/emailAddress=pki@contoso.com 0B5A3C7D9E1F20314253647586978A9B"
)

# file                   issuer    CN                  serial (hex)            start            end              profile  extra SAN
LEAVES=(
  "cas01.cer             contoso   cas01.contoso.com   1F5EDD03000000000005    $SRV_START       $SRV_END         server   -"
  "cas02.pem             contoso   cas02.contoso.com   9A12C4E7000000000006    $SRV_START       $SRV_END         server   -"
  "cas03-expired.cer     contoso   cas03.contoso.com   1F5EDD03000000000007    20190101000000Z  20210101000000Z  server   -"
  "cas04-future.cer      contoso   cas04.contoso.com   1F5EDD03000000000008    20310101000000Z  20350101000000Z  server   -"
  "cas05-expiring.cer    contoso   cas05.contoso.com   1F5EDD03000000000009    $SRV_START       20270120000000Z  server   -"
  "cas06-clientauth.cer  contoso   cas06.contoso.com   1F5EDD0300000000000A    $SRV_START       $SRV_END         client   -"
  "cas07-mail.cer        contoso   mail.contoso.com    1F5EDD0300000000000B    $SRV_START       $SRV_END         server   cas07.contoso.com"
  "cas08-a.cer           contoso   cas08.contoso.com   1F5EDD0300000000000C    $SRV_START       $SRV_END         server   -"
  "cas08-b.cer           twin      cas08.contoso.com   1F5EDD0300000000000C    $SRV_START       $SRV_END         server   -"
  "cas09-selfsigned.cer  self      cas09.contoso.com   1F5EDD0300000000000D    $SRV_START       $SRV_END         server   -"
  "cas10-fabrikam.cer    fabrikam  cas10.contoso.com   1F5EDD03000000000005    $SRV_START       $SRV_END         server   -"
  "cas11-legacy.cer      legacy    cas11.contoso.com   1F5EDD0300000000000E    $SRV_START       $SRV_END         server   -"
  "cas12-noeku.cer       contoso   cas12.contoso.com   1F5EDD0300000000000F    $SRV_START       $SRV_END         noeku    -"
)

# --- CA configuration -----------------------------------------------------------
# One database per CA ("openssl ca" refuses to reuse a serial within a
# database, and cas08-a/cas08-b and cas01/cas10 share serials across CAs).
# The database directory is chosen with CA_DIR at each invocation.
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

[ policy_any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
domainComponent        = optional
commonName             = supplied
emailAddress           = optional

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
subjectAltName         = ${ENV::SAN}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ v3_client ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectAltName         = ${ENV::SAN}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ v3_noeku ]
basicConstraints       = CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
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
  CA_DIR="$work/db-$db" openssl ca -config "$work/ca.cnf" -batch -notext -preserveDN "$@" \
    2>"$work/ca.log" || { cat "$work/ca.log" >&2; exit 1; }
}

newkey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$1.key" 2>/dev/null; }
newreq() { openssl req -new -config "$work/ca.cnf" -key "$work/$1.key" -subj "$2" -out "$work/$1.csr"; }

# --- certification authorities (self-signed through "openssl ca") -----------------
for line in "${CAS[@]}"; do
  read -r id subj serial <<<"$line"
  subj="${subj//_/ }"
  newdb "$id"
  newkey "ca-$id"
  newreq "ca-$id" "$subj"
  ca "$id" "$serial" -selfsign -keyfile "$work/ca-$id.key" -in "$work/ca-$id.csr" \
     -extensions v3_ca -startdate "$CA_START" -enddate "$CA_END" -out "$work/ca-$id.pem"
done
newdb self

# --- server certificates ----------------------------------------------------------
for line in "${LEAVES[@]}"; do
  read -r file issuer cn serial start end profile extra <<<"$line"
  name="${file%.*}"
  newkey "$name"
  newreq "$name" "/CN=$cn"
  san="DNS:$cn"
  [ "$extra" = "-" ] || san="$san,DNS:$extra"
  if [ "$issuer" = self ]; then
    signer=(-selfsign -keyfile "$work/$name.key")
  else
    signer=(-cert "$work/ca-$issuer.pem" -keyfile "$work/ca-$issuer.key")
  fi
  SAN="$san" ca "$issuer" "$serial" "${signer[@]}" -in "$work/$name.csr" \
    -extensions "v3_$profile" -startdate "$start" -enddate "$end" -out "$work/$name.pem"
done

# --- write certs/ from scratch ------------------------------------------------------
umask 022
rm -rf "$certs"
mkdir -p "$certs"

der() { openssl x509 -in "$work/$1.pem" -outform DER -out "$certs/$2"; }
der ca-contoso  contoso-ca.cer
der ca-twin     contoso-ca-twin.cer
der ca-fabrikam fabrikam-ca.cer
der ca-legacy   legacy-ca.cer
for line in "${LEAVES[@]}"; do
  read -r file _ <<<"$line"
  case "$file" in
    *.pem) openssl x509 -in "$work/${file%.*}.pem" -out "$certs/$file" ;;
    *)     der "${file%.*}" "$file" ;;
  esac
done

# bundle.pem: cas01 then ContosoCA, with human-readable text around and between
# the blocks, as pasted together from "openssl x509 -text" and
# "openssl pkcs12 -nokeys" output.
{
  echo "Contoso Ltd - CAS01 server certificate and issuing CA"
  echo "Public certificates only."
  echo
  openssl x509 -in "$work/cas01.pem" -text
  echo
  echo "Bag Attributes"
  echo "    friendlyName: ContosoCA"
  openssl x509 -in "$work/ca-contoso.pem" -noout -subject -issuer
  openssl x509 -in "$work/ca-contoso.pem"
  echo
  echo "-- end of bundle --"
} > "$certs/bundle.pem"

# --- manifest.json --------------------------------------------------------------------
python3 - "$certs" <<'PY'
import json, os, re, subprocess, sys
from datetime import datetime

certs = sys.argv[1]

WINDOWS = {
    "CN=ContosoCA,DC=contoso,DC=com": "CN=ContosoCA, DC=contoso, DC=com",
    "CN=Fabrikam Issuing CA,O=Fabrikam\\, Inc.,C=US":
        'CN=Fabrikam Issuing CA, O="Fabrikam, Inc.", C=US',
    "emailAddress=pki@contoso.com,CN=Contoso Legacy CA,OU=IT,O=Contoso,L=Redmond,ST=Washington,C=US":
        "E=pki@contoso.com, CN=Contoso Legacy CA, OU=IT, O=Contoso, L=Redmond, S=Washington, C=US",
    "CN=cas09.contoso.com": "CN=cas09.contoso.com",
}

def x509(data, inform, *args):
    out = subprocess.run(["openssl", "x509", "-inform", inform, "-noout", *args],
                         input=data, capture_output=True, check=True).stdout
    return out.decode("ascii").strip()

def value(line):
    return line.split("=", 1)[1].strip()

def rfc3339(text):
    # "Jan 15 00:00:00 2025 GMT"
    return datetime.strptime(text, "%b %d %H:%M:%S %Y GMT").strftime("%Y-%m-%dT%H:%M:%SZ")

def describe(data, inform):
    issuer = value(x509(data, inform, "-issuer", "-nameopt", "RFC2253"))
    return {
        "subject": value(x509(data, inform, "-subject", "-nameopt", "RFC2253")),
        "issuer": issuer,
        "windows_issuer": WINDOWS[issuer],
        "serial": value(x509(data, inform, "-serial")).upper(),
        "thumbprint": value(x509(data, inform, "-fingerprint", "-sha1")).replace(":", "").upper(),
        "not_before": rfc3339(value(x509(data, inform, "-startdate"))),
        "not_after": rfc3339(value(x509(data, inform, "-enddate"))),
    }

manifest = {}
for name in sorted(os.listdir(certs)):
    path = os.path.join(certs, name)
    if name.endswith(".cer"):
        manifest[name] = describe(open(path, "rb").read(), "DER")
    elif name == "bundle.pem":
        text = open(path, "rb").read()
        blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", text, re.S)
        manifest[name] = [describe(b, "PEM") for b in blocks]
    elif name.endswith(".pem"):
        manifest[name] = describe(open(path, "rb").read(), "PEM")

with open(os.path.join(certs, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
    json.dump(manifest, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY

# --- README.md ---------------------------------------------------------------------------
cat > "$certs/README.md" <<'MD'
# Certificate test fixtures

Public X.509 certificates (RSA 2048, SHA-256) for the certificate lookup tests:
finding a certificate by issuer distinguished name + serial number, and
computing its SHA-1 thumbprint. No private keys are kept.

Regenerate with `scripts/make-test-fixtures.sh`. Subjects, serials, dates and
extensions are fixed; keys, signatures and therefore thumbprints change on
every run. `manifest.json` is rewritten at the same time, so tests must take
thumbprints from the manifest, never hard-code them.

Server certificates are `CN=<host>`, SAN `DNS:<host>`, EKU serverAuth, key
usage digitalSignature + keyEncipherment, valid 2025-01-15 .. 2030-01-15 and
issued by ContosoCA, unless listed otherwise.

| File | What it is for |
|---|---|
| `contoso-ca.cer` | ContosoCA (`CN=ContosoCA, DC=contoso, DC=com`), 2020-01-01 .. 2040-01-01 |
| `contoso-ca-twin.cer` | A rebuilt ContosoCA: same subject, different key |
| `fabrikam-ca.cer` | Fabrikam Issuing CA (`CN=Fabrikam Issuing CA, O="Fabrikam, Inc.", C=US`): comma inside an RDN value |
| `legacy-ca.cer` | Contoso Legacy CA (`E=pki@contoso.com, CN=Contoso Legacy CA, OU=IT, O=Contoso, L=Redmond, S=Washington, C=US`): E= and S= attribute names |
| `cas01.cer` | cas01.contoso.com, serial `1F5EDD03000000000005`, DER: the baseline |
| `cas02.pem` | cas02.contoso.com, serial `9A12C4E7000000000006`, PEM; high bit set, so DER stores a leading `00` byte |
| `cas03-expired.cer` | cas03.contoso.com, serial `...07`, valid 2019-01-01 .. 2021-01-01 (expired) |
| `cas04-future.cer` | cas04.contoso.com, serial `...08`, valid 2031-01-01 .. 2035-01-01 (not yet valid) |
| `cas05-expiring.cer` | cas05.contoso.com, serial `...09`, expires 2027-01-20T00:00:00Z |
| `cas06-clientauth.cer` | cas06.contoso.com, serial `...0A`, EKU clientAuth only |
| `cas07-mail.cer` | CN=mail.contoso.com, SAN mail.contoso.com + cas07.contoso.com, serial `...0B` |
| `cas08-a.cer` / `cas08-b.cer` | cas08.contoso.com, serial `...0C` from ContosoCA and from its twin: same issuer name and serial, different thumbprints |
| `cas09-selfsigned.cer` | Self-signed cas09.contoso.com, serial `...0D` |
| `cas10-fabrikam.cer` | cas10.contoso.com from Fabrikam Issuing CA, serial `1F5EDD03000000000005` (same as cas01, other issuer) |
| `cas11-legacy.cer` | cas11.contoso.com from Contoso Legacy CA, serial `...0E` |
| `cas12-noeku.cer` | cas12.contoso.com, serial `...0F`, no extendedKeyUsage extension |
| `bundle.pem` | cas01 (same certificate as `cas01.cer`) then ContosoCA, with text before, between and after the PEM blocks |
| `manifest.json` | Per file (a list per block for `bundle.pem`): subject and issuer (RFC 2253), Windows-style issuer, serial, SHA-1 thumbprint, notBefore/notAfter |

Serials written `...NN` are `1F5EDD030000000000NN`.
MD

# --- summary ---------------------------------------------------------------------------------
python3 - "$certs/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for name, v in m.items():
    for e in (v if isinstance(v, list) else [v]):
        print(f"{name:22} {e['serial']:34} {e['not_before']:21} {e['not_after']:21} {e['thumbprint']}  {e['subject']}")
PY
