#!/usr/bin/env python3
"""A straightforward Python implementation of `owa-im-migrate convert`, the comparator of
scripts/bench-org (SPEC section 9).

    python3 scripts/baseline.py CONFIGS --certs CERTS --out Set-OwaInstantMessaging.ps1

What it does, the way a competent administrator would script it in an afternoon:

* finds every `web.config` / `<SERVER>.web.config` under CONFIGS; the server is the first
  folder below CONFIGS (or the file name's prefix);
* parses each with lxml (UTF-8 with or without BOM, UTF-16 with BOM; entities are not
  resolved, no network) and applies `<appSettings>` `add` / `remove` / `clear` the way .NET
  does (last `add` wins, key names case-insensitive) to read IMPoolName,
  IMCertificateIssuer and IMCertificateSerialNumber;
* reads every certificate file under CERTS (PEM, one or many certificates per file, and
  DER; CSV/CLIXML/JSON exports are skipped) with `cryptography.x509` into a dict keyed by
  (issuer RDN sequence, serial number as an integer);
* matches the issuer by its normalised RDN sequence (attribute names upper-cased with the
  Windows aliases, values trimmed, inner white space collapsed, case-folded; the OpenSSL
  `/DC=com/DC=contoso/CN=...` form and the reversed order are tried too), the serial as an
  integer (spaces, colons, dashes and pasted invisible characters removed);
* takes the SHA-1 thumbprint of the matched certificate (`cert.fingerprint(SHA1)`) and
  writes one PowerShell script with one `Set-OwaVirtualDirectory` per matched server
  (UTF-8 with BOM, CRLF), plus a summary on stderr.

Single process, as a straightforward script is. Needs lxml and cryptography
(scripts/bench-requirements.txt).
"""

import argparse
import os
import re
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree

IM_KEYS = {"impoolname": "pool", "imcertificateissuer": "issuer",
           "imcertificateserialnumber": "serial"}
INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u200b\ufeff\u00a0"), None)
ALIASES = {"S": "ST", "E": "EMAILADDRESS", "EMAIL": "EMAILADDRESS", "DOMAINCOMPONENT": "DC",
           "OID.2.5.4.3": "CN", "2.5.4.3": "CN", "OID.2.5.4.6": "C", "2.5.4.6": "C",
           "OID.2.5.4.7": "L", "2.5.4.7": "L", "OID.2.5.4.8": "ST", "2.5.4.8": "ST",
           "OID.2.5.4.10": "O", "2.5.4.10": "O", "OID.2.5.4.11": "OU", "2.5.4.11": "OU",
           "OID.0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.25": "DC",
           "OID.1.2.840.113549.1.9.1": "EMAILADDRESS", "1.2.840.113549.1.9.1": "EMAILADDRESS"}
SERIAL_SEPARATORS = re.compile(r"[\s:\-]")
HEX = re.compile(r"^[0-9a-fA-F]+$")
FQDN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


# --- distinguished names --------------------------------------------------------------------------
def split_unescaped(text, separators):
    """Splits on any of `separators` outside quotes and not escaped with a backslash."""
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch in separators and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def unescape(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1].replace('""', '"')
    value = re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value)
    value = re.sub(r"\\(.)", r"\1", value)
    return " ".join(value.split()).casefold()


def parse_dn(text):
    """The RDN sequence, most specific first (Windows / RFC 4514 order), normalised.
    None when the text is not a DN."""
    text = text.translate(INVISIBLE).strip()
    if not text:
        return None
    if text.startswith("/"):                       # OpenSSL: /DC=com/DC=contoso/CN=ContosoCA
        rdns = [r for r in split_unescaped(text[1:], "/") if r.strip()][::-1]
    else:
        rdns = split_unescaped(text, ",;")
    out = []
    for rdn in rdns:
        avas = []
        for ava in split_unescaped(rdn, "+"):
            if "=" not in ava:
                return None
            name, value = ava.split("=", 1)
            name = name.strip().upper()
            avas.append((ALIASES.get(name, name), unescape(value)))
        out.append(tuple(sorted(avas)))
    return tuple(out)


def parse_serial(text):
    digits = SERIAL_SEPARATORS.sub("", text.translate(INVISIBLE))
    if not digits or not HEX.match(digits):
        return None
    return int(digits, 16)


# --- certificates --------------------------------------------------------------------------------
def load_certificates(root):
    index, files, bad = {}, 0, []
    for folder, _, names in os.walk(root):
        for name in sorted(names):
            if name.lower().endswith((".csv", ".clixml", ".json", ".xml", ".txt", ".md")):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                data = f.read()
            try:
                if b"-----BEGIN " in data:
                    certs = x509.load_pem_x509_certificates(data)
                else:
                    certs = [x509.load_der_x509_certificate(data)]
            except ValueError as e:
                bad.append(f"{path}: {e}")
                continue
            files += 1
            for cert in certs:
                issuer = parse_dn(cert.issuer.rfc4514_string())
                key = (issuer, cert.serial_number)
                thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()
                index.setdefault(key, {})[thumbprint] = cert
    return index, files, bad


