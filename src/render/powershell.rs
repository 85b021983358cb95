//! Escaping of input-file values into PowerShell source text.
//!
//! Every value read from an input file (server names, virtual directory
//! identities, certificate thumbprints, ...) reaches a generated script only
//! through [`single_quoted`]. A single-quoted literal is the one PowerShell
//! string form that expands nothing: `$`, `` ` ``, `$(...)`, `;`, `|`, `#` and
//! double quotes are all plain text inside it, so the only characters that need
//! care are the ones that can end the literal.

/// Why a value cannot be written into a script as a literal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiteralError {
    /// The value contains a C0 or C1 control character (Unicode category Cc).
    ///
    /// None of the settings we migrate can legitimately contain one, and a
    /// newline or carriage return inside a literal would split it across lines
    /// so that a reviewer reading the script could no longer see where the
    /// value ends.
    #[error(
        "contains control character U+{codepoint:04X} at position {position}; \
         remove it from the input file"
    )]
    ControlCharacter {
        /// The offending code point, e.g. `0x0A` for a line feed.
        codepoint: u32,
        /// 1-based position of the character within the value, counted in
        /// characters (not bytes) so it matches what an editor shows.
        position: usize,
    },
    /// The value contains an invisible character: a bidirectional control that reorders
    /// what a reviewer reads, a line or paragraph separator that breaks the line in some
    /// editors, a zero-width or other format character (see `crate::hidden`). The readers
    /// remove these from every input with a `hidden-characters` warning; one that still
    /// arrives here is refused rather than written.
    #[error(
        "contains the invisible character U+{codepoint:04X} at position {position}; \
         remove it from the input file"
    )]
    InvisibleCharacter { codepoint: u32, position: usize },
}

/// The characters PowerShell's tokenizer treats as a single quote.
///
/// Besides the ASCII apostrophe, PowerShell accepts the typographic single
/// quotes that word processors substitute (U+2018 LEFT, U+2019 RIGHT,
/// U+201A LOW-9 and U+201B HIGH-REVERSED-9). Any of them, unpaired, ends a
/// single-quoted literal, so a value such as `O’Brien` copied from a document
/// would otherwise terminate the string early and turn the rest of the value
/// into code.
const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// Whether `c` is one of the five characters PowerShell treats as a single quote.
pub fn is_single_quote(c: char) -> bool {
    SINGLE_QUOTES.contains(&c)
}

/// The value as a PowerShell single-quoted string literal, e.g. `O'Brien` -> `'O''Brien'`.
///
/// Inside a single-quoted literal PowerShell reads two consecutive quote
/// characters (any of the five in [`is_single_quote`]) as one literal copy of
/// the second, and a lone one as the end of the string. Doubling every quote
/// character as itself therefore keeps the literal open and yields exactly the
/// original value at run time. The literal is always opened and closed with
/// the ASCII apostrophe so reviewers see a conventional string.
///
/// # Errors
///
/// [`LiteralError::ControlCharacter`] if the value contains any character in
/// U+0000–U+001F or U+007F–U+009F, [`LiteralError::InvisibleCharacter`] for a format
/// character, a line or paragraph separator or a no-break space; the first such character
/// is reported.
pub fn single_quoted(value: &str) -> Result<String, LiteralError> {
    // Almost every value is printable ASCII without a quote, where no character is a
    // control, invisible or a quote: wrapped as it is, without looking at each character
    // (a run of 1,000 servers quotes some 50,000 values).
    if value
        .bytes()
        .all(|b| matches!(b, b' '..=b'~') && b != b'\'')
    {
        return Ok(format!("'{value}'"));
    }
    quoted_by_character(value)
}

