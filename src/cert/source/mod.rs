//! Certificate sources named by `--certs`, files and folders, mixed, recognised by their
//! content rather than their extension: PEM (bundles, text around the blocks), DER, PKCS#7
//! chains (DER or Base-64), serialized certificate stores, PKCS#12, and
//! `Get-ExchangeCertificate` exports (CSV, JSON, CLIXML). Each certificate read becomes one
//! more view of the same index entry. A file that looks like a certificate container but
//! holds nothing read is named in a warning; anything plainly else stays quiet.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

use rayon::prelude::*;

use serde::Serialize;
use x509_parser::pem::Pem;

mod exports;

use exports::Export;

use super::certificate::{self, Certificate};
use super::exchange_csv::Culture;
use super::index::{CertIndex, Source};
use super::password::Passwords;
use super::thumbprint::Thumbprint;
use super::{pkcs12, pkcs7, sst};
use crate::diag::{Code, Diagnostic, Severity};
use crate::error::Error;

/// One file read from `--certs`, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    pub file: String,
    pub format: Format,
    pub certificates: usize,
    pub status: Status,
}

/// What a file under `--certs` is, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pem,
    Der,
    Pkcs7,
    Sst,
    Pkcs12,
    Csv,
    Json,
    Clixml,
    Unknown,
}

/// What became of a file under `--certs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Read,
    Unreadable,
    /// Not certificate material (a README), or a container of something else (a private
    /// key), which a warning names.
    Ignored,
}

/// Everything read from the `--certs` arguments.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every certificate read, once, with every place it was seen.
    pub index: CertIndex,
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
    "cer", "crt", "der", "pem", "cert", "p7b", "p7c", "sst", "pfx", "p12", "clixml",
];

/// What is read, for the messages about a file that is not.
const READ_FORMATS: &str = "read are certificates as DER or Base-64 (.cer, .crt, .pem), \
    PKCS #7 chains (.p7b), serialized certificate stores (.sst), PKCS #12 (.pfx) and \
    Get-ExchangeCertificate exports (Export-Csv, ConvertTo-Json, Export-Clixml)";

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
        if !meta.is_dir() {
            found.files.push(path.clone());
            continue;
        }
        let (files, walked) = crate::walk::files(path, |_| true);
        found.diagnostics.extend(walked);
        found.files.extend(files);
    }
    crate::walk::distinct(&mut found.files, |f| f);
    Ok(found)
}

/// Reads the files found into one index, in parallel; certificates are indexed in the order
/// of the paths and, inside a folder, of the sorted file names, so the index is the same on
/// every run. Files are read a group at a time and each group indexed before the next is
/// read, so that what is in memory is the index and one group's certificates, not every
/// copy of every certificate (an organisation's certificates are often in a folder of
/// files and in one or two exports at once).
pub fn read(found: Found, reading: &Reading) -> Loaded {
    let mut loaded = Loaded {
        diagnostics: found.diagnostics,
        ..Loaded::default()
    };
    for group in groups(&found.files) {
        let contents: Vec<(String, Content)> = group
            .par_iter()
            .map(|path| {
                let shown = crate::paths::shown(path);
                let content = read_file(path, &shown, reading, &loaded.index);
                (shown, content)
            })
            .collect();
        for (shown, content) in contents {
            add(&mut loaded, shown, content);
        }
    }
    loaded
}