# --- web.config ----------------------------------------------------------------------------------
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def read_settings(path):
    """IM settings of one web.config with .NET appSettings semantics."""
    tree = etree.parse(path, PARSER)        # libxml2 follows the BOM (UTF-8, UTF-16)
    root = tree.getroot()
    values = {}
    if root.tag != "configuration":
        return values
    for section in root.iterchildren("appSettings"):
        for element in section.iterchildren(tag=etree.Element):
            tag = element.tag
            if tag == "add":
                key = (element.get("key") or "").lower()
                if key in IM_KEYS:
                    values[IM_KEYS[key]] = element.get("value") or ""
            elif tag == "remove":
                key = (element.get("key") or "").lower()
                values.pop(IM_KEYS.get(key), None)
            elif tag == "clear":
                values.clear()
    return values


def find_configs(root):
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            low = name.lower()
            if low == "web.config" or low.endswith(".web.config"):
                path = os.path.join(folder, name)
                if low.endswith(".web.config"):
                    server = name[: -len(".web.config")]
                else:
                    rel = os.path.relpath(path, root).split(os.sep)
                    server = rel[0] if len(rel) > 1 else None
                yield path, server


def ps(value):
    return "'" + re.sub("(['\u2018\u2019\u201a\u201b])", r"\1\1", value) + "'"


# --- the job ----------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description="Straightforward Python comparator of owa-im-migrate convert")
    ap.add_argument("configs")
    ap.add_argument("--certs", required=True)
    ap.add_argument("--out", required=True, help="the PowerShell script to write")
    args = ap.parse_args()

    index, cert_files, unreadable = load_certificates(args.certs)
    counts = {"configs": 0, "converted": 0, "not_configured": 0, "failed": 0}
    reasons = {}
    lines = ["# Set-OwaInstantMessaging.ps1 - generated by scripts/baseline.py",
             "# Run in the Exchange 2010 SP1 Management Shell.", ""]

    def fail(server, why):
        counts["failed"] += 1
        reasons[why] = reasons.get(why, 0) + 1

    for path, server in find_configs(args.configs):
        counts["configs"] += 1
        if not server:
            fail(server, "server-unknown")
            continue
        try:
            im = read_settings(path)
        except etree.XMLSyntaxError:
            fail(server, "xml-malformed")
            continue
        im = {k: v.translate(INVISIBLE).strip() for k, v in im.items()}
        present = [k for k in ("pool", "issuer", "serial") if im.get(k)]
        if not present:
            counts["not_configured"] += 1
            continue
        if len(present) < 3:
            fail(server, "im-partial")
            continue
        if not FQDN.match(im["pool"]):
            fail(server, "pool-not-fqdn" if "." not in im["pool"] else "pool-invalid")
            continue
        issuer = parse_dn(im["issuer"])
        serial = parse_serial(im["serial"])
        if issuer is None:
            fail(server, "issuer-invalid")
            continue
        if serial is None:
            fail(server, "serial-invalid")
            continue
        found = dict(index.get((issuer, serial), {}))
        found.update(index.get((issuer[::-1], serial), {}))
        if not found:
            fail(server, "cert-not-found")
            continue
        if len(found) > 1:
            fail(server, "cert-ambiguous")
            continue
        thumbprint = next(iter(found))
        identity = f"{server}\\owa (Default Web Site)"
        lines.append(f"# {server}: {path}")
        lines.append(f"Set-OwaVirtualDirectory -Identity {ps(identity)} "
                     f"-InstantMessagingServerName {ps(im['pool'])} "
                     f"-InstantMessagingCertificateThumbprint {ps(thumbprint)} "
                     f"-InstantMessagingEnabled $true -InstantMessagingType OCS")
        lines.append(f"iisreset {ps(server)} /noforce")
        lines.append("")
        counts["converted"] += 1

    with open(args.out, "wb") as f:
        f.write(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    print(f"baseline: {counts['configs']} configs, {counts['converted']} converted, "
          f"{counts['not_configured']} not configured, {counts['failed']} failed "
          f"{dict(sorted(reasons.items()))}; {cert_files} certificate files, "
          f"{sum(len(v) for v in index.values())} certificates, {len(unreadable)} unreadable",
          file=sys.stderr)
    for line in unreadable[:10]:
        print(f"baseline: skipped {line}", file=sys.stderr)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
