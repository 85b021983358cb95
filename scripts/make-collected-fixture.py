#!/usr/bin/env python3
"""Writes tests/fixtures/collected/: the folder Collect-OwaImInputs.ps1 writes, made from the
Contoso example organisation (examples/contoso), then checks every file.

Usage: scripts/make-collected-fixture.py        (python3 standard library + openssl 1.1.1+)

The folder is rebuilt from scratch in a temporary directory and only replaces
tests/fixtures/collected/ once every check has passed. Nothing else is written.

What the folder models
----------------------
Collect-OwaImInputs.ps1 run in the Exchange Management Shell of Exchange 2010 (Windows
PowerShell 2.0), whose implicit remoting session is on cas01.contoso.com; time zone UTC+01:00
(W. Europe Standard Time), culture en-US.

* server-map.csv, collection-summary.csv, CASnn/owa-virtual-directories.csv:
  Export-Csv -NoTypeInformation -Encoding UTF8: UTF-8 with BOM, CRLF, every field quoted.
* CASnn/web.config: byte-for-byte copy of examples/contoso/configs/CASnn/web.config.
* CASnn/certificates.clixml: Get-ExchangeCertificate -Server CASnn | Export-Clixml, i.e.
  deserialized ExchangeCertificate objects (UTF-16 LE with BOM, CRLF). Every object has
  PSComputerName = cas01.contoso.com (the session's host, also for CAS02..CAS05); the
  server a certificate is on is the part of its Identity before the backslash.
  Each store holds the server's CA-issued certificate from examples/contoso/certs (DER as
  RawData) and the self-signed "Microsoft Exchange" certificate Exchange setup creates on
  every server (made here with openssl: its key exists only in a temporary directory, so its
  thumbprint changes on every run). CAS01's store also holds its expired 2022 certificate.

The CLIXML writer, CSV writer, date formats and X509Certificate2.ToString() rendering are
those of scripts/make-source-fixtures.py, loaded from that file (its definitions only; its
top-level code, which writes tests/fixtures/sources, is not run).
"""

import ast
import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ORG = os.path.join(ROOT, "examples", "contoso")
TARGET = os.path.join(ROOT, "tests", "fixtures", "collected")


