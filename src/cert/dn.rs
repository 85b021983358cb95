//! Distinguished names (certificate issuer / subject) as typed by administrators
//! into `IMCertificateIssuer` and as printed by .NET's `X509Certificate.Issuer`.
//!
//! Hand-written parser, because no crate parses the Windows/.NET name forms.
//!
//! Exchange 2010 RTM compared the configured issuer byte-for-byte with the .NET
//! string, so a configuration may hold any of the common spellings (Windows,
//! RFC 4514, OpenSSL slash or one-line). This module turns every spelling into
//! one structure, compares names structurally, and re-creates the exact .NET
//! string so callers can tell whether the configured value was byte-exact.
//!
//! Order: [`DistinguishedName`] keeps RDNs most specific first (Windows and
//! RFC 4514 order). Only the OpenSSL slash form is known to be written root
//! first and is reversed while parsing. The OpenSSL one-line form cannot be
//! told apart from a hand-spaced Windows string, so it is kept as written and
//! [`DistinguishedName::compare`] reports [`DnMatch::Reversed`] for it.

use std::collections::hash_map::{self, HashMap};
use std::fmt;
use std::sync::Arc;

use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// One copy of each issuer name. An organisation's certificates and servers name a handful
/// of CAs thousands of times, and a parsed name is some twenty allocations: each is kept
/// once, keyed by its text, and shared.
#[derive(Debug, Default)]
pub struct Issuers {
    by_text: HashMap<Arc<str>, Vec<Arc<DistinguishedName>>>,
}

impl Issuers {
    /// Replaces `text` and `name` by the copies kept for them, or keeps them as those. A
    /// text is shared whenever it was seen before; a name only when it is equal too (two
    /// certificates may print the same text for names encoded differently).
    pub fn share(&mut self, text: &mut Arc<str>, name: &mut Arc<DistinguishedName>) {
        let names = match self.by_text.entry(Arc::clone(text)) {
            hash_map::Entry::Occupied(kept) => {
                *text = Arc::clone(kept.key());
                kept.into_mut()
            }
            hash_map::Entry::Vacant(new) => new.insert(Vec::new()),
        };
        match names.iter().find(|kept| **kept == *name) {
            Some(kept) => *name = Arc::clone(kept),
            None => names.push(Arc::clone(name)),
        }
    }
}

/// One attribute type and value, e.g. `CN=ContosoCA`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ava {
    oid: String,
    value: String,
}

impl Ava {
    /// Builds an attribute from a dotted OID (e.g. `2.5.4.3`) and its value.
    pub fn new(oid: impl Into<String>, value: impl Into<String>) -> Self {
        Ava {
            oid: oid.into(),
            value: value.into(),
        }
    }

    /// The attribute type as a dotted OID string.
    pub fn oid(&self) -> &str {
        &self.oid
    }

    /// The decoded attribute value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// One relative distinguished name; several AVAs form a multi-valued RDN (`OU=Sales+CN=J. Smith`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rdn {
    avas: Vec<Ava>,
}

impl Rdn {
    /// Builds an RDN from its attributes (one for an ordinary RDN).
    pub fn new(avas: Vec<Ava>) -> Self {
        Rdn { avas }
    }

    /// The attributes of this RDN, in the order written / encoded.
    pub fn avas(&self) -> &[Ava] {
        &self.avas
    }
}

/// A distinguished name, most specific RDN first (Windows / RFC 4514 order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedName {
    rdns: Vec<Rdn>,
    /// The comparison form (types by OID, values trimmed, collapsed, lower case), computed
    /// once: a name is compared far more often than it is built.
    key: Vec<NormalizedRdn>,
}

/// Why a distinguished name could not be read. Positions are 0-based character offsets.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DnError {
    /// Nothing but white space was given.
    #[error("distinguished name is empty")]
    Empty,
    /// An RDN or AVA does not start with an attribute name.
    #[error("expected an attribute name (such as CN) at position {position} but found {found}")]
    ExpectedAttributeName { position: usize, found: String },
    /// An attribute name is not followed by `=`.
    #[error("missing '=' after attribute name '{name}' at position {position}")]
    MissingEquals { name: String, position: usize },
    /// Neither a known short name nor a dotted OID.
    #[error(
        "unknown attribute name '{name}' at position {position} (not a known name such as CN, O, OU, DC, and not a dotted OID)"
    )]
    UnknownAttribute { name: String, position: usize },
    /// A quoted value has no closing quote.
    #[error("unterminated quoted value: the '\"' at position {position} is never closed")]
    UnterminatedQuote { position: usize },
    /// A backslash escape is incomplete, unknown, or its hex bytes are not UTF-8.
    #[error("invalid escape at position {position}: {detail}")]
    BadEscape { position: usize, detail: String },
    /// Two separators in a row, or a separator at either end.
    #[error("empty RDN at position {position} (two separators in a row, or a separator at the start or end)")]
    EmptyRdn { position: usize },
    /// Text after a complete value that is not a separator.
    #[error(
        "unexpected {found} at position {position}; expected ',', ';', '+' or the end of the name"
    )]
    UnexpectedCharacter { position: usize, found: String },
    /// A `#hex` value is not one BER-encoded string.
    #[error("invalid hex-encoded BER value ('#...') at position {position}: {detail}")]
    BadHexValue { position: usize, detail: String },
    /// A certificate name holds a value that is not a decodable string.
    #[error("certificate name attribute {oid} cannot be decoded: {detail}")]
    UndecodableValue { oid: String, detail: String },
}

/// Result of [`DistinguishedName::compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnMatch {
    /// Equal, RDN for RDN.
    Same,
    /// Equal only when one RDN sequence is reversed (root-first spelling).
    Reversed,
    /// Not the same name.
    Different,
}

