#!/usr/bin/env python3
"""Writes the Get-ExchangeCertificate exports, the hostile variants, manifest.json,
README.md and .gitattributes of tests/fixtures/sources/, then checks every file.

Called by scripts/make-source-fixtures.sh with the staging directory (which already
holds contoso-ca.cer, zurich-ca.cer, cas21.cer .. cas24.cer and the .pfx files) and the
PKCS#12 password. Python standard library only.

What the exports model
----------------------
Exchange 2010 on Windows Server 2008 R2, time zone UTC+01:00 (W. Europe Standard Time;
January, so no daylight saving), en-US culture unless said otherwise.

* "snap-in" exports: Exchange Management Shell with the E2010 snap-in loaded locally
  (Add-PSSnapin Microsoft.Exchange.Management.PowerShell.E2010): live objects, type
  Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate, no
  PSComputerName / RunspaceId / PSShowComputerName.
* "remote" exports: the ordinary Exchange Management Shell, i.e. implicit remoting to
  http://cas21.contoso.com/PowerShell: deserialized objects (type names prefixed with
  "Deserialized."), every complex property flattened to its ToString() text or to a list
  of texts, enums kept as Int32 with their ToString text, DateTime and byte[] kept, plus
  PSComputerName (the session's host, cas21.contoso.com, for every object, also those
  fetched with -Server CAS22 etc.), RunspaceId and PSShowComputerName.
"""

import base64
import csv
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

OUT = sys.argv[1]
PASSWORD = sys.argv[2]
HOSTILE = os.path.join(OUT, "hostile")
LEAVES = ["cas21", "cas22", "cas23", "cas24"]
TZ = timezone(timedelta(hours=1))           # the exporting machines' local time
SESSION_HOST = "cas21.contoso.com"          # remote session every remote export used
RUNSPACE_ID = "3f1c2a7e-5b9d-4e80-a6c4-2d8e1b7f0c93"
CRLF = "\r\n"

# Per-server data Exchange adds to the certificate.
SERVER = {
    # computer, Services flags, Services text, RootCAType, FriendlyName, Handle
    "cas21": ("CAS21", 24, "IIS, SMTP", "Registry", "Contoso CAS 2025", "366942112"),
    "cas22": ("CAS22", 27, "IMAP, POP, IIS, SMTP", "Registry", "Contoso CAS 2025", "366944592"),
    "cas23": ("CAS23", 0, "None", "Registry", "", "366947072"),
    "cas24": ("CAS24", 8, "IIS", "ThirdParty", "Contoso CAS Zürich 2025", "366949552"),
}
HAS_KEY = {"cas21": True, "cas22": True, "cas23": False, "cas24": True}
# Numeric values written where an export shows Status / RootCAType as numbers. These two
# Exchange enums are not publicly documented with their values: tests must not rely on
# them (Services flags are documented and are reliable).
STATUS_VALUE = {"Valid": 1}
ROOTCA_VALUE = {"Registry": 1, "ThirdParty": 2}
T_SERVICES = "Microsoft.Exchange.Management.SystemConfigurationTasks.AllowedServices"
T_STATUS = "Microsoft.Exchange.Management.SystemConfigurationTasks.CertificateStatus"
T_ROOTCA = "Microsoft.Exchange.Management.SystemConfigurationTasks.CertificateAuthorityType"
T_CERT = "Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate"
T_MVP = ("Microsoft.Exchange.Data.MultiValuedProperty`1[[Microsoft.Exchange.Data.SmtpDomainWithSubdomains, "
         "Microsoft.Exchange.Data, Version=14.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]")

PROPS = ["AccessRules", "CertificateDomains", "HasPrivateKey", "IsSelfSigned", "Issuer", "NotAfter",
         "NotBefore", "PublicKeySize", "RootCAType", "SerialNumber", "Services", "Status", "Subject",
         "Thumbprint", "Archived", "Extensions", "FriendlyName", "IssuerName", "PrivateKey", "PublicKey",
         "RawData", "SignatureAlgorithm", "SubjectName", "Version", "Handle", "Identity"]
REMOTE_MS = ["PSComputerName", "RunspaceId", "PSShowComputerName"]

EXT_CLASS = {
    "X509v3 Basic Constraints": "X509BasicConstraintsExtension",
    "X509v3 Key Usage": "X509KeyUsageExtension",
    "X509v3 Extended Key Usage": "X509EnhancedKeyUsageExtension",
    "X509v3 Subject Key Identifier": "X509SubjectKeyIdentifierExtension",
}
X509 = "System.Security.Cryptography.X509Certificates."


# --- certificates ----------------------------------------------------------------------
def openssl_x509(der, *args):
    return subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", *args], input=der,
                          capture_output=True, check=True).stdout.decode("utf-8").strip()


def value(line):
    return line.split("=", 1)[1].strip()


def windows_dn(rfc2253):
    assert "\\" not in rfc2253 and '"' not in rfc2253, rfc2253
    return ", ".join(rfc2253.split(","))


def asn1_time(text):
    return datetime.strptime(text, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=timezone.utc)


def describe(name):
    der = open(os.path.join(OUT, name + ".cer"), "rb").read()
    nameopt = ["-nameopt", "RFC2253,-esc_msb"]
    subject = value(openssl_x509(der, "-subject", *nameopt))
    issuer = value(openssl_x509(der, "-issuer", *nameopt))
    thumb = hashlib.sha1(der).hexdigest().upper()
    fp = value(openssl_x509(der, "-fingerprint", "-sha1")).replace(":", "").upper()
    assert thumb == fp
    text = openssl_x509(der, "-text")
    block = text.split("X509v3 extensions:", 1)[1].split("Signature Algorithm:", 1)[0]
    exts = [EXT_CLASS.get(h, "X509Extension")
            for h in re.findall(r"^ {12}(\S[^:]*):(?: critical)? ?$", block, re.M)]
    assert len(exts) == 6, exts
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
        "extensions": exts,
        "domains": re.findall(r"DNS:([^,\s]+)", text),
    }


CERT = {n: describe(n) for n in LEAVES}


def rfc3339(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- how each culture / serializer prints a date ----------------------------------------------
def local(dt):
    return dt.astimezone(TZ)


def en_us(dt):                       # DateTime.ToString() in en-US: 1/15/2025 1:00:00 AM
    d = local(dt)
    h = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year} {h}:{d.minute:02}:{d.second:02} {'AM' if d.hour < 12 else 'PM'}"


def fr_fr(dt):                       # DateTime.ToString() in fr-FR: 15/01/2025 01:00:00
    return local(dt).strftime("%d/%m/%Y %H:%M:%S")


def iso_local(dt):                   # CLIXML <DT>, PowerShell 7 JSON
    return local(dt).isoformat()


def ms_date(dt):                     # Windows PowerShell 5.1 JSON: \/Date(ms)\/
    return "/Date(%d)/" % (int(dt.timestamp()) * 1000)


def x509_tostring(c):
    """X509Certificate2.ToString() as the en-US server renders it."""
    parts = [("Subject", c["windows_subject"]), ("Issuer", c["windows_issuer"]),
             ("Serial Number", c["serial"]), ("Not Before", en_us(c["not_before"])),
             ("Not After", en_us(c["not_after"])), ("Thumbprint", c["thumbprint"])]
    return "".join(f"[{k}]\r\n  {v}\r\n\r\n" for k, v in parts)[:-2]