# --- definitions shared with make-source-fixtures.py ----------------------------------------
def load_shared(path, names):
    """The named top-level functions, classes and constants of `path`, with its imports,
    without running anything else in it."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    body, found = [], set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            body.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            body.append(node)
            found.add(node.name)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            targets = {t.id for t in node.targets}
            if targets & names:
                body.append(node)
                found |= targets
    missing = names - found
    if missing:
        raise SystemExit(f"{path}: no top-level definition of {', '.join(sorted(missing))}")
    namespace = {"__name__": "make_source_fixtures_shared"}
    exec(compile(ast.Module(body=body, type_ignores=[]), path, "exec"), namespace)
    return namespace


S = load_shared(os.path.join(HERE, "make-source-fixtures.py"), {
    "CRLF", "TZ", "X509", "EXT_CLASS", "T_SERVICES", "T_STATUS", "T_ROOTCA", "T_CERT", "T_MVP",
    "openssl_x509", "value", "windows_dn", "asn1_time", "local", "en_us", "iso_local",
    "x509_tostring", "encode", "csv_text", "clixml_escape", "Clixml",
})
CRLF, TZ, X509 = S["CRLF"], S["TZ"], S["X509"]
openssl_x509, value, windows_dn, asn1_time = S["openssl_x509"], S["value"], S["windows_dn"], S["asn1_time"]
iso_local, x509_tostring, encode, csv_text = S["iso_local"], S["x509_tostring"], S["encode"], S["csv_text"]
clixml_escape, Clixml = S["clixml_escape"], S["Clixml"]

# --- the organisation --------------------------------------------------------------------------
SESSION_HOST = "cas01.contoso.com"          # the shell's remote session, for every export
RUNSPACE_ID = "8d2e6b41-0c7a-4f93-b5e8-61a9c3d07f25"
DOMAIN = "contoso.com"
SERVERS = ["CAS01", "CAS02", "CAS03", "CAS04", "CAS05"]

# Exchange enums. Services flags are documented (IMAP=1, POP=2, UM=4, IIS=8, SMTP=16,
# Federation=32); the numbers of CertificateStatus and CertificateAuthorityType are not:
# tests must not rely on them.
SERVICES = {"None": 0, "IIS": 8, "IMAP, POP, SMTP": 19, "IMAP, POP, IIS, SMTP": 27}
STATUS_VALUE = {"Valid": 1, "DateInvalid": 3}
ROOTCA_VALUE = {"Registry": 1}

# OWA virtual directories: (identity, enabled, type, server name, thumbprint of <cert>)
DEFAULTS = ("False", "None", "", "")
VDIRS = {
    "CAS01": [("CAS01\\owa (Default Web Site)",) + DEFAULTS],
    "CAS02": [("CAS02\\owa (Default Web Site)", "True", "Ocs", "naocs.contoso.com", "<cas02>")],
    "CAS03": [("CAS03\\owa (Default Web Site)",) + DEFAULTS],
    "CAS04": [("CAS04\\owa (Default Web Site)",) + DEFAULTS],
    "CAS05": [("CAS05\\owa (Default Web Site)",) + DEFAULTS,
              ("CAS05\\owa (Exchange Back End)",) + DEFAULTS],
}

# The self-signed certificate Exchange setup created on each server: 5 years from setup.
SETUP_TIME = {
    "CAS01": "20220314091207Z", "CAS02": "20220315101544Z", "CAS03": "20220316083021Z",
    "CAS04": "20220905141133Z", "CAS05": "20220906152718Z",
}


def fqdn(server):
    return server.lower() + "." + DOMAIN


# --- certificates ------------------------------------------------------------------------------
def pem_to_der(pem_block):
    return subprocess.run(["openssl", "x509", "-outform", "DER"], input=pem_block.encode("ascii"),
                          capture_output=True, check=True).stdout


def example_certificates():
    """DER bytes of every server certificate of examples/contoso/certs, by subject host."""
    d = os.path.join(ORG, "certs")
    out = {
        "cas01": open(os.path.join(d, "cas01.cer"), "rb").read(),
        "cas01-2022": open(os.path.join(d, "cas01-2022.cer"), "rb").read(),
        "cas02": pem_to_der(open(os.path.join(d, "cas02.crt"), encoding="ascii").read()),
        "cas03": open(os.path.join(d, "cas03.cer"), "rb").read(),
    }
    bundle = open(os.path.join(d, "cas04-cas05.pem"), encoding="utf-8").read()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", bundle, re.S)
    assert len(blocks) == 2, "cas04-cas05.pem: expected two certificates"
    for block in blocks:
        der = pem_to_der(block)
        host = describe(der)["subject"].split("=", 1)[1].split(".")[0]
        out[host] = der
    assert set(out) == {"cas01", "cas01-2022", "cas02", "cas03", "cas04", "cas05"}, sorted(out)
    return out


def describe(der):
    """What Get-ExchangeCertificate shows of a certificate, from its DER bytes."""
    nameopt = ["-nameopt", "RFC2253,-esc_msb"]
    subject = value(openssl_x509(der, "-subject", *nameopt))
    issuer = value(openssl_x509(der, "-issuer", *nameopt))
    thumb = hashlib.sha1(der).hexdigest().upper()
    assert thumb == value(openssl_x509(der, "-fingerprint", "-sha1")).replace(":", "").upper()
    text = openssl_x509(der, "-text")
    block = text.split("X509v3 extensions:", 1)[1].split("Signature Algorithm:", 1)[0]
    return {
        "der": der,
        "subject": subject,
        "windows_subject": windows_dn(subject),
        "issuer": issuer,
        "windows_issuer": windows_dn(issuer),
        "serial": value(openssl_x509(der, "-serial")).upper(),
        "thumbprint": thumb,
        "not_before": asn1_time(value(openssl_x509(der, "-startdate"))),
        "not_after": asn1_time(value(openssl_x509(der, "-enddate"))),
        "extensions": [S["EXT_CLASS"].get(h, "X509Extension")
                       for h in re.findall(r"^ {12}(\S[^:]*):(?: critical)? ?$", block, re.M)],
        "domains": re.findall(r"DNS:([^,\s]+)", text),
        "self_signed": subject == issuer,
    }


def exchange_self_signed(server, work):
    """The certificate Exchange 2010 setup creates: CN=<server>, SAN <server> and its FQDN,
    Server Authentication, RSA 2048, SHA-1, valid five years from setup."""
    key, csr, pem = (os.path.join(work, server + ext) for ext in (".key", ".csr", ".pem"))
    cnf = os.path.join(work, server + ".cnf")
    db = os.path.join(work, server + "-db")
    os.mkdir(db)
    open(os.path.join(db, "index.txt"), "w").close()
    serial = bytearray(hashlib.sha256(("Microsoft Exchange " + server).encode()).digest()[:16])
    serial[0] = (serial[0] & 0x7F) | 0x10
    with open(os.path.join(db, "serial"), "w") as f:
        f.write(serial.hex().upper() + "\n")
    with open(cnf, "w") as f:
        f.write(f"""[ ca ]