/// Known attributes: dotted OID, the short name CryptoAPI prints (None: printed as `OID.x`),
/// and the upper-case names accepted when parsing.
const ATTRIBUTES: &[(&str, Option<&str>, &[&str])] = &[
    ("2.5.4.3", Some("CN"), &["CN"]),
    ("2.5.4.6", Some("C"), &["C"]),
    ("2.5.4.7", Some("L"), &["L"]),
    ("2.5.4.8", Some("S"), &["S", "ST"]),
    ("2.5.4.10", Some("O"), &["O"]),
    ("2.5.4.11", Some("OU"), &["OU"]),
    (
        "1.2.840.113549.1.9.1",
        Some("E"),
        &["E", "EMAIL", "EMAILADDRESS"],
    ),
    ("0.9.2342.19200300.100.1.25", Some("DC"), &["DC"]),
    ("2.5.4.9", Some("STREET"), &["STREET"]),
    ("2.5.4.12", Some("T"), &["T", "TITLE"]),
    ("2.5.4.42", Some("G"), &["G", "GN", "GIVENNAME"]),
    ("2.5.4.43", Some("I"), &["I", "INITIALS"]),
    ("2.5.4.4", Some("SN"), &["SN", "SURNAME"]),
    ("2.5.4.5", Some("SERIALNUMBER"), &["SERIALNUMBER"]),
    ("2.5.4.17", Some("PostalCode"), &["POSTALCODE"]),
    ("2.5.4.13", Some("Description"), &["DESCRIPTION"]),
    ("2.5.4.46", Some("dnQualifier"), &["DNQUALIFIER"]),
    ("0.9.2342.19200300.100.1.1", None, &["UID"]),
];

/// Characters that may follow a backslash and stand for themselves.
const ESCAPABLE: &[char] = &[',', '+', '"', '\\', '<', '>', ';', '=', ' ', '#', '/'];

impl DistinguishedName {
    /// Builds a name from RDNs given most specific first.
    pub fn new(rdns: Vec<Rdn>) -> Self {
        let key = normalized(&rdns);
        DistinguishedName { rdns, key }
    }

    /// Parses what an administrator typed: Windows (`CN=ContosoCA, DC=contoso, DC=com`),
    /// RFC 4514 (with `\` escapes and `\XX` UTF-8 hex pairs), OpenSSL slash form
    /// (`/DC=com/DC=contoso/CN=ContosoCA`, reversed to most specific first), OpenSSL
    /// one-line form (`DC = com, CN = ContosoCA`, kept as written), `;` separators,
    /// quoted values (`""` or `\"` for a quote inside), multi-valued RDNs, attribute
    /// aliases, `OID.2.5.4.3` / `2.5.4.3` types and `#`-hex BER string values.
    pub fn parse(text: &str) -> Result<Self, DnError> {
        if text.trim().is_empty() {
            return Err(DnError::Empty);
        }
        let mut parser = Parser::new(text);
        parser.skip_ws();
        let slash_form = parser.peek() == Some('/');
        if slash_form {
            parser.separators = &['/'];
            parser.bump();
        }
        let mut rdns = parser.parse_rdns()?;
        if slash_form {
            rdns.reverse();
        }
        Ok(DistinguishedName::new(rdns))
    }

    /// Reads a certificate name (DER order is root first) into most-specific-first order,
    /// keeping the AVA order inside each RDN.
    pub fn from_x509(name: &X509Name<'_>) -> Result<Self, DnError> {
        let mut rdns = Vec::new();
        for rdn in name.iter_rdn() {
            let avas = rdn
                .iter()
                .map(ava_from_x509)
                .collect::<Result<Vec<_>, _>>()?;
            rdns.push(Rdn { avas });
        }
        rdns.reverse();
        Ok(DistinguishedName::new(rdns))
    }

    /// The string .NET prints for `X509Certificate.Issuer` / `X500DistinguishedName.Name`
    /// (CryptoAPI `CertNameToStr` with `CERT_X500_NAME_STR | CERT_NAME_STR_REVERSE_FLAG`).
    pub fn to_windows_string(&self) -> String {
        self.rdns
            .iter()
            .map(|rdn| {
                rdn.avas
                    .iter()
                    .map(format_ava)
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Structural comparison: OIDs exactly, values case-insensitively with white space
    /// trimmed and collapsed, AVA order inside an RDN ignored.
    pub fn compare(&self, other: &Self) -> DnMatch {
        let (mine, theirs) = (&self.key, &other.key);
        if mine == theirs {
            return DnMatch::Same;
        }
        if mine.len() == theirs.len() && mine.iter().eq(theirs.iter().rev()) {
            DnMatch::Reversed
        } else {
            DnMatch::Different
        }
    }

    /// Like [`compare`](Self::compare), where a `?` in `pattern`'s values stands for any one
    /// character: Windows PowerShell 2.0's `Export-Csv` writes ASCII, so that is what remains
    /// of a non-ASCII character of an exported issuer.
    pub fn compare_pattern(&self, pattern: &Self) -> DnMatch {
        let mine = &self.key;
        let mut theirs = pattern.key.clone();
        if rdns_match(mine, &theirs) {
            return DnMatch::Same;
        }
        theirs.reverse();
        if rdns_match(mine, &theirs) {
            DnMatch::Reversed
        } else {
            DnMatch::Different
        }
    }

    /// The RDNs, most specific first.
    pub fn rdns(&self) -> &[Rdn] {
        &self.rdns
    }
}

impl fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_windows_string())
    }
}

/// Each RDN as a sorted list of (oid, normalized value) so AVA order does not matter.
fn normalized(rdns: &[Rdn]) -> Vec<Vec<(String, String)>> {
    rdns.iter()
        .map(|rdn| {
            let mut avas: Vec<(String, String)> = rdn
                .avas
                .iter()
                .map(|ava| (ava.oid.clone(), normalize_value(&ava.value)))
                .collect();
            avas.sort();
            avas
        })
        .collect()
}

type NormalizedRdn = Vec<(String, String)>;

fn rdns_match(values: &[NormalizedRdn], patterns: &[NormalizedRdn]) -> bool {
    values.len() == patterns.len()
        && values.iter().zip(patterns).all(|(rdn, pattern)| {
            rdn.len() == pattern.len()
                && rdn
                    .iter()
                    .zip(pattern)
                    .all(|((oid, v), (poid, p))| oid == poid && wildcard_eq(v, p))
        })
}

