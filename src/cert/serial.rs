//! Certificate serial numbers as administrators wrote them.
//!
//! RTM wanted `"1F 5E DD ..."`; people pasted colons, dashes, lower case, a `00` sign byte,
//! or the little-endian order of .NET's `GetSerialNumber()`. A serial is an unsigned
//! integer, so we compare integers, not strings.

use std::fmt;

/// An unsigned serial number: big-endian bytes without leading zero bytes (zero is `[0]`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serial(Vec<u8>);

/// Why a serial was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("the serial number is empty")]
    Empty,
    #[error(
        "'{ch}' at position {position} is not a hexadecimal digit; write the serial as hex \
         digits, optionally separated by spaces, colons or dashes (1F 5E DD ...)"
    )]
    NotHex { ch: char, position: usize },
}

impl Serial {
    /// From the bytes of a DER INTEGER (which may carry a `00` sign byte).
    pub fn from_be_bytes(bytes: &[u8]) -> Serial {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        match &bytes[start..] {
            [] => Serial(vec![0]),
            rest => Serial(rest.to_vec()),
        }
    }

    /// Parses hex digits with any of: spaces, tabs, colons, dashes; either case; a `0x`
    /// prefix. Invisible characters must have been removed already (see `hidden`).
    pub fn parse(text: &str) -> Result<Serial, SerialError> {
        let body = text.trim();
        let body = body
            .strip_prefix("0x")
            .or_else(|| body.strip_prefix("0X"))
            .unwrap_or(body);
        let mut digits = Vec::with_capacity(body.len());
        for (i, ch) in body.chars().enumerate() {
            match ch {
                ' ' | '\t' | ':' | '-' => {}
                _ => match ch.to_digit(16) {
                    Some(d) => digits.push(d as u8),
                    None => {
                        return Err(SerialError::NotHex {
                            ch,
                            position: i + 1,
                        })
                    }
                },
            }
        }
        if digits.is_empty() {
            return Err(SerialError::Empty);
        }
        Ok(Serial::from_be_bytes(&pack(&digits)))
    }

    /// The serial, and the same digits in the opposite byte order (for `serial-byte-order`).
    pub fn parse_both_orders(text: &str) -> Result<(Serial, Serial), SerialError> {
        Ok((Serial::parse(text)?, Serial::parse_reversed(text)?))
    }

    /// The same digits read in the opposite byte order (`GetSerialNumber()` is little-endian).
    /// Byte groups are taken from the written text, so `5 00` reverses to `00 05`.
    pub fn parse_reversed(text: &str) -> Result<Serial, SerialError> {
        let forward = Serial::parse(text)?;
        let body = text.trim();
        let body = body
            .strip_prefix("0x")
            .or_else(|| body.strip_prefix("0X"))
            .unwrap_or(body);
        let digits: usize = body.chars().filter(char::is_ascii_hexdigit).count();
        // Keep the leading zero bytes the writer typed: they become trailing bytes reversed.
        let mut bytes = vec![0u8; digits.div_ceil(2).saturating_sub(forward.0.len())];
        bytes.extend_from_slice(&forward.0);
        bytes.reverse();
        Ok(Serial::from_be_bytes(&bytes))
    }

    /// Upper-case hex, two digits a byte, no separators (`1F5EDD03000000000005`).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// Hex digit distance used to suggest near misses (a mistyped or truncated serial), or
    /// `None` when the two are further apart than `limit` by length alone or longer than any
    /// real serial (RFC 5280: 20 bytes): the edit distance is quadratic in the length, and a
    /// hostile megabyte-long "serial" must not make every look-up slow.
    pub fn distance(&self, other: &Serial, limit: usize) -> Option<usize> {
        const LONGEST: usize = 64;
        let (a, b) = (self.0.len() * 2, other.0.len() * 2);
        if a > LONGEST || b > LONGEST || a.abs_diff(b) > limit {
            return None;
        }
        Some(strsim::levenshtein(&self.to_hex(), &other.to_hex())).filter(|d| *d <= limit)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Nibbles -> bytes, right-aligned (an odd count gets a leading zero nibble).
fn pack(digits: &[u8]) -> Vec<u8> {
    let mut padded = Vec::with_capacity(digits.len() + 1);
    if digits.len() % 2 == 1 {
        padded.push(0);
    }
    padded.extend_from_slice(digits);
    padded.chunks_exact(2).map(|p| (p[0] << 4) | p[1]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> String {
        Serial::parse(text)
            .map(|s| s.to_hex())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn every_written_form_is_the_same_integer() {
        let expected = "1F5EDD03000000000005";
        for form in [
            "1F 5E DD 03 00 00 00 00 00 05",
            "1f5edd03000000000005",
            "1f:5e:dd:03:00:00:00:00:00:05",
            "1F-5E-DD-03-00-00-00-00-00-05",
            "00 1F 5E DD 03 00 00 00 00 00 05",
            "0000 1F5EDD03000000000005",
            "  1F 5E DD 03 00 00 00 00 00 05\t",
            "0x1F5EDD03000000000005",
        ] {
            assert_eq!(hex(form), expected, "{form}");
        }
    }

    #[test]
    fn der_sign_byte_is_ignored() {
        assert_eq!(Serial::from_be_bytes(&[0, 0x9A, 0x12]).to_hex(), "9A12");
        assert_eq!(
            Serial::parse("9a 12").unwrap(),
            Serial::from_be_bytes(&[0, 0x9A, 0x12])
        );
        assert_eq!(Serial::from_be_bytes(&[0, 0]).to_hex(), "00");
    }

    #[test]
    fn odd_digit_counts_are_right_aligned() {
        assert_eq!(hex("F5E"), "0F5E");
    }

    #[test]
    fn non_hex_is_refused_with_position() {
        assert_eq!(
            Serial::parse("1F 5G").unwrap_err(),
            SerialError::NotHex {
                ch: 'G',
                position: 5
            }
        );
        assert_eq!(Serial::parse(" : - ").unwrap_err(), SerialError::Empty);
        assert!(matches!(
            Serial::parse("1F\u{200E}5E"),
            Err(SerialError::NotHex { .. })
        ));
    }

    #[test]
    fn reversed_byte_order() {
        let r = Serial::parse_reversed("05 00 00 00 00 00 03 DD 5E 1F").unwrap();
        assert_eq!(r.to_hex(), "1F5EDD03000000000005");
        // GetSerialNumber() of a serial with a sign byte ends in 00.
        let r = Serial::parse_reversed("06 00 00 00 00 00 E7 C4 12 9A 00").unwrap();
        assert_eq!(r.to_hex(), "9A12C4E7000000000006");
        // A 0x prefix is not a digit of the number.
        assert_eq!(Serial::parse_reversed("0x0501").unwrap().to_hex(), "0105");
    }

    #[test]
    fn distance_counts_hex_edits() {
        let a = Serial::parse("1F5EDD03000000000005").unwrap();
        let b = Serial::parse("1F5EDD03000000000006").unwrap();
        let c = Serial::parse("1F5EDD030000000000").unwrap();
        assert_eq!(a.distance(&b, 3), Some(1));
        assert_eq!(a.distance(&c, 3), Some(2));
        assert_eq!(a.distance(&a, 3), Some(0));
        assert_eq!(a.distance(&c, 1), None);
        let huge = Serial::parse(&"AB".repeat(100_000)).unwrap();
        assert_eq!(huge.distance(&a, 3), None);
    }
}