default_ca = self
[ self ]
dir             = {db}
database        = $dir/index.txt
new_certs_dir   = $dir
serial          = $dir/serial
default_md      = sha1
policy          = any
unique_subject  = no
copy_extensions = none
preserve        = yes
email_in_dn     = no
[ any ]
commonName      = supplied
[ req ]
distinguished_name = dn
prompt          = no
[ dn ]
CN = {server}
[ exchange ]
extendedKeyUsage     = serverAuth
subjectAltName       = DNS:{server}, DNS:{fqdn(server)}
subjectKeyIdentifier = hash
""")
    start = SETUP_TIME[server]
    end = str(int(start[:4]) + 5) + start[4:]
    run = lambda *a: subprocess.run(a, capture_output=True, check=True)
    run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key)
    run("openssl", "req", "-new", "-config", cnf, "-key", key, "-out", csr)
    run("openssl", "ca", "-config", cnf, "-batch", "-notext", "-selfsign", "-keyfile", key, "-in", csr,
        "-extensions", "exchange", "-startdate", start, "-enddate", end, "-out", pem)
    return pem_to_der(open(pem, encoding="ascii").read())


# --- one store entry as Export-Clixml writes it --------------------------------------------------
def store_entry(server, der, services, friendly, has_key, handle, status="Valid"):
    c = describe(der)
    c.update(server=server, services=services, friendly=friendly, has_key=has_key, handle=handle,
             status=status, rootca="Registry", identity=f"{server}\\{c['thumbprint']}")
    return c


def clixml_certificate(x, c):
    """One deserialized ExchangeCertificate of a remote session (as make-source-fixtures.py)."""
    x.obj_start(1, ["Deserialized." + t for t in
                    (S["T_CERT"], X509 + "X509Certificate2", X509 + "X509Certificate", "System.Object")])
    x.add(2, f"<ToString>{clixml_escape(x509_tostring(c))}</ToString>")
    x.add(2, "<Props>")
    d = 3
    x.lst(d, "AccessRules", ["Deserialized.System.Security.AccessControl.CryptoKeyAccessRule[]",
                             "Deserialized.System.Array", "Deserialized.System.Object"],
          ["System.Security.AccessControl.CryptoKeyAccessRule"] * 3 if c["has_key"] else None)
    x.lst(d, "CertificateDomains", ["Deserialized." + S["T_MVP"],
                                    "Deserialized.Microsoft.Exchange.Data.MultiValuedPropertyBase",
                                    "Deserialized.System.Object"], c["domains"])
    x.prim(d, "B", "HasPrivateKey", str(c["has_key"]).lower())
    x.prim(d, "B", "IsSelfSigned", str(c["self_signed"]).lower())
    x.s(d, "Issuer", c["windows_issuer"])
    x.prim(d, "DT", "NotAfter", iso_local(c["not_after"]))
    x.prim(d, "DT", "NotBefore", iso_local(c["not_before"]))
    x.prim(d, "I32", "PublicKeySize", "2048")
    x.enum(d, "RootCAType", S["T_ROOTCA"], c["rootca"], ROOTCA_VALUE[c["rootca"]])
    x.s(d, "SerialNumber", c["serial"])
    x.enum(d, "Services", S["T_SERVICES"], c["services"], SERVICES[c["services"]])
    x.enum(d, "Status", S["T_STATUS"], c["status"], STATUS_VALUE[c["status"]])
    x.s(d, "Subject", c["windows_subject"])
    x.s(d, "Thumbprint", c["thumbprint"])
    x.prim(d, "B", "Archived", "false")
    x.lst(d, "Extensions", ["Deserialized." + X509 + "X509ExtensionCollection", "Deserialized.System.Object"],
          [X509 + e for e in c["extensions"]])
    x.s(d, "FriendlyName", c["friendly"])
    x.s(d, "IssuerName", X509 + "X500DistinguishedName")
    x.s(d, "PrivateKey", "System.Security.Cryptography.RSACryptoServiceProvider" if c["has_key"] else None)
    x.s(d, "PublicKey", X509 + "PublicKey")
    x.prim(d, "BA", "RawData", base64.b64encode(c["der"]).decode("ascii"))
    x.s(d, "SignatureAlgorithm", "System.Security.Cryptography.Oid")
    x.s(d, "SubjectName", X509 + "X500DistinguishedName")
    x.prim(d, "I32", "Version", "3")
    x.s(d, "Handle", c["handle"])
    x.s(d, "Identity", c["identity"])
    x.add(2, "</Props>")
    x.add(2, "<MS>")
    x.s(3, "PSComputerName", SESSION_HOST)
    x.prim(3, "G", "RunspaceId", RUNSPACE_ID)
    x.prim(3, "B", "PSShowComputerName", "false")
    x.add(2, "</MS>")
    x.add(1, "</Obj>")


def csv_bytes(columns, rows):
    """Export-Csv -NoTypeInformation -Encoding UTF8 (Windows PowerShell 2.0)."""
    return encode(csv_text([dict(zip(columns, r)) for r in rows], columns, None), "utf-8-bom")


# --- build ----------------------------------------------------------------------------------------
def build(out, work):
    ca_issued = example_certificates()
    stores = {}
    handle = iter(str(n) for n in range(411230176, 411230176 + 2480 * 20, 2480))
    for server in SERVERS:
        host = server.lower()
        has_key = server != "CAS03"
        own = store_entry(server, ca_issued[host], "IIS" if has_key else "None", "Contoso OWA 2025",
                          has_key, next(handle))
        self_signed = store_entry(server, exchange_self_signed(server, work),
                                  "IMAP, POP, SMTP" if has_key else "IMAP, POP, IIS, SMTP",
                                  "Microsoft Exchange", True, next(handle))
        if server == "CAS01":
            old = store_entry(server, ca_issued["cas01-2022"], "None", "Contoso OWA 2022", True,
                              next(handle), status="DateInvalid")
            stores[server] = [self_signed, old, own]
        elif server in ("CAS02", "CAS04"):
            stores[server] = [self_signed, own]
        else:
            stores[server] = [own, self_signed]

    map_rows, summary = [], []
    for server in SERVERS:
        folder = os.path.join(out, server)
        os.makedirs(folder)
        shutil.copyfile(os.path.join(ORG, "configs", server, "web.config"), os.path.join(folder, "web.config"))

        x = Clixml()
        for c in stores[server]:
            clixml_certificate(x, c)
        with open(os.path.join(folder, "certificates.clixml"), "wb") as f:
            f.write(encode(x.text(), "utf-16le-bom"))

        own_thumb = next(c["thumbprint"] for c in stores[server] if not c["self_signed"]
                         and c["status"] == "Valid")
        rows = [(ident, server, enabled, kind, name, own_thumb if thumb == f"<{server.lower()}>" else thumb)
                for ident, enabled, kind, name, thumb in VDIRS[server]]
        with open(os.path.join(folder, "owa-virtual-directories.csv"), "wb") as f:
            f.write(csv_bytes(["Identity", "Server", "InstantMessagingEnabled", "InstantMessagingType",
                               "InstantMessagingServerName", "InstantMessagingCertificateThumbprint"], rows))

        map_rows += [(f"{server}/web.config", server, r[0], fqdn(server)) for r in rows]
        n = len(stores[server])
        summary.append((server, "Collected", f"web.config, {n} certificates, {len(rows)} OWA virtual "
                                             f"director{'y' if len(rows) == 1 else 'ies'}"))

    with open(os.path.join(out, "server-map.csv"), "wb") as f:
        f.write(csv_bytes(["path", "server", "identity", "fqdn"], map_rows))
    with open(os.path.join(out, "collection-summary.csv"), "wb") as f:
        f.write(csv_bytes(["server", "outcome", "detail"], summary))
    with open(os.path.join(out, ".gitattributes"), "w", newline="\n") as f:
        f.write("# Collected files are compared byte for byte: BOMs, UTF-16 and CRLF must survive git.\n"
                "*.clixml -text -diff\n*.csv -text\n*.config -text -diff\n")
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(readme(stores))
    return stores


def readme(stores):
    cas02 = next(c for c in stores["CAS02"] if not c["self_signed"])["thumbprint"]
    return f"""# Collected folder (Contoso)