/// Character by character, `?` in the pattern matching any one character.
fn wildcard_eq(value: &str, pattern: &str) -> bool {
    value.chars().count() == pattern.chars().count()
        && value
            .chars()
            .zip(pattern.chars())
            .all(|(c, p)| p == '?' || c == p)
}

fn normalize_value(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn format_ava(ava: &Ava) -> String {
    let name = ATTRIBUTES
        .iter()
        .find(|(oid, _, _)| *oid == ava.oid)
        .and_then(|(_, short, _)| *short)
        .map_or_else(|| format!("OID.{}", ava.oid), str::to_string);
    format!("{name}={}", quote_value(&ava.value))
}

/// CryptoAPI quotes rather than escapes, doubling any embedded quote.
fn quote_value(value: &str) -> String {
    let needs_quotes = value.is_empty()
        || value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace)
        || value.contains([',', '+', '=', '"', '\n', '\r', '<', '>', '#', ';']);
    if needs_quotes {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Maps an attribute name or OID as typed to a canonical dotted OID.
fn resolve_attribute(name: &str) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    if let Some((oid, _, _)) = ATTRIBUTES
        .iter()
        .find(|(_, _, aliases)| aliases.contains(&upper.as_str()))
    {
        return Some((*oid).to_string());
    }
    let dotted = upper.strip_prefix("OID.").unwrap_or(&upper);
    canonical_oid(dotted)
}

/// Validates a dotted OID and drops leading zeros so `2.5.4.03` equals `2.5.4.3`.
fn canonical_oid(dotted: &str) -> Option<String> {
    let arcs: Vec<&str> = dotted.split('.').collect();
    if arcs.len() < 2
        || arcs
            .iter()
            .any(|arc| arc.is_empty() || !arc.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let canonical: Vec<&str> = arcs
        .iter()
        .map(|arc| {
            let trimmed = arc.trim_start_matches('0');
            if trimmed.is_empty() {
                "0"
            } else {
                trimmed
            }
        })
        .collect();
    Some(canonical.join("."))
}

fn ava_from_x509(atv: &AttributeTypeAndValue<'_>) -> Result<Ava, DnError> {
    let oid = atv.attr_type().to_id_string();
    let any = atv.attr_value();
    let decoded = if any.header.is_universal() && any.header.is_primitive() {
        decode_string(any.tag().0, any.as_bytes())
    } else {
        Err("the value is not a primitive universal ASN.1 string".to_string())
    };
    match decoded {
        Ok(value) => Ok(Ava { oid, value }),
        Err(detail) => Err(DnError::UndecodableValue { oid, detail }),
    }
}

/// Decodes the content octets of an ASN.1 string type given its universal tag number.
fn decode_string(tag: u32, bytes: &[u8]) -> Result<String, String> {
    match tag {
        // UTF8String; Numeric, Printable, IA5, Visible are ASCII subsets, but some issuing
        // CAs put UTF-8 in them anyway, so accept any valid UTF-8 there.
        12 | 18 | 19 | 22 | 26 => String::from_utf8(bytes.to_vec())
            .map_err(|_| format!("{} is not valid UTF-8", tag_name(tag))),
        // TeletexString: treated as Latin-1, as Windows does in practice.
        20 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        30 => decode_bmp(bytes),
        28 => decode_universal(bytes),
        other => Err(format!("ASN.1 tag {other} is not a supported string type")),
    }
}

fn tag_name(tag: u32) -> &'static str {
    match tag {
        12 => "UTF8String",
        18 => "NumericString",
        19 => "PrintableString",
        22 => "IA5String",
        26 => "VisibleString",
        _ => "string",
    }
}

fn decode_bmp(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() % 2 != 0 {
        return Err("BMPString has an odd number of bytes".to_string());
    }
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| "BMPString contains an unpaired UTF-16 surrogate".to_string())
}

fn decode_universal(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() % 4 != 0 {
        return Err("UniversalString length is not a multiple of 4".to_string());
    }
    bytes
        .chunks_exact(4)
        .map(|quad| {
            let code = u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]]);
            char::from_u32(code)
                .ok_or_else(|| format!("UniversalString contains invalid code point {code:#x}"))
        })
        .collect()
}

/// Collects a value while tracking which trailing characters are insignificant white
/// space and which `\XX` bytes still need to be joined into UTF-8.
struct ValueBuf {
    out: String,
    /// Length of `out` up to its last significant (non-space or escaped) character.
    keep: usize,
    pending: Vec<u8>,
    pending_pos: usize,
}

impl ValueBuf {
    fn new() -> Self {
        ValueBuf {
            out: String::new(),
            keep: 0,
            pending: Vec::new(),
            pending_pos: 0,
        }
    }

    fn push_plain(&mut self, c: char) -> Result<(), DnError> {
        self.flush()?;
        self.out.push(c);
        if !c.is_whitespace() {
            self.keep = self.out.len();
        }
        Ok(())
    }

    fn push_escaped(&mut self, c: char) -> Result<(), DnError> {
        self.flush()?;
        self.out.push(c);
        self.keep = self.out.len();
        Ok(())
    }

    fn push_byte(&mut self, byte: u8, position: usize) {
        if self.pending.is_empty() {
            self.pending_pos = position;
        }
        self.pending.push(byte);
    }

    fn flush(&mut self) -> Result<(), DnError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.pending);
        let text = String::from_utf8(bytes).map_err(|_| DnError::BadEscape {
            position: self.pending_pos,
            detail: "the \\XX hex escapes do not form valid UTF-8".to_string(),
        })?;
        self.out.push_str(&text);
        self.keep = self.out.len();
        Ok(())
    }

    fn finish(mut self) -> Result<String, DnError> {
        self.flush()?;
        self.out.truncate(self.keep);
        Ok(self.out)
    }
}

enum Escape {
    Char(char),
    Byte(u8),
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    separators: &'static [char],
}