/// [`single_quoted`], one character at a time.
fn quoted_by_character(value: &str) -> Result<String, LiteralError> {
    // Two opening/closing quotes plus a little room for doubled quotes.
    let mut literal = String::with_capacity(value.len() + 4);
    literal.push('\'');
    for (index, c) in value.chars().enumerate() {
        // `char::is_control` is exactly Unicode category Cc, i.e. the two
        // ranges U+0000–U+001F and U+007F–U+009F.
        if c.is_control() {
            return Err(LiteralError::ControlCharacter {
                codepoint: u32::from(c),
                position: index + 1,
            });
        }
        if crate::hidden::is_invisible(c) {
            return Err(LiteralError::InvisibleCharacter {
                codepoint: u32::from(c),
                position: index + 1,
            });
        }
        if is_single_quote(c) {
            literal.push(c);
        }
        literal.push(c);
    }
    literal.push('\'');
    Ok(literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The ASCII shortcut writes what the character-by-character path writes, for
        /// values of printable ASCII, quotes, controls and invisible characters.
        #[test]
        fn the_shortcut_quotes_as_each_character_does(
            value in "[ -~\u{0}-\u{1f}\u{7f}\u{a0}\u{200b}\u{2018}\u{2019}\u{e9}]{0,24}",
        ) {
            proptest::prop_assert_eq!(single_quoted(&value), quoted_by_character(&value));
        }
    }

    #[test]
    fn plain_value_is_wrapped() {
        assert_eq!(single_quoted("CAS01").unwrap(), "'CAS01'");
    }

    #[test]
    fn empty_value_is_an_empty_literal() {
        assert_eq!(single_quoted("").unwrap(), "''");
    }

    #[test]
    fn apostrophe_is_doubled() {
        assert_eq!(single_quoted("O'Brien").unwrap(), "'O''Brien'");
        assert_eq!(single_quoted("'").unwrap(), "''''");
    }

    #[test]
    fn each_unicode_single_quote_is_doubled_as_itself() {
        for q in ['\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'] {
            let expected = format!("'a{q}{q}b'");
            assert_eq!(single_quoted(&format!("a{q}b")).unwrap(), expected);
        }
    }

    #[test]
    fn mixed_quotes_are_doubled_independently() {
        assert_eq!(
            single_quoted("'\u{2019}'").unwrap(),
            "'''\u{2019}\u{2019}'''"
        );
    }

    #[test]
    fn expansion_syntax_is_left_as_text() {
        assert_eq!(
            single_quoted("$env:PATH `n $(Remove-Item C:\\) \"x\" @'").unwrap(),
            "'$env:PATH `n $(Remove-Item C:\\) \"x\" @'''"
        );
    }

    #[test]
    fn unicode_double_quotes_are_not_doubled() {
        assert_eq!(
            single_quoted("\u{201C}x\u{201D}\u{201E}").unwrap(),
            "'\u{201C}x\u{201D}\u{201E}'"
        );
    }

    #[test]
    fn non_ascii_letters_pass_through() {
        assert_eq!(single_quoted("Zürich-Ωmega").unwrap(), "'Zürich-Ωmega'");
    }

    #[test]
    fn line_feed_is_rejected_with_its_position() {
        let err = single_quoted("CAS0\n1").unwrap_err();
        assert_eq!(
            err,
            LiteralError::ControlCharacter {
                codepoint: 0x0A,
                position: 5
            }
        );
        assert_eq!(
            err.to_string(),
            "contains control character U+000A at position 5; remove it from the input file"
        );
    }

    #[test]
    fn position_counts_characters_not_bytes() {
        let err = single_quoted("ää\r").unwrap_err();
        assert_eq!(
            err,
            LiteralError::ControlCharacter {
                codepoint: 0x0D,
                position: 3
            }
        );
    }

    #[test]
    fn first_control_character_is_reported() {
        let err = single_quoted("a\u{7F}b\u{0}").unwrap_err();
        assert_eq!(
            err,
            LiteralError::ControlCharacter {
                codepoint: 0x7F,
                position: 2
            }
        );
    }

    #[test]
    fn boundaries_of_both_control_ranges() {
        for c in ['\u{0}', '\u{1F}', '\u{7F}', '\u{9F}'] {
            assert!(single_quoted(&c.to_string()).is_err(), "U+{:04X}", c as u32);
        }
        for c in [' ', '~', '\u{A1}', '\u{2027}', '\u{202F}'] {
            assert!(single_quoted(&c.to_string()).is_ok(), "U+{:04X}", c as u32);
        }
        // Past the control ranges, the invisible ones (a separator, a no-break space).
        for c in ['\u{A0}', '\u{2028}', '\u{2029}'] {
            assert!(
                matches!(
                    single_quoted(&c.to_string()),
                    Err(LiteralError::InvisibleCharacter { .. })
                ),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn error_message_formats_c1_codepoint_with_four_digits() {
        let err = single_quoted("\u{85}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "contains control character U+0085 at position 1; remove it from the input file"
        );
    }
}