# --- one certificate as each kind of export sees it ----------------------------------------
def access_rules(n):
    return ["System.Security.AccessControl.CryptoKeyAccessRule"] * 3 if HAS_KEY[n] else None


def private_key(n):
    return "System.Security.Cryptography.RSACryptoServiceProvider" if HAS_KEY[n] else None


def identity(n, c):
    return f"{SERVER[n][0]}\\{c['thumbprint']}"


def csv_values(n, flavour, date):
    """Export-Csv: every property through ToString(); $null stays empty."""
    c = CERT[n]
    computer, _, services, rootca, friendly, handle = SERVER[n]
    remote = flavour == "remote"
    v = {
        "AccessRules": ("System.Collections.ArrayList" if remote else
                        "System.Security.AccessControl.CryptoKeyAccessRule[]") if HAS_KEY[n] else None,
        "CertificateDomains": "System.Collections.ArrayList" if remote else
                              "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmtpDomainWithSubdomains]",
        "HasPrivateKey": str(HAS_KEY[n]),
        "IsSelfSigned": "False",
        "Issuer": c["windows_issuer"],
        "NotAfter": date(c["not_after"]),
        "NotBefore": date(c["not_before"]),
        "PublicKeySize": "2048",
        "RootCAType": rootca,
        "SerialNumber": c["serial"],
        "Services": services,
        "Status": "Valid",
        "Subject": c["windows_subject"],
        "Thumbprint": c["thumbprint"],
        "Archived": "False",
        "Extensions": "System.Collections.ArrayList" if remote else X509 + "X509ExtensionCollection",
        "FriendlyName": friendly,
        "IssuerName": X509 + "X500DistinguishedName",
        "PrivateKey": private_key(n),
        "PublicKey": X509 + "PublicKey",
        "RawData": "System.Byte[]",
        "SignatureAlgorithm": "System.Security.Cryptography.Oid",
        "SubjectName": X509 + "X500DistinguishedName",
        "Version": "3",
        "Handle": handle,
        "Identity": identity(n, c),
    }
    if remote:
        v.update({"PSComputerName": SESSION_HOST, "RunspaceId": RUNSPACE_ID, "PSShowComputerName": "False"})
    return v


def json_values(n, date):
    """ConvertTo-Json of a deserialized (remote) object: lists of texts, enums as Int32."""
    c = CERT[n]
    computer, flags, services, rootca, friendly, handle = SERVER[n]
    return {
        "AccessRules": access_rules(n),
        "CertificateDomains": c["domains"],
        "HasPrivateKey": HAS_KEY[n],
        "IsSelfSigned": False,
        "Issuer": c["windows_issuer"],
        "NotAfter": date(c["not_after"]),
        "NotBefore": date(c["not_before"]),
        "PublicKeySize": 2048,
        "RootCAType": ROOTCA_VALUE[rootca],
        "SerialNumber": c["serial"],
        "Services": flags,
        "Status": STATUS_VALUE["Valid"],
        "Subject": c["windows_subject"],
        "Thumbprint": c["thumbprint"],
        "Archived": False,
        "Extensions": [X509 + e for e in c["extensions"]],
        "FriendlyName": friendly,
        "IssuerName": X509 + "X500DistinguishedName",
        "PrivateKey": private_key(n),
        "PublicKey": X509 + "PublicKey",
        "RawData": list(c["der"]),
        "SignatureAlgorithm": "System.Security.Cryptography.Oid",
        "SubjectName": X509 + "X500DistinguishedName",
        "Version": 3,
        "Handle": handle,
        "Identity": identity(n, c),
        "PSComputerName": SESSION_HOST,
        "RunspaceId": RUNSPACE_ID,
        "PSShowComputerName": False,
    }


# --- writers -----------------------------------------------------------------------------------
def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def encode(text, encoding):
    if encoding == "ascii":            # Windows PowerShell ASCIIEncoding: '?' for anything else
        return text.encode("ascii", "replace")
    if encoding == "utf-8-bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "utf-16le-bom":
        return b"\xff\xfe" + text.encode("utf-16-le")
    raise ValueError(encoding)


def csv_text(rows, columns, type_line):
    def field(v):
        return "" if v is None else '"' + v.replace('"', '""') + '"'
    lines = [type_line] if type_line else []
    lines.append(",".join(field(c) for c in columns))
    lines += [",".join(field(r[c]) for c in columns) for r in rows]
    return CRLF.join(lines) + CRLF


def js51_string(s):
    """System.Web.Script.Serialization.JavaScriptSerializer string escaping."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif o < 0x20 or ch in "<>&'":
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    text = "".join(out)
    # JavaScriptSerializer writes DateTime as "\/Date(ms)\/"
    if re.fullmatch(r'"/Date\(-?\d+\)/"', text):
        text = text.replace("/", "\\/")
    return text


def json51(v, col=0):
    """Windows PowerShell 5.1 ConvertTo-Json layout: four-space indent relative to the opening
    bracket's column, two spaces after the colon."""
    pad = " " * (col + 4)
    if isinstance(v, dict):
        items = []
        for k, x in v.items():
            head = f"{pad}{js51_string(k)}:  "
            items.append(head + json51(x, len(head)))
        return "{" + CRLF + ("," + CRLF).join(items) + CRLF + " " * col + "}"
    if isinstance(v, list):
        return "[" + CRLF + ("," + CRLF).join(pad + json51(x, col + 4) for x in v) + CRLF + " " * col + "]"
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return js51_string(v)


def json7(v):
    """PowerShell 7 (Newtonsoft.Json, Formatting.Indented): two-space indent, CRLF on Windows."""
    return json.dumps(v, indent=2, ensure_ascii=False).replace("\n", CRLF)


