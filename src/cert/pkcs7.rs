//! PKCS#7 certificate chains (`.p7b`, `.p7c`): what Windows' certificate export wizard writes
//! for "Cryptographic Message Syntax Standard - PKCS #7 Certificates", what
//! `Export-Certificate -Type P7B` writes, and what a Microsoft CA hands back for "Download
//! certificate chain". A `ContentInfo` holding `SignedData` with no signers, whose
//! `certificates` field is the chain (RFC 2315 §7, §9.1; RFC 5652 §3, §5.1):
//!
//! ```text
//! ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
//! SignedData  ::= SEQUENCE { version INTEGER, digestAlgorithms SET,
//!                            encapContentInfo SEQUENCE,
//!                            certificates [0] IMPLICIT SET OF CertificateChoices OPTIONAL,
//!                            crls [1] IMPLICIT ... OPTIONAL, signerInfos SET }
//! ```
//!
//! The walk is written over the one DER reader (`crate::der`) rather than with a CMS crate:
//! only the certificate list is wanted, and the RustCrypto `cms` crate would bring a second
//! DER stack (`der`, `x509-cert`, `spki`) into the build for four elements. BER with
//! indefinite lengths, which some writers use, is read too.

use crate::der::{self, Element};

/// `pkcs7-signedData`.
const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// Every PKCS#7 content type starts with this arc.
const PKCS7_ARC: &str = "1.2.840.113549.1.7.";

/// Why a PKCS#7 file gave no certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pkcs7Error {
    #[error(
        "it is PKCS#7 {0}, not a certificate chain: export the certificate again as \
         PKCS #7 (.p7b), DER (.cer) or Base-64 (PEM)"
    )]
    NotAChain(&'static str),
    #[error("the PKCS#7 chain holds no certificate")]
    Empty,
    #[error("the PKCS#7 file is damaged ({0}); export it again")]
    Damaged(String),
}

impl From<der::DerError> for Pkcs7Error {
    fn from(e: der::DerError) -> Self {
        Pkcs7Error::Damaged(e.to_string())
    }
}

/// The content type of a PKCS#7 `ContentInfo`, when `bytes` are one (DER or BER).
pub fn content_type(bytes: &[u8]) -> Option<String> {
    let outer = der::whole_ber(bytes).ok()?;
    if !outer.is_sequence() {
        return None;
    }
    let oid = outer.children().next()?.ok()?.oid()?;
    oid.starts_with(PKCS7_ARC).then_some(oid)
}

/// Whether `bytes` are a PKCS#7 `ContentInfo` of any content type.
pub fn looks_like(bytes: &[u8]) -> bool {
    content_type(bytes).is_some()
}

/// The DER of every certificate in the chain, in the file's order. Attribute certificates and
/// other `CertificateChoices` (never in a Windows chain) are passed over.
pub fn read(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Pkcs7Error> {
    let outer = der::whole_ber(bytes)?;
    if !outer.is_sequence() {
        return Err(Pkcs7Error::Damaged("it is not an ASN.1 SEQUENCE".into()));
    }
    let mut parts = outer.children();
    let kind = next(&mut parts, "contentType")?
        .oid()
        .ok_or_else(|| Pkcs7Error::Damaged("its content type is not an OID".into()))?;
    if kind != SIGNED_DATA {
        return Err(Pkcs7Error::NotAChain(content_name(&kind)));
    }
    let explicit = next(&mut parts, "content")?;
    if !explicit.is_context(0) {
        return Err(Pkcs7Error::Damaged("the content is not tagged [0]".into()));
    }
    let signed_data = explicit
        .children()
        .next()
        .ok_or_else(|| Pkcs7Error::Damaged("the content is empty".into()))??;
    let mut fields = signed_data.children();
    // version, digestAlgorithms, encapContentInfo
    for name in ["version", "digestAlgorithms", "contentInfo"] {
        next(&mut fields, name)?;
    }
    let mut certificates = Vec::new();
    for field in fields {
        let field = field?;
        if !field.is_context(0) {
            continue;
        }
        for choice in field.children() {
            let choice = choice?;
            if choice.is_sequence() {
                certificates.push(choice.whole.to_vec());
            }
        }
    }
    if certificates.is_empty() {
        return Err(Pkcs7Error::Empty);
    }
    Ok(certificates)
}

fn next<'a>(
    parts: &mut impl Iterator<Item = Result<Element<'a>, der::DerError>>,
    name: &str,
) -> Result<Element<'a>, Pkcs7Error> {
    parts
        .next()
        .ok_or_else(|| Pkcs7Error::Damaged(format!("its {name} is missing")))?
        .map_err(Pkcs7Error::from)
}

/// RFC 2315 §14's names for the other content types.
fn content_name(oid: &str) -> &'static str {
    match oid.strip_prefix(PKCS7_ARC) {
        Some("1") => "data",
        Some("3") => "enveloped data (an encrypted message)",
        Some("4") => "signed and enveloped data",
        Some("5") => "digested data",
        Some("6") => "encrypted data",
        _ => "of an unknown content type",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ContentInfo { signedData, [0] { SignedData { 1, {}, { data }, [0] { certs } } } }
    fn chain(certs: &[&[u8]]) -> Vec<u8> {
        let set: Vec<u8> = certs.concat();
        let mut signed = vec![0x02, 0x01, 0x01, 0x31, 0x00];
        signed.extend([
            0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
        ]);
        signed.extend(tlv(0xA0, &set));
        signed.extend([0x31, 0x00]);
        let mut info = vec![
            0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
        ];
        info.extend(tlv(0xA0, &tlv(0x30, &signed)));
        tlv(0x30, &info)
    }

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 0x80, "short form only in these tests");
        let mut out = vec![tag, content.len() as u8];
        out.extend(content);
        out
    }

    #[test]
    fn every_sequence_in_the_certificate_set_is_taken_in_order() {
        let a: &[u8] = &[0x30, 0x01, 0xAA];
        let b: &[u8] = &[0x30, 0x01, 0xBB];
        let attribute: &[u8] = &[0xA1, 0x01, 0xCC];
        let bytes = chain(&[a, attribute, b]);
        assert!(looks_like(&bytes));
        assert_eq!(read(&bytes).unwrap(), vec![a.to_vec(), b.to_vec()]);
    }

    #[test]
    fn an_empty_chain_and_other_content_types_say_what_they_are() {
        assert_eq!(read(&chain(&[])).unwrap_err(), Pkcs7Error::Empty);
        let mut enveloped = chain(&[&[0x30, 0x00]]);
        enveloped[12] = 0x03;
        assert_eq!(
            read(&enveloped).unwrap_err(),
            Pkcs7Error::NotAChain("enveloped data (an encrypted message)")
        );
    }

    #[test]
    fn deep_indefinite_nesting_is_refused_not_a_stack_overflow() {
        let depth = 100_000;
        let mut bytes = [0x30, 0x80].repeat(depth);
        bytes.extend([0x00, 0x00].repeat(depth));
        assert!(read(&bytes).is_err());
    }

    #[test]
    fn damage_is_damage_not_a_panic() {
        let bytes = chain(&[&[0x30, 0x01, 0xAA]]);
        for cut in 0..bytes.len() {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(!looks_like(&[0x30, 0x03, 0x02, 0x01, 0x03]));
    }
}
