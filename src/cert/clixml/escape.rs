//! The `_xHHHH_` escapes of CLIXML text and property names (MS-PSRP 2.2.5.3.2): how
//! PowerShell writes a character that XML cannot carry, or an underscore that would start one.

/// Decodes the `_xHHHH_` escapes of MS-PSRP 2.2.5.3.2: each is one UTF-16 code unit, and a
/// character outside the BMP comes as two. A malformed escape, or a surrogate without its
/// pair, stays as written rather than being replaced by a guess.
pub(super) fn decode_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match escaped_char(rest) {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('_');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character at the start of `text` if it begins with a complete escape (one, or a
/// surrogate pair of two), and how many bytes the escape takes.
fn escaped_char(text: &str) -> Option<(char, usize)> {
    let first = code_unit(text)?;
    if let Some(c) = char::from_u32(u32::from(first)) {
        return Some((c, ESCAPE_LEN));
    }
    let second = code_unit(text.get(ESCAPE_LEN..)?)?;
    let c = char::decode_utf16([first, second]).next()?.ok()?;
    Some((c, 2 * ESCAPE_LEN))
}

/// `_xHHHH_` is always seven bytes: no short forms are written.
const ESCAPE_LEN: usize = 7;

/// The code unit of an escape at the start of `text`.
fn code_unit(text: &str) -> Option<u16> {
    let escape = text.get(..ESCAPE_LEN)?.as_bytes();
    let hex = match escape {
        [b'_', b'x', hex @ .., b'_'] => hex,
        _ => return None,
    };
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_decoding_edge_cases() {
        assert_eq!(decode_escapes(""), "");
        assert_eq!(decode_escapes("_x"), "_x");
        assert_eq!(decode_escapes("_x0041_"), "A");
        assert_eq!(decode_escapes("__x0041_"), "_A");
        assert_eq!(decode_escapes("_xD83D_x"), "_xD83D_x");
        assert_eq!(decode_escapes("_xD83D__x0041_"), "_xD83D_A");
        assert_eq!(decode_escapes("é_x00E9_東"), "éé東");
        assert_eq!(decode_escapes("_x00é"), "_x00é");
    }
}
