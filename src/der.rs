//! The one reader of DER and BER element headers: tag, length, content. Every file format that
//! is ASN.1 underneath (certificates, PKCS#7, PKCS#12, names written as `#` hex in a DN) walks
//! its elements through here, over `asn1-rs` (already in the build through `x509-parser`), so
//! there is no hand-written length parser anywhere else.

use x509_parser::asn1_rs::{Any, Class, FromBer, FromDer, Tag};

/// One element: its header and content, and the bytes it took (header included).
#[derive(Debug, Clone, Copy)]
pub struct Element<'a> {
    pub class: Class,
    pub tag: Tag,
    pub constructed: bool,
    /// The content octets (for an indefinite length, without the end-of-contents marker).
    pub content: &'a [u8],
    /// The whole element, header included: a certificate's DER, for example.
    pub whole: &'a [u8],
}

impl<'a> Element<'a> {
    /// A universal SEQUENCE.
    pub fn is_sequence(&self) -> bool {
        self.class == Class::Universal && self.tag == Tag::Sequence && self.constructed
    }

    /// A context-specific `[n]` element.
    pub fn is_context(&self, n: u32) -> bool {
        self.class == Class::ContextSpecific && self.tag.0 == n
    }

    /// The elements inside a constructed element, in order.
    pub fn children(&self) -> Children<'a> {
        Children {
            rest: self.content,
            ber: true,
        }
    }

    /// The content as an OBJECT IDENTIFIER in dotted form, if it is one.
    pub fn oid(&self) -> Option<String> {
        if self.class != Class::Universal || self.tag != Tag::Oid {
            return None;
        }
        x509_parser::asn1_rs::Oid::new(std::borrow::Cow::Borrowed(self.content))
            .to_id_string()
            .into()
    }
}

/// Why bytes are not the element they should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    #[error("the bytes end inside an ASN.1 element")]
    Truncated,
    #[error("not a valid ASN.1 element ({0})")]
    Malformed(String),
    #[error("{0} bytes follow the ASN.1 element")]
    Trailing(usize),
}

fn split(bytes: &[u8], ber: bool) -> Result<(Element<'_>, &[u8]), DerError> {
    let parsed = if ber {
        Any::from_ber(bytes)
    } else {
        Any::from_der(bytes)
    };
    let (rest, any) = parsed.map_err(|e| match e {
        x509_parser::nom::Err::Incomplete(_) => DerError::Truncated,
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => {
            DerError::Malformed(e.to_string())
        }
    })?;
    let taken = bytes.len() - rest.len();
    let element = Element {
        class: any.header.class(),
        tag: any.header.tag(),
        constructed: any.header.is_constructed(),
        content: any.data,
        whole: &bytes[..taken],
    };
    Ok((element, rest))
}

/// The first DER element of `bytes`, and what follows it.
pub fn first(bytes: &[u8]) -> Result<(Element<'_>, &[u8]), DerError> {
    split(bytes, false)
}

/// One element that fills `bytes` exactly, in DER.
pub fn whole(bytes: &[u8]) -> Result<Element<'_>, DerError> {
    whole_in(bytes, false)
}

/// One element that fills `bytes` exactly, in BER (indefinite lengths allowed), as some
/// PKCS#7 writers produce.
pub fn whole_ber(bytes: &[u8]) -> Result<Element<'_>, DerError> {
    whole_in(bytes, true)
}

fn whole_in(bytes: &[u8], ber: bool) -> Result<Element<'_>, DerError> {
    match split(bytes, ber)? {
        (element, []) => Ok(element),
        (_, rest) => Err(DerError::Trailing(rest.len())),
    }
}

/// Whether `bytes` begin as a DER SEQUENCE of 128 bytes or more (a certificate, a PKCS #7
/// chain, a PKCS #12 file) and end before it does: a file cut short in copying. The long
/// length form (`30 81`..`30 84`) is required, which no text begins with (`0x81`..`0x84`
/// cannot follow `0` in UTF-8), so a text file that starts with `0` is never taken for one.
pub fn is_cut_short(bytes: &[u8]) -> bool {
    matches!(bytes, [0x30, 0x81..=0x84, ..]) && matches!(first(bytes), Err(DerError::Truncated))
}

/// Whether `bytes` are exactly one DER SEQUENCE: the outer shape of a certificate, a PKCS#7
/// or a PKCS#12 file.
pub fn is_sequence(bytes: &[u8]) -> bool {
    whole(bytes).is_ok_and(|e| e.is_sequence())
}

/// The elements inside a constructed element.
#[derive(Debug, Clone)]
pub struct Children<'a> {
    rest: &'a [u8],
    ber: bool,
}

impl<'a> Iterator for Children<'a> {
    type Item = Result<Element<'a>, DerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match split(self.rest, self.ber) {
            Ok((element, rest)) => {
                self.rest = rest;
                Some(Ok(element))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequence_must_fill_the_bytes() {
        assert!(is_sequence(&[0x30, 0x03, 0x02, 0x01, 0x03]));
        assert!(!is_sequence(&[0x30, 0x03, 0x02, 0x01, 0x03, 0x00]));
        assert!(!is_sequence(&[0x30, 0x04, 0x02, 0x01, 0x03]));
        assert!(!is_sequence(&[0x31, 0x00]));
        assert!(!is_sequence(&[]));
        assert_eq!(
            whole(&[0x30, 0x00, 0x05]).unwrap_err(),
            DerError::Trailing(1)
        );
    }

    #[test]
    fn long_form_lengths_and_children() {
        let mut bytes = vec![0x30, 0x81, 0x83, 0x04, 0x81, 0x80];
        bytes.extend([7u8; 0x80]);
        let outer = whole(&bytes).unwrap();
        assert!(outer.is_sequence());
        let children: Vec<_> = outer.children().collect::<Result<_, _>>().unwrap();
        assert_eq!(children.len(), 1);
        assert_eq!(children[0].tag, Tag::OctetString);
        assert_eq!(children[0].content.len(), 0x80);
        assert_eq!(children[0].whole.len(), 0x83);
    }

    #[test]
    fn indefinite_lengths_are_ber_only() {
        // SEQUENCE (indefinite) { INTEGER 3 } end-of-contents
        let bytes = [0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00];
        assert!(whole(&bytes).is_err());
        let outer = whole_ber(&bytes).unwrap();
        let inner: Vec<_> = outer.children().collect::<Result<_, _>>().unwrap();
        assert_eq!(inner.len(), 1);
        assert_eq!(inner[0].content, &[0x03]);
    }

    #[test]
    fn deep_indefinite_nesting_is_refused_not_a_stack_overflow() {
        let depth = 100_000;
        let mut bytes = [0x30, 0x80].repeat(depth);
        bytes.extend([0x00, 0x00].repeat(depth));
        assert!(whole_ber(&bytes).is_err());
    }

    #[test]
    fn object_identifiers_in_dotted_form() {
        let bytes = [
            0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
        ];
        assert_eq!(
            whole(&bytes).unwrap().oid().as_deref(),
            Some("1.2.840.113549.1.7.2")
        );
        assert_eq!(whole(&[0x02, 0x01, 0x03]).unwrap().oid(), None);
    }
}
