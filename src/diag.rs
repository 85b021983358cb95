//! Diagnostics: the one currency every stage of the pipeline pays in.
//!
//! Expected problems in the input (a malformed web.config, a certificate that cannot be
//! found) are `Diagnostic`s, never `Error`s: the run goes on and the report says what
//! happened. Codes are part of the interface (SPEC §4): the report, the tests and the
//! documentation all use them, so they never change once published.

use std::fmt;

use serde::Serialize;

/// How bad a diagnostic is. Ordered, so `max()` gives the worst of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($($variant:ident => $text:literal, $severity:ident;)*) => {
        /// The stable diagnostic codes of SPEC §4.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order of the SPEC table (for documentation and tests).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as it appears in the report, e.g. `cert-not-found`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// The severity the SPEC gives this code before `--strict` or `--domain` adjust it.
            pub fn default_severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }
        }
    };
}

codes! {
    XmlMalformed => "xml-malformed", Error;
    ImNotConfigured => "im-not-configured", Info;
    ImKeysAbsent => "im-keys-absent", Warning;
    Corrected => "corrected", Info;
    ImPartial => "im-partial", Error;
    DuplicateKey => "duplicate-key", Warning;
    IssuerInvalid => "issuer-invalid", Error;
    PoolNotFqdn => "pool-not-fqdn", Error;
    PoolInvalid => "pool-invalid", Error;
    PoolInconsistent => "pool-inconsistent", Warning;
    SerialInvalid => "serial-invalid", Error;
    HiddenCharacters => "hidden-characters", Warning;
    IssuerInexact => "issuer-inexact", Warning;
    SerialByteOrder => "serial-byte-order", Warning;
    CertNotFound => "cert-not-found", Error;
    CertAmbiguous => "cert-ambiguous", Error;
    CertExpired => "cert-expired", Error;
    CertNotYetValid => "cert-not-yet-valid", Warning;
    CertExpiringSoon => "cert-expiring-soon", Warning;
    CertNoPrivateKey => "cert-no-private-key", Warning;
    ImPortNumber => "im-port-number", Warning;
    CertSelfSigned => "cert-self-signed", Warning;
    CertEku => "cert-eku", Warning;
    CertNameMismatch => "cert-name-mismatch", Warning;
    ServerUnknown => "server-unknown", Error;
    DuplicateServer => "duplicate-server", Error;
    MapRowUnused => "map-row-unused", Warning;
    SourceUnreadable => "source-unreadable", Error;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One finding about the input, with where it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// Always present in the report (`null` when the diagnostic is about no one file).
    pub file: Option<String>,
    pub line: Option<u32>,
    /// Only `xml-malformed` has a column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity and no location.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.default_severity(),
            code,
            message: message.into(),
            file: None,
            line: None,
            column: None,
        }
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    pub fn at_column(mut self, column: u32) -> Self {
        self.column = Some(column);
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `--strict`: a warning is as bad as an error.
    pub fn strict(mut self) -> Self {
        if self.severity == Severity::Warning {
            self.severity = Severity::Error;
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `error[cert-not-found] collected/CAS01/web.config:42: message`, the form compilers use,
    /// so editors and terminals can jump to the line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.severity, self.code)?;
        if let Some(file) = &self.file {
            write!(f, " {file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            f.write_str(":")?;
        }
        write!(f, " {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "duplicate code {text}");
            assert!(
                text.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{text}"
            );
        }
        assert_eq!(seen.len(), 28);
    }

    #[test]
    fn display_names_file_line_and_column() {
        let d = Diagnostic::new(Code::XmlMalformed, "unexpected end of file")
            .in_file("CAS01/web.config")
            .at_line(12)
            .at_column(7);
        assert_eq!(
            d.to_string(),
            "error[xml-malformed] CAS01/web.config:12:7: unexpected end of file"
        );
    }

    #[test]
    fn strict_promotes_warnings_only() {
        let w = Diagnostic::new(Code::IssuerInexact, "x").strict();
        assert_eq!(w.severity, Severity::Error);
        let i = Diagnostic::new(Code::ImNotConfigured, "x").strict();
        assert_eq!(i.severity, Severity::Info);
    }

    #[test]
    fn serialises_code_as_text() {
        let d = Diagnostic::new(Code::CertNotFound, "m")
            .in_file("f")
            .at_line(3);
        let json = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(json["code"], "cert-not-found");
        assert_eq!(json["severity"], "error");
        assert_eq!(json["line"], 3);
        assert!(json.get("column").is_none());
        let top =
            serde_json::to_value(Diagnostic::new(Code::PoolInconsistent, "m")).unwrap_or_default();
        assert_eq!(top["file"], serde_json::Value::Null);
        assert!(top.as_object().is_some_and(|o| o.contains_key("line")));
    }
}
