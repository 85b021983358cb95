//! Invisible characters that the Windows certificate dialog and web pages paste along with a
//! value. RTM compared the raw string, so one of these broke IM without anything visible in
//! the file; we remove them and say so (`hidden-characters`).

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
];

/// Whether `ch` is one of the invisible characters this module removes.
pub fn is_invisible(ch: char) -> bool {
    INVISIBLE.iter().any(|(c, _)| *c == ch)
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
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    for (i, ch) in text.chars().enumerate() {
        if is_invisible(ch) {
            removed.push(Removed {
                ch,
                position: i + 1,
            });
            if ch == '\u{00A0}' {
                out.push(' ');
            }
        } else {
            out.push(ch);
        }
    }
    (out, removed)
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
    fn clean_text_is_unchanged() {
        let (clean, removed) = strip("naocs.contoso.com");
        assert_eq!(clean, "naocs.contoso.com");
        assert!(removed.is_empty());
    }
}