# CLIXML ------------------------------------------------------------------------------------
def clixml_escape(s):
    """PowerShell serializer: control characters (and an underscore that starts "_x") as
    _xHHHH_, then ordinary XML escaping."""
    out = []
    for i, ch in enumerate(s):
        o = ord(ch)
        if o < 0x20 or o in (0xFFFE, 0xFFFF) or 0xD800 <= o <= 0xDFFF:
            out.append("_x%04X_" % o)
        elif ch == "_" and s[i + 1:i + 2] in ("x", "X"):
            out.append("_x005F_")
        else:
            out.append(ch)
    return "".join(out).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Clixml:
    def __init__(self):
        self.lines = ['<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">']
        self.ref = 0
        self.tn = {}

    def add(self, depth, text):
        self.lines.append("  " * depth + text)

    def obj_start(self, depth, types, name=None):
        n = f' N="{clixml_escape(name)}"' if name else ""
        self.add(depth, f'<Obj{n} RefId="{self.ref}">')
        self.ref += 1
        key = tuple(types)
        if key in self.tn:
            self.add(depth + 1, f'<TNRef RefId="{self.tn[key]}" />')
        else:
            self.tn[key] = len(self.tn)
            self.add(depth + 1, f'<TN RefId="{self.tn[key]}">')
            for t in types:
                self.add(depth + 2, f"<T>{clixml_escape(t)}</T>")
            self.add(depth + 1, "</TN>")

    def prim(self, depth, tag, name, text):
        if text is None:
            self.add(depth, f'<Nil N="{clixml_escape(name)}" />')
        else:
            self.add(depth, f'<{tag} N="{clixml_escape(name)}">{text}</{tag}>')

    def s(self, depth, name, v):
        self.prim(depth, "S", name, None if v is None else clixml_escape(v))

    def enum(self, depth, name, type_name, text, number):
        self.obj_start(depth, ["Deserialized." + t for t in
                               (type_name, "System.Enum", "System.ValueType", "System.Object")], name)
        self.add(depth + 1, f"<ToString>{clixml_escape(text)}</ToString>")
        self.add(depth + 1, f"<I32>{number}</I32>")
        self.add(depth, "</Obj>")

    def lst(self, depth, name, types, items):
        if items is None:
            self.prim(depth, "Nil", name, None)
            return
        self.obj_start(depth, types, name)
        self.add(depth + 1, "<LST>")
        for it in items:
            self.add(depth + 2, f"<S>{clixml_escape(it)}</S>")
        self.add(depth + 1, "</LST>")
        self.add(depth, "</Obj>")

    def text(self):
        return CRLF.join(self.lines + ["</Objs>"])


def clixml_certificate(x, n, override=None):
    """One deserialized ExchangeCertificate as Export-Clixml writes it (depth 2)."""
    c = CERT[n]
    o = {"Thumbprint": c["thumbprint"], "RawData": base64.b64encode(c["der"]).decode("ascii"),
         "Subject": c["windows_subject"], "FriendlyName": SERVER[n][4],
         "NotAfter": iso_local(c["not_after"]), "NotBefore": iso_local(c["not_before"])}
    o.update(override or {})
    computer, flags, services, rootca, friendly, handle = SERVER[n]
    x.obj_start(1, ["Deserialized." + t for t in
                    (T_CERT, X509 + "X509Certificate2", X509 + "X509Certificate", "System.Object")])
    x.add(2, f"<ToString>{clixml_escape(x509_tostring(c))}</ToString>")
    x.add(2, "<Props>")
    d = 3
    x.lst(d, "AccessRules", ["Deserialized.System.Security.AccessControl.CryptoKeyAccessRule[]",
                             "Deserialized.System.Array", "Deserialized.System.Object"], access_rules(n))
    x.lst(d, "CertificateDomains", ["Deserialized." + T_MVP, "Deserialized.Microsoft.Exchange.Data.MultiValuedPropertyBase",
                                    "Deserialized.System.Object"], c["domains"])
    x.prim(d, "B", "HasPrivateKey", str(HAS_KEY[n]).lower())
    x.prim(d, "B", "IsSelfSigned", "false")
    x.s(d, "Issuer", c["windows_issuer"])
    x.prim(d, "DT", "NotAfter", o["NotAfter"])
    x.prim(d, "DT", "NotBefore", o["NotBefore"])
    x.prim(d, "I32", "PublicKeySize", "2048")
    x.enum(d, "RootCAType", T_ROOTCA, rootca, ROOTCA_VALUE[rootca])
    x.s(d, "SerialNumber", c["serial"])
    x.enum(d, "Services", T_SERVICES, services, flags)
    x.enum(d, "Status", T_STATUS, "Valid", STATUS_VALUE["Valid"])
    x.s(d, "Subject", o["Subject"])
    x.s(d, "Thumbprint", o["Thumbprint"])
    x.prim(d, "B", "Archived", "false")
    x.lst(d, "Extensions", ["Deserialized." + X509 + "X509ExtensionCollection", "Deserialized.System.Object"],
          [X509 + e for e in c["extensions"]])
    x.s(d, "FriendlyName", o["FriendlyName"])
    x.s(d, "IssuerName", X509 + "X500DistinguishedName")
    x.s(d, "PrivateKey", private_key(n))
    x.s(d, "PublicKey", X509 + "PublicKey")
    x.prim(d, "BA", "RawData", o["RawData"])
    x.s(d, "SignatureAlgorithm", "System.Security.Cryptography.Oid")
    x.s(d, "SubjectName", X509 + "X500DistinguishedName")
    x.prim(d, "I32", "Version", "3")
    x.s(d, "Handle", handle)
    x.s(d, "Identity", identity(n, c))
    x.add(2, "</Props>")
    x.add(2, "<MS>")
    x.s(3, "PSComputerName", SESSION_HOST)
    x.prim(3, "G", "RunspaceId", RUNSPACE_ID)
    x.prim(3, "B", "PSShowComputerName", "false")
    x.add(2, "</MS>")
    x.add(1, "</Obj>")


# --- build everything ---------------------------------------------------------------------------
FILES = {}      # name -> manifest entry
HOSTILE_M = {}  # name -> manifest entry


def objects(names, **extra):
    res = []
    for n in names:
        e = {"certificate": n, "identity": identity(n, CERT[n]), "has_private_key": HAS_KEY[n]}
        e.update(extra)
        res.append(e)
    return res


# DER and PKCS#12 -------------------------------------------------------------------------------
FILES["contoso-ca.cer"] = {"format": "DER X.509", "contains": "ContosoCA (issuer of cas21, cas22, cas23)"}
FILES["zurich-ca.cer"] = {"format": "DER X.509", "contains": "Zürich Issuing CA (issuer of cas24), UTF8String names"}
for n in LEAVES:
    FILES[n + ".cer"] = {"format": "DER X.509", "contains": f"{n}: the source of truth",
                         "objects": [{"certificate": n, "has_private_key": False}]}
FILES["cas21-legacy.pfx"] = {
    "format": "PKCS#12", "password": PASSWORD, "needs_openssl_legacy_provider": True,
    "encryption": {"certificates": "pbeWithSHA1And40BitRC2-CBC", "key": "pbeWithSHA1And3-KeyTripleDES-CBC",
                   "mac": "SHA-1"},
    "contains": "cas21 key + certificate, ContosoCA certificate (Windows Server 2008 era)",
    "objects": [{"certificate": "cas21", "has_private_key": True}, {"certificate": "ContosoCA", "has_private_key": False}]}
FILES["cas22-aes.pfx"] = {
    "format": "PKCS#12", "password": PASSWORD, "needs_openssl_legacy_provider": False,
    "encryption": {"certificates": "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC", "key": "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC",
                   "mac": "SHA-256"},
    "contains": "cas22 key + certificate, ContosoCA certificate",
    "objects": [{"certificate": "cas22", "has_private_key": True}, {"certificate": "ContosoCA", "has_private_key": False}]}
FILES["cas23-nokey.pfx"] = {
    "format": "PKCS#12", "password": PASSWORD, "needs_openssl_legacy_provider": False,
    "encryption": {"certificates": "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC", "key": None, "mac": "SHA-256"},
    "contains": "cas23 certificate only: no key bag",
    "objects": [{"certificate": "cas23", "has_private_key": False}]}
