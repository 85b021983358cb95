//! Certificate sources named by `--certs`, files and folders, mixed, recognised by their
//! content rather than their extension: PEM (bundles, text around the blocks), DER, PKCS#12,
//! and `Get-ExchangeCertificate` exports (CSV, JSON, CLIXML). Each certificate read becomes
//! one more view of the same index entry.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use serde::Serialize;
use x509_parser::pem::Pem;

use super::certificate::{self, Certificate};
use super::exchange_csv::{self, Culture};
use super::export::{ExportedCertificate, Records};
use super::index::Source;
use super::password::Passwords;
use super::{clixml, exchange_json, pkcs12};
use crate::diag::{Code, Diagnostic, Severity};
use crate::Error;

/// One file read from `--certs`, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    pub file: String,
    /// `pem`, `der`, `pkcs12`, `csv`, `json`, `clixml`, or `unknown`.
    pub format: &'static str,
    pub certificates: usize,
    /// `read`, `unreadable`, or `ignored` (not certificate material, e.g. a README).
    pub status: &'static str,
}

/// Everything read from the `--certs` arguments.
#[derive(Debug, Default)]
pub struct Loaded {
    pub certificates: Vec<(Certificate, Source)>,
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Settings for reading sources.
#[derive(Debug, Default)]
pub struct Reading {
    /// Asked at most once, whichever worker meets the first PKCS#12 file.
    pub passwords: Mutex<Passwords>,
    /// The regional format `Export-Csv` wrote dates in (`--csv-culture`, default en-US).
    pub csv_culture: Culture,
    /// The web.config files are read at the same time: their progress bar must make way for
    /// the password prompt.
    pub progress: Option<indicatif::ProgressBar>,
}

/// Extensions that promise certificate material: a file with one of them that holds none is
/// an error, while other files in a certificate folder are only listed as ignored.
const CERT_EXTENSIONS: &[&str] = &[
    "cer", "crt", "der", "pem", "cert", "p7b", "pfx", "p12", "clixml",
];

/// The certificate files named, found before any is read.
#[derive(Debug, Default)]
pub struct Found {
    files: Vec<PathBuf>,
    /// Folders that could not be searched.
    diagnostics: Vec<Diagnostic>,
}

/// Every file the `--certs` paths name: a path that does not exist stops the run (SPEC §4)
/// before anything is read or a password asked for.
pub fn find(paths: &[PathBuf]) -> Result<Found, Error> {
    let mut found = Found::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Input {
            path: path.clone(),
            what: "certificate file or folder",
            source,
        })?;
        if meta.is_file() {
            found.files.push(path.clone());
            continue;
        }
        let (files, walked) = crate::walk::files(path);
        found.diagnostics.extend(walked);
        found.files.extend(files);
    }
    Ok(found)
}

/// Reads the files found, in parallel; the result is in the order of the paths and, inside
/// a folder, of the sorted file names, so the index is the same on every run.
pub fn read(found: Found, reading: &Reading) -> Loaded {
    let mut loaded = Loaded {
        diagnostics: found.diagnostics,
        ..Loaded::default()
    };
    let contents: Vec<(String, Content)> = found
        .files
        .par_iter()
        .map(|path| {
            let shown = crate::paths::shown(path);
            let content = match crate::walk::read(path) {
                Ok(bytes) => recognise(path, &shown, &bytes, reading),
                Err(reason) => Content::Unreadable("unknown", reason, Vec::new()),
            };
            (shown, content)
        })
        .collect();
    for (shown, content) in contents {
        add(&mut loaded, shown, content);
    }
    loaded
}

