//! `Get-ExchangeCertificate` exports under `--certs` (Export-Csv, ConvertTo-Json,
//! Export-Clixml): recognised by their first bytes, read as they stream, each object turned
//! into a certificate as soon as it is read, so that only the certificates stay in memory.

use std::cell::Cell;
use std::fmt::Display;
use std::io::{Read, Seek};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use super::{Content, Format, Reading, Seen};
use crate::cert::certificate::{self, Certificate, CertificateError};
use crate::cert::dn::Issuers;
use crate::cert::exchange_csv::{self, CsvError};
use crate::cert::export::{ExportedCertificate, Record};
use crate::cert::index::{CertIndex, Source};
use crate::cert::{clixml, exchange_json, sst};
use crate::diag::{Code, Diagnostic, Severity};
use crate::encoding::{self, DecodeError, Decoding, NotAnsi};
use crate::walk::ReadError;

/// Which export a file is, and how its bytes are text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Export {
    Clixml,
    Json,
    Csv {
        /// Why its first bytes are not UTF-8, when they are not: then it is read as a
        /// Windows ANSI code page.
        not_utf8: Option<DecodeError>,
        /// Starts with a UTF-8 BOM, so that bytes that are not UTF-8 are damage, not ANSI.
        bom: bool,
    },
}

impl Export {
    /// The export the first bytes of a file begin, if they begin one. Binary containers (a
    /// serialized store, anything DER) and PEM text are left to the whole-file readers, in
    /// the order they always had.
    pub(super) fn of_head(head: &[u8]) -> Option<Export> {
        let binary = sst::looks_like(head) || head.first() == Some(&0x30);
        if binary || super::contains(head, b"-----BEGIN ") {
            return None;
        }
        Self::of_text(head, false)
    }

    /// The export a whole file is, if it is one.
    pub(super) fn of_whole(bytes: &[u8]) -> Option<Export> {
        Self::of_text(bytes, true)
    }

    fn of_text(bytes: &[u8], whole: bool) -> Option<Export> {
        let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
        let text = match encoding::decode_head(bytes) {
            Ok((text, _)) => text,
            Err(error) => {
                let text = ansi_as_unknown(bytes)?;
                let not_utf8 = Some(error);
                return exchange_csv::looks_like_text(&text)
                    .then_some(Export::Csv { not_utf8, bom });
            }
        };
        if clixml::looks_like_text(&text) {
            Some(Export::Clixml)
        } else if exchange_json::looks_like_text(&text, whole) {
            Some(Export::Json)
        } else if exchange_csv::looks_like_text(&text) {
            Some(Export::Csv {
                not_utf8: None,
                bom,
            })
        } else {
            None
        }
    }

    pub(super) fn format(&self) -> Format {
        match self {
            Export::Clixml => Format::Clixml,
            Export::Json => Format::Json,
            Export::Csv { .. } => Format::Csv,
        }
    }

    /// Reads the export from its first byte; an unusable object is a diagnostic and the rest
    /// go on.
    pub(super) fn read<R: Read + Seek>(
        self,
        raw: R,
        path: &Path,
        shown: &str,
        reading: &Reading,
        known: &CertIndex,
    ) -> Content {
        let format = self.format();
        match self {
            Export::Clixml => collect(format, path, shown, known, |each| {
                clixml::read_from(raw, shown, each)
            }),
            Export::Json => collect(format, path, shown, known, |each| {
                exchange_json::read_from(raw, shown, each)
            }),
            Export::Csv {
                not_utf8: Some(error),
                ..
            } => read_ansi(raw, path, shown, reading, known, error),
            Export::Csv {
                not_utf8: None,
                bom,
            } => read_csv(raw, bom, path, shown, reading, known),
        }
    }
}

/// The certificates and the diagnostics of one export, gathered object by object.
struct Collected<'k> {
    path: Arc<Path>,
    shown: String,
    /// The certificates indexed before this file.
    known: &'k CertIndex,
    /// Objects read and not yet made certificates: that is done a batch at a time, in
    /// parallel (parsing the DER and hashing it), while the file itself is read in order.
    pending: Vec<Result<ExportedCertificate, (String, String)>>,
    certs: Vec<Seen>,
    /// The issuers of the certificates kept until the file is read: one copy of each.
    issuers: Issuers,
    diagnostics: Vec<Diagnostic>,
}

/// How many objects of an export are made certificates together.
const BATCH: usize = 256;

impl<'k> Collected<'k> {
    fn new(path: &Path, shown: &str, known: &'k CertIndex) -> Self {
        Collected {
            path: Arc::from(path),
            shown: shown.to_string(),
            known,
            pending: Vec::new(),
            certs: Vec::new(),
            issuers: Issuers::default(),
            diagnostics: Vec::new(),
        }
    }

