//! The SHA-1 thumbprint SP1 wants in `-InstantMessagingCertificateThumbprint`.

use std::fmt;

use serde::Serialize;
use sha1::{Digest, Sha1};

/// SHA-1 over a certificate's DER bytes; shown as .NET prints it: 40 upper-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Thumbprint([u8; 20]);

impl Thumbprint {
    pub fn of_der(der: &[u8]) -> Thumbprint {
        Thumbprint(Sha1::digest(der).into())
    }

    /// Exactly 40 hex digits (either case), nothing else. Exported thumbprint strings are
    /// untrusted text: invisible characters must have been removed before.
    pub fn parse(text: &str) -> Option<Thumbprint> {
        let text = text.trim();
        if text.len() != 40 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut out = [0u8; 20];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Thumbprint(out))
    }
}

impl fmt::Display for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

impl fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Thumbprint({self})")
    }
}

impl Serialize for Thumbprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sha1_vectors() {
        // FIPS 180 test vector: SHA-1("abc").
        assert_eq!(
            Thumbprint::of_der(b"abc").to_string(),
            "A9993E364706816ABA3E25717850C26C9CD0D89D"
        );
    }

    #[test]
    fn parse_round_trips_and_refuses_junk() {
        let t = Thumbprint::parse("a9993e364706816aba3e25717850c26c9cd0d89d").unwrap();
        assert_eq!(t, Thumbprint::of_der(b"abc"));
        assert!(Thumbprint::parse("A9993E36").is_none());
        assert!(Thumbprint::parse("G9993E364706816ABA3E25717850C26C9CD0D89D").is_none());
        assert!(Thumbprint::parse("a9 99 3e 36 47 06 81 6a ba 3e 25 71 78 50 c2 6c").is_none());
        assert!(Thumbprint::parse("é9993E364706816ABA3E25717850C26C9CD0D89").is_none());
    }
}
