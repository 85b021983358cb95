//! PKCS#12 (`.pfx`, `.p12`) files as Windows exports them: the certificate Exchange uses, its
//! private key (whose presence this proves) and often the issuing CA chain. Legacy
//! (RC2-40/3DES, Windows 2008) and modern (AES-256/PBKDF2) encryption are both read by
//! `p12-keystore`.

use std::collections::HashSet;

use p12_keystore::error::Error as P12Error;
use p12_keystore::Pkcs12Archive;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Why a PKCS#12 file gave no certificates. Passwords never appear in these messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pkcs12Error {
    #[error(
        "the PKCS#12 file is protected by a password and none was given: set \
         OWA_IM_MIGRATE_PFX_PASSWORD, or run in a terminal to be asked"
    )]
    NoPassword,
    #[error(
        "wrong password for this PKCS#12 file: set OWA_IM_MIGRATE_PFX_PASSWORD to the password \
         it was exported with. A run tries one password on every .pfx; for one exported with \
         another, give its certificate alone instead (export it as .cer: the key is not needed \
         to find its thumbprint)"
    )]
    WrongPassword,
    #[error("the PKCS#12 file is damaged or not PKCS#12 ({0}); export it again")]
    Damaged(String),
    /// p12-keystore refuses more than 1,000,000 MAC or key-derivation iterations (or an
    /// scrypt cost beyond its limits), so that a crafted file cannot keep the run busy for
    /// hours; it says so with `InvalidParameters`, which it also uses for absent parameters.
    #[error(
        "the PKCS#12 file asks for more than 1,000,000 MAC or key-derivation iterations, far \
         more than any Windows export uses, or its encryption parameters are missing; it is \
         not opened: export the certificate again from Windows"
    )]
    BeyondLimits,
}

/// One certificate of the file, and what the file says of its private key: `Some(true)` when
/// the key is in the file, `Some(false)` for an end-entity certificate exported without it,
/// `None` for a CA certificate of the chain (its key is not expected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs12Certificate {
    pub der: Vec<u8>,
    pub has_private_key: Option<bool>,
}

/// Opens the file with each password in turn (the empty one is tried last: Windows can
/// export without a password).
pub fn read(bytes: &[u8], passwords: &[String]) -> Result<Vec<Pkcs12Certificate>, Pkcs12Error> {
    let empty = String::new();
    let mut wrong = false;
    for password in passwords.iter().chain(std::iter::once(&empty)) {
        match Pkcs12Archive::from_pkcs12(bytes, password) {
            Ok(archive) => return Ok(certificates(&archive)),
            Err(P12Error::MacError(_)) => wrong = true,
            Err(e) if is_decryption_failure(&e) => wrong = true,
            Err(P12Error::InvalidParameters) => return Err(Pkcs12Error::BeyondLimits),
            Err(e) => return Err(Pkcs12Error::Damaged(e.to_string())),
        }
    }
    if wrong && passwords.is_empty() {
        Err(Pkcs12Error::NoPassword)
    } else {
        Err(Pkcs12Error::WrongPassword)
    }
}

/// A wrong password shows as a MAC failure, or (without a MAC) as bad padding.
fn is_decryption_failure(e: &P12Error) -> bool {
    matches!(e, P12Error::UnpadError | P12Error::InvalidPrivateKey)
}

fn certificates(archive: &Pkcs12Archive) -> Vec<Pkcs12Certificate> {
    let key_ids: HashSet<&[u8]> = archive
        .keys
        .iter()
        .filter_map(|k| k.local_key_id.as_ref().map(|id| id.0.as_slice()))
        .collect();
    // Some exports link key and certificate by no local key ID: one key then belongs to the
    // end-entity certificate.
    let unlinked_key = !archive.keys.is_empty()
        && !archive.certs.iter().any(|c| {
            c.local_key_id
                .as_deref()
                .is_some_and(|id| key_ids.contains(id))
        });
    archive
        .certs
        .iter()
        .map(|bag| {
            let der = bag.cert.as_der().to_vec();
            let linked = bag
                .local_key_id
                .as_deref()
                .is_some_and(|id| key_ids.contains(id));
            let has_private_key = match (linked, is_ca(&der)) {
                (true, _) => Some(true),
                (false, true) => None,
                (false, false) => Some(unlinked_key),
            };
            Pkcs12Certificate {
                der,
                has_private_key,
            }
        })
        .collect()
}

fn is_ca(der: &[u8]) -> bool {
    X509Certificate::from_der(der).is_ok_and(|(_, c)| c.is_ca())
}

/// Whether bytes are worth trying as PKCS#12: a DER SEQUENCE whose first element is the
/// INTEGER 3 (PFX version 3).
pub fn looks_like(bytes: &[u8]) -> bool {
    let Ok((outer, _)) = crate::der::first(bytes) else {
        return false;
    };
    outer.is_sequence()
        && outer.children().next().is_some_and(|version| {
            version.is_ok_and(|v| v.tag == x509_parser::asn1_rs::Tag::Integer && v.content == [3])
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_pfx_version_header() {
        assert!(looks_like(&[0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00]));
        assert!(looks_like(&[0x30, 0x03, 0x02, 0x01, 0x03]));
        // An X.509 certificate starts SEQUENCE, SEQUENCE.
        assert!(!looks_like(&[0x30, 0x04, 0x30, 0x02, 0x02, 0x00]));
        // A truncated file is not recognised by content (its extension still says .pfx).
        assert!(!looks_like(&[
            0x30, 0x82, 0x0A, 0x10, 0x02, 0x01, 0x03, 0x30
        ]));
        assert!(!looks_like(&[]));
        assert!(!looks_like(&[0x30]));
    }

    #[test]
    fn garbage_is_damaged_not_a_panic() {
        let e = read(&[0x30, 0x03, 0x02, 0x01, 0x03], &["x".into()]).unwrap_err();
        assert!(matches!(e, Pkcs12Error::Damaged(_)), "{e:?}");
    }
}