/// Consecutive files read together: up to 64 of them, or as many as make 4 MiB; a larger
/// file (an export of a whole organisation) is a group of its own.
fn groups(files: &[PathBuf]) -> Vec<&[PathBuf]> {
    const FILES: usize = 64;
    const BYTES: u64 = 4 * 1024 * 1024;
    let mut groups = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, file) in files.iter().enumerate() {
        let size = std::fs::metadata(file).map_or(0, |m| m.len());
        if i > start && (i - start == FILES || bytes + size > BYTES) {
            groups.push(&files[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < files.len() {
        groups.push(&files[start..]);
    }
    groups
}

/// One file under `--certs`. A `Get-ExchangeCertificate` export, recognised by its first
/// bytes, is read as it streams (it may be larger than any file read whole: 10,000 servers'
/// Export-Clixml is 73 MB); anything else is read whole and recognised by its content.
/// `known`: the certificates indexed so far; an export's certificate already there is kept
/// as another source of it only.
fn read_file(path: &Path, shown: &str, reading: &Reading, known: &CertIndex) -> Content {
    let opened = match crate::walk::open(path) {
        Ok(opened) => opened,
        Err(reason) => return Content::Unreadable(Format::Unknown, reason.to_string(), Vec::new()),
    };
    if let Some(export) = Export::of_head(opened.head()) {
        return match opened.into_stream() {
            Ok(stream) => export.read(stream, path, shown, reading, known),
            Err(reason) => Content::Unreadable(export.format(), reason.to_string(), Vec::new()),
        };
    }
    match opened.into_bytes() {
        Ok(bytes) => recognise(path, shown, &bytes, reading, known),
        Err(reason) => Content::Unreadable(Format::Unknown, reason.to_string(), Vec::new()),
    }
}

/// What a file turned out to hold.
pub(super) enum Content {
    Certificates(Format, Vec<Seen>, Vec<Diagnostic>),
    /// Unreadable as a whole; with the messages of its unusable objects, if any.
    Unreadable(Format, String, Vec<Diagnostic>),
    /// A certificate container by its look that holds nothing read: said in a warning.
    NotRead(Format, String),
    Ignored,
}

/// A certificate a file holds.
pub(super) enum Seen {
    New(Box<Certificate>, Source),
    /// One the index already has (and would keep as it is): only this new place of it is
    /// kept, not a second copy of the certificate.
    Again(Thumbprint, Source),
}

/// Records what one file gave, in the order the files were named.
fn add(loaded: &mut Loaded, shown: String, content: Content) {
    let (format, certificates, status) = match content {
        Content::Certificates(format, certs, diagnostics) => {
            let count = certs.len();
            for seen in certs {
                match seen {
                    Seen::New(cert, source) => loaded.index.insert(*cert, source),
                    Seen::Again(thumbprint, source) => loaded.index.add_source(&thumbprint, source),
                }
            }
            loaded.diagnostics.extend(diagnostics);
            (format, count, Status::Read)
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
            (format, 0, Status::Unreadable)
        }
        Content::NotRead(format, why) => {
            loaded.diagnostics.push(
                Diagnostic::new(
                    Code::SourceUnreadable,
                    format!("not read as a certificate source: {why}; {READ_FORMATS}"),
                )
                .with_severity(Severity::Warning)
                .in_file(&shown),
            );
            (format, 0, Status::Ignored)
        }
        Content::Ignored => (Format::Unknown, 0, Status::Ignored),
    };
    loaded.files.push(SourceFile {
        file: shown,
        format,
        certificates,
        status,
    });
}

fn recognise(
    path: &Path,
    shown: &str,
    bytes: &[u8],
    reading: &Reading,
    known: &CertIndex,
) -> Content {
    let ext = extension(path);
    let promised = CERT_EXTENSIONS.contains(&ext.as_str());
    if bytes.is_empty() {
        return if promised {
            Content::Unreadable(Format::Unknown, "the file is empty".into(), Vec::new())
        } else {
            Content::Ignored
        };
    }
    if sst::looks_like(bytes) {
        return done(Format::Sst, read_sst(bytes, path, shown));
    }
    // PEM saved by Windows PowerShell's `>` or `Out-File` is UTF-16 with a byte order mark:
    // read as the same text in UTF-8.
    let utf16 = matches!(bytes, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..])
        .then(|| crate::encoding::decode(bytes).ok())
        .flatten()
        .filter(|(text, _)| text.contains("-----BEGIN "));
    let pem = utf16.as_ref().map_or(bytes, |(text, _)| text.as_bytes());
    if contains(pem, b"-----BEGIN ") {
        return match read_pem(pem, path) {
            Err(PemError::NoCertificate(labels)) if !promised => Content::NotRead(
                Format::Pem,
                format!("its PEM blocks are {labels}: {}", pem_kind(&labels)),
            ),
            Err(PemError::Damaged(why)) if !promised => Content::NotRead(Format::Pem, why),
            read => done(Format::Pem, read.map_err(|e| e.to_string())),
        };
    }
    if pkcs7::looks_like(bytes) {
        return done(Format::Pkcs7, read_pkcs7(bytes, path));
    }
    if matches!(ext.as_str(), "pfx" | "p12") || pkcs12::looks_like(bytes) {
        return done(Format::Pkcs12, read_pkcs12(bytes, path, shown, reading));
    }
    // An export whose first bytes did not say so (a long preamble, a first object of more
    // than the head), read from memory the same way.
    if let Some(export) = Export::of_whole(bytes) {
        return export.read(std::io::Cursor::new(bytes), path, shown, reading, known);
    }
    let not_text = crate::encoding::decode(bytes).err().map(|e| e.to_string());
    recognise_der(bytes, path, &ext, not_text)
}

/// A lone DER certificate, a DER structure that is something else, or nothing read: what
/// is left once no other reader took the file. `not_text` says why the bytes were not text.
fn recognise_der(bytes: &[u8], path: &Path, ext: &str, not_text: Option<String>) -> Content {
    let promised = CERT_EXTENSIONS.contains(&ext);
    if crate::der::is_cut_short(bytes) {
        let why = format!(
            "it begins as a certificate, PKCS #7 chain or PKCS #12 file, but ends after {} \
             bytes, before that structure does: the file was cut short; copy or export it again",
            bytes.len()
        );
        return if promised {
            Content::Unreadable(Format::Der, why, Vec::new())
        } else {
            Content::NotRead(Format::Der, why)
        };
    }
    if bytes.first() == Some(&0x30) {
        match certificate::from_der(bytes) {
            Ok(cert) => {
                let source = Source::file(&Arc::from(path), None);
                return done(Format::Der, Ok(vec![(cert, source)]));
            }
            Err(reason) if promised => {
                return Content::Unreadable(Format::Der, reason.to_string(), Vec::new())
            }
            Err(_) => {}
        }
        // A few bytes of text can happen to be a DER SEQUENCE ("0 certificates renewed…"
        // is one, length 32): only bytes that are not text are taken for a structure.
        if not_text.is_some() && crate::der::is_sequence(bytes) {
            return Content::NotRead(Format::Der, format!("it is {}", der_kind(bytes)));
        }
    }
    if matches!(ext, "csv" | "json") {
        // An export that is not even text (a BOM that does not match its encoding, say) is
        // a damaged export, not a stray file.
        if let Some(why) = not_text {
            return Content::Unreadable(Format::Unknown, why, Vec::new());
        }
    }
    if promised {
        return Content::Unreadable(
            Format::Unknown,
            "not a certificate, PKCS #7 chain, serialized store, PKCS#12 file or \
             Get-ExchangeCertificate export: export it again as DER encoded binary X.509 \
             (.cer), Base-64 (PEM), .p7b, .pfx, or with Export-Clixml"
                .into(),
            Vec::new(),
        );
    }
    Content::Ignored
}

/// What PEM blocks without a certificate most likely are.
fn pem_kind(labels: &str) -> &'static str {
    if labels.contains("REQUEST") {
        "a certificate request, not a certificate; complete the request at the CA \
         (Import-ExchangeCertificate on the server) and export the issued certificate"
    } else if labels.contains("PRIVATE KEY") {
        "a private key, not a certificate"
    } else {
        "none of them holds a certificate"
    }
}

/// What a DER structure that is not a certificate, a chain or a PKCS#12 file most likely is.
fn der_kind(bytes: &[u8]) -> &'static str {
    use x509_parser::prelude::{CertificateRevocationList, FromDer, X509CertificationRequest};
    if CertificateRevocationList::from_der(bytes).is_ok() {
        "a certificate revocation list (DER), not a certificate"
    } else if X509CertificationRequest::from_der(bytes).is_ok() {
        "a certificate request (DER), not a certificate: complete the request at the CA \
         and export the issued certificate"
    } else {
        "a DER structure that is not a certificate"
    }
}