FILES["cas21-3des.pfx"] = {
    "format": "PKCS#12", "password": PASSWORD, "needs_openssl_legacy_provider": False,
    "encryption": {"certificates": "pbeWithSHA1And3-KeyTripleDES-CBC", "key": "pbeWithSHA1And3-KeyTripleDES-CBC",
                   "mac": "SHA-1"},
    "contains": "cas21 key + certificate, no chain (as Export-PfxCertificate writes on Windows Server 2008 R2)",
    "objects": [{"certificate": "cas21", "has_private_key": True}]}

# CSV -----------------------------------------------------------------------------------------------
def csv_file(name, names, flavour, date, encoding, type_line, columns, command, culture, notes=""):
    rows = [csv_values(n, flavour, date) for n in names]
    write(os.path.join(OUT, name), encode(csv_text(rows, columns, type_line), encoding))
    FILES[name] = {"format": "csv", "command": command, "encoding": encoding, "line_endings": "CRLF",
                   "type_line": type_line, "culture": culture, "session": flavour,
                   "columns": "in property order" if columns[:len(PROPS)] == PROPS else "shuffled",
                   "raw_data": False, "dates": f"local time UTC+01:00, {culture} DateTime.ToString()",
                   "objects": objects(names, ps_computer_name=SESSION_HOST if flavour == "remote" else None),
                   "notes": notes}


remote_cols = PROPS + REMOTE_MS
shuffled = remote_cols[:]
random.Random(2010).shuffle(shuffled)

csv_file("exchange-ps2.csv", LEAVES, "snap-in", en_us, "ascii", "#TYPE " + T_CERT, PROPS,
         "Get-ExchangeCertificate -Server CASnn | Export-Csv exchange-ps2.csv   (Windows PowerShell 2.0)",
         "en-US", "ASCII: every non-ASCII character is '?' (cas24 issuer 'CN=Z?rich Issuing CA, O=Contoso Z?rich AG, "
         "C=CH', FriendlyName 'Contoso CAS Z?rich 2025'). A $null value (AccessRules and PrivateKey of cas23) "
         "is written as nothing, without quotes.")
csv_file("exchange-fr.csv", LEAVES, "snap-in", fr_fr, "ascii", "#TYPE " + T_CERT, PROPS,
         "Get-ExchangeCertificate -Server CASnn | Export-Csv exchange-fr.csv   (Windows PowerShell 2.0, fr-FR)",
         "fr-FR", "Same as exchange-ps2.csv except the dates (dd/MM/yyyy HH:mm:ss). The delimiter stays a comma: "
         "Export-Csv only uses the culture's list separator with -UseCulture.")
csv_file("exchange-utf16.csv", LEAVES, "remote", en_us, "utf-16le-bom", "#TYPE Deserialized." + T_CERT,
         remote_cols,
         "Get-ExchangeCertificate -Server CASnn | ConvertTo-Csv | Out-File exchange-utf16.csv   "
         "(Exchange Management Shell, remote session)",
         "en-US", "Deserialized objects: collections print as System.Collections.ArrayList; PSComputerName is the "
         "session's host for every row; the server of each certificate is in Identity.")
csv_file("exchange-utf8-notype.csv", LEAVES, "remote", en_us, "utf-8-bom", None, shuffled,
         "Get-ExchangeCertificate -Server CASnn | Select-Object <all properties, another order> | "
         "Export-Csv -NoTypeInformation -Encoding utf8BOM   (PowerShell 7; Windows PowerShell 5.1 "
         "-Encoding UTF8 writes the same bytes)",
         "en-US", "No #TYPE line; columns in another order; real 'ü'.")

# JSON ------------------------------------------------------------------------------------------------
def json_file(name, payload_text, encoding, command, style, names, notes=""):
    write(os.path.join(OUT, name), encode(payload_text + CRLF, encoding))
    FILES[name] = {"format": "json", "command": command, "encoding": encoding, "line_endings": "CRLF",
                   "style": style, "session": "remote", "raw_data": True,
                   "objects": objects(names, ps_computer_name=SESSION_HOST), "notes": notes}


json_file("exchange-ps51.json", json51([json_values(n, ms_date) for n in LEAVES]), "utf-16le-bom",
          "Get-ExchangeCertificate -Server CASnn | ConvertTo-Json | Out-File exchange-ps51.json   "
          "(Windows PowerShell 5.1, remote session)",
          "Windows PowerShell 5.1: dates \"\\/Date(ms since 1970 UTC)\\/\", enums as numbers, RawData as an array "
          "of byte values, layout of the 5.1 serializer (two spaces after ':')", LEAVES,
          "Services is the AllowedServices flags value (IMAP=1, POP=2, UM=4, IIS=8, SMTP=16, Federation=32). "
          "Status and RootCAType numbers are not documented values: do not rely on them.")
json_file("exchange-ps7.json", json7([json_values(n, iso_local) for n in LEAVES]), "utf-8",
          "Get-ExchangeCertificate -Server CASnn | ConvertTo-Json -EnumsAsStrings | Set-Content exchange-ps7.json   "
          "(PowerShell 7, remote session)",
          "PowerShell 7: ISO 8601 local dates with offset, RawData as an array of byte values (PowerShell 7 "
          "enumerates byte[] like any other collection; it does not write base64)", LEAVES,
          "The objects come through remoting, so Services/Status/RootCAType arrive as deserialized Int32 values: "
          "-EnumsAsStrings only converts real enum types and leaves them as numbers. Enum names appear as text "
          "in the CSV and CLIXML exports.")
json_file("exchange-single.json", json51(json_values("cas22", ms_date)), "utf-8-bom",
          "Get-ExchangeCertificate -Server CAS22 -Thumbprint <cas22> | ConvertTo-Json | "
          "Set-Content -Encoding UTF8 exchange-single.json   (Windows PowerShell 5.1)",
          "Windows PowerShell 5.1, one object (not an array)", ["cas22"])

# CLIXML ------------------------------------------------------------------------------------------------
x = Clixml()
for n in LEAVES:
    clixml_certificate(x, n)
write(os.path.join(OUT, "exchange.clixml"), encode(x.text(), "utf-16le-bom"))
FILES["exchange.clixml"] = {
    "format": "clixml", "command": "Get-ExchangeCertificate -Server CASnn | Export-Clixml exchange.clixml   "
                                   "(Exchange Management Shell, remote session)",
    "encoding": "utf-16le-bom", "line_endings": "CRLF", "session": "remote", "raw_data": True,
    "objects": objects(LEAVES, ps_computer_name=SESSION_HOST),
    "notes": "Certificate properties in <Props>; PSComputerName, RunspaceId (<G>), PSShowComputerName in <MS>. "
             "NotBefore/NotAfter are <DT> in local time with offset. Services/Status/RootCAType are nested <Obj> "
             "with <ToString> (name) and <I32>. Repeated type lists use <TNRef>. <ToString> of each certificate "
             "holds CR LF as _x000D__x000A_. cas23 has <Nil N=\"AccessRules\" /> and <Nil N=\"PrivateKey\" />."}