What `Collect-OwaImInputs.ps1` writes when run in the Exchange 2010 Management Shell of the
Contoso example organisation (`examples/contoso`): the tool reads this folder as-is, as
`convert collected --certs collected --server-map collected/server-map.csv`.
Regenerate with `scripts/make-collected-fixture.py` (it rebuilds the whole folder).

The shell's remote session is on cas01.contoso.com, time zone UTC+01:00, culture en-US.

```
server-map.csv                    path, server, identity, fqdn: one row per OWA virtual directory
collection-summary.csv            server, outcome, detail: every server Collected
CASnn/web.config                  byte-for-byte copy of examples/contoso/configs/CASnn/web.config
CASnn/certificates.clixml         Get-ExchangeCertificate -Server CASnn | Export-Clixml
CASnn/owa-virtual-directories.csv Get-OwaVirtualDirectory -Server CASnn | Select-Object Identity, Server,
                                  InstantMessagingEnabled, InstantMessagingType,
                                  InstantMessagingServerName, InstantMessagingCertificateThumbprint |
                                  Export-Csv -NoTypeInformation -Encoding UTF8
```

CSV files: UTF-8 with BOM, CRLF, every field quoted (Windows PowerShell 2.0 `Export-Csv`).
CLIXML files: UTF-16 LE with BOM, CRLF, deserialized `ExchangeCertificate` objects with
`RawData`; `PSComputerName` is cas01.contoso.com in every file (the session's host), the
server a certificate is on is the part of `Identity` before the backslash. `.gitattributes`
keeps git from changing any byte.

Every store also holds the self-signed certificate Exchange setup creates on each server
(`CN=CASnn`, SAN `CASnn` and `casnn.contoso.com`, FriendlyName `Microsoft Exchange`,
`IsSelfSigned` true, IMAP, POP, SMTP): never the IM certificate. Its key is not kept, so
its thumbprint changes whenever the folder is regenerated: read it from the file, never
hard-code it. The CA-issued certificates are those of `examples/contoso/certs`; their
thumbprints only change when that folder is regenerated.

| Server | web.config | Certificate store | OWA virtual directory | Expected |
|---|---|---|---|---|
| CAS01 | clean configuration | self-signed; cas01 2022 (expired, serial `6B0F2A1C000000000002`, Status DateInvalid, key); cas01 (IIS, key) | RTM defaults: `False`, `None`, empty, empty | converted; the change will change the directory |
| CAS02 | UTF-16, extra `IMPortNumber` | self-signed; cas02 (IIS, key) | already `True`, `Ocs`, `naocs.contoso.com`, `{cas02}` | converted; already matches |
| CAS03 | keys empty (never enabled) | cas03 with `HasPrivateKey` false (Services None); self-signed (IMAP, POP, IIS, SMTP) | defaults | not configured (the missing key is harmless) |
| CAS04 | `IMPoolName` is `naocs` | self-signed; cas04 (IIS, key) | defaults | failed: `pool-not-fqdn` |
| CAS05 | keys twice, U+200E in the serial, issuer in X.509 order | cas05 (IIS, key); self-signed | two: `CAS05\\owa (Default Web Site)` and `CAS05\\owa (Exchange Back End)`, defaults; two rows in `server-map.csv` | converted, with warnings |

Status and RootCAType numbers are not documented Exchange values: tests must not rely on
them. Services flags are IMAP=1, POP=2, UM=4, IIS=8, SMTP=16, Federation=32.
"""


# --- checks -----------------------------------------------------------------------------------------
def check(cond, what):
    if not cond:
        raise SystemExit("check failed: " + what)


def read_csv(path, header):
    data = open(path, "rb").read()
    check(data.startswith(b"\xef\xbb\xbf"), f"{path}: UTF-8 BOM")
    text = data[3:].decode("utf-8")
    check(text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), f"{path}: CRLF only")
    lines = text.split("\r\n")[:-1]
    check(all(re.fullmatch(r'"(?:[^"]|"")*"(?:,"(?:[^"]|"")*")*', l) for l in lines), f"{path}: all quoted")
    check(lines[0] == ",".join(f'"{h}"' for h in header), f"{path}: header {lines[0]}")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def verify(out, stores):
    ns = "{http://schemas.microsoft.com/powershell/2004/04}"
    examples = example_certificates()
    configs = {}
    for server in SERVERS:
        folder = os.path.join(out, server)
        check(sorted(os.listdir(folder)) == ["certificates.clixml", "owa-virtual-directories.csv", "web.config"],
              f"{server}: files")
        config = open(os.path.join(folder, "web.config"), "rb").read()
        check(config == open(os.path.join(ORG, "configs", server, "web.config"), "rb").read(),
              f"{server}/web.config differs from the example")
        configs[server] = config

        data = open(os.path.join(folder, "certificates.clixml"), "rb").read()
        check(data.startswith(b"\xff\xfe<\x00O\x00b\x00j\x00s\x00"), f"{server}: clixml BOM + <Objs")
        text = data[2:].decode("utf-16-le")
        check("\n" not in text.replace("\r\n", ""), f"{server}: clixml bare LF")
        objs = ET.fromstring(text).findall(ns + "Obj")
        check(len(objs) == len(stores[server]), f"{server}: object count")
        for obj, c in zip(objs, stores[server]):
            prop = lambda tag, n: obj.find(f"{ns}Props/{ns}{tag}[@N='{n}']")
            der = base64.b64decode(prop("BA", "RawData").text, validate=True)
            check(der == c["der"], f"{server}: RawData {c['thumbprint']}")
            if not c["self_signed"]:
                check(any(der == e for e in examples.values()), f"{server}: RawData is not an example certificate")
            check(prop("S", "Thumbprint").text == hashlib.sha1(der).hexdigest().upper(), f"{server}: thumbprint")
            check(prop("S", "Identity").text == f"{server}\\{c['thumbprint']}", f"{server}: identity")
            check(prop("B", "HasPrivateKey").text == str(c["has_key"]).lower(), f"{server}: HasPrivateKey")
            check(prop("S", "SerialNumber").text == c["serial"], f"{server}: serial")
            check(prop("S", "Issuer").text == c["windows_issuer"], f"{server}: issuer")
            check(prop("S", "Subject").text == c["windows_subject"], f"{server}: subject")
            for n, key in (("NotBefore", "not_before"), ("NotAfter", "not_after")):
                check(datetime.fromisoformat(prop("DT", n).text) == c[key], f"{server}: {n}")
            svc = obj.find(f"{ns}Props/{ns}Obj[@N='Services']")
            check(svc.find(ns + "ToString").text == c["services"]
                  and int(svc.find(ns + "I32").text) == SERVICES[c["services"]], f"{server}: services")
            check(obj.find(f"{ns}MS/{ns}S[@N='PSComputerName']").text == SESSION_HOST, f"{server}: PSComputerName")
        kinds = [(c["self_signed"], c["status"]) for c in stores[server]]
        check(kinds.count((True, "Valid")) == 1 and kinds.count((False, "Valid")) == 1, f"{server}: store")
        ss = next(c for c in stores[server] if c["self_signed"])
        check(ss["windows_subject"] == f"CN={server}" and ss["domains"] == [server, fqdn(server)]
              and ss["friendly"] == "Microsoft Exchange", f"{server}: self-signed certificate")

    cas01 = [c for c in stores["CAS01"] if not c["self_signed"]]
    check({c["serial"] for c in cas01} == {"1F5EDD03000000000005", "6B0F2A1C000000000002"}, "CAS01: both certificates")
    check(all(c["has_key"] for c in cas01), "CAS01: expired certificate has its key")
    check([c["has_key"] for c in stores["CAS03"] if not c["self_signed"]] == [False], "CAS03: no key")

    # the web.config serials name the CA certificates, never a self-signed one
    for server, config in configs.items():
        text = config[2:].decode("utf-16-le") if config.startswith(b"\xff\xfe") else config.decode("utf-8-sig")
        serials = {re.sub(r"[^0-9A-F]", "", v.upper()) for v in
                   re.findall(r'key="IMCertificateSerialNumber" value="([^"]*)"', text)}
        for c in stores[server]:
            check(not (c["self_signed"] and c["serial"] in serials), f"{server}: self-signed serial in web.config")

    for server in SERVERS:
        rows = read_csv(os.path.join(out, server, "owa-virtual-directories.csv"),
                        ["Identity", "Server", "InstantMessagingEnabled", "InstantMessagingType",
                         "InstantMessagingServerName", "InstantMessagingCertificateThumbprint"])
        want = 2 if server == "CAS05" else 1
        check(len(rows) == want and all(r["Server"] == server for r in rows), f"{server}: vdir rows")
        for r in rows:
            if server == "CAS02":
                thumb = hashlib.sha1(examples["cas02"]).hexdigest().upper()
                check((r["InstantMessagingEnabled"], r["InstantMessagingType"], r["InstantMessagingServerName"],
                       r["InstantMessagingCertificateThumbprint"]) == ("True", "Ocs", "naocs.contoso.com", thumb),
                      "CAS02: SP1 values")
            else:
                check((r["InstantMessagingEnabled"], r["InstantMessagingType"], r["InstantMessagingServerName"],
                       r["InstantMessagingCertificateThumbprint"]) == ("False", "None", "", ""), f"{server}: defaults")
    check([r["Identity"] for r in read_csv(os.path.join(out, "CAS05", "owa-virtual-directories.csv"),
                                           ["Identity", "Server", "InstantMessagingEnabled", "InstantMessagingType",
                                            "InstantMessagingServerName",
                                            "InstantMessagingCertificateThumbprint"])]
          == ["CAS05\\owa (Default Web Site)", "CAS05\\owa (Exchange Back End)"], "CAS05: identities")

    rows = read_csv(os.path.join(out, "server-map.csv"), ["path", "server", "identity", "fqdn"])
    check(len(rows) == 6, "server-map: rows")
    check(rows[0] == {"path": "CAS01/web.config", "server": "CAS01", "identity": "CAS01\\owa (Default Web Site)",
                      "fqdn": "cas01.contoso.com"}, "server-map: first row")
    for r in rows:
        check(os.path.isfile(os.path.join(out, r["path"])), f"server-map: {r['path']}")
        check(r["identity"].split("\\")[0] == r["server"] and r["fqdn"] == fqdn(r["server"]), "server-map: row")
    rows = read_csv(os.path.join(out, "collection-summary.csv"), ["server", "outcome", "detail"])
    check([(r["server"], r["outcome"]) for r in rows] == [(s, "Collected") for s in SERVERS], "summary")

    # every file speaks of the product only
    for dirpath, _, names in os.walk(out):
        for n in names:
            if n in ("README.md", ".gitattributes"):
                continue
            raw = open(os.path.join(dirpath, n), "rb").read()
            if n == "web.config":
                continue          # the example's own bytes, checked above
            text = raw.replace(b"\x00", b"").decode("latin-1")
            check(not re.search(r"python|openssl|generat|fixture|example", text, re.I), f"{n}: wording")


def main():
    for tool in ("openssl",):
        check(shutil.which(tool), f"{tool} not found")
    parent = os.path.dirname(TARGET)
    with tempfile.TemporaryDirectory() as work:
        os.chmod(work, 0o700)
        out = os.path.join(work, "collected")
        os.mkdir(out)
        stores = build(out, work)
        verify(out, stores)
        staged = tempfile.mkdtemp(prefix=".collected-", dir=parent)
        try:
            shutil.copytree(out, os.path.join(staged, "collected"))
            if os.path.exists(TARGET):
                shutil.rmtree(TARGET)
            os.rename(os.path.join(staged, "collected"), TARGET)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    verify(TARGET, stores)
    for server in SERVERS:
        for c in stores[server]:
            print(f"{server}  {c['thumbprint']}  {c['serial']:<34} {c['windows_subject']:<22} "
                  f"{c['services']:<22} key={c['has_key']!s:<5} {c['status']}")
    print("collected: all checks passed")


if __name__ == "__main__":
    main()