    /// One object as it is read.
    fn add<P: Display>(&mut self, record: Record<P>) {
        self.pending
            .push(record.map_err(|e| (e.origin, e.problem.to_string())));
        if self.pending.len() == BATCH {
            self.convert();
        }
    }

    /// The objects read so far, each a certificate and its warnings or why it is unusable,
    /// in the file's order.
    fn convert(&mut self) {
        use rayon::prelude::*;
        let (path, shown) = (&self.path, self.shown.as_str());
        let outcomes: Vec<_> = std::mem::take(&mut self.pending)
            .into_par_iter()
            .map(|record| {
                record.and_then(|r| {
                    from_record(&r, path, shown).map_err(|e| (r.origin.clone(), e.to_string()))
                })
            })
            .collect();
        for outcome in outcomes {
            match outcome {
                Ok((mut cert, source, warnings)) => {
                    for (code, warning) in warnings {
                        let mut note = self.unusable(&source.origin(), warning, Severity::Warning);
                        note.code = code;
                        self.diagnostics.push(note);
                    }
                    // An organisation's export repeats the certificates of the servers'
                    // own files: those are kept as another place of what is indexed.
                    self.certs.push(if self.known.holds(&cert) {
                        Seen::Again(cert.thumbprint, source)
                    } else {
                        self.issuers.share(&mut cert.issuer_text, &mut cert.issuer);
                        Seen::New(Box::new(cert), source)
                    });
                }
                Err((origin, message)) => {
                    let note = self.unusable(&origin, message, Severity::Error);
                    self.diagnostics.push(note);
                }
            }
        }
    }

    /// The message of one unusable object: its place in the file (`row 7`), the file itself
    /// being the diagnostic's file.
    fn unusable(&self, origin: &str, message: String, severity: Severity) -> Diagnostic {
        let place = origin
            .strip_prefix(self.shown.as_str())
            .map_or(origin, |place| place.trim_start_matches('#'));
        let message = if place.is_empty() {
            message
        } else {
            format!("{place}: {message}")
        };
        Diagnostic::new(Code::SourceUnreadable, message)
            .with_severity(severity)
            .in_file(&self.shown)
    }

    fn content(mut self, format: Format) -> Content {
        self.convert();
        if self.certs.is_empty() && !self.diagnostics.is_empty() {
            let reason = "none of its objects is a usable certificate".to_string();
            return Content::Unreadable(format, reason, self.diagnostics);
        }
        Content::Certificates(format, self.certs, self.diagnostics)
    }
}

/// Reads an export through `read`, which gives each object as it is read; a file that fails
/// as a whole is unreadable, whatever it gave before.
fn collect<P: Display, E: Display>(
    format: Format,
    path: &Path,
    shown: &str,
    known: &CertIndex,
    read: impl FnOnce(&mut dyn FnMut(Record<P>)) -> Result<(), E>,
) -> Content {
    let mut collected = Collected::new(path, shown, known);
    match read(&mut |record| collected.add(record)) {
        Ok(()) => collected.content(format),
        Err(reason) => Content::Unreadable(format, reason.to_string(), Vec::new()),
    }
}

/// An `Export-Csv` file whose first bytes are UTF-8 (or UTF-16). A byte further on that is
/// not UTF-8, in a file without a BOM, is how Excel saves a CSV in the machine's ANSI code
/// page: the file is then read again from its start as one.
fn read_csv<R: Read + Seek>(
    mut raw: R,
    bom: bool,
    path: &Path,
    shown: &str,
    reading: &Reading,
    known: &CertIndex,
) -> Content {
    let culture = &reading.csv_culture;
    let mut collected = Collected::new(path, shown, known);
    let read = exchange_csv::read_from(&mut raw, Decoding::Strict, shown, culture, &mut |r| {
        collected.add(r)
    });
    let error = match read {
        Ok(()) => return collected.content(Format::Csv),
        Err(CsvError::Read(ReadError::Decode(
            error @ DecodeError::Invalid {
                encoding: "UTF-8", ..
            },
        ))) if !bom => error,
        Err(reason) => return Content::Unreadable(Format::Csv, reason.to_string(), Vec::new()),
    };
    match raw.rewind() {
        Ok(()) => read_ansi(raw, path, shown, reading, known, error),
        Err(e) => Content::Unreadable(Format::Csv, ReadError::Io(e).to_string(), Vec::new()),
    }
}