x = Clixml()
for n in LEAVES:
    x.obj_start(1, ["Selected.Deserialized." + T_CERT, "System.Management.Automation.PSCustomObject",
                    "System.Object"])
    x.add(2, "<MS>")
    x.prim(3, "BA", "RawData", base64.b64encode(CERT[n]["der"]).decode("ascii"))
    x.add(2, "</MS>")
    x.add(1, "</Obj>")
write(os.path.join(OUT, "exchange-rawdata-only.clixml"), encode(x.text(), "utf-16le-bom"))
FILES["exchange-rawdata-only.clixml"] = {
    "format": "clixml", "command": "Get-ExchangeCertificate -Server CASnn | Select-Object RawData | "
                                   "Export-Clixml exchange-rawdata-only.clixml",
    "encoding": "utf-16le-bom", "line_endings": "CRLF", "session": "remote", "raw_data": True,
    "objects": [{"certificate": n} for n in LEAVES],
    "notes": "Only <BA N=\"RawData\"> (in <MS>, as Select-Object makes note properties) and type names: "
             "no Thumbprint, Identity or PSComputerName. Everything must come from the DER bytes."}

ESC_FRIENDLY = "OWA IM\r\n\tcas22_x2010"
ESC_SUBJECT = "\tCN=cas22.contoso.com\r\n"
x = Clixml()
clixml_certificate(x, "cas22", {"FriendlyName": ESC_FRIENDLY, "Subject": ESC_SUBJECT})
write(os.path.join(OUT, "exchange-escapes.clixml"), encode(x.text(), "utf-16le-bom"))
FILES["exchange-escapes.clixml"] = {
    "format": "clixml", "command": "Export-Clixml of one cas22 object whose FriendlyName and Subject texts hold "
                                   "control characters", "encoding": "utf-16le-bom", "line_endings": "CRLF",
    "session": "remote", "raw_data": True, "objects": objects(["cas22"], ps_computer_name=SESSION_HOST),
    "escapes": {
        "FriendlyName": {"in_file": clixml_escape(ESC_FRIENDLY), "decoded": ESC_FRIENDLY},
        "Subject": {"in_file": clixml_escape(ESC_SUBJECT), "decoded": ESC_SUBJECT},
    },
    "notes": "_x005F_ is an escaped underscore: decoding it must give a literal '_x2010', not U+2010. The Subject "
             "text decodes to TAB + 'CN=cas22.contoso.com' + CR LF, which is not the certificate's subject; "
             "RawData (cas22) decides."}

# hostile -----------------------------------------------------------------------------------------------
rng = random.Random(0x4A21)
noise = bytes(rng.randrange(256) for _ in range(len(CERT["cas21"]["der"])))
noise = b"\x04" + noise[1:]      # never starts like a DER SEQUENCE
x = Clixml()
clixml_certificate(x, "cas21", {"RawData": base64.b64encode(noise).decode("ascii")})
write(os.path.join(HOSTILE, "rawdata-not-a-cert.clixml"), encode(x.text(), "utf-16le-bom"))
HOSTILE_M["rawdata-not-a-cert.clixml"] = {
    "encoding": "utf-16le-bom", "what": "cas21 object whose RawData is valid base64 of random bytes, not a certificate; "
                                        "the text fields are cas21's"}

b64 = base64.b64encode(CERT["cas21"]["der"]).decode("ascii")
x = Clixml()
clixml_certificate(x, "cas21", {"RawData": b64[:-7]})
write(os.path.join(HOSTILE, "truncated-base64.clixml"), encode(x.text(), "utf-16le-bom"))
HOSTILE_M["truncated-base64.clixml"] = {
    "encoding": "utf-16le-bom", "what": "cas21 object whose RawData base64 lost its last 7 characters "
                                        "(length not a multiple of 4); the XML itself is well formed"}

x = Clixml()
clixml_certificate(x, "cas21", {"RawData": base64.b64encode(CERT["cas22"]["der"]).decode("ascii")})
write(os.path.join(HOSTILE, "thumbprint-disagrees.clixml"), encode(x.text(), "utf-16le-bom"))
HOSTILE_M["thumbprint-disagrees.clixml"] = {
    "encoding": "utf-16le-bom", "what": "every text field (Thumbprint, SerialNumber, Subject, Identity...) is cas21's, "
                                        "RawData is cas22's DER",
    "thumbprint_text": CERT["cas21"]["thumbprint"], "raw_data_thumbprint": CERT["cas22"]["thumbprint"]}

rows = [csv_values(n, "snap-in", en_us) for n in ["cas21", "cas22", "cas23"]]
rows[0]["Thumbprint"] = "\u200e" + CERT["cas21"]["thumbprint"]
rows[1]["Thumbprint"] = CERT["cas22"]["thumbprint"][:39]
write(os.path.join(HOSTILE, "bad-thumbprint.csv"),
      encode(csv_text(rows, PROPS, "#TYPE " + T_CERT), "utf-8-bom"))
HOSTILE_M["bad-thumbprint.csv"] = {
    "encoding": "utf-8-bom", "what": "row 1 (cas21): U+200E LEFT-TO-RIGHT MARK before the thumbprint (as copied "
                                     "from the certificate dialog); row 2 (cas22): thumbprint cut to 39 hex digits; "
                                     "row 3 (cas23): correct. No RawData (System.Byte[] text).",
    "rows": {"1": {"certificate": "cas21", "thumbprint_text": "U+200E followed by " + CERT["cas21"]["thumbprint"]},
             "2": {"certificate": "cas22", "thumbprint_text": CERT["cas22"]["thumbprint"][:39]},
             "3": {"certificate": "cas23", "thumbprint_text": CERT["cas23"]["thumbprint"]}}}

rows = [csv_values(n, "snap-in", en_us) for n in ["cas21", "cas22"]]
rows[1]["NotAfter"] = "31/31/2025 1:00:00 AM"
write(os.path.join(HOSTILE, "bad-date.csv"), encode(csv_text(rows, PROPS, "#TYPE " + T_CERT), "ascii"))
HOSTILE_M["bad-date.csv"] = {"encoding": "ascii", "what": "en-US export; row 2 (cas22) NotAfter is "
                                                          "'31/31/2025 1:00:00 AM' (month 31)"}

objs = [json_values(n, ms_date) for n in ["cas21", "cas22"]]
objs[1]["NotAfter"] = iso_local(CERT["cas22"]["not_after"])
objs[1]["NotBefore"] = iso_local(CERT["cas22"]["not_before"])
write(os.path.join(HOSTILE, "json-other-date-style.json"), encode(json51(objs) + CRLF, "utf-16le-bom"))
HOSTILE_M["json-other-date-style.json"] = {
    "encoding": "utf-16le-bom", "what": "Windows PowerShell 5.1 file; object 1 (cas21) has \\/Date(ms)\\/ dates, "
                                        "object 2 (cas22) has ISO 8601 dates with offset; RawData present in both"}

write(os.path.join(HOSTILE, "empty.csv"), b"")
HOSTILE_M["empty.csv"] = {"encoding": None, "what": "0 bytes"}
write(os.path.join(HOSTILE, "zero.cer"), b"")
HOSTILE_M["zero.cer"] = {"encoding": None, "what": "0 bytes"}

