//! Turns the bytes of a web.config into text.
//!
//! quick-xml reads UTF-8 only, while Notepad's "Unicode" writes UTF-16 LE with a BOM, so
//! UTF-16 is transcoded first (by `encoding_rs`). Plain UTF-8 is borrowed, not copied.

use std::borrow::Cow;

use encoding_rs::{UTF_16BE, UTF_16LE};

/// The encoding a file was found in, for messages and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16 LE",
            TextEncoding::Utf16Be => "UTF-16 BE",
        }
    }
}

/// Why the bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "the file is not valid {encoding}: line {line} has a byte that is not (byte offset \
         {offset}), as when a character was saved in an ANSI code page such as Windows-1252; \
         the file is not read, and not changed: check that the collection copied it \
         unchanged (collect it again), and look at that line on the server"
    )]
    Invalid {
        encoding: &'static str,
        offset: usize,
        /// The line the offset is on, from 1.
        line: usize,
    },
}

/// Decodes `bytes` by their byte-order mark, or by the `<?` pattern of a BOM-less UTF-16
/// file, or else as UTF-8.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, TextEncoding), DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest, TextEncoding::Utf8Bom, 3),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, TextEncoding::Utf16Le, 2),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, TextEncoding::Utf16Be, 2),
        [b'<', 0, _, 0, ..] => utf16(bytes, TextEncoding::Utf16Le, 0),
        [0, b'<', 0, _, ..] => utf16(bytes, TextEncoding::Utf16Be, 0),
        _ => utf8(bytes, TextEncoding::Utf8, 0),
    }
}

fn utf8(
    bytes: &[u8],
    encoding: TextEncoding,
    bom: usize,
) -> Result<(Cow<'_, str>, TextEncoding), DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((Cow::Borrowed(text), encoding)),
        Err(e) => Err(DecodeError::Invalid {
            encoding: "UTF-8",
            offset: bom + e.valid_up_to(),
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
        }),
    }
}

fn utf16(
    bytes: &[u8],
    encoding: TextEncoding,
    bom: usize,
) -> Result<(Cow<'_, str>, TextEncoding), DecodeError> {
    let codec = if encoding == TextEncoding::Utf16Le {
        UTF_16LE
    } else {
        UTF_16BE
    };
    // An odd length or an unpaired surrogate means the file is damaged: refuse it rather than
    // guess, since the values we read from it end up in a production change.
    match codec.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) if bytes.len() % 2 == 0 => Ok((text, encoding)),
        _ => {
            let offset = first_bad_utf16_offset(bytes, encoding);
            let line_feed = match encoding {
                TextEncoding::Utf16Be => [0, b'\n'],
                _ => [b'\n', 0],
            };
            let line = 1 + bytes[..offset.min(bytes.len())]
                .chunks_exact(2)
                .filter(|unit| *unit == line_feed)
                .count();
            Err(DecodeError::Invalid {
                encoding: encoding.label(),
                offset: bom + offset,
                line,
            })
        }
    }
}

fn first_bad_utf16_offset(bytes: &[u8], encoding: TextEncoding) -> usize {
    let units = bytes.chunks_exact(2).map(|pair| match encoding {
        TextEncoding::Utf16Be => u16::from_be_bytes([pair[0], pair[1]]),
        _ => u16::from_le_bytes([pair[0], pair[1]]),
    });
    let mut offset = 0;
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => offset += c.len_utf16() * 2,
            Err(_) => return offset,
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        out
    }

    fn utf16be(text: &str) -> Vec<u8> {
        let mut out = vec![0xFE, 0xFF];
        out.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
        out
    }

    #[test]
    fn plain_utf8_is_borrowed() {
        let (text, enc) = decode(b"<configuration/>").unwrap();
        assert!(matches!(text, Cow::Borrowed(_)));
        assert_eq!(enc, TextEncoding::Utf8);
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let (text, enc) = decode(b"\xEF\xBB\xBF<a>Z\xC3\xBCrich</a>").unwrap();
        assert_eq!(text, "<a>Zürich</a>");
        assert_eq!(enc, TextEncoding::Utf8Bom);
    }

    #[test]
    fn utf16_le_and_be_with_bom() {
        let bytes = utf16le("<a>東京</a>", true);
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!((text.as_ref(), enc), ("<a>東京</a>", TextEncoding::Utf16Le));
        let bytes = utf16be("<a>é</a>");
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!((text.as_ref(), enc), ("<a>é</a>", TextEncoding::Utf16Be));
    }

    #[test]
    fn utf16_le_without_bom_is_sniffed() {
        let bytes = utf16le("<?xml version=\"1.0\"?><a/>", false);
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!(enc, TextEncoding::Utf16Le);
        assert!(text.starts_with("<?xml"));
    }

    #[test]
    fn invalid_bytes_are_refused_with_offset() {
        let err = decode(b"<a>\xFF</a>").unwrap_err();
        assert_eq!(
            err,
            DecodeError::Invalid {
                encoding: "UTF-8",
                offset: 3,
                line: 1
            }
        );
        // A Windows-1252 'é' in a comment on line 3: said by line, not only by offset.
        let err = decode(b"<a>\r\n<!-- ok -->\r\n<!-- caf\xE9 --></a>").unwrap_err();
        assert!(
            matches!(err, DecodeError::Invalid { line: 3, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(
            !err.to_string().contains("Notepad"),
            "the evidence is never edited"
        );
        let mut odd = utf16le("<a/>", true);
        odd.push(0x41);
        assert!(matches!(decode(&odd), Err(DecodeError::Invalid { .. })));
        // An unpaired high surrogate.
        let mut bad = vec![0xFF, 0xFE, b'<', 0];
        bad.extend([0x00, 0xD8, b'a', 0]);
        assert_eq!(
            decode(&bad).unwrap_err(),
            DecodeError::Invalid {
                encoding: "UTF-16 LE",
                offset: 4,
                line: 1
            }
        );
    }

    #[test]
    fn empty_is_an_error() {
        assert_eq!(decode(b"").unwrap_err(), DecodeError::Empty);
    }
}