impl Parser {
    fn new(text: &str) -> Self {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
            separators: &[',', ';'],
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn is_separator(&self, c: char) -> bool {
        self.separators.contains(&c)
    }

    fn found(&self) -> String {
        self.peek()
            .map_or_else(|| "the end of the name".to_string(), |c| format!("'{c}'"))
    }

    fn parse_rdns(&mut self) -> Result<Vec<Rdn>, DnError> {
        let mut rdns = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(DnError::EmptyRdn { position: self.pos }),
                Some(c) if self.is_separator(c) => {
                    return Err(DnError::EmptyRdn { position: self.pos })
                }
                Some(_) => rdns.push(self.parse_rdn()?),
            }
            self.skip_ws();
            match self.peek() {
                None => return Ok(rdns),
                Some(c) if self.is_separator(c) => {
                    self.bump();
                }
                Some(_) => {
                    return Err(DnError::UnexpectedCharacter {
                        position: self.pos,
                        found: self.found(),
                    })
                }
            }
        }
    }

    fn parse_rdn(&mut self) -> Result<Rdn, DnError> {
        let mut avas = vec![self.parse_ava()?];
        loop {
            self.skip_ws();
            if self.peek() != Some('+') {
                return Ok(Rdn { avas });
            }
            self.bump();
            self.skip_ws();
            avas.push(self.parse_ava()?);
        }
    }

    fn parse_ava(&mut self) -> Result<Ava, DnError> {
        let oid = self.parse_attribute_type()?;
        self.skip_ws();
        let value = match self.peek() {
            Some('"') => self.parse_quoted()?,
            Some('#') => self.parse_hex_value()?,
            _ => self.parse_unquoted()?,
        };
        Ok(Ava { oid, value })
    }

    fn parse_attribute_type(&mut self) -> Result<String, DnError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(DnError::ExpectedAttributeName {
                position: start,
                found: self.found(),
            });
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        self.skip_ws();
        if self.peek() != Some('=') {
            return Err(DnError::MissingEquals {
                name,
                position: self.pos,
            });
        }
        self.bump();
        resolve_attribute(&name).ok_or(DnError::UnknownAttribute {
            name,
            position: start,
        })
    }

    /// Windows doubles quotes inside quotes; RFC 2253 backslash-escapes them. Any other
    /// backslash is literal because Windows never escapes inside quotes.
    fn parse_quoted(&mut self) -> Result<String, DnError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(DnError::UnterminatedQuote { position: start }),
                Some('"') if self.peek() == Some('"') => {
                    self.bump();
                    out.push('"');
                }
                Some('"') => return Ok(out),
                Some('\\') if matches!(self.peek(), Some('"' | '\\')) => {
                    if let Some(c) = self.bump() {
                        out.push(c);
                    }
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn parse_unquoted(&mut self) -> Result<String, DnError> {
        let mut buf = ValueBuf::new();
        while let Some(c) = self.peek() {
            if c == '+' || self.is_separator(c) {
                break;
            }
            if c == '\\' {
                let position = self.pos;
                match self.parse_escape()? {
                    Escape::Char(ch) => buf.push_escaped(ch)?,
                    Escape::Byte(b) => buf.push_byte(b, position),
                }
            } else {
                self.bump();
                buf.push_plain(c)?;
            }
        }
        buf.finish()
    }

    /// An RFC 4514 escape; a backslash that starts none is the character itself, as
    /// Windows reads it (`O=Contoso\IT`): .NET prints a backslash in a value bare, so an
    /// administrator copying an issuer may well have one.
    fn parse_escape(&mut self) -> Result<Escape, DnError> {
        self.bump();
        let after_backslash = self.pos;
        let literal = |parser: &mut Self| {
            parser.pos = after_backslash;
            Ok(Escape::Char('\\'))
        };
        match self.bump() {
            Some(c) if ESCAPABLE.contains(&c) => Ok(Escape::Char(c)),
            Some(high) if high.is_ascii_hexdigit() => match self.bump() {
                Some(low) if low.is_ascii_hexdigit() => Ok(Escape::Byte(hex_byte(high, low))),
                _ => literal(self),
            },
            _ => literal(self),
        }
    }

    /// RFC 4514 `#hex` values carry the BER encoding of the value.
    fn parse_hex_value(&mut self) -> Result<String, DnError> {
        let position = self.pos;
        self.bump();
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let digits: Vec<char> = self.chars[start..self.pos].to_vec();
        let bad = |detail: String| DnError::BadHexValue { position, detail };
        if digits.is_empty() || digits.len() % 2 != 0 {
            return Err(bad(
                "expected an even number of hex digits after '#' (quote the value or write \\# for a literal '#')".to_string(),
            ));
        }
        let bytes: Vec<u8> = digits
            .chunks_exact(2)
            .map(|pair| hex_byte(pair[0], pair[1]))
            .collect();
        decode_ber_string(&bytes).map_err(bad)
    }
}

fn hex_byte(high: char, low: char) -> u8 {
    let nibble = |c: char| c.to_digit(16).unwrap_or(0) as u8;
    (nibble(high) << 4) | nibble(low)
}

