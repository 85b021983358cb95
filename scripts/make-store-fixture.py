#!/usr/bin/env python3
"""Writes tests/fixtures/sources/stores/contoso-store.sst: a Microsoft serialized
certificate store laid out as CertSaveStore(CERT_STORE_SAVE_AS_STORE) writes one
([MS-OSHARED] 2.3.2.5, Wine dlls/crypt32/serialize.c), from the certificates in
tests/fixtures/sources/:

  element 1  CERT_FRIENDLY_NAME_PROP_ID (11)  "CAS21 Exchange 2010"
  element 2  CERT_KEY_PROV_INFO_PROP_ID (2)   container + provider, as a CAS whose
                                              certificate has its private key
  element 3  CERT_SHA1_HASH_PROP_ID (3)
  element 4  CERT_CERT_PROP_ID (32)           cas21.cer
  element 5  CERT_SHA1_HASH_PROP_ID (3)
  element 6  CERT_CERT_PROP_ID (32)           contoso-ca.cer
  element 7  CERT_FRIENDLY_NAME_PROP_ID (11)  "CAS22 OWA"
  element 8  CERT_CERT_PROP_ID (32)           cas22.cer (no key on the exporting machine)
  end        12 zero bytes

The stores Windows itself wrote are beside it (see README.md there); this one is
built so that a test can convert servers from a store whose certificates it knows.
"""

import hashlib
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tests" / "fixtures" / "sources"


def element(prop_id: int, value: bytes) -> bytes:
    return struct.pack("<III", prop_id, 1, len(value)) + value


def utf16z(text: str) -> bytes:
    return (text + "\0").encode("utf-16-le")


def key_prov_info(container: str, provider: str) -> bytes:
    # CRYPT_KEY_PROV_INFO with offsets from the start of the value in place of pointers:
    # container, provider, dwProvType (12: PROV_RSA_SCHANNEL), dwFlags
    # (0x20: CRYPT_MACHINE_KEYSET), cProvParam, rgProvParam, dwKeySpec (1: AT_KEYEXCHANGE).
    container_bytes = utf16z(container)
    fixed = 7 * 4
    return (
        struct.pack("<7I", fixed, fixed + len(container_bytes), 12, 0x20, 0, 0, 1)
        + container_bytes
        + utf16z(provider)
    )


def main() -> None:
    cas21 = (SOURCES / "cas21.cer").read_bytes()
    ca = (SOURCES / "contoso-ca.cer").read_bytes()
    cas22 = (SOURCES / "cas22.cer").read_bytes()
    store = b"\0\0\0\0CERT"
    store += element(11, utf16z("CAS21 Exchange 2010"))
    store += element(2, key_prov_info("te-ExchangeCertificate-cas21",
                                      "Microsoft RSA SChannel Cryptographic Provider"))
    store += element(3, hashlib.sha1(cas21).digest())
    store += element(32, cas21)
    store += element(3, hashlib.sha1(ca).digest())
    store += element(32, ca)
    store += element(11, utf16z("CAS22 OWA"))
    store += element(32, cas22)
    store += bytes(12)
    out = SOURCES / "stores" / "contoso-store.sst"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(store)
    print(f"{out.relative_to(ROOT)}: {len(store)} bytes")


if __name__ == "__main__":
    main()