pfx = open(os.path.join(OUT, "cas22-aes.pfx"), "rb").read()
write(os.path.join(HOSTILE, "corrupt.pfx"), pfx[: len(pfx) * 6 // 10])
HOSTILE_M["corrupt.pfx"] = {"encoding": None, "what": f"cas22-aes.pfx cut to its first {len(pfx) * 6 // 10} of "
                                                      f"{len(pfx)} bytes", "password": PASSWORD}

utf16 = open(os.path.join(OUT, "exchange-utf16.csv"), "rb").read()
write(os.path.join(HOSTILE, "bom-mixup.csv"), b"\xef\xbb\xbf" + utf16[2:])
HOSTILE_M["bom-mixup.csv"] = {"encoding": "UTF-8 BOM followed by UTF-16 LE text",
                              "what": "exchange-utf16.csv with its FF FE BOM replaced by the UTF-8 BOM EF BB BF"}

# manifest -----------------------------------------------------------------------------------------------
def key_per_file(n):
    res = {}
    for fname, e in FILES.items():
        for o in e.get("objects", []):
            if o.get("certificate") == n and "has_private_key" in o:
                res[fname] = o["has_private_key"]
    return res


manifest = {
    "password": PASSWORD,
    "has_private_key_means": "for .cer/.pfx files: the file holds the private key; for exports: what the "
                             "export's HasPrivateKey says about the server's copy",
    "exporting_time_zone": "+01:00",
    "remote_session_host": SESSION_HOST,
    "runspace_id": RUNSPACE_ID,
    "certificates": {
        n: {
            "file": n + ".cer",
            "thumbprint": CERT[n]["thumbprint"],
            "serial": CERT[n]["serial"],
            "subject": CERT[n]["windows_subject"],
            "issuer": CERT[n]["issuer"],
            "windows_issuer": CERT[n]["windows_issuer"],
            "not_before": rfc3339(CERT[n]["not_before"]),
            "not_after": rfc3339(CERT[n]["not_after"]),
            "domains": CERT[n]["domains"],
            "server": SERVER[n][0],
            "identity": identity(n, CERT[n]),
            "services": {"flags": SERVER[n][1], "text": SERVER[n][2]},
            "has_private_key": key_per_file(n),
        } for n in LEAVES
    },
    "files": FILES,
    "hostile": HOSTILE_M,
}
with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
    json.dump(manifest, f, indent=2, ensure_ascii=False)
    f.write("\n")

with open(os.path.join(OUT, ".gitattributes"), "w", newline="\n") as f:
    f.write("# Byte-exact fixtures: UTF-16, BOMs and CRLF line endings are part of what is tested.\n"
            "*.csv -text -diff\n*.json -text -diff\n*.clixml -text -diff\n*.pfx -text -diff\n*.cer -text -diff\n"
            "*.p7b -text -diff\n*.sst -text -diff\n*.req -text -diff\n*.crl -text -diff\n*.key -text -diff\n"
            "manifest.json -text diff\n")

README = """# Certificate source fixtures

The certificate sources an Exchange 2010 administrator can hand over, all made from
the SAME four server certificates, so tests can prove that every source agrees
with the DER files. Regenerate with `scripts/make-source-fixtures.sh` (the exports
are written by `scripts/make-source-fixtures.py`). Keys, signatures and therefore
thumbprints change on every run: read them from `manifest.json`, never hard-code them.

Exports model Exchange 2010 servers in time zone UTC+01:00 with culture en-US
(fr-FR where said). "Remote" exports come from the Exchange Management Shell's
remote session to cas21.contoso.com (deserialized objects: `Deserialized.` type
names, `PSComputerName` is cas21.contoso.com for every object, the owning server
is the part of `Identity` before the backslash); "snap-in" exports come from a
shell with the E2010 snap-in loaded (live objects, no `PSComputerName`).
CSV, JSON and CLIXML files use CRLF line endings; `.gitattributes` keeps git
from touching their bytes. PKCS#12 password: `Contoso!2010`.

| Certificate | Issuer (as Windows prints it) | Serial | Services | Key |
|---|---|---|---|---|
| cas21.contoso.com | `CN=ContosoCA, DC=contoso, DC=com` | `4A0000000000000000000021` | IIS, SMTP (24) | yes |
| cas22.contoso.com | `CN=ContosoCA, DC=contoso, DC=com` | `4A0000000000000000000022` | IMAP, POP, IIS, SMTP (27) | yes |
| cas23.contoso.com | `CN=ContosoCA, DC=contoso, DC=com` | `4A0000000000000000000023` | None (0) | no |
| cas24.contoso.com | `CN=Zürich Issuing CA, O=Contoso Zürich AG, C=CH` | `4A0000000000000000000024` | IIS (8) | yes |

All valid 2025-01-15T00:00:00Z .. 2030-01-15T00:00:00Z (01:00 local time), RSA 2048,
EKU serverAuth, SAN DNS:<host>.

| File | What it is |
|---|---|
| `contoso-ca.cer`, `zurich-ca.cer` | The two issuing CAs (DER); Zürich uses UTF8String names |
| `cas21.cer` .. `cas24.cer` | The server certificates (DER): the source of truth |
| `cas21-legacy.pfx` | cas21 key + certificate + ContosoCA; RC2-40 certificates, 3DES key, SHA-1 MAC (needs OpenSSL's legacy provider) |
| `cas21-3des.pfx` | cas21 key + certificate; 3DES for both, SHA-1 MAC (Export-PfxCertificate on 2008 R2) |
| `cas22-aes.pfx` | cas22 key + certificate + ContosoCA; PBKDF2 + AES-256-CBC, SHA-256 MAC |
| `cas23-nokey.pfx` | cas23 certificate only, no key; AES |
| `exchange-ps2.csv` | Windows PowerShell 2.0 Export-Csv, snap-in: ASCII (`ü` is `?`), `#TYPE` line, en-US dates, `System.Byte[]` instead of RawData |
| `exchange-fr.csv` | The same in fr-FR: `15/01/2025 01:00:00`, still comma-separated |
| `exchange-utf16.csv` | ConvertTo-Csv \\| Out-File, remote: UTF-16 LE BOM, `#TYPE Deserialized...`, PSComputerName/RunspaceId/PSShowComputerName |
| `exchange-utf8-notype.csv` | Remote, UTF-8 BOM, no `#TYPE` line, columns in another order, real `ü` |
| `exchange-ps51.json` | Windows PowerShell 5.1 ConvertTo-Json \\| Out-File: UTF-16 LE BOM, `"\\/Date(ms)\\/"`, enums as numbers, RawData as byte array |
| `exchange-ps7.json` | PowerShell 7 ConvertTo-Json -EnumsAsStrings: UTF-8 without BOM, ISO 8601 dates with offset, RawData as byte array |
| `exchange-single.json` | Windows PowerShell 5.1, one object (cas22), not an array; UTF-8 BOM |
| `exchange.clixml` | Export-Clixml, remote: UTF-16 LE BOM, `<Props>`/`<MS>`, `<DT>`, `<B>`, enums as `<Obj>` with `<ToString>` + `<I32>`, `<TNRef>`, `<BA N="RawData">`, `<Nil />` |
| `exchange-rawdata-only.clixml` | Select-Object RawData \\| Export-Clixml: only `<BA N="RawData">` in `<MS>` |
| `exchange-escapes.clixml` | cas22 with `_x000D__x000A_`, `_x0009_` and `_x005F_` escapes in FriendlyName and Subject |
| `hostile/rawdata-not-a-cert.clixml` | RawData is random bytes |
| `hostile/truncated-base64.clixml` | RawData base64 cut short |
| `hostile/thumbprint-disagrees.clixml` | cas21's texts with cas22's RawData |
| `hostile/bad-thumbprint.csv` | Thumbprint with U+200E; thumbprint of 39 digits |
| `hostile/bad-date.csv` | NotAfter `31/31/2025 1:00:00 AM` in an en-US export |
| `hostile/json-other-date-style.json` | 5.1 file with one object in ISO 8601 dates |
| `hostile/empty.csv`, `hostile/zero.cer` | 0 bytes |
| `hostile/corrupt.pfx` | cas22-aes.pfx truncated |
| `hostile/bom-mixup.csv` | UTF-8 BOM followed by UTF-16 LE text |
| `chains/dotnet-chain.p7b` | .NET `X509Certificate2Collection.Export(Pkcs7)`: ContosoCA, cas21, cas22, DER (`scripts/make-chain-fixtures.sh`) |
| `chains/openssl-chain.p7b` | `openssl crl2pkcs7 -nocrl -outform DER`: ContosoCA, cas23 |
| `chains/certnew-base64.p7b` | `openssl crl2pkcs7 -nocrl`, `-----BEGIN PKCS7-----` with CRLF, as a Microsoft CA's Base 64 chain: Zürich Issuing CA, cas24 |
| `chains/certutil-encoded.p7b` | The .NET chain of cas22 and ContosoCA, Base-64 under `-----BEGIN CERTIFICATE-----` as `certutil -encode` writes any file |
| `chains/not-a-chain.p7b` | `openssl cms -encrypt`: PKCS#7 enveloped data, no certificate list |
| `stores/contoso-store.sst` | A serialized store built as `CertSaveStore` writes one (`scripts/make-store-fixture.py`): cas21 with friendly name and key-provider property, ContosoCA, cas22 with a friendly name only. The stores Windows wrote are in `tests/fixtures/stores/` |
| `excel/excel-fr.csv`, `excel/excel-us.csv` | `exchange-fr.csv` and `exchange-ps2.csv` as a French and an English Excel save them again (`scripts/make-excel-fixtures.py`): list separator, dates without seconds, VRAI/TRUE, Windows-1252, a serial destroyed as `6,1E+19`, one that lost its leading zero |
| `other/cas21.key`, `other/cas21.req`, `other/contoso.crl` | Not certificates (OpenSSL, throw-away keys): a private key, a request as New-ExchangeCertificate writes it, a CRL |
| `manifest.json` | Per certificate: thumbprint, serial, subject, issuer, dates (RFC 3339 UTC), has_private_key per file; per file: command, encoding, contents |

Status and RootCAType numbers in the JSON files are not documented Exchange values:
tests should not depend on them. Services flags are IMAP=1, POP=2, UM=4, IIS=8,
SMTP=16, Federation=32.
"""
with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8", newline="\n") as f:
    f.write(README)


# --- checks ------------------------------------------------------------------------------------------
def decode(data):
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    return data.decode("utf-8")


def check(cond, what):
    if not cond:
        raise SystemExit("check failed: " + what)


def crlf_only(text, name):
    check("\n" not in text.replace("\r\n", ""), f"{name}: bare LF")


ascii_q = {n: {k: (v.encode("ascii", "replace").decode() if isinstance(v, str) else v)
               for k, v in CERT[n].items()} for n in LEAVES}
PARSE_DATE = {"en-US": lambda s: datetime.strptime(s, "%m/%d/%Y %I:%M:%S %p"),
              "fr-FR": lambda s: datetime.strptime(s, "%d/%m/%Y %H:%M:%S")}

for name, e in FILES.items():
    path = os.path.join(OUT, name)
    data = open(path, "rb").read()
    if e["format"] == "csv":
        text = decode(data)
        crlf_only(text, name)
        if e["encoding"] == "ascii":
            check(all(b < 0x80 for b in data), f"{name}: not ASCII")
        lines = text.split("\r\n")
        check((lines[0].startswith("#TYPE ")) == bool(e["type_line"]), f"{name}: #TYPE line")
        body = "\r\n".join(lines[1:] if e["type_line"] else lines)
        rows = list(csv.DictReader(io.StringIO(body, newline="")))
        check(len(rows) == len(e["objects"]), f"{name}: row count")
        for row, o in zip(rows, e["objects"]):
            n = o["certificate"]
            c = ascii_q[n] if e["encoding"] == "ascii" else CERT[n]
            check(row["Thumbprint"] == CERT[n]["thumbprint"], f"{name}: thumbprint {n}")
            check(row["SerialNumber"] == CERT[n]["serial"], f"{name}: serial {n}")
            check(row["Issuer"] == c["windows_issuer"], f"{name}: issuer {n}")
            check(row["HasPrivateKey"] == str(HAS_KEY[n]), f"{name}: key {n}")
            for field, key in (("NotBefore", "not_before"), ("NotAfter", "not_after")):
                got = PARSE_DATE[e["culture"]](row[field]).replace(tzinfo=TZ)
                check(got == CERT[n][key], f"{name}: {field} {n}")
            check(row["Identity"].split("\\")[1] == CERT[n]["thumbprint"], f"{name}: identity {n}")
    elif e["format"] == "json":
        text = decode(data)
        crlf_only(text, name)
        if e["encoding"] == "utf-16le-bom":
            check(data.startswith(b"\xff\xfe"), f"{name}: BOM")
        if e["encoding"] == "utf-8":
            check(not data.startswith(b"\xef\xbb\xbf"), f"{name}: unexpected BOM")
        doc = json.loads(text)
        objs = doc if isinstance(doc, list) else [doc]
        check(isinstance(doc, list) == (name != "exchange-single.json"), f"{name}: array or object")
        for obj, o in zip(objs, e["objects"]):
            n = o["certificate"]
            check(bytes(obj["RawData"]) == CERT[n]["der"], f"{name}: RawData {n}")
            check(obj["Thumbprint"] == CERT[n]["thumbprint"], f"{name}: thumbprint {n}")
            check(obj["Issuer"] == CERT[n]["windows_issuer"], f"{name}: issuer {n}")
            for field, key in (("NotBefore", "not_before"), ("NotAfter", "not_after")):
                s = obj[field]
                m = re.fullmatch(r"/Date\((\d+)\)/", s)
                got = (datetime.fromtimestamp(int(m.group(1)) / 1000, timezone.utc) if m
                       else datetime.fromisoformat(s))
                check(got == CERT[n][key], f"{name}: {field} {n}")
        if "51" in name or "single" in name:
            check('\\/Date(' in text and '":  ' in text, f"{name}: 5.1 style")
    elif e["format"] == "clixml":
        text = decode(data)
        crlf_only(text, name)
        check(data.startswith(b"\xff\xfe<\x00O\x00b\x00j\x00s\x00"), f"{name}: BOM + <Objs")
        root = ET.fromstring(text)
        ns = "{http://schemas.microsoft.com/powershell/2004/04}"
        objs = root.findall(ns + "Obj")
        check(len(objs) == len(e["objects"]), f"{name}: object count")

        def unescape(s):
            return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s or "")

        for obj, o in zip(objs, e["objects"]):
            n = o["certificate"]
            ba = obj.find(f".//{ns}BA[@N='RawData']")
            check(base64.b64decode(ba.text, validate=True) == CERT[n]["der"], f"{name}: RawData {n}")
            tp = obj.find(f".//{ns}S[@N='Thumbprint']")
            if name == "exchange-rawdata-only.clixml":
                check(tp is None, f"{name}: thumbprint present")
                continue
            check(tp.text == CERT[n]["thumbprint"], f"{name}: thumbprint {n}")
            check(unescape(obj.find(f".//{ns}S[@N='Issuer']").text) == CERT[n]["windows_issuer"], f"{name}: issuer")
            for field, key in (("NotBefore", "not_before"), ("NotAfter", "not_after")):
                got = datetime.fromisoformat(obj.find(f".//{ns}DT[@N='{field}']").text)
                check(got == CERT[n][key], f"{name}: {field} {n}")
            svc = obj.find(f".//{ns}Obj[@N='Services']")
            check(int(svc.find(ns + "I32").text) == SERVER[n][1], f"{name}: services {n}")
            check(unescape(obj.find(ns + "ToString").text).startswith("[Subject]\r\n  CN=" + n),
                  f"{name}: ToString {n}")
            if name == "exchange-escapes.clixml":
                fn = obj.find(f".//{ns}S[@N='FriendlyName']").text
                sj = obj.find(f".//{ns}S[@N='Subject']").text
                check("_x000D__x000A_" in fn and "_x0009_" in fn and "_x005F_" in fn, f"{name}: escapes")
                check(re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), fn) == ESC_FRIENDLY,
                      f"{name}: FriendlyName decoding")
                check(unescape(sj) == ESC_SUBJECT, f"{name}: Subject decoding")
    elif e["format"] == "DER X.509":
        subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-in", path], check=True)
    elif e["format"] == "PKCS#12":
        base = ["openssl", "pkcs12", "-in", path, "-nodes", "-passin", "pass:" + PASSWORD]
        plain = subprocess.run(base + ["-info"], capture_output=True)
        if e["needs_openssl_legacy_provider"]:
            check(plain.returncode != 0, f"{name}: opened without -legacy")
            res = subprocess.run(base + ["-info", "-legacy"], capture_output=True, check=True)
        else:
            check(plain.returncode == 0, f"{name}: {plain.stderr.decode()}")
            res = plain
        info = res.stderr.decode()
        want = {"pbeWithSHA1And40BitRC2-CBC": "pbeWithSHA1And40BitRC2-CBC",
                "pbeWithSHA1And3-KeyTripleDES-CBC": "pbeWithSHA1And3-KeyTripleDES-CBC",
                "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC": "PBES2, PBKDF2, AES-256-CBC"}
        for what in ("certificates", "key"):
            alg = e["encryption"][what]
            if alg:
                check(want[alg] in info, f"{name}: {what} encryption {alg}: {info}")
        check(("MAC: sha1" in info) == (e["encryption"]["mac"] == "SHA-1"), f"{name}: MAC")
        pem = res.stdout.decode()
        blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pem, re.S)
        leaf = e["objects"][0]["certificate"]
        ders = [subprocess.run(["openssl", "x509", "-outform", "DER"], input=b.encode(), capture_output=True,
                               check=True).stdout for b in blocks]
        check(CERT[leaf]["der"] in ders, f"{name}: {leaf} certificate")
        check(len(ders) == len(e["objects"]), f"{name}: certificate count")
        has_key = "PRIVATE KEY-----" in pem
        check(has_key == e["objects"][0]["has_private_key"], f"{name}: key presence")
        if has_key:
            keymod = subprocess.run(["openssl", "rsa", "-noout", "-modulus"], input=res.stdout,
                                    capture_output=True, check=True).stdout
            certmod = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-modulus"],
                                     input=CERT[leaf]["der"], capture_output=True, check=True).stdout
            check(keymod == certmod, f"{name}: key does not match certificate")

