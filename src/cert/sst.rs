//! Microsoft serialized certificate stores (`.sst`): what the MMC certificate export wizard
//! writes for "Microsoft Serialized Certificate Store", what `Export-Certificate -Type SST`
//! writes (its default for more than one certificate), and `certutil -generateSSTFromWU`.
//!
//! The layout (`CertSaveStore` with `CERT_STORE_SAVE_AS_STORE`; Wine's
//! `dlls/crypt32/serialize.c` reads and writes the same bytes):
//!
//! ```text
//! file header   u32 0, u32 0x54524543 ("CERT")
//! element       u32 property id, u32 encoding type (1: X509_ASN_ENCODING), u32 length, bytes
//!               ...every property of a context, then the context itself:
//!               32 CERT_CERT_PROP_ID (a certificate's DER), 33 a CRL, 34 a CTL
//! end           an element with property id 0 and length 0 (or the end of the file)
//! ```
//!
//! The property ids are those of `CertGetCertificateContextProperty` (wincrypt.h). Two of
//! the properties that ride along say something the certificate does not:
//! - `CERT_KEY_PROV_INFO_PROP_ID` (2): the certificate was linked to a private key in a
//!   key container on the machine the store was exported from (a `CRYPT_KEY_PROV_INFO`,
//!   serialized with offsets from the start of the property in place of its pointers);
//! - `CERT_FRIENDLY_NAME_PROP_ID` (11): the name the MMC and `Get-ExchangeCertificate` show,
//!   UTF-16 LE with a terminating NUL.
//!
//! The walk is by hand: the format is four little-endian integers a record, and no crate
//! reads it.

/// "CERT", little-endian, after a zero DWORD.
const MAGIC: [u8; 8] = [0, 0, 0, 0, b'C', b'E', b'R', b'T'];
const KEY_PROV_INFO: u32 = 2;
const FRIENDLY_NAME: u32 = 11;
const CERTIFICATE: u32 = 32;
const CRL: u32 = 33;
const CTL: u32 = 34;
/// The longest friendly name kept, in characters: a name longer than this is somebody's
/// attack, not a label.
const MAX_NAME: usize = 256;

/// One certificate of the store, with the properties stored before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    pub der: Vec<u8>,
    /// The certificate's element, counting every element of the file from 1.
    pub element: usize,
    pub friendly_name: Option<String>,
    /// The certificate has a key-provider property: it had a private key on the machine the
    /// store was exported from.
    pub key_attached: bool,
    /// The key container that property names, when it names one.
    pub key_container: Option<String>,
}

/// Why a serialized store gave no certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SstError {
    #[error("the serialized store is damaged at element {element} ({why}); export it again")]
    Damaged { element: usize, why: String },
    #[error("the serialized store holds no certificate ({0} other elements)")]
    Empty(usize),
}

/// Whether the bytes start as a serialized store does.
pub fn looks_like(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// Every certificate of the store, in the file's order; CRLs and CTLs are passed over.
pub fn read(bytes: &[u8]) -> Result<Vec<StoredCertificate>, SstError> {
    let mut rest = bytes.strip_prefix(&MAGIC).ok_or(SstError::Damaged {
        element: 0,
        why: "it does not start with the store header".into(),
    })?;
    let mut certificates = Vec::new();
    let mut properties = Properties::default();
    let mut element = 0;
    while !rest.is_empty() {
        element += 1;
        let damaged = |why: String| SstError::Damaged { element, why };
        let (header, body) = rest.split_at_checked(12).ok_or_else(|| {
            damaged(format!(
                "{} bytes where a 12-byte header belongs",
                rest.len()
            ))
        })?;
        let id = u32_at(header, 0);
        let length = usize::try_from(u32_at(header, 8)).unwrap_or(usize::MAX);
        if id == 0 && length == 0 {
            break;
        }
        let (value, after) = body.split_at_checked(length).ok_or_else(|| {
            damaged(format!(
                "property {id} says {length} bytes, but {} remain",
                body.len()
            ))
        })?;
        rest = after;
        match id {
            CERTIFICATE => {
                let properties = std::mem::take(&mut properties);
                certificates.push(StoredCertificate {
                    der: value.to_vec(),
                    element,
                    friendly_name: properties.friendly_name,
                    key_attached: properties.key_attached,
                    key_container: properties.key_container,
                });
            }
            // A CRL's or CTL's own properties end with it.
            CRL | CTL => properties = Properties::default(),
            KEY_PROV_INFO => {
                properties.key_attached = true;
                properties.key_container = key_container(value);
            }
            FRIENDLY_NAME => properties.friendly_name = utf16_text(value),
            _ => {}
        }
    }
    if certificates.is_empty() {
        return Err(SstError::Empty(element));
    }
    Ok(certificates)
}

/// The properties read since the last context.
#[derive(Debug, Default)]
struct Properties {
    friendly_name: Option<String>,
    key_attached: bool,
    key_container: Option<String>,
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_le_bytes)
}

