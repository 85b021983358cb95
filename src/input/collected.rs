//! What the collection script found on each server before the change: the OWA virtual
//! directories and their current `InstantMessaging*` values (`owa-virtual-directories.csv`
//! in the server's collected folder, written by `Collect-OwaImInputs.ps1`).

use std::path::Path;

use serde::Serialize;

use crate::diag::{Code, Diagnostic, Severity};
use crate::encoding;

/// The file the collection script writes in each server's folder.
pub const FILE: &str = "owa-virtual-directories.csv";

/// One OWA virtual directory as it was before the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrentValues {
    pub identity: String,
    pub server_name: String,
    pub thumbprint: String,
    pub enabled: bool,
    /// `None`, `Ocs` or `Msn`, as Exchange prints it.
    pub kind: String,
    /// The OWA `ExternalUrl`: set on the virtual directories that take Internet traffic, the
    /// ones SP2's cross-site redirection belongs on. Empty when not set or not collected.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub external_url: String,
}

impl CurrentValues {
    /// Whether the change would leave this virtual directory as it is.
    pub fn matches(&self, server_name: &str, thumbprint: &str) -> bool {
        self.enabled
            && self.kind.eq_ignore_ascii_case("ocs")
            && self.server_name.eq_ignore_ascii_case(server_name)
            && self.thumbprint.eq_ignore_ascii_case(thumbprint)
    }
}

/// The rows of a server's collected values, and the warnings about them.
pub type Collected = (Vec<CurrentValues>, Vec<Diagnostic>);

/// The collected values in `folder`, if the collection script left them there. An
/// unreadable file is a warning: the conversion does not depend on it.
/// With the rows come warnings for the invisible characters removed from them (a collected
/// identity reaches the change script, where none may stand).
pub fn read(folder: &Path) -> Option<Result<Collected, Diagnostic>> {
    let path = folder.join(FILE);
    // Absent is the common case (a folder collected by hand); anything there is read.
    std::fs::symlink_metadata(&path).ok()?;
    let shown = crate::paths::shown(&path);
    let fail = |message: String| {
        Diagnostic::new(
            Code::SourceUnreadable,
            format!("{message}; the current OWA values are not shown"),
        )
        .with_severity(Severity::Warning)
        .in_file(&shown)
    };
    let read = crate::walk::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| parse(&bytes))
        .map_err(fail);
    Some(read.map(|(rows, removed)| {
        let notes = removed
            .into_iter()
            .map(|(line, what)| {
                Diagnostic::new(
                    Code::HiddenCharacters,
                    format!("invisible characters removed from this row ({what})"),
                )
                .in_file(&shown)
                .at_line(line)
            })
            .collect();
        (rows, notes)
    }))
}

/// The rows, and what was removed from which line.
type Parsed = (Vec<CurrentValues>, Vec<(u32, String)>);

fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let (text, _) = encoding::decode(bytes).map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let identity = column("identity").ok_or("it has no Identity column")?;
    let [enabled, kind, server_name, thumbprint, external_url] = [
        "instantmessagingenabled",
        "instantmessagingtype",
        "instantmessagingservername",
        "instantmessagingcertificatethumbprint",
        "externalurl",
    ]
    .map(column);
    let mut rows = Vec::new();
    let mut removed = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        // The header is line 1; Export-Csv writes one line a row.
        let line = u32::try_from(index + 2).unwrap_or(u32::MAX);
        let mut gone = Vec::new();
        let mut get = |i: Option<usize>| {
            let (text, hidden) = crate::hidden::strip(i.and_then(|i| record.get(i)).unwrap_or(""));
            gone.extend(hidden);
            text.trim().to_string()
        };
        let values = CurrentValues {
            identity: get(Some(identity)),
            server_name: get(server_name),
            thumbprint: get(thumbprint),
            enabled: get(enabled).eq_ignore_ascii_case("true"),
            kind: get(kind),
            external_url: get(external_url),
        };
        if !gone.is_empty() {
            removed.push((line, crate::hidden::describe_all(&gone)));
        }
        rows.push(values);
    }
    Ok((rows, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_export_csv_wrote() {
        let text = "\u{FEFF}\"Identity\",\"Server\",\"InstantMessagingEnabled\",\"InstantMessagingType\",\"InstantMessagingServerName\",\"InstantMessagingCertificateThumbprint\"\r\n\"CAS02\\owa (Default Web Site)\",\"CAS02\",\"True\",\"Ocs\",\"naocs.contoso.com\",\"02c23f6b82077ad1581d88253b6e5273a3c7e8b0\"\r\n\"CAS02\\owa (Intranet)\",\"CAS02\",\"False\",\"None\",\"\",\"\"\r\n";
        let (rows, removed) = parse(text.as_bytes()).unwrap();
        assert!(removed.is_empty());
        assert_eq!(rows.len(), 2);
        assert!(rows[0].matches(
            "NAOCS.contoso.com",
            "02C23F6B82077AD1581D88253B6E5273A3C7E8B0"
        ));
        assert!(!rows[1].matches(
            "naocs.contoso.com",
            "02C23F6B82077AD1581D88253B6E5273A3C7E8B0"
        ));
        assert_eq!(rows[1].identity, "CAS02\\owa (Intranet)");
        assert!(parse(b"\"Server\"\r\n\"CAS01\"\r\n").is_err());
    }

    #[test]
    fn invisible_characters_are_removed_and_said_by_line() {
        let text = "Identity,InstantMessagingType\r\nCAS01\\owa\u{202E} (Default Web Site),Ocs\r\n";
        let (rows, removed) = parse(text.as_bytes()).unwrap();
        assert_eq!(rows[0].identity, "CAS01\\owa (Default Web Site)");
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].0, 2);
        assert!(removed[0].1.contains("U+202E"), "{:?}", removed[0]);
    }
}