/// An `Export-Csv` file that Excel saved in a Windows ANSI code page (1252, 1250...): the
/// bytes do not say which, so each non-ASCII one is read as an unknown character (`?`, which
/// matches any one character, as in a PowerShell 2.0 export), and a warning says how many.
/// A NUL byte means it is not ANSI text either: then `not_utf8` says what is wrong.
fn read_ansi<R: Read>(
    raw: R,
    path: &Path,
    shown: &str,
    reading: &Reading,
    known: &CertIndex,
    not_utf8: DecodeError,
) -> Content {
    let unknown = Rc::new(Cell::new(0));
    let decoding = Decoding::AnsiAsUnknown(unknown.clone());
    let culture = &reading.csv_culture;
    let mut collected = Collected::new(path, shown, known);
    let read = exchange_csv::read_from(raw, decoding, shown, culture, &mut |r| collected.add(r));
    let content = match read {
        Ok(()) => collected.content(Format::Csv),
        Err(CsvError::Read(ReadError::Io(e)))
            if e.get_ref().is_some_and(|inner| inner.is::<NotAnsi>()) =>
        {
            return Content::Unreadable(Format::Csv, not_utf8.to_string(), Vec::new());
        }
        Err(reason) => Content::Unreadable(Format::Csv, reason.to_string(), Vec::new()),
    };
    let unknown = unknown.get();
    let note = Diagnostic::new(
        Code::SourceUnreadable,
        format!(
            "the file is not UTF-8 but in a Windows ANSI code page, as Excel saves a CSV: its \
             {unknown} non-ASCII byte{} are read as unknown characters ('?', which matches any \
             one character, as in a PowerShell 2.0 export)",
            if unknown == 1 { "" } else { "s" }
        ),
    )
    .with_severity(Severity::Warning)
    .in_file(shown);
    with_note(content, note)
}

/// The first bytes of a file read as ANSI text, for recognising it: None for bytes with a BOM
/// or with NUL bytes (UTF-16), which are not.
fn ansi_as_unknown(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF])
        || bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || bytes.contains(&0)
    {
        return None;
    }
    Some(
        bytes
            .iter()
            .map(|&b| if b.is_ascii() { char::from(b) } else { '?' })
            .collect(),
    )
}

/// A file's content with one more message about it, first.
fn with_note(content: Content, note: Diagnostic) -> Content {
    match content {
        Content::Certificates(format, certs, mut diagnostics) => {
            diagnostics.insert(0, note);
            Content::Certificates(format, certs, diagnostics)
        }
        Content::Unreadable(format, reason, mut diagnostics) => {
            diagnostics.insert(0, note);
            Content::Unreadable(format, reason, diagnostics)
        }
        other => other,
    }
}

/// A warning about one exported object: its code and message.
type Note = (Code, String);

/// Why an exported object that its reader accepted is still not a certificate.
#[derive(Debug, thiserror::Error)]
enum RecordUnusable {
    #[error("its RawData is {0}")]
    RawData(#[source] CertificateError),
    #[error(transparent)]
    Fields(CertificateError),
}

/// One exported object as a certificate: from its DER when it has RawData (the computed
/// thumbprint wins over the exported text, and a disagreement is reported), else from its
/// validated text.
fn from_record(
    record: &ExportedCertificate,
    path: &Arc<Path>,
    shown: &str,
) -> Result<(Certificate, Source, Vec<Note>), RecordUnusable> {
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
            let cert = certificate::from_der(der).map_err(RecordUnusable::RawData)?;
            if let Some(text) = &record.thumbprint {
                warnings.extend(thumbprint_note(text, &cert));
            }
            cert
        }
        None => certificate::from_export(record).map_err(RecordUnusable::Fields)?,
    };
    // The readers name a record `{shown}#row 3`: the file is kept once, the place per record.
    let place = record
        .origin
        .strip_prefix(shown)
        .and_then(|rest| rest.strip_prefix('#'))
        .or_else(|| record.origin.rsplit_once('#').map(|(_, place)| place));
    let source = Source {
        file: Arc::clone(path),
        place: place.map(Box::from),
        has_private_key: record.has_private_key,
        computer: record.computer.clone(),
        friendly_name: None,
    };
    Ok((cert, source, warnings))
}

/// What the exported Thumbprint says beside the SHA-1 of the RawData, when it disagrees.
fn thumbprint_note(text: &str, cert: &Certificate) -> Option<Note> {
    match certificate::parse_thumbprint(text) {
        Ok(t) if t == cert.thumbprint => None,
        Ok(t) => Some((
            Code::SourceUnreadable,
            format!(
                "its Thumbprint {t} disagrees with the SHA-1 of its RawData, {}; the computed \
                 one is used",
                cert.thumbprint
            ),
        )),
        Err(e) => Some((
            Code::SourceUnreadable,
            format!(
                "{e}; the SHA-1 of its RawData, {}, is used",
                cert.thumbprint
            ),
        )),
    }
}
