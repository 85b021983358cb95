//! The rules every `Get-ExchangeCertificate` export follows, whatever its format: how a
//! boolean, the certificate's bytes, its domains and its dates are written, and which fields
//! make an object name a certificate. Each reader parses its format's syntax (a CSV cell, a
//! JSON value, a CLIXML element) and hands the text to these rules, so that the three formats
//! never disagree about what the same value means.

use base64::Engine as _;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::ExportedCertificate;

/// PowerShell's `[bool]` as text: `True` or `False` (`Boolean.ToString()`, the same in every
/// culture), as `Export-Csv` writes it; ConvertTo-Json's `true`/`false`, when a boolean went
/// through a string. Any case.
pub fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// [`boolean`], and the words an Excel of a supported culture writes when it saves a CSV
/// again: its TRUE and FALSE functions' names in that language (VRAI, WAHR, VERDADERO...).
pub fn boolean_or_excel(text: &str) -> Option<bool> {
    const TRUE: &[&str] = &[
        "vrai",
        "wahr",
        "verdadero",
        "vero",
        "waar",
        "verdadeiro",
        "sant",
    ];
    const FALSE: &[&str] = &["faux", "falsch", "falso", "onwaar", "falskt"];
    let is = |words: &[&str]| words.iter().any(|w| text.eq_ignore_ascii_case(w));
    boolean(text).or_else(|| {
        if is(TRUE) {
            Some(true)
        } else if is(FALSE) {
            Some(false)
        } else {
            None
        }
    })
}

/// An `xs:boolean`, as `Export-Clixml` writes `<B>`: `true`, `false`, `1` or `0`, nothing
/// else, in that case (XML Schema Part 2, 3.2.2.1; .NET's `XmlConvert.ToBoolean` reads the
/// same, white space around it ignored).
pub fn xml_boolean(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `RawData` as base64 text: what `Export-Clixml` writes for a `byte[]` (`<BA>`), PowerShell 7's
/// ConvertTo-Json for one, and a calculated `Export-Csv` column. .NET writes it on one line,
/// but an editor may have wrapped it, and a PEM block's armour lines (`-----BEGIN ...`) may
/// surround it: both are ignored.
pub fn base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let digits: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(str::chars)
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(digits)
}

/// `CertificateDomains` written as one text: a collection that `Export-Csv` wrote as its type
/// name (``System.Collections.Generic.List`1[...]``, ``...MultiValuedProperty`1[...]``) says
/// nothing; a list a calculated property joined (with spaces, commas or semicolons, perhaps
/// in braces) is split.
pub fn domains_text(text: &str) -> Vec<String> {
    if text.contains('`') || text.contains('[') {
        return Vec::new();
    }
    domains(text.split(|c: char| c.is_whitespace() || c == ',' || c == ';'))
}

/// `CertificateDomains` as a list: each name trimmed (of white space and braces), empty ones
/// dropped.
pub fn domains<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items
        .into_iter()
        .map(|item| {
            item.as_ref()
                .trim_matches(|c: char| c.is_whitespace() || c == '{' || c == '}')
                .to_string()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The one rule for a date that an export wrote without its offset from UTC.
///
/// `NotBefore` and `NotAfter` of a certificate are local times (.NET's
/// `X509Certificate2.NotAfter`: "the date in local time"; `DateTimeKind.Local`), and each
/// format writes such a time its own way:
/// - `Export-Clixml` writes a `DateTime` with `XmlConvert.ToString(value,
///   XmlDateTimeSerializationMode.RoundtripKind)` (PowerShell's `serialization.cs`,
///   `WriteDateTime`; MS-PSRP 2.2.5.1.4): a local time with its offset
///   (`2030-01-15T01:00:00+01:00`), a UTC time with `Z`, an `Unspecified` one with neither;
/// - Windows PowerShell 5.1's ConvertTo-Json (`JavaScriptSerializer`) writes
///   `\/Date(ms)\/`, milliseconds since 1970 in UTC, so its dates always say the instant;
///   PowerShell 7's (Newtonsoft.Json, `DateTimeZoneHandling.RoundtripKind` by default) writes
///   ISO 8601 with the same three forms as CLIXML;
/// - `Export-Csv` writes `DateTime.ToString()`: the exporting machine's local time in its
///   regional format, never with an offset.
///
/// So a date without an offset, in any format, is a wall-clock time of the exporting machine
/// (.NET itself takes an `Unspecified` time as local when it converts one), whose zone the
/// file does not say. It is read as UTC, at most 14 hours off, in every format alike: that is
/// what SPEC §2 already does for the CSV dates, a check against `--at` counts in days, and the
/// dates of the certificate's own bytes replace these whenever an export carries `RawData`.
pub fn unzoned(local: PrimitiveDateTime) -> OffsetDateTime {
    local.assume_utc()
}

/// An ISO 8601 date and time as .NET writes it (`s`, `u`, `o` and `RoundtripKind`):
/// `2030-01-15T01:00:00`, with an optional fraction of up to 9 digits, `T` or a space between
/// date and time, and `Z` or `+01:00` after it. The offset, when there is one, is kept; a time
/// without one is [`unzoned`].
pub fn iso_8601(text: &str) -> Option<OffsetDateTime> {
    let local_format = format_description!(
        "[year]-[month]-[day][first [T][t][ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    let text = text.trim();
    let (local, offset) = split_zone(text)?;
    let local = PrimitiveDateTime::parse(local, local_format).ok()?;
    Some(match offset {
        Some(offset) => local.assume_offset(offset),
        None => unzoned(local),
    })
}

/// `...Z` and `...+02:00` -> the offset; no zone -> None. Only the `±hh:mm` form .NET writes
/// is an offset.
fn split_zone(text: &str) -> Option<(&str, Option<UtcOffset>)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, Some(UtcOffset::UTC)));
    }
    let zone_start = text.len().saturating_sub(6);
    let (Some(local), Some(zone)) = (text.get(..zone_start), text.get(zone_start..)) else {
        return Some((text, None));
    };
    let sign = match (zone.as_bytes().first(), zone.as_bytes().get(3)) {
        (Some(b'+'), Some(b':')) => 1,
        (Some(b'-'), Some(b':')) => -1,
        _ => return Some((text, None)),
    };
    let two_digits = |part: Option<&str>| {
        part.filter(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i8>().ok())
    };
    let hours = two_digits(zone.get(1..3))?;
    let minutes = two_digits(zone.get(4..6))?;
    let offset = UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?;
    Some((local, Some(offset)))
}

