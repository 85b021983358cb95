//! Invisible characters that the Windows certificate dialog and web pages paste along with a
//! value. RTM compared the raw string, so one of these broke IM without anything visible in
//! the file; we remove them and say so (`hidden-characters`). The same characters, and
//! controls, are what must never reach a line of a generated script: bidirectional controls
//! reorder what a reviewer reads (CVE-2021-42574, "Trojan Source"), and line and paragraph
//! separators break a line where the script has none.

/// The characters removed, with the name a person can search for.
const INVISIBLE: &[(char, &str)] = &[
    ('\u{200E}', "LEFT-TO-RIGHT MARK"),
    ('\u{200F}', "RIGHT-TO-LEFT MARK"),
    ('\u{200B}', "ZERO WIDTH SPACE"),
    ('\u{200C}', "ZERO WIDTH NON-JOINER"),
    ('\u{200D}', "ZERO WIDTH JOINER"),
    ('\u{2060}', "WORD JOINER"),
    ('\u{202A}', "LEFT-TO-RIGHT EMBEDDING"),
    ('\u{202B}', "RIGHT-TO-LEFT EMBEDDING"),
    ('\u{202C}', "POP DIRECTIONAL FORMATTING"),
    ('\u{202D}', "LEFT-TO-RIGHT OVERRIDE"),
    ('\u{202E}', "RIGHT-TO-LEFT OVERRIDE"),
    ('\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE (BOM)"),
    ('\u{00A0}', "NO-BREAK SPACE"),
    ('\u{2028}', "LINE SEPARATOR"),
    ('\u{2029}', "PARAGRAPH SEPARATOR"),
    ('\u{2066}', "LEFT-TO-RIGHT ISOLATE"),
    ('\u{2067}', "RIGHT-TO-LEFT ISOLATE"),
    ('\u{2068}', "FIRST STRONG ISOLATE"),
    ('\u{2069}', "POP DIRECTIONAL ISOLATE"),
    ('\u{061C}', "ARABIC LETTER MARK"),
    ('\u{00AD}', "SOFT HYPHEN"),
];

/// Unicode's invisible format characters (general category Cf) and the line and paragraph
/// separators (Zl, Zp), as ranges: Unicode 15's `DerivedGeneralCategory.txt`. No crate in the
/// build has the category table; these ranges change rarely.
const FORMAT_RANGES: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2028}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// Whether `ch` is one of the invisible characters this module removes: a format character,
/// a line or paragraph separator, or a no-break space.
pub fn is_invisible(ch: char) -> bool {
    ch == '\u{00A0}'
        || FORMAT_RANGES
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&ch))
}

/// Control and invisible characters shown by their code point (`[U+000A]`, `[U+200E]`, as
/// the `hidden-characters` messages name them), so that a reviewer sees them in a comment,
/// the plan or a terminal; everything else as it is.
pub fn printable(text: &str) -> String {
    let hidden = |c: char| c.is_control() || is_invisible(c);
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if hidden(c) {
                format!("[U+{:04X}]", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Text from an input as a message quotes it: printable, and at most `max` characters, so
/// that a hostile 50 MB value does not become a 50 MB message (or two).
pub fn quoted(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return printable(text);
    }
    let head: String = text.chars().take(max).collect();
    format!("{}… ({count} characters)", printable(&head))
}

/// One removed character and where it was (character position, from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub ch: char,
    pub position: usize,
}

impl Removed {
    /// `U+200E LEFT-TO-RIGHT MARK at position 1`.
    pub fn describe(&self) -> String {
        let name = INVISIBLE
            .iter()
            .find(|(c, _)| *c == self.ch)
            .map_or("invisible character", |(_, n)| n);
        format!(
            "U+{:04X} {name} at position {}",
            u32::from(self.ch),
            self.position
        )
    }
}

/// The text without invisible characters, and what was removed. A no-break space between
/// visible characters becomes an ordinary space (it was meant as one); elsewhere it goes.
pub fn strip(text: &str) -> (String, Vec<Removed>) {
    strip_keeping_spaces(text, true)
}

/// The text without invisible characters, a no-break space included: for a DNS name, in
/// which no space can belong (`naocs\u{A0}.contoso.com` is `naocs.contoso.com`).
pub fn strip_from_name(text: &str) -> (String, Vec<Removed>) {
    strip_keeping_spaces(text, false)
}

fn strip_keeping_spaces(text: &str, spaces: bool) -> (String, Vec<Removed>) {
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    for (i, ch) in text.chars().enumerate() {
        if is_invisible(ch) {
            removed.push(Removed {
                ch,
                position: i + 1,
            });
            if spaces && ch == '\u{00A0}' {
                out.push(' ');
            }
        } else {
            out.push(ch);
        }
    }
    (out, removed)
}

/// One character for a message: `'@'` when it can be read as it is, else its code point
/// (`U+2019 (’)`, `U+0009`), so that an administrator can find it in an editor.
pub fn describe_char(ch: char) -> String {
    if ch.is_ascii_graphic() {
        format!("'{ch}'")
    } else if ch == ' ' {
        "a space".to_string()
    } else if ch.is_control() || is_invisible(ch) {
        format!("U+{:04X}", u32::from(ch))
    } else {
        format!("U+{:04X} ({ch})", u32::from(ch))
    }
}

/// All removals of a value, for one message.
pub fn describe_all(removed: &[Removed]) -> String {
    removed
        .iter()
        .map(Removed::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_and_reports_positions() {
        let (clean, removed) = strip("\u{200E}1f 5e\u{200B}dd");
        assert_eq!(clean, "1f 5edd");
        assert_eq!(removed.len(), 2);
        assert_eq!(
            removed[0].describe(),
            "U+200E LEFT-TO-RIGHT MARK at position 1"
        );
        assert_eq!(removed[1].position, 7);
    }

    #[test]
    fn no_break_space_becomes_a_space() {
        let (clean, removed) = strip("CN=ContosoCA,\u{00A0}DC=contoso");
        assert_eq!(clean, "CN=ContosoCA, DC=contoso");
        assert_eq!(removed.len(), 1);
    }

    #[test]
    fn no_break_space_goes_from_a_name() {
        let (clean, removed) = strip_from_name("naocs\u{00A0}.contoso.com\u{200E}");
        assert_eq!(clean, "naocs.contoso.com");
        assert_eq!(removed.len(), 2);
    }

    #[test]
    fn bidirectional_controls_and_separators_are_invisible() {
        for c in [
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{2028}',
            '\u{2029}',
            '\u{E0041}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
        for c in ['a', ' ', 'é', '東', '\u{2019}'] {
            assert!(!is_invisible(c), "{c}");
        }
        let (clean, removed) = strip("CAS01\\owa\u{202E} (Default\u{2028} Web Site)");
        assert_eq!(clean, "CAS01\\owa (Default Web Site)");
        assert_eq!(
            removed[0].describe(),
            "U+202E RIGHT-TO-LEFT OVERRIDE at position 10"
        );
    }

    #[test]
    fn quoted_values_are_bounded_and_printable() {
        assert_eq!(
            quoted("ocs\u{200E}.contoso.com", 100),
            "ocs[U+200E].contoso.com"
        );
        let long = "x".repeat(50_000);
        let q = quoted(&long, 80);
        assert!(q.len() < 120 && q.ends_with("(50000 characters)"), "{q}");
    }

    #[test]
    fn clean_text_is_unchanged() {
        let (clean, removed) = strip("naocs.contoso.com");
        assert_eq!(clean, "naocs.contoso.com");
        assert!(removed.is_empty());
    }
}
