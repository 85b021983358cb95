//! One certificate, with everything the checks and the report need, read once from DER.

use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::dn::{DistinguishedName, DnError, DnMatch};
use super::export::ExportedCertificate;
use super::serial::{Serial, SerialError};
use super::thumbprint::Thumbprint;
use crate::hidden;

/// What the certificate's Extended Key Usage says about Server Authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerAuth {
    /// No EKU extension: valid for every purpose.
    NoEku,
    Included,
    /// An EKU without Server Authentication; the purposes it does list.
    Lacking(Vec<String>),
    /// Known only from an export without the certificate's bytes.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Certificate {
    pub thumbprint: Thumbprint,
    /// Shared with every other certificate of the same issuer once indexed
    /// ([`super::dn::Issuers`]).
    pub issuer: Arc<DistinguishedName>,
    /// The issuer exactly as .NET's `X509Certificate.Issuer` prints it: what RTM compared.
    pub issuer_text: Arc<str>,
    pub subject_text: String,
    pub serial: Serial,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub self_signed: bool,
    pub server_auth: ServerAuth,
    pub subject_cn: Option<String>,
    pub dns_names: Vec<String>,
    /// Whether every field was read from the DER bytes (else from an export's text, which the
    /// DER replaces as soon as another source has it).
    pub from_der: bool,
    /// The issuer came from an ASCII export, where `?` stands for a non-ASCII character.
    pub issuer_wildcards: bool,
}