/// Decodes one DER-encoded primitive universal string (tag, definite length, content).
fn decode_ber_string(bytes: &[u8]) -> Result<String, String> {
    if bytes.is_empty() {
        return Err("no bytes after '#'".to_string());
    }
    let element = crate::der::whole(bytes).map_err(|e| e.to_string())?;
    if element.class != x509_parser::asn1_rs::Class::Universal || element.constructed {
        return Err(format!(
            "tag {} is not a primitive universal string type",
            element.tag
        ));
    }
    decode_string(element.tag.0, element.content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::FromDer;

    const CN: &str = "2.5.4.3";
    const O: &str = "2.5.4.10";
    const OU: &str = "2.5.4.11";
    const C: &str = "2.5.4.6";
    const DC: &str = "0.9.2342.19200300.100.1.25";
    const EMAIL: &str = "1.2.840.113549.1.9.1";

    fn dn(text: &str) -> DistinguishedName {
        match DistinguishedName::parse(text) {
            Ok(name) => name,
            Err(err) => panic!("{text:?} should parse: {err}"),
        }
    }

    fn err(text: &str) -> DnError {
        match DistinguishedName::parse(text) {
            Ok(name) => panic!("{text:?} should fail but gave {name:?}"),
            Err(err) => err,
        }
    }

    /// One single-valued RDN per pair, most specific first.
    fn simple(pairs: &[(&str, &str)]) -> DistinguishedName {
        DistinguishedName::new(
            pairs
                .iter()
                .map(|(oid, value)| Rdn::new(vec![Ava::new(*oid, *value)]))
                .collect(),
        )
    }

    fn contoso_ca() -> DistinguishedName {
        simple(&[(CN, "ContosoCA"), (DC, "contoso"), (DC, "com")])
    }

    #[test]
    fn parses_windows_form() {
        let name = dn("CN=ContosoCA, DC=contoso, DC=com");
        assert_eq!(name, contoso_ca());
        assert_eq!(name.rdns().len(), 3);
        assert_eq!(name.rdns()[0].avas()[0].oid(), CN);
        assert_eq!(name.rdns()[0].avas()[0].value(), "ContosoCA");
    }

    #[test]
    fn parses_rfc4514_form_and_trims_outer_whitespace() {
        assert_eq!(dn("CN=ContosoCA,DC=contoso,DC=com"), contoso_ca());
        assert_eq!(dn("  CN=ContosoCA ,DC=contoso,  DC=com \t"), contoso_ca());
    }

    #[test]
    fn parses_rfc4514_escapes() {
        let name = dn(r#"O=Contoso\, Ltd \+ \"Big\" \\ \<x\> \; \= \#1\ "#);
        assert_eq!(
            name.rdns()[0].avas()[0].value(),
            r#"Contoso, Ltd + "Big" \ <x> ; = #1 "#
        );
        assert_eq!(dn(r"CN=\#start").rdns()[0].avas()[0].value(), "#start");
        assert_eq!(dn(r"CN=\ lead").rdns()[0].avas()[0].value(), " lead");
        assert_eq!(dn(r"L=Z\C3\BCrich").rdns()[0].avas()[0].value(), "Zürich");
        assert_eq!(
            dn(r"L=\E6\9D\B1\E4\BA\AC, C=JP").rdns()[0].avas()[0].value(),
            "東京"
        );
        assert_eq!(dn(r"CN=a\2Cb").rdns()[0].avas()[0].value(), "a,b");
    }

    #[test]
    fn parses_openssl_slash_form_root_first() {
        assert_eq!(dn("/DC=com/DC=contoso/CN=ContosoCA"), contoso_ca());
        let name = dn(r"/C=US/O=Contoso, Ltd/CN=Contoso\/Fabrikam CA");
        assert_eq!(
            name,
            simple(&[(CN, "Contoso/Fabrikam CA"), (O, "Contoso, Ltd"), (C, "US")])
        );
    }

    #[test]
    fn parses_openssl_one_line_form_as_written() {
        let name = dn("DC = com, DC = contoso, CN = ContosoCA");
        assert_eq!(
            name,
            simple(&[(DC, "com"), (DC, "contoso"), (CN, "ContosoCA")])
        );
        assert_eq!(name.compare(&contoso_ca()), DnMatch::Reversed);
    }

    #[test]
    fn parses_semicolon_separator() {
        assert_eq!(dn("CN=ContosoCA; DC=contoso; DC=com"), contoso_ca());
        assert_eq!(dn("CN=ContosoCA;DC=contoso,DC=com"), contoso_ca());
    }

    #[test]
    fn parses_quoted_values() {
        let name = dn(r#"E=admin@contoso.com, CN=ContosoCA, O="Contoso, Ltd", C=US"#);
        assert_eq!(name.rdns()[2].avas()[0].value(), "Contoso, Ltd");
        let doubled = dn(r#"O="Contoso ""Big"" Ltd""#);
        assert_eq!(doubled.rdns()[0].avas()[0].value(), r#"Contoso "Big" Ltd"#);
        let escaped = dn(r#"O="Contoso \"Big\" Ltd""#);
        assert_eq!(escaped.rdns()[0].avas()[0].value(), r#"Contoso "Big" Ltd"#);
        let spaced = dn(r#"CN=" padded ", O="""#);
        assert_eq!(spaced.rdns()[0].avas()[0].value(), " padded ");
        assert_eq!(spaced.rdns()[1].avas()[0].value(), "");
        let backslash = dn(r#"O="contoso\admin""#);
        assert_eq!(backslash.rdns()[0].avas()[0].value(), r"contoso\admin");
    }

    #[test]
    fn parses_multi_valued_rdns() {
        let expected = DistinguishedName::new(vec![
            Rdn::new(vec![Ava::new(OU, "Sales"), Ava::new(CN, "J. Smith")]),
            Rdn::new(vec![Ava::new(DC, "fabrikam")]),
        ]);
        assert_eq!(dn("OU=Sales+CN=J. Smith,DC=fabrikam"), expected);
        assert_eq!(dn("OU=Sales + CN=J. Smith, DC=fabrikam"), expected);
        assert_eq!(dn("/DC=fabrikam/OU=Sales+CN=J. Smith"), expected);
    }

    #[test]
    fn resolves_attribute_aliases_case_insensitively() {
        let cases = [
            ("CN", CN),
            ("cn", CN),
            ("C", C),
            ("L", "2.5.4.7"),
            ("S", "2.5.4.8"),
            ("st", "2.5.4.8"),
            ("O", O),
            ("OU", OU),
            ("E", EMAIL),
            ("Email", EMAIL),
            ("emailAddress", EMAIL),
            ("DC", DC),
            ("STREET", "2.5.4.9"),
            ("T", "2.5.4.12"),
            ("Title", "2.5.4.12"),
            ("G", "2.5.4.42"),
            ("GN", "2.5.4.42"),
            ("givenName", "2.5.4.42"),
            ("I", "2.5.4.43"),
            ("Initials", "2.5.4.43"),
            ("SN", "2.5.4.4"),
            ("surname", "2.5.4.4"),
            ("SERIALNUMBER", "2.5.4.5"),
            ("PostalCode", "2.5.4.17"),
            ("Description", "2.5.4.13"),
            ("UID", "0.9.2342.19200300.100.1.1"),
            ("dnQualifier", "2.5.4.46"),
            ("OID.2.5.4.3", CN),
            ("oid.2.5.4.3", CN),
            ("2.5.4.3", CN),
            ("2.5.4.03", CN),
            ("1.3.6.1.4.1.311.60.2.1.3", "1.3.6.1.4.1.311.60.2.1.3"),
        ];
        for (name, oid) in cases {
            let parsed = dn(&format!("{name}=x"));
            assert_eq!(parsed.rdns()[0].avas()[0].oid(), oid, "alias {name}");
        }
    }

    #[test]
    fn decodes_hex_ber_values() {
        // UTF8String "ContosoCA"
        assert_eq!(
            dn("CN=#0C09436F6E746F736F4341, DC=contoso, DC=com"),
            contoso_ca()
        );
        // BMPString "東京"
        assert_eq!(dn("L=#1E0467714EAC").rdns()[0].avas()[0].value(), "東京");
        // PrintableString with long-form length
        assert_eq!(dn("C=#1381025553").to_string(), "C=US");
    }

    #[test]
    fn rejects_bad_attribute_syntax_with_positions() {
        assert_eq!(err(""), DnError::Empty);
        assert_eq!(err("   "), DnError::Empty);
        let missing = err("CN ContosoCA, DC=com");
        assert_eq!(
            missing.to_string(),
            "missing '=' after attribute name 'CN' at position 3"
        );
        assert!(matches!(
            err("CN=a, DC"),
            DnError::MissingEquals { position: 8, .. }
        ));
        assert_eq!(
            err("CN=a, XX=b"),
            DnError::UnknownAttribute {
                name: "XX".into(),
                position: 6
            }
        );
        assert!(matches!(err("OID.2.x=b"), DnError::UnknownAttribute { .. }));
        assert!(matches!(err("2.5..4=b"), DnError::UnknownAttribute { .. }));
    }

    #[test]
    fn rejects_bad_quotes_and_escapes() {
        assert_eq!(
            err(r#"O="Contoso, Ltd"#),
            DnError::UnterminatedQuote { position: 2 }
        );
        assert_eq!(err(r#"O="a"""#), DnError::UnterminatedQuote { position: 2 });
        assert!(err("CN=a\\C3x").to_string().contains("valid UTF-8"));
    }

    #[test]
    fn a_backslash_that_escapes_nothing_is_itself() {
        // What .NET prints for a value with a backslash, and what administrators type.
        for (text, value) in [
            ("CN=a\\q", "a\\q"),
            ("CN=a\\", "a\\"),
            ("CN=a\\4", "a\\4"),
            ("CN=a\\4g", "a\\4g"),
            ("O=Contoso\\IT, DC=contoso", "Contoso\\IT"),
            ("CN=a\\,b", "a,b"),
            ("CN=a\\5Cz", "a\\z"),
        ] {
            let dn = DistinguishedName::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(dn.rdns()[0].avas()[0].value(), value, "{text}");
        }
    }

    #[test]
    fn rejects_empty_rdns_and_stray_characters() {
        assert_eq!(err("CN=a,,DC=b"), DnError::EmptyRdn { position: 5 });
        assert_eq!(err(",CN=a"), DnError::EmptyRdn { position: 0 });
        assert_eq!(err("CN=a, "), DnError::EmptyRdn { position: 6 });
        assert_eq!(err("/DC=com//CN=a"), DnError::EmptyRdn { position: 8 });
        assert!(matches!(
            err("CN=a+,DC=b"),
            DnError::ExpectedAttributeName { position: 5, .. }
        ));
        assert!(matches!(
            err("=a"),
            DnError::ExpectedAttributeName { position: 0, .. }
        ));
        assert_eq!(
            err(r#"O="Contoso" Ltd"#),
            DnError::UnexpectedCharacter {
                position: 12,
                found: "'L'".into()
            }
        );
    }

    #[test]
    fn rejects_bad_hex_values() {
        for text in [
            "CN=#",
            "CN=#1 CA",
            "CN=#0C05abc",
            "CN=#0C",
            "CN=#0203010001",
            "CN=#3003020100",
            "CN=#0C85FFFFFFFFFF",
        ] {
            let error = err(text);
            assert!(
                matches!(error, DnError::BadHexValue { position: 3, .. }),
                "{text}: {error}"
            );
            assert!(error.to_string().contains("hex-encoded BER"));
        }
        assert!(matches!(
            err("CN=#0C0161zz"),
            DnError::UnexpectedCharacter { .. }
        ));
    }

    #[test]
    fn formats_dotnet_reference_strings() {
        for reference in [
            "CN=Microsoft Code Signing PCA, O=Microsoft Corporation, L=Redmond, S=Washington, C=US",
            "CN=ContosoCA, DC=contoso, DC=com",
            r#"E=admin@contoso.com, CN=ContosoCA, O="Contoso, Ltd", C=US"#,
            "OU=Sales + CN=J. Smith, O=Fabrikam, C=US",
            "STREET=1 Main St, T=CA Admin, G=Jane, I=J, SN=Doe, SERIALNUMBER=42, PostalCode=98052, Description=Issuing CA, dnQualifier=contoso",
            "OID.0.9.2342.19200300.100.1.1=jdoe, OID.1.3.6.1.4.1.311.60.2.1.3=US",
        ] {
            assert_eq!(dn(reference).to_windows_string(), reference);
            assert_eq!(dn(reference).to_string(), reference);
        }
        assert_eq!(
            dn("cn=ContosoCA,dc=contoso,dc=com").to_string(),
            "CN=ContosoCA, DC=contoso, DC=com"
        );
        assert_eq!(
            dn("/DC=com/DC=contoso/CN=ContosoCA").to_string(),
            "CN=ContosoCA, DC=contoso, DC=com"
        );
    }

    #[test]
    fn quotes_values_like_cryptoapi() {
        let cases = [
            ("", r#"CN="""#),
            (" lead", r#"CN=" lead""#),
            ("trail ", r#"CN="trail ""#),
            ("a,b", r#"CN="a,b""#),
            ("a+b", r#"CN="a+b""#),
            ("a=b", r#"CN="a=b""#),
            (r#"say "hi""#, r#"CN="say ""hi""""#),
            ("a\nb", "CN=\"a\nb\""),
            ("a\rb", "CN=\"a\rb\""),
            ("<a>", r#"CN="<a>""#),
            ("#1", r##"CN="#1""##),
            ("a;b", r#"CN="a;b""#),
            ("in side", "CN=in side"),
            (r"contoso\admin", r"CN=contoso\admin"),
            ("Zürich", "CN=Zürich"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                simple(&[(CN, value)]).to_windows_string(),
                expected,
                "{value:?}"
            );
        }
    }

    #[test]
    fn windows_string_round_trips_hostile_values() {
        let values = [
            "",
            " ",
            r#"""#,
            r#"Contoso "Big" Ltd"#,
            "Contoso, Ltd",
            "a+b",
            "  leading",
            "trailing  ",
            "#1 CA",
            "x=y",
            "semi;colon",
            "<angle>",
            "Zürich",
            "東京",
            "line\nbreak",
            "in  ner",
            "/slash/",
        ];
        for value in values {
            for oid in [
                CN,
                O,
                DC,
                EMAIL,
                "0.9.2342.19200300.100.1.1",
                "1.3.6.1.4.1.311.60.2.1.3",
            ] {
                let original = DistinguishedName::new(vec![
                    Rdn::new(vec![Ava::new(oid, value), Ava::new(OU, value)]),
                    Rdn::new(vec![Ava::new(O, value)]),
                    Rdn::new(vec![Ava::new(C, "US")]),
                ]);
                let text = original.to_windows_string();
                let reparsed = dn(&text);
                assert_eq!(reparsed.compare(&original), DnMatch::Same, "{text:?}");
                assert_eq!(reparsed, original, "{text:?}");
            }
        }
    }

    #[test]
    fn compares_structurally() {
        let ca = contoso_ca();
        assert_eq!(
            ca.compare(&dn("cn=contosoca,dc=CONTOSO,dc=Com")),
            DnMatch::Same
        );
        assert_eq!(
            ca.compare(&dn("/DC=com/DC=contoso/CN=ContosoCA")),
            DnMatch::Same
        );
        assert_eq!(
            ca.compare(&dn("DC=com, DC=contoso, CN=ContosoCA")),
            DnMatch::Reversed
        );
        assert_eq!(
            ca.compare(&dn("CN=FabrikamCA, DC=contoso, DC=com")),
            DnMatch::Different
        );
        assert_eq!(
            ca.compare(&dn("CN=ContosoCA, DC=contoso")),
            DnMatch::Different
        );
        assert_eq!(
            ca.compare(&dn("O=ContosoCA, DC=contoso, DC=com")),
            DnMatch::Different
        );
        assert_eq!(
            ca.compare(&dn("CN=ContosoCA, DC=contoso, DC=com, DC=net")),
            DnMatch::Different
        );
        let single = dn("CN=ContosoCA");
        assert_eq!(single.compare(&dn("cn = contosoca")), DnMatch::Same);
        assert_eq!(
            dn("CN=Contoso   Issuing\tCA, O=Contoso")
                .compare(&dn(r#"CN=" contoso issuing ca ", O=CONTOSO"#)),
            DnMatch::Same
        );
        assert_eq!(
            dn("OU=Sales+CN=J. Smith, DC=fabrikam")
                .compare(&dn("CN=j. smith + OU=sales, DC=fabrikam")),
            DnMatch::Same
        );
        assert_eq!(
            dn("OU=Sales+CN=J. Smith, DC=fabrikam")
                .compare(&dn("CN=J. Smith, OU=Sales, DC=fabrikam")),
            DnMatch::Different
        );
        assert_eq!(dn("L=ZÜRICH").compare(&dn("L=zürich")), DnMatch::Same);
    }

    fn self_signed_issuer_der(name: rcgen::DistinguishedName) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = name;
        let key = rcgen::KeyPair::generate().expect("key generation");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        cert.der().to_vec()
    }

    fn issuer_of(der: &[u8]) -> DistinguishedName {
        let (_, cert) = x509_parser::parse_x509_certificate(der).expect("certificate parses");
        let issuer = DistinguishedName::from_x509(cert.issuer()).expect("issuer decodes");
        let subject = DistinguishedName::from_x509(cert.subject()).expect("subject decodes");
        assert_eq!(issuer, subject);
        issuer
    }

    #[test]
    fn reads_rcgen_certificate_issuer() {
        use rcgen::DnType;
        let mut name = rcgen::DistinguishedName::new();
        name.push(DnType::CountryName, "US");
        name.push(DnType::StateOrProvinceName, "Washington");
        name.push(DnType::LocalityName, "Redmond");
        name.push(DnType::OrganizationName, "Contoso, Ltd");
        name.push(DnType::CommonName, "ContosoCA");
        let issuer = issuer_of(&self_signed_issuer_der(name));
        assert_eq!(
            issuer.to_windows_string(),
            r#"CN=ContosoCA, O="Contoso, Ltd", L=Redmond, S=Washington, C=US"#
        );
        assert_eq!(
            issuer.compare(&dn(
                "/C=US/ST=Washington/L=Redmond/O=Contoso, Ltd/CN=ContosoCA"
            )),
            DnMatch::Same
        );
    }

    #[test]
    fn reads_rcgen_certificate_with_dc_and_string_types() {
        use rcgen::{BmpString, DnType, DnValue, TeletexString, UniversalString};
        let mut name = rcgen::DistinguishedName::new();
        name.push(
            DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 25]),
            DnValue::Ia5String("com".try_into().expect("ascii")),
        );
        name.push(
            DnType::LocalityName,
            DnValue::BmpString(BmpString::try_from("東京").expect("bmp")),
        );
        name.push(
            DnType::OrganizationName,
            DnValue::TeletexString(TeletexString::try_from("Fabrikam").expect("teletex")),
        );
        name.push(
            DnType::OrganizationalUnitName,
            DnValue::UniversalString(UniversalString::try_from("Zürich 𝄞").expect("universal")),
        );
        name.push(DnType::CommonName, "FabrikamCA");
        let issuer = issuer_of(&self_signed_issuer_der(name));
        assert_eq!(
            issuer.to_windows_string(),
            "CN=FabrikamCA, OU=Zürich 𝄞, O=Fabrikam, L=東京, DC=com"
        );
    }

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 0x80 {
            out.push(content.len() as u8);
        } else {
            out.push(0x81);
            out.push(content.len() as u8);
        }
        out.extend_from_slice(content);
        out
    }

    const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    const OID_OU: &[u8] = &[0x55, 0x04, 0x0B];
    const OID_DC: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19];

    fn atv(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        tlv(0x30, &[tlv(0x06, oid), tlv(tag, value)].concat())
    }

    fn name_der(rdns: &[Vec<Vec<u8>>]) -> Vec<u8> {
        let sets: Vec<u8> = rdns
            .iter()
            .flat_map(|avas| tlv(0x31, &avas.concat()))
            .collect();
        tlv(0x30, &sets)
    }

    fn from_der(der: &[u8]) -> Result<DistinguishedName, DnError> {
        let (_, name) = X509Name::from_der(der).expect("Name structure parses");
        DistinguishedName::from_x509(&name)
    }

    #[test]
    fn reads_hand_built_names_root_first() {
        let der = name_der(&[
            vec![atv(OID_DC, 0x16, b"com")],
            vec![atv(OID_DC, 0x16, b"contoso")],
            vec![atv(OID_CN, 0x13, b"ContosoCA")],
        ]);
        let name = from_der(&der).expect("decodes");
        assert_eq!(name, contoso_ca());
        assert_eq!(name.to_string(), "CN=ContosoCA, DC=contoso, DC=com");

        let multi = name_der(&[
            vec![atv(OID_DC, 0x16, b"fabrikam")],
            vec![atv(OID_OU, 0x0C, b"Sales"), atv(OID_CN, 0x0C, b"J. Smith")],
        ]);
        assert_eq!(
            from_der(&multi).expect("decodes").to_string(),
            "OU=Sales + CN=J. Smith, DC=fabrikam"
        );
    }

    #[test]
    fn reads_every_string_type() {
        let bmp: Vec<u8> = "Zürich 東京"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let universal: Vec<u8> = "𝄞 Zürich"
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        let cases: [(u8, Vec<u8>, &str); 8] = [
            (0x0C, "Zürich".as_bytes().to_vec(), "Zürich"),
            (0x13, b"Contoso".to_vec(), "Contoso"),
            (0x16, b"contoso.com".to_vec(), "contoso.com"),
            (0x14, b"Z\xFCrich".to_vec(), "Zürich"),
            (0x1E, bmp, "Zürich 東京"),
            (0x1C, universal, "𝄞 Zürich"),
            (0x12, b"0123 456".to_vec(), "0123 456"),
            (0x1A, b"Visible".to_vec(), "Visible"),
        ];
        for (tag, bytes, expected) in cases {
            let der = name_der(&[vec![atv(OID_CN, tag, &bytes)]]);
            let name = from_der(&der).expect("decodes");
            assert_eq!(name.rdns()[0].avas()[0].value(), expected, "tag {tag:#x}");
        }
    }

    #[test]
    fn rejects_undecodable_certificate_values() {
        let cases: [(u8, &[u8]); 7] = [
            (0x1E, &[0x00, 0x41, 0x00]),
            (0x1E, &[0xD8, 0x00, 0x00, 0x41]),
            (0x1C, &[0x00, 0x00, 0x41]),
            (0x1C, &[0x00, 0x11, 0x00, 0x00]),
            (0x0C, &[0xC3, 0x28]),
            (0x04, b"octets"),
            (0x02, &[0x01]),
        ];
        for (tag, bytes) in cases {
            let der = name_der(&[vec![atv(OID_CN, tag, bytes)]]);
            let (_, name) = X509Name::from_der(&der).expect("Name structure parses");
            let error = DistinguishedName::from_x509(&name).expect_err("must not decode");
            assert!(
                matches!(&error, DnError::UndecodableValue { oid, .. } if oid == CN),
                "{error}"
            );
        }
        let constructed = name_der(&[vec![atv(OID_CN, 0x30, &tlv(0x0C, b"a"))]]);
        let (_, name) = X509Name::from_der(&constructed).expect("parses as ANY");
        assert!(DistinguishedName::from_x509(&name).is_err());
    }

    /// Every short string over an alphabet of meaningful characters: parsing must never
    /// panic, and whatever parses (without backslashes, which .NET prints verbatim) must
    /// survive a trip through the Windows form.
    #[test]
    fn short_hostile_inputs_never_panic_and_round_trip() {
        let alphabet: Vec<char> = "CN=,+\"\\#/; 4é".chars().collect();
        let mut text = String::new();
        for n in 0..alphabet.len().pow(5) {
            text.clear();
            let mut rest = n;
            while rest > 0 {
                text.push(alphabet[rest % alphabet.len()]);
                rest /= alphabet.len();
            }
            let Ok(name) = DistinguishedName::parse(&text) else {
                continue;
            };
            let windows = name.to_windows_string();
            if !windows.contains('\\') {
                assert_eq!(
                    dn(&windows).compare(&name),
                    DnMatch::Same,
                    "{text:?} -> {windows:?}"
                );
            }
        }
    }

    #[test]
    fn question_marks_of_an_ascii_export_match_any_one_character() {
        let cert =
            DistinguishedName::parse("CN=Zürich Issuing CA, O=Contoso Zürich AG, C=CH").unwrap();
        let exported =
            DistinguishedName::parse("CN=Z?rich Issuing CA, O=Contoso Z?rich AG, C=CH").unwrap();
        assert_eq!(cert.compare_pattern(&exported), DnMatch::Same);
        assert_eq!(cert.compare(&exported), DnMatch::Different);
        let reversed =
            DistinguishedName::parse("C=CH, O=Contoso Z?rich AG, CN=Z?rich Issuing CA").unwrap();
        assert_eq!(cert.compare_pattern(&reversed), DnMatch::Reversed);
        let other =
            DistinguishedName::parse("CN=Zu?rich Issuing CA, O=Contoso Z?rich AG, C=CH").unwrap();
        assert_eq!(cert.compare_pattern(&other), DnMatch::Different);
    }
}