fn done(format: Format, read: Result<Vec<(Certificate, Source)>, String>) -> Content {
    match read {
        Ok(certs) => {
            let certs = certs
                .into_iter()
                .map(|(c, s)| Seen::New(Box::new(c), s))
                .collect();
            Content::Certificates(format, certs, Vec::new())
        }
        Err(reason) => Content::Unreadable(format, reason, Vec::new()),
    }
}

/// The certificates of PEM text, as `--certs` reads them (for fuzzing and tools).
pub fn pem_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    read_pem(bytes, Path::new("input.pem"))
        .map(|v| v.into_iter().map(|(c, _)| c).collect())
        .map_err(|e| e.to_string())
}

/// Why a PEM file gave no certificates.
#[derive(Debug, thiserror::Error)]
enum PemError {
    #[error("{0}")]
    Damaged(String),
    /// The labels of its blocks, none of which holds a certificate.
    #[error("the PEM file has no CERTIFICATE or PKCS7 block (its blocks are {0})")]
    NoCertificate(String),
}

/// Labels of blocks that hold one certificate.
const CERTIFICATE_LABELS: &[&str] = &["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];
/// Labels of blocks that hold a PKCS#7 chain (RFC 7468 §8; OpenSSL's older label).
const PKCS7_LABELS: &[&str] = &["PKCS7", "PKCS #7 SIGNED DATA", "CMS"];

/// Every certificate of a PEM file: CERTIFICATE blocks, and PKCS7 blocks (a Microsoft CA's
/// Base-64 chain), also where `certutil -encode` labelled the chain CERTIFICATE. Other blocks
/// (keys, requests) are passed over. A damaged block makes the whole file unreadable, so that
/// a bundle is never half-used without anyone noticing.
fn read_pem(bytes: &[u8], path: &Path) -> Result<Vec<(Certificate, Source)>, PemError> {
    let file: Arc<Path> = Arc::from(path);
    let mut certs = Vec::new();
    let mut labels = Vec::new();
    let mut chains = false;
    for (i, block) in Pem::iter_from_buffer(bytes).enumerate() {
        let block = block
            .map_err(|e| PemError::Damaged(format!("PEM block {} is damaged ({e})", i + 1)))?;
        let damaged = |e: String| PemError::Damaged(format!("PEM block {}: {e}", i + 1));
        let label = block.label.as_str();
        let is_chain = PKCS7_LABELS.contains(&label)
            || (CERTIFICATE_LABELS.contains(&label) && pkcs7::looks_like(&block.contents));
        if is_chain {
            chains = true;
            for der in pkcs7::read(&block.contents).map_err(|e| damaged(e.to_string()))? {
                let cert = certificate::from_der(&der).map_err(|e| damaged(e.to_string()))?;
                certs.push((cert, Source::file(&file, None)));
            }
        } else if CERTIFICATE_LABELS.contains(&label) {
            let cert =
                certificate::from_der(&block.contents).map_err(|e| damaged(e.to_string()))?;
            certs.push((cert, Source::file(&file, Some((i + 1).to_string()))));
        } else if !labels.iter().any(|l| l == label) {
            labels.push(label.to_string());
        }
    }
    if certs.is_empty() {
        let labels = if labels.is_empty() {
            "unreadable".to_string()
        } else {
            labels.join(", ")
        };
        return Err(PemError::NoCertificate(labels));
    }
    // A chain names its certificates by their place among all the file's certificates.
    if chains {
        for (n, (_, source)) in certs.iter_mut().enumerate() {
            source.place = Some(format!("certificate {}", n + 1).into());
        }
    }
    name_single(&mut certs);
    Ok(certs)
}

/// A file holding a single certificate is named by the file alone.
fn name_single(certs: &mut [(Certificate, Source)]) {
    if let [(_, source)] = certs {
        source.place = None;
    }
}

/// Every certificate of a PKCS#7 chain, named `file#certificate N`.
fn read_pkcs7(bytes: &[u8], path: &Path) -> Result<Vec<(Certificate, Source)>, String> {
    let ders = pkcs7::read(bytes).map_err(|e| e.to_string())?;
    let file: Arc<Path> = Arc::from(path);
    let mut certs = ders
        .iter()
        .enumerate()
        .map(|(n, der)| {
            let cert = certificate::from_der(der)
                .map_err(|e| format!("certificate {} of the chain: {e}", n + 1))?;
            let place = format!("certificate {}", n + 1);
            Ok((cert, Source::file(&file, Some(place))))
        })
        .collect::<Result<Vec<_>, String>>()?;
    name_single(&mut certs);
    Ok(certs)
}

/// Every certificate of a serialized store, named `file#element N`, with what the store's
/// properties say: a key attached on the exporting machine, and the friendly name.
fn read_sst(bytes: &[u8], path: &Path, shown: &str) -> Result<Vec<(Certificate, Source)>, String> {
    let stored = sst::read(bytes).map_err(|e| e.to_string())?;
    let file: Arc<Path> = Arc::from(path);
    let mut certs = stored
        .into_iter()
        .map(|s| {
            let place = format!("element {}", s.element);
            let cert =
                certificate::from_der(&s.der).map_err(|e| format!("{shown}#{place}: {e}"))?;
            let mut source = Source::file(&file, Some(place));
            // The key-provider property proves a key existed for it where the store was
            // exported; its absence proves nothing (a store of CA certificates has none).
            source.has_private_key = s.key_attached.then_some(true);
            source.friendly_name = s.friendly_name;
            Ok((cert, source))
        })
        .collect::<Result<Vec<_>, String>>()?;
    name_single(&mut certs);
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
    let file: Arc<Path> = Arc::from(path);
    contents
        .into_iter()
        .map(|c| {
            let cert =
                certificate::from_der(&c.der).map_err(|e| format!("a certificate inside: {e}"))?;
            let mut source = Source::file(&file, None);
            source.has_private_key = c.has_private_key;
            Ok((cert, source))
        })
        .collect()
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder and a file in it, and the folder again through another spelling: every file
    /// once, so that each certificate has one source per place it really is.
    #[test]
    fn a_file_named_several_ways_is_read_once() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/certs");
        let one = std::fs::read_dir(&fixtures)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.is_file())
            .unwrap();
        let alone = find(std::slice::from_ref(&fixtures)).unwrap();
        let paths = [fixtures.clone(), one, fixtures.join(".")];
        let again = find(&paths).unwrap();
        assert_eq!(again.files, alone.files);
        let loaded = read(again, &Reading::default());
        let read_alone = read(alone, &Reading::default());
        assert_eq!(loaded.files.len(), read_alone.files.len());
        assert_eq!(loaded.index.len(), read_alone.index.len());
    }

    #[test]
    fn groups_keep_the_order_and_bound_their_size() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (i, size) in [10, 10, 5 * 1024 * 1024, 10].into_iter().enumerate() {
            let path = dir.path().join(format!("{i}.cer"));
            std::fs::write(&path, vec![0u8; size]).unwrap();
            files.push(path);
        }
        files.extend((0..130).map(|i| dir.path().join(format!("missing-{i}"))));
        let groups = groups(&files);
        let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        assert_eq!(sizes, [2, 1, 64, 64, 3]);
        assert_eq!(groups.concat(), files);
    }
}
