#!/usr/bin/env bash
# Regenerates tests/fixtures/sources/chains/ : PKCS#7 certificate chains (.p7b) as
# Windows administrators receive them, written by real tools from the certificates
# already in tests/fixtures/sources/ (which this script does not change):
#
#   dotnet-chain.p7b     .NET X509Certificate2Collection.Export(Pkcs7): ContosoCA,
#                        cas21, cas22 (DER), as Windows' certificate export wizard and
#                        Export-Certificate -Type P7B write a chain
#   openssl-chain.p7b    openssl crl2pkcs7 -nocrl, DER: ContosoCA and cas23
#   certnew-base64.p7b   openssl crl2pkcs7 -nocrl, PEM (-----BEGIN PKCS7-----) with CRLF
#                        line ends, as a Microsoft CA's "Download certificate chain" in
#                        Base 64 offers it: Zürich Issuing CA and cas24
#   certutil-encoded.p7b the .NET chain of cas22 and ContosoCA, Base-64 encoded as
#                        'certutil -encode' writes any file: -----BEGIN CERTIFICATE-----
#                        around PKCS#7, CRLF, 64 characters a line
#   not-a-chain.p7b      openssl cms -encrypt (PKCS#7 enveloped data, no certificate list)
#
# and tests/fixtures/sources/other/ : files that look like certificate containers but hold
# no certificate, as they turn up in a folder of certificates (throw-away keys, made here):
#
#   cas21.key            a private key (PEM)
#   cas21.req            a request as New-ExchangeCertificate writes it
#                        (-----BEGIN NEW CERTIFICATE REQUEST-----)
#   contoso.crl          a certificate revocation list (DER)
#
# PKCS#7 chains carry no keys and no signers; the output is the same on every run.
#
# Usage: scripts/make-chain-fixtures.sh
#        (requires openssl, and PowerShell: $OWA_IM_MIGRATE_PWSH, else pwsh on PATH)

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sources="$(cd "$here/.." && pwd)/tests/fixtures/sources"
dest="$sources/chains"
pwsh="${OWA_IM_MIGRATE_PWSH:-pwsh}"

command -v openssl >/dev/null || { echo "openssl not found" >&2; exit 1; }
command -v "$pwsh" >/dev/null || { echo "PowerShell not found: set OWA_IM_MIGRATE_PWSH" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"

SOURCES="$sources" DEST="$dest" "$pwsh" -NoProfile -NonInteractive -Command '
    param()
    $ErrorActionPreference = "Stop"
    function Chain([string[]] $files) {
        $chain = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
        foreach ($f in $files) {
            [void]$chain.Add((New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList (Join-Path $env:SOURCES $f)))
        }
        return ,$chain.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pkcs7)
    }
    [System.IO.File]::WriteAllBytes((Join-Path $env:DEST "dotnet-chain.p7b"), (Chain @("contoso-ca.cer", "cas21.cer", "cas22.cer")))
    $b64 = [Convert]::ToBase64String((Chain @("cas22.cer", "contoso-ca.cer")))
    $lines = for ($i = 0; $i -lt $b64.Length; $i += 64) { $b64.Substring($i, [Math]::Min(64, $b64.Length - $i)) }
    $text = "-----BEGIN CERTIFICATE-----`r`n" + ($lines -join "`r`n") + "`r`n-----END CERTIFICATE-----`r`n"
    [System.IO.File]::WriteAllText((Join-Path $env:DEST "certutil-encoded.p7b"), $text, [System.Text.Encoding]::ASCII)
' 2>&1 </dev/null | sed 's/^/pwsh: /' >&2 || true
[ -s "$dest/dotnet-chain.p7b" ] || { echo "PowerShell did not write the chains" >&2; exit 1; }

pem() { openssl x509 -inform DER -in "$sources/$1" -out "$work/$1.pem"; echo "$work/$1.pem"; }
openssl crl2pkcs7 -nocrl -certfile "$(pem contoso-ca.cer)" -certfile "$(pem cas23.cer)" \
    -outform DER -out "$dest/openssl-chain.p7b"
openssl crl2pkcs7 -nocrl -certfile "$(pem zurich-ca.cer)" -certfile "$(pem cas24.cer)" \
    -out "$work/zurich.p7b"
sed 's/$/\r/' "$work/zurich.p7b" > "$dest/certnew-base64.p7b"
echo "not a certificate" > "$work/secret.txt"
openssl cms -encrypt -binary -aes256 -in "$work/secret.txt" -outform DER \
    -out "$dest/not-a-chain.p7b" "$work/cas24.cer.pem"

other="$sources/other"
mkdir -p "$other"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$other/cas21.key" 2>/dev/null
openssl req -new -key "$other/cas21.key" -subj "/CN=cas21.contoso.com" -out "$work/cas21.csr"
sed -e 's/BEGIN CERTIFICATE REQUEST/BEGIN NEW CERTIFICATE REQUEST/' \
    -e 's/END CERTIFICATE REQUEST/END NEW CERTIFICATE REQUEST/' -e 's/$/\r/' \
    "$work/cas21.csr" > "$other/cas21.req"
mkdir -p "$work/ca"
: > "$work/ca/index.txt"
echo 01 > "$work/ca/crlnumber"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = crl
[crl]
database = $work/ca/index.txt
crlnumber = $work/ca/crlnumber
default_md = sha256
default_crl_days = 30
CNF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Throwaway CA" \
    -keyout "$work/ca.key" -out "$work/ca.pem" -days 30 2>/dev/null
openssl ca -config "$work/ca.cnf" -gencrl -keyfile "$work/ca.key" -cert "$work/ca.pem" \
    -out "$work/crl.pem" 2>/dev/null
openssl crl -in "$work/crl.pem" -outform DER -out "$other/contoso.crl"

ls -l "$dest" "$other"