# hostile: each is broken in the one way it claims
H = lambda n: open(os.path.join(HOSTILE, n), "rb").read()
ns = "{http://schemas.microsoft.com/powershell/2004/04}"
ba = ET.fromstring(decode(H("rawdata-not-a-cert.clixml"))).find(f".//{ns}BA").text
check(base64.b64decode(ba, validate=True) == noise, "rawdata-not-a-cert: bytes")
r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout"], input=noise, capture_output=True)
check(r.returncode != 0, "rawdata-not-a-cert: openssl accepted it")
ba = ET.fromstring(decode(H("truncated-base64.clixml"))).find(f".//{ns}BA").text
check(len(ba) % 4 != 0, "truncated-base64: length")
try:
    base64.b64decode(ba, validate=True)
    check(False, "truncated-base64 decoded")
except ValueError:
    pass
root = ET.fromstring(decode(H("thumbprint-disagrees.clixml")))
check(root.find(f".//{ns}S[@N='Thumbprint']").text == CERT["cas21"]["thumbprint"]
      and base64.b64decode(root.find(f".//{ns}BA").text) == CERT["cas22"]["der"], "thumbprint-disagrees")
rows = list(csv.DictReader(io.StringIO("\r\n".join(decode(H("bad-thumbprint.csv")).split("\r\n")[1:]), newline="")))
check(rows[0]["Thumbprint"][0] == "\u200e" and len(rows[1]["Thumbprint"]) == 39, "bad-thumbprint")
rows = list(csv.DictReader(io.StringIO("\r\n".join(decode(H("bad-date.csv")).split("\r\n")[1:]), newline="")))
check(rows[1]["NotAfter"] == "31/31/2025 1:00:00 AM", "bad-date")
doc = json.loads(decode(H("json-other-date-style.json")))
check(doc[0]["NotAfter"].startswith("/Date(") and doc[1]["NotAfter"].startswith("2030-"), "json-other-date-style")
check(H("empty.csv") == b"" and H("zero.cer") == b"", "empty files")
r = subprocess.run(["openssl", "pkcs12", "-in", os.path.join(HOSTILE, "corrupt.pfx"), "-nodes", "-passin",
                    "pass:" + PASSWORD, "-legacy"], capture_output=True)
check(r.returncode != 0, "corrupt.pfx opened")
check(H("bom-mixup.csv")[:5] == b"\xef\xbb\xbf#\x00", "bom-mixup")

# nothing outside the product's world
for dirpath, _, names in os.walk(OUT):
    for n in names:
        raw = open(os.path.join(dirpath, n), "rb").read()
        text = "" if n.endswith((".pfx", ".cer")) else raw.replace(b"\x00", b"").decode("latin-1")
        if n not in ("README.md", "manifest.json", ".gitattributes"):
            check(not re.search(r"python|openssl|generat|fixture", text, re.I), f"{n}: wording")

print("sources: all checks passed")