/// `\/Date(1736899200000)\/` or `\/Date(1736899200000+0100)\/`, as Windows PowerShell 5.1's
/// ConvertTo-Json (`JavaScriptSerializer`) writes a date: milliseconds since 1970-01-01 UTC;
/// the offset that may follow only says where the time was local, not a correction.
pub fn json_date(text: &str) -> Option<OffsetDateTime> {
    let inner = text
        .trim()
        .strip_prefix("/Date(")
        .and_then(|t| t.strip_suffix(")/"))?;
    let millis = inner.split(['+', '-']).find(|s| !s.is_empty())?;
    let sign = if inner.starts_with('-') { -1 } else { 1 };
    let millis: i64 = millis.parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(sign * millis) * 1_000_000).ok()
}

/// The fields an object without `RawData` lacks to name its certificate: the resolver finds
/// one by its thumbprint, and matches it by issuer and serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unidentified(Vec<&'static str>);

impl Unidentified {
    /// The names of the missing fields, in the order Thumbprint, Issuer, SerialNumber.
    pub fn names(&self) -> &[&'static str] {
        &self.0
    }

    /// Whether none of the three is there.
    pub fn all(&self) -> bool {
        self.0.len() == 3
    }
}

/// Whether an exported object names a certificate: by its DER bytes, or else by thumbprint,
/// issuer and serial number, none of them absent or blank.
pub fn unidentified(certificate: &ExportedCertificate) -> Option<Unidentified> {
    if certificate.der.is_some() {
        return None;
    }
    let absent = |field: &Option<String>| field.as_deref().is_none_or(|v| v.trim().is_empty());
    let missing: Vec<&'static str> = [
        ("Thumbprint", &certificate.thumbprint),
        ("Issuer", &certificate.issuer),
        ("SerialNumber", &certificate.serial),
    ]
    .into_iter()
    .filter(|(_, field)| absent(field))
    .map(|(name, _)| name)
    .collect();
    (!missing.is_empty()).then_some(Unidentified(missing))
}

/// The server a certificate is on: the server part of its `Identity` (`CAS01\7B30E0F3...`),
/// else `PSComputerName`. In the Exchange Management Shell's remote session,
/// `PSComputerName` names the host the session ran on for every object, whichever server the
/// certificate is on; the `Identity` is the certificate's own.
pub fn computer(identity: Option<&str>, ps_computer_name: Option<&str>) -> Option<String> {
    identity.and_then(server_of_identity).or_else(|| {
        ps_computer_name
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
    })
}

