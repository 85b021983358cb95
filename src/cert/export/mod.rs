//! What a `Get-ExchangeCertificate` export (`Export-Csv`, `ConvertTo-Json`, `Export-Clixml`)
//! says about one certificate. Every field is untrusted text from another machine: the
//! resolver validates each one before it becomes part of a `Certificate`, and the DER bytes,
//! when an export carries them (`RawData`), win over every other field.
//!
//! How an export is read, by concept:
//! - `rules.rs`: what a value means whatever the format (booleans, base64 `RawData`,
//!   `CertificateDomains`, dates and the one rule for a date without an offset, whether an
//!   object names a certificate, which server it is on);
//! - `stream.rs`: the file's text as it streams (decoded on the fly, lines kept for messages,
//!   one object at most 64 MiB);
//! - `cert/exchange_csv/`, `cert/exchange_json.rs`, `cert/clixml/`: each format's syntax,
//!   giving one [`Record`] per object as soon as it is read;
//! - `cert/source/exports.rs`: which export a file is (by its first bytes), and each record
//!   turned into a certificate.

pub mod rules;
pub mod stream;

use time::OffsetDateTime;

/// One exported certificate object (a CSV row, a JSON object, a CLIXML `<Obj>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportedCertificate {
    /// Where it was read: `exports/cas01.csv#row 3`, `cas01.json#object 2`.
    pub origin: String,
    /// `RawData`: the certificate's DER bytes, when the export has them.
    pub der: Option<Vec<u8>>,
    /// `Thumbprint` as exported: untrusted text (may hold invisible characters).
    pub thumbprint: Option<String>,
    /// `Issuer` as Windows prints it (`CN=ContosoCA, DC=contoso, DC=com`).
    pub issuer: Option<String>,
    pub subject: Option<String>,
    /// `SerialNumber` as .NET prints it: big-endian upper-case hex (`1F5EDD03000000000005`).
    pub serial: Option<String>,
    pub not_before: Option<OffsetDateTime>,
    pub not_after: Option<OffsetDateTime>,
    pub has_private_key: Option<bool>,
    /// The server the certificate is on: the server part of its `Identity`
    /// (`CAS01\7B30E0F3...`), else `PSComputerName` (which, in a remote session, names the
    /// session's host rather than the certificate's server).
    pub computer: Option<String>,
    /// `CertificateDomains`.
    pub domains: Vec<String>,
    /// `IsSelfSigned`.
    pub self_signed: Option<bool>,
}

/// One object of an export that cannot be used; the rest of the file still is. `P` says
/// why, in each format's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError<P> {
    /// As in `ExportedCertificate::origin`.
    pub origin: String,
    pub problem: P,
}

/// One object of an export, as its reader gives it.
pub type Record<P> = Result<ExportedCertificate, RecordError<P>>;

/// Everything read from one export file, object by object.
pub type Records<P> = Vec<Record<P>>;