/// What a file turned out to hold.
enum Content {
    Certificates(&'static str, Vec<(Certificate, Source)>, Vec<Diagnostic>),
    /// Unreadable as a whole; with the messages of its unusable objects, if any.
    Unreadable(&'static str, String, Vec<Diagnostic>),
    Ignored,
}

/// Records what one file gave, in the order the files were named.
fn add(loaded: &mut Loaded, shown: String, content: Content) {
    let (format, certificates, status) = match content {
        Content::Certificates(format, certs, diagnostics) => {
            let count = certs.len();
            loaded.certificates.extend(certs);
            loaded.diagnostics.extend(diagnostics);
            (format, count, "read")
        }
        Content::Unreadable(format, reason, objects) => {
            loaded.diagnostics.push(
                Diagnostic::new(
                    Code::SourceUnreadable,
                    format!("certificate source skipped: {reason}"),
                )
                .in_file(&shown),
            );
            loaded.diagnostics.extend(objects);
            (format, 0, "unreadable")
        }
        Content::Ignored => ("unknown", 0, "ignored"),
    };
    loaded.files.push(SourceFile {
        file: shown,
        format,
        certificates,
        status,
    });
}

fn recognise(path: &Path, shown: &str, bytes: &[u8], reading: &Reading) -> Content {
    let ext = extension(path);
    if bytes.is_empty() {
        return if CERT_EXTENSIONS.contains(&ext.as_str()) {
            Content::Unreadable("unknown", "the file is empty".into(), Vec::new())
        } else {
            Content::Ignored
        };
    }
    if contains(bytes, b"-----BEGIN ") {
        return done("pem", read_pem(bytes, path, shown));
    }
    if matches!(ext.as_str(), "pfx" | "p12") || pkcs12::looks_like(bytes) {
        return done("pkcs12", read_pkcs12(bytes, path, shown, reading));
    }
    // The exports are text: decoded once (a CLIXML export of a large organisation is tens
    // of megabytes of UTF-16), then recognised and read from the text.
    let text = crate::config::encoding::decode(bytes);
    if let Ok((text, _)) = &text {
        if clixml::looks_like_text(text) {
            return export("clixml", clixml::read_text(text, shown), path);
        }
        if exchange_json::looks_like_text(text) {
            return export("json", exchange_json::read_text(text, shown), path);
        }
        if exchange_csv::looks_like_text(text) {
            return export(
                "csv",
                exchange_csv::read_text(text, shown, &reading.csv_culture),
                path,
            );
        }
    }
    if matches!(ext.as_str(), "p7b" | "p7c") {
        return Content::Unreadable(
            "unknown",
            "PKCS#7 (.p7b) bundles are not read; export each certificate as DER (.cer) or \
             Base-64 (PEM) and name those files instead"
                .into(),
            Vec::new(),
        );
    }
    if bytes.first() == Some(&0x30) {
        match certificate::from_der(bytes) {
            Ok(cert) => return done("der", Ok(vec![(cert, Source::file(shown, path))])),
            Err(reason) if CERT_EXTENSIONS.contains(&ext.as_str()) => {
                return Content::Unreadable("der", reason, Vec::new())
            }
            Err(_) => {}
        }
    }
    if matches!(ext.as_str(), "csv" | "json") {
        // An export that is not even text (a BOM that does not match its encoding, say) is
        // a damaged export, not a stray file.
        if let Err(e) = text {
            return Content::Unreadable("unknown", e.to_string(), Vec::new());
        }
    }
    if CERT_EXTENSIONS.contains(&ext.as_str()) {
        return Content::Unreadable(
            "unknown",
            "not a certificate, PKCS#12 file or Get-ExchangeCertificate export: export it again \
             as DER encoded binary X.509 (.cer), Base-64 (PEM), .pfx, or with Export-Clixml"
                .into(),
            Vec::new(),
        );
    }
    Content::Ignored
}

fn done(format: &'static str, read: Result<Vec<(Certificate, Source)>, String>) -> Content {
    match read {
        Ok(certs) => Content::Certificates(format, certs, Vec::new()),
        Err(reason) => Content::Unreadable(format, reason, Vec::new()),
    }
}

/// The certificates of PEM text, as `--certs` reads them (for fuzzing and tools).
pub fn pem_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    read_pem(bytes, Path::new("input.pem"), "input.pem")
        .map(|v| v.into_iter().map(|(c, _)| c).collect())
}

/// Every CERTIFICATE block of a PEM file; other blocks (keys, requests) are passed over.
/// A damaged block makes the whole file unreadable, so that a bundle is never half-used
/// without anyone noticing.
fn read_pem(bytes: &[u8], path: &Path, shown: &str) -> Result<Vec<(Certificate, Source)>, String> {
    let mut certs = Vec::new();
    for (i, block) in Pem::iter_from_buffer(bytes).enumerate() {
        let block = block.map_err(|e| format!("PEM block {} is damaged ({e})", i + 1))?;
        if !matches!(
            block.label.as_str(),
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
        ) {
            continue;
        }
        let cert = certificate::from_der(&block.contents)
            .map_err(|e| format!("PEM block {}: {e}", i + 1))?;
        certs.push((cert, Source::file(format!("{shown}#{}", i + 1), path)));
    }
    if certs.is_empty() {
        return Err("the PEM file has no CERTIFICATE block".into());
    }
    // A single-certificate file is named by the file alone.
    if let [(_, source)] = certs.as_mut_slice() {
        source.origin = shown.to_string();
    }
    Ok(certs)
}

fn read_pkcs12(
    bytes: &[u8],
    path: &Path,
    shown: &str,
    reading: &Reading,
) -> Result<Vec<(Certificate, Source)>, String> {
    let passwords = match reading.passwords.lock() {
        Ok(mut passwords) => passwords.get(shown, reading.progress.as_ref()).to_vec(),
        Err(poisoned) => poisoned
            .into_inner()
            .get(shown, reading.progress.as_ref())
            .to_vec(),
    };
    let contents = pkcs12::read(bytes, &passwords).map_err(|e| e.to_string())?;
    contents
        .into_iter()
        .map(|c| {
            let cert =
                certificate::from_der(&c.der).map_err(|e| format!("a certificate inside: {e}"))?;
            let mut source = Source::file(shown, path);
            source.has_private_key = c.has_private_key;
            Ok((cert, source))
        })
        .collect()
}

/// The certificates of an export; an unusable object is a diagnostic and the rest go on.
fn export(format: &'static str, read: Result<Records, String>, path: &Path) -> Content {
    let records = match read {
        Ok(records) => records,
        Err(reason) => return Content::Unreadable(format, reason, Vec::new()),
    };
    let shown = crate::paths::shown(path);
    let mut certs = Vec::new();
    let mut diagnostics = Vec::new();
    for record in records {
        let outcome = record
            .map_err(|e| (e.origin, e.message))
            .and_then(|r| from_record(&r, path).map_err(|message| (r.origin.clone(), message)));
        match outcome {
            Ok((cert, source, warnings)) => {
                diagnostics.extend(warnings.into_iter().map(|(code, w)| {
                    Diagnostic::new(code, format!("{}: {w}", source.origin))
                        .with_severity(Severity::Warning)
                        .in_file(&shown)
                }));
                certs.push((cert, source));
            }
            Err((origin, message)) => {
                diagnostics.push(unusable(&shown, &origin, message, Severity::Error))
            }
        }
    }
    if certs.is_empty() && !diagnostics.is_empty() {
        let reason = "none of its objects is a usable certificate".to_string();
        return Content::Unreadable(format, reason, diagnostics);
    }
    Content::Certificates(format, certs, diagnostics)
}

fn unusable(shown: &str, origin: &str, message: String, severity: Severity) -> Diagnostic {
    Diagnostic::new(Code::SourceUnreadable, format!("{origin}: {message}"))
        .with_severity(severity)
        .in_file(shown)
}

/// One exported object as a certificate: from its DER when it has RawData (the computed
/// thumbprint wins over the exported text, and a disagreement is reported), else from its
/// validated text.
/// A warning about one exported object: its code and message.
type Note = (Code, String);

fn from_record(
    record: &ExportedCertificate,
    path: &Path,
) -> Result<(Certificate, Source, Vec<Note>), String> {
    let mut warnings = Vec::new();
    if let Some(text) = &record.thumbprint {
        let (_, removed) = crate::hidden::strip(text);
        if !removed.is_empty() {
            warnings.push((
                Code::HiddenCharacters,
                format!(
                    "its Thumbprint contains invisible characters ({}); they were removed",
                    crate::hidden::describe_all(&removed)
                ),
            ));
        }
    }
    let cert = match &record.der {
        Some(der) => {
            let cert = certificate::from_der(der).map_err(|e| format!("its RawData is {e}"))?;
            if let Some(text) = &record.thumbprint {
                match certificate::parse_thumbprint(text) {
                    Ok(t) if t == cert.thumbprint => {}
                    Ok(t) => warnings.push((Code::SourceUnreadable, format!(
                        "its Thumbprint {t} disagrees with the SHA-1 of its RawData, {}; the computed one is used",
                        cert.thumbprint
                    ))),
                    Err(e) => warnings.push((
                        Code::SourceUnreadable,
                        format!("{e}; the SHA-1 of its RawData, {}, is used", cert.thumbprint),
                    )),
                }
            }
            cert
        }
        None => certificate::from_export(record)?,
    };
    let source = Source {
        origin: record.origin.clone(),
        file: path.to_path_buf(),
        has_private_key: record.has_private_key,
        computer: record.computer.clone(),
    };
    Ok((cert, source, warnings))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}