/// `CAS01\7B30...` -> `CAS01`: the server part of an ExchangeCertificate `Identity`.
fn server_of_identity(identity: &str) -> Option<String> {
    let (server, _) = identity.split_once('\\')?;
    let server = server.trim();
    (!server.is_empty()).then(|| server.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn booleans_as_each_writer_spells_them() {
        assert_eq!(boolean("True"), Some(true));
        assert_eq!(boolean("FALSE"), Some(false));
        assert_eq!(boolean("VRAI"), None);
        assert_eq!(boolean("1"), None);
        assert_eq!(boolean_or_excel("VRAI"), Some(true));
        assert_eq!(boolean_or_excel("Falsch"), Some(false));
        assert_eq!(boolean_or_excel("True"), Some(true));
        assert_eq!(boolean_or_excel("yes"), None);
        assert_eq!(xml_boolean(" true "), Some(true));
        assert_eq!(xml_boolean("0"), Some(false));
        assert_eq!(xml_boolean("True"), None);
        assert_eq!(xml_boolean("maybe"), None);
    }

    #[test]
    fn base64_ignores_wrapping_and_armour() {
        assert_eq!(base64("TWFu").unwrap(), b"Man");
        assert_eq!(base64(" TW\r\n  Fu ").unwrap(), b"Man");
        assert_eq!(
            base64("-----BEGIN CERTIFICATE-----\nTWFu\n-----END CERTIFICATE-----").unwrap(),
            b"Man"
        );
        assert_eq!(base64("").unwrap(), b"");
        assert!(base64("System.Byte[]").is_err());
        assert!(base64("T===").is_err());
    }

    #[test]
    fn domains_as_text_or_list() {
        assert_eq!(
            domains_text("mail.contoso.com autodiscover.contoso.com"),
            ["mail.contoso.com", "autodiscover.contoso.com"]
        );
        assert_eq!(
            domains_text("{a.contoso.com, b.contoso.com}"),
            ["a.contoso.com", "b.contoso.com"]
        );
        assert!(domains_text("System.Collections.Generic.List`1[System.String]").is_empty());
        assert_eq!(domains(["a", "", " b "]), ["a", "b"]);
    }

    #[test]
    fn iso_8601_keeps_an_offset_and_reads_none_as_utc() {
        assert_eq!(
            iso_8601("2030-01-15T01:00:00+01:00"),
            Some(datetime!(2030-01-15 01:00 +01:00))
        );
        assert_eq!(
            iso_8601("2030-01-15T01:00:00+01:00").map(|t| t.offset().whole_hours()),
            Some(1)
        );
        assert_eq!(
            iso_8601("2020-01-15T07:30:00.1234567-05:00"),
            Some(datetime!(2020-01-15 07:30:00.1234567 -05:00))
        );
        assert_eq!(
            iso_8601("2030-01-31 13:45:30Z"),
            Some(datetime!(2030-01-31 13:45:30 UTC))
        );
        // The one rule: no offset, the exporting machine's local time, read as UTC.
        assert_eq!(
            iso_8601("2030-01-15T01:00:00"),
            Some(datetime!(2030-01-15 01:00 UTC))
        );
        assert_eq!(
            iso_8601("2030-01-15T01:00:00"),
            Some(unzoned(datetime!(2030-01-15 01:00)))
        );
        for wrong in [
            "2030-01-31T25:00:00",
            "2030-01-31T13:45:30+2:00",
            "31/01/2030 13:45:30",
            "yesterday",
            "",
            "Z",
            "+01:00",
        ] {
            assert_eq!(iso_8601(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn json_dates_are_utc_milliseconds() {
        assert_eq!(
            json_date("/Date(1736899200000)/").map(|t| t.unix_timestamp()),
            Some(1_736_899_200)
        );
        // The offset says where the time was local; the milliseconds are already UTC.
        assert_eq!(
            json_date("/Date(1736899200000+0100)/").map(|t| t.unix_timestamp()),
            Some(1_736_899_200)
        );
        assert_eq!(
            json_date("/Date(-1000)/").map(|t| t.unix_timestamp()),
            Some(-1)
        );
        assert_eq!(json_date("/Date()/"), None);
        assert_eq!(json_date("2030-01-15"), None);
        assert_eq!(json_date("/Date(99999999999999999999)/"), None);
    }

    #[test]
    fn identified_by_der_or_by_three_fields() {
        let mut cert = ExportedCertificate {
            thumbprint: Some("AB".into()),
            issuer: Some(" ".into()),
            ..ExportedCertificate::default()
        };
        let missing = unidentified(&cert).unwrap();
        assert_eq!(missing.names(), ["Issuer", "SerialNumber"]);
        assert!(!missing.all());
        cert.thumbprint = None;
        assert!(unidentified(&cert).unwrap().all());
        cert.der = Some(vec![0x30]);
        assert_eq!(unidentified(&cert), None);
        let full = ExportedCertificate {
            thumbprint: Some("AB".into()),
            issuer: Some("CN=CA".into()),
            serial: Some("01".into()),
            ..ExportedCertificate::default()
        };
        assert_eq!(unidentified(&full), None);
    }

    #[test]
    fn the_identity_names_the_server_before_the_session_host() {
        assert_eq!(
            computer(Some("CAS02\\7B30"), Some("cas01.contoso.com")).as_deref(),
            Some("CAS02")
        );
        assert_eq!(
            computer(Some("7B30"), Some(" cas01.contoso.com ")).as_deref(),
            Some("cas01.contoso.com")
        );
        assert_eq!(computer(Some(" \\7B30"), Some("  ")), None);
        assert_eq!(computer(None, None), None);
    }
}