/// `CRYPT_KEY_PROV_INFO` as stored: its first field is the offset of the container name,
/// counted from the start of the property.
fn key_container(value: &[u8]) -> Option<String> {
    let offset = usize::try_from(u32_at(value, 0)).ok()?;
    utf16_text(value.get(offset..)?)
}

/// UTF-16 LE up to the first NUL, invisible and control characters dropped, at most
/// `MAX_NAME` characters; None when nothing is left.
fn utf16_text(bytes: &[u8]) -> Option<String> {
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .take_while(|unit| *unit != 0);
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let (text, _) = crate::hidden::strip(text.trim());
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(id: u32, value: &[u8]) -> Vec<u8> {
        let mut out = id.to_le_bytes().to_vec();
        out.extend(1u32.to_le_bytes());
        out.extend(u32::try_from(value.len()).unwrap().to_le_bytes());
        out.extend(value);
        out
    }

    fn utf16(text: &str) -> Vec<u8> {
        text.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    #[test]
    fn properties_belong_to_the_certificate_after_them() {
        let mut key_info = 28u32.to_le_bytes().to_vec();
        key_info.extend([0u8; 24]);
        key_info.extend(utf16("te-WebServer-1234"));
        let mut bytes = MAGIC.to_vec();
        bytes.extend(element(FRIENDLY_NAME, &utf16("CAS01 OWA")));
        bytes.extend(element(3, &[0xAB; 20]));
        bytes.extend(element(KEY_PROV_INFO, &key_info));
        bytes.extend(element(CERTIFICATE, &[0x30, 0x00]));
        bytes.extend(element(FRIENDLY_NAME, &utf16("a CRL")));
        bytes.extend(element(CRL, &[0x30, 0x00]));
        bytes.extend(element(CERTIFICATE, &[0x30, 0x01, 0x00]));
        bytes.extend(element(0, &[]));
        assert!(looks_like(&bytes));
        let certs = read(&bytes).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].element, 4);
        assert_eq!(certs[0].friendly_name.as_deref(), Some("CAS01 OWA"));
        assert_eq!(certs[0].key_container.as_deref(), Some("te-WebServer-1234"));
        assert_eq!(certs[1].element, 7);
        assert_eq!(certs[1].friendly_name, None, "the CRL's name stays with it");
        assert_eq!(certs[1].key_container, None);
        assert!(certs[0].key_attached && !certs[1].key_attached);
        assert_eq!(certs[1].der, vec![0x30, 0x01, 0x00]);
    }

    #[test]
    fn a_hostile_friendly_name_is_bounded_and_visible() {
        let name: String = "\u{202E}x\u{7}".repeat(1000);
        let mut bytes = MAGIC.to_vec();
        bytes.extend(element(FRIENDLY_NAME, &utf16(&name)));
        bytes.extend(element(CERTIFICATE, &[0x30, 0x00]));
        let certs = read(&bytes).unwrap();
        let kept = certs[0].friendly_name.clone().unwrap();
        assert!(kept.chars().all(|c| c == 'x'), "{kept:?}");
        assert!(kept.len() <= MAX_NAME);
    }

    #[test]
    fn damage_is_named_by_element() {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(element(CERTIFICATE, &[0x30, 0x00]));
        bytes.extend(element(CERTIFICATE, &[0x30, 0x00]));
        let first_end = MAGIC.len() + 14;
        for cut in (MAGIC.len() + 1..bytes.len()).filter(|cut| *cut != first_end) {
            let e = read(&bytes[..cut]).unwrap_err();
            assert!(
                matches!(e, SstError::Damaged { .. } | SstError::Empty(_)),
                "{e:?}"
            );
        }
        let e = read(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(e.to_string().contains("element 2"), "{e}");
        assert_eq!(read(&MAGIC).unwrap_err(), SstError::Empty(0));
        assert!(!looks_like(b"CERT"));
    }
}