/// Why bytes or an export's fields are not a certificate the tool can use.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// The parser's own words stay last, in brackets, for whoever reports a bug; the
    /// sentence before them is what an administrator acts on.
    #[error(
        "the bytes are not an X.509 certificate: damaged, cut short, or something else saved \
         under a certificate's name; export the certificate again (DER or Base-64 .cer) \
         [parser: {0}]"
    )]
    NotX509(x509_parser::nom::Err<x509_parser::error::X509Error>),
    #[error("{0} unexpected bytes after the certificate")]
    TrailingBytes(usize),
    #[error("unreadable subject: {0}")]
    Subject(#[source] DnError),
    #[error("unreadable issuer: {0}")]
    Issuer(#[source] DnError),
    /// An export without the named field, and without the DER that would replace it.
    #[error("it has no {0} (and no RawData)")]
    Missing(&'static str),
    #[error("its Issuer '{text}' is not a distinguished name: {source}")]
    IssuerNotDn { text: String, source: DnError },
    #[error("its SerialNumber '{text}': {source}")]
    Serial { text: String, source: SerialError },
    #[error("it has no NotBefore/NotAfter dates (and no RawData)")]
    NoDates,
    /// The exported text, as it was (shown with its invisible characters named).
    #[error("its Thumbprint '{}' is not 40 hexadecimal digits", hidden::printable(.0))]
    Thumbprint(String),
}

/// Reads a certificate from DER. Trailing bytes are refused: a `.cer` with junk after the
/// certificate is damaged and we would rather say so than guess.
pub fn from_der(der: &[u8]) -> Result<Certificate, CertificateError> {
    let (rest, x509) = X509Certificate::from_der(der).map_err(CertificateError::NotX509)?;
    if !rest.is_empty() {
        return Err(CertificateError::TrailingBytes(rest.len()));
    }
    let subject =
        DistinguishedName::from_x509(x509.subject()).map_err(CertificateError::Subject)?;
    let issuer = DistinguishedName::from_x509(x509.issuer()).map_err(CertificateError::Issuer)?;
    let self_signed = subject.compare(&issuer) == DnMatch::Same;
    let subject_cn = common_name(&subject);
    Ok(Certificate {
        thumbprint: Thumbprint::of_der(der),
        issuer_text: issuer.to_windows_string().into(),
        subject_text: subject.to_windows_string(),
        issuer: Arc::new(issuer),
        serial: Serial::from_be_bytes(x509.raw_serial()),
        not_before: x509.validity().not_before.to_datetime(),
        not_after: x509.validity().not_after.to_datetime(),
        self_signed,
        server_auth: server_auth(&x509),
        subject_cn,
        dns_names: dns_names(&x509),
        from_der: true,
        issuer_wildcards: false,
    })
}

/// A certificate as an export describes it, without its bytes: every field is checked, and
/// the ones the tool relies on (thumbprint, issuer, serial, validity) are required.
pub fn from_export(record: &ExportedCertificate) -> Result<Certificate, CertificateError> {
    let text = |field: &Option<String>, name: &'static str| {
        field
            .as_deref()
            .map(|v| hidden::strip(v).0.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or(CertificateError::Missing(name))
    };
    let thumbprint = parse_thumbprint(&text(&record.thumbprint, "Thumbprint")?)?;
    let issuer_text = text(&record.issuer, "Issuer")?;
    let issuer =
        DistinguishedName::parse(&issuer_text).map_err(|source| CertificateError::IssuerNotDn {
            text: issuer_text.clone(),
            source,
        })?;
    let serial_text = text(&record.serial, "SerialNumber")?;
    let serial = Serial::parse(&serial_text).map_err(|source| CertificateError::Serial {
        text: serial_text.clone(),
        source,
    })?;
    let (Some(not_before), Some(not_after)) = (record.not_before, record.not_after) else {
        return Err(CertificateError::NoDates);
    };
    let subject_text = record
        .subject
        .as_deref()
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let subject = DistinguishedName::parse(&subject_text)
        .unwrap_or_else(|_| DistinguishedName::new(Vec::new()));
    let subject_cn = common_name(&subject);
    Ok(Certificate {
        thumbprint,
        self_signed: record
            .self_signed
            .unwrap_or(subject.compare(&issuer) == DnMatch::Same),
        issuer_wildcards: issuer_text.contains('?'),
        issuer: Arc::new(issuer),
        issuer_text: issuer_text.into(),
        subject_text,
        serial,
        not_before,
        not_after,
        server_auth: ServerAuth::Unknown,
        subject_cn,
        dns_names: record.domains.clone(),
        from_der: false,
    })
}

/// An exported `Thumbprint`: invisible characters removed, then exactly 40 hex digits.
pub fn parse_thumbprint(text: &str) -> Result<Thumbprint, CertificateError> {
    let (clean, _) = hidden::strip(text);
    let clean: String = clean.chars().filter(|c| !c.is_whitespace()).collect();
    Thumbprint::parse(&clean).ok_or_else(|| CertificateError::Thumbprint(text.to_string()))
}

fn common_name(dn: &DistinguishedName) -> Option<String> {
    dn.rdns()
        .iter()
        .flat_map(|rdn| rdn.avas())
        .find(|ava| ava.oid() == "2.5.4.3")
        .map(|ava| ava.value().to_string())
}

fn server_auth(x509: &X509Certificate<'_>) -> ServerAuth {
    match x509.extended_key_usage() {
        Ok(Some(eku)) => {
            let eku = eku.value;
            if eku.server_auth || eku.any {
                return ServerAuth::Included;
            }
            let mut purposes: Vec<String> = [
                (eku.client_auth, "Client Authentication"),
                (eku.code_signing, "Code Signing"),
                (eku.email_protection, "Secure Email"),
                (eku.time_stamping, "Time Stamping"),
                (eku.ocsp_signing, "OCSP Signing"),
            ]
            .into_iter()
            .filter(|(has, _)| *has)
            .map(|(_, name)| name.to_string())
            .collect();
            purposes.extend(eku.other.iter().map(|oid| oid.to_id_string()));
            ServerAuth::Lacking(purposes)
        }
        // A duplicated or unparsable EKU: OWA's own check would not find Server Auth either.
        Err(_) => ServerAuth::Lacking(vec!["(unreadable extension)".into()]),
        Ok(None) => ServerAuth::NoEku,
    }
}

fn dns_names(x509: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = x509.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(dns.to_string()),
            _ => None,
        })
        .collect()
}
