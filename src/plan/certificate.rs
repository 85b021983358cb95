//! The certificate of one server: found by issuer and serial, then checked.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::cert::index::{Candidate, Entry, Found, Source};
use crate::cert::{CertIndex, Certificate, Lookup, Query, ServerAuth};
use crate::diag::{Code, Diagnostic, Severity};

use super::settings::Values;
use super::{CertificateView, Converted, Outcome, ServerPlan, Settings, Sp1};

/// How much of a value the administrator wrote a message quotes (README: at most 120
/// characters of a value).
const QUOTED: usize = 120;

/// OWA logs a warning when its certificate expires within this many days.
const EXPIRING_SOON_DAYS: i64 = 30;

/// Which of the server's values a lookup diagnostic is about (it gets that value's line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    Issuer,
    Serial,
}

/// Looks a certificate up by what the administrator wrote. Returns the match, if exactly
/// one, and the diagnostics of the lookup (loose matches, ambiguity, near misses), without
/// a location: `convert` and `resolve` both use it and place them differently.
pub fn lookup<'i>(
    index: &'i CertIndex,
    query: &Query<'_>,
) -> (Option<Found<'i>>, Vec<(About, Diagnostic)>) {
    match index.lookup(query) {
        Lookup::Found(found) => (Some(found), match_warnings(query, &found)),
        Lookup::Ambiguous(all) => (None, vec![(About::Serial, ambiguous(&all))]),
        Lookup::NotFound(candidates) => {
            let d = not_found(query, &candidates, index.len());
            (None, vec![(About::Serial, d)])
        }
    }
}

/// The one way from an issuer and serial to a checked certificate, for `convert` (each
/// server) and `resolve` alike: the lookup, then the checks of the certificate it found
/// (said about the serial, which names it).
pub fn find_certificate<'i>(
    index: &'i CertIndex,
    query: &Query<'_>,
    names: Names<'_>,
    at: OffsetDateTime,
) -> (Option<&'i Arc<Entry>>, Vec<(About, Diagnostic)>) {
    let (found, mut said) = lookup(index, query);
    let entry = found.map(|f| f.entry);
    if let Some(entry) = entry {
        let mut checks = check_certificate(&entry.cert, names, at);
        for expired in checks.iter_mut().filter(|d| d.code == Code::CertExpired) {
            if let Some(renewal) = index.renewal(&entry.cert, at) {
                expired.message = expired_message(&entry.cert, Some(renewal));
            }
        }
        said.extend(checks.into_iter().map(|d| (About::Serial, d)));
    }
    (entry, said)
}

/// `cert-expired`, with its renewed successor proposed by name when `--certs` has one (SPEC
/// §8) and what to write to use it: a correction, since the collected file stays as it is.
fn expired_message(cert: &Certificate, renewal: Option<&Entry>) -> String {
    let expired = format!(
        "certificate {} ({}) expired on {}; OWA will not use it",
        cert.subject_text,
        cert.thumbprint,
        date(cert.not_after)
    );
    match renewal {
        None => format!("{expired}: renew it, then run again with the new certificate in --certs"),
        Some(renewal) => format!(
            "{expired}. Its renewal is in --certs: {}; if the server has it, give its serial \
             {} for this server in --corrections (IMCertificateSerialNumber; and \
             IMCertificateIssuer '{}' if the issuer changed)",
            describe(renewal),
            renewal.cert.serial.to_hex(),
            renewal.cert.issuer_text
        ),
    }
}

/// Finds the server's certificate and checks it.
pub(super) fn resolve(
    values: &Values,
    index: &CertIndex,
    settings: &Settings,
    source: &str,
    plan: &mut ServerPlan,
) {
    let query = Query {
        issuer_text: &values.issuer_text,
        issuer: &values.issuer,
        serial: &values.serial,
        serial_reversed: &values.serial_reversed,
    };
    let names = Names {
        server: plan.server.as_ref().map(|s| s.as_str()),
        fqdn: plan.fqdn.as_deref(),
        array: plan.array.as_deref(),
    };
    let (found, said) = find_certificate(index, &query, names, settings.at);
    let line = |about| match about {
        About::Issuer => values.issuer_line,
        About::Serial => values.serial_line,
    };
    let own_key = found.and_then(|entry| private_key(entry, plan));
    plan.diagnostics.extend(
        said.into_iter()
            .chain(own_key.map(|d| (About::Serial, d)))
            .map(|(about, d)| d.in_file(source).at_line(line(about))),
    );
    let Some(entry) = found else {
        return;
    };
    let cert = &entry.cert;
    // Converted unless a finding fails the server: `finish` decides, once every check
    // across servers is done too.
    plan.outcome = Outcome::Converted(Box::new(Converted {
        sp1: Sp1 {
            server_name: values.pool.clone(),
            thumbprint: cert.thumbprint,
        },
        certificate: CertificateView::new(entry),
        change: None,
    }));
}

fn match_warnings(query: &Query<'_>, found: &Found<'_>) -> Vec<(About, Diagnostic)> {
    let cert = &found.entry.cert;
    let mut out = Vec::new();
    if found.issuer_inexact {
        // An ASCII export shows each non-ASCII character as `?`: the issuer matched, but
        // whether it is written exactly as Windows prints it cannot be told from that source.
        let message = if cert.issuer_wildcards {
            format!(
                "IMCertificateIssuer '{}' matches the certificate's issuer as an ASCII export \
                 shows it ('{}', each non-ASCII character a '?'), so whether it is the exact \
                 string Windows prints cannot be told; RTM required the exact string. Give the \
                 certificate itself (.cer, or an Export-Clixml export) to have it checked",
                crate::hidden::quoted(query.issuer_text, QUOTED),
                cert.issuer_text
            )
        } else {
            format!(
                "IMCertificateIssuer '{}' names the certificate's issuer, but not as the exact \
                 string Windows prints ('{}'); RTM required the exact string, so IM on this \
                 server may already have been failing before the upgrade",
                crate::hidden::quoted(query.issuer_text, QUOTED),
                cert.issuer_text
            )
        };
        out.push((About::Issuer, Diagnostic::new(Code::IssuerInexact, message)));
    }
    if found.byte_order {
        out.push((
            About::Serial,
            Diagnostic::new(
                Code::SerialByteOrder,
                format!(
                    "IMCertificateSerialNumber matches the certificate's serial {} only with its \
                     bytes reversed (the order of .NET's GetSerialNumber()); RTM would not have \
                     found this certificate",
                    cert.serial
                ),
            ),
        ));
    }
    out
}

/// `thumbprint (subject, serial S, expires D, from files)`: enough to find it again; with
/// the friendly name a store gave it, as the MMC shows it.
fn describe(entry: &Entry) -> String {
    let named = entry
        .friendly_name()
        .map(|name| format!(", friendly name '{name}'"))
        .unwrap_or_default();
    format!(
        "{} ({}{named}, serial {}, expires {}, from {})",
        entry.cert.thumbprint,
        entry.cert.subject_text,
        entry.cert.serial,
        date(entry.cert.not_after),
        entry.origins().join(", ")
    )
}

/// Several certificates match. Where their issuers differ (one name and its reverse, SPEC
/// §3), each is named with its issuer; writing the issuer differently would not choose
/// between them, since both orders match: the wrong ones must leave `--certs`.
fn ambiguous(all: &[Found<'_>]) -> Diagnostic {
    let first = &all[0].entry.cert.issuer_text;
    let issuers_differ = all.iter().any(|f| &f.entry.cert.issuer_text != first);
    let listed: Vec<String> = all
        .iter()
        .map(|f| {
            let issuer = if issuers_differ {
                format!(" issued by '{}'", f.entry.cert.issuer_text)
            } else {
                String::new()
            };
            format!("{}{issuer}", describe(f.entry))
        })
        .collect();
    Diagnostic::new(
        Code::CertAmbiguous,
        format!(
            "the issuer and serial match {} different certificates: {}; keep in --certs only \
             the one the server holds (Get-ExchangeCertificate on the server lists it by \
             thumbprint) and remove the others",
            all.len(),
            listed.join("; ")
        ),
    )
}

fn not_found(query: &Query<'_>, candidates: &[Candidate<'_>], total: usize) -> Diagnostic {
    let mut message = format!(
        "no certificate issued by '{}' with serial {} among the {total} certificate{} read from \
         --certs; export that certificate from the server (Get-ExchangeCertificate) and add it",
        crate::hidden::quoted(query.issuer_text, QUOTED),
        crate::hidden::quoted(&query.serial.to_hex(), QUOTED),
        if total == 1 { "" } else { "s" }
    );
    if !candidates.is_empty() {
        let near: Vec<String> = candidates
            .iter()
            .map(|c| format!("{}: {}", describe(c.entry), c.why))
            .collect();
        message.push_str(&format!(". Nearest: {}", near.join("; ")));
    }
    Diagnostic::new(Code::CertNotFound, message)
}

/// Validity, purpose and name checks on the certificate a server will use.
pub fn check_certificate(
    cert: &Certificate,
    names: Names<'_>,
    at: OffsetDateTime,
) -> Vec<Diagnostic> {
    let mut out = validity(cert, at);
    let subject = &cert.subject_text;
    if cert.self_signed {
        out.push(Diagnostic::new(
            Code::CertSelfSigned,
            format!(
                "certificate {subject} is self-signed: OCS trusts it only if it is in the Trusted \
                 Root store of every pool server, which is unsupported; use a certificate from a CA \
                 both sides trust"
            ),
        ));
    }
    if let ServerAuth::Lacking(purposes) = &cert.server_auth {
        out.push(Diagnostic::new(
            Code::CertEku,
            format!(
                "certificate {subject} has an Enhanced Key Usage without Server Authentication ({}); \
                 the MTLS connection to OCS needs it: use a Web Server certificate",
                if purposes.is_empty() { "no purposes".to_string() } else { purposes.join(", ") }
            ),
        ));
    }
    out.extend(name_mismatch(cert, names));
    out
}

/// Whether the certificate is valid at `at`, and for how long yet.
fn validity(cert: &Certificate, at: OffsetDateTime) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let subject = &cert.subject_text;
    if cert.not_after < at {
        out.push(Diagnostic::new(
            Code::CertExpired,
            expired_message(cert, None),
        ));
    } else if at
        .checked_add(Duration::days(EXPIRING_SOON_DAYS))
        .is_some_and(|soon| cert.not_after < soon)
    {
        out.push(Diagnostic::new(
            Code::CertExpiringSoon,
            format!(
                "certificate {subject} expires on {}, within {EXPIRING_SOON_DAYS} days: plan its renewal \
                 (and a new thumbprint) now",
                date(cert.not_after)
            ),
        ));
    }
    if cert.not_before > at {
        out.push(Diagnostic::new(
            Code::CertNotYetValid,
            format!(
                "certificate {subject} is valid only from {}",
                date(cert.not_before)
            ),
        ));
    }
    out
}

/// OWA refuses a certificate without a private key: said by the server's own export (its
/// `PSComputerName`, or a file in its collected folder) that is an error; said by another
/// source, and proved by none (a PFX with the key), a warning.
fn private_key(entry: &Entry, plan: &ServerPlan) -> Option<Diagnostic> {
    let server = plan.server.as_ref()?;
    let own = |s: &Source| {
        s.computer.as_deref().is_some_and(|c| {
            c.split('.')
                .next()
                .is_some_and(|label| label.eq_ignore_ascii_case(server.as_str()))
        }) || plan.folder.as_ref().is_some_and(|f| s.file.starts_with(f))
    };
    let missing: Vec<&Source> = entry
        .sources
        .iter()
        .filter(|s| s.has_private_key == Some(false))
        .collect();
    let mine = missing.iter().find(|s| own(s));
    let proved = entry
        .sources
        .iter()
        .any(|s| s.has_private_key == Some(true));
    let (said_by, severity) = match (mine, missing.first()) {
        (Some(own), _) => (own, Severity::Error),
        (None, Some(other)) if !proved => (other, Severity::Warning),
        _ => return None,
    };
    let whose = if severity == Severity::Error {
        format!("{server}'s own export")
    } else {
        "a source".into()
    };
    Some(
        Diagnostic::new(
            Code::CertNoPrivateKey,
            format!(
                "{whose} ({}) says certificate {} has no private key; OWA refuses a certificate \
                 without one, so IM would never start: import the certificate with its key on \
                 {server} (Import-ExchangeCertificate from the .pfx) before the change",
                said_by.origin(),
                entry.cert.thumbprint
            ),
        )
        .with_severity(severity),
    )
}

/// The names a certificate's subject is checked against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Names<'a> {
    pub server: Option<&'a str>,
    pub fqdn: Option<&'a str>,
    /// The CAS array FQDN from the server map.
    pub array: Option<&'a str>,
}

/// OCS identifies the CAS by the subject CN: it should be the server's FQDN (or its CAS
/// array's). Without a known FQDN, the CN's first label is compared with the server name.
fn name_mismatch(cert: &Certificate, names: Names<'_>) -> Option<Diagnostic> {
    let cn = cert.subject_cn.as_deref().unwrap_or("");
    let is = |name: &str| cn.eq_ignore_ascii_case(name);
    if names.array.is_some_and(is) {
        return None;
    }
    let array = names
        .array
        .map(|a| format!(" or its CAS array {a}"))
        .unwrap_or_default();
    let expected = match (names.fqdn, names.server) {
        (Some(fqdn), _) if is(fqdn) => return None,
        (Some(fqdn), _) => format!("the server's FQDN {fqdn}{array}"),
        (None, Some(server)) => {
            let label = cn.split('.').next().unwrap_or("");
            if label.eq_ignore_ascii_case(server) {
                return None;
            }
            format!(
                "a name of server {server}{array} (its FQDN is not known: give it in --server-map)"
            )
        }
        (None, None) => return None,
    };
    // The SANs do not change the finding (OCS 2007 R2 reads the subject), but a name found
    // there explains why the certificate works for browsers and not for the pool.
    let in_sans = names
        .fqdn
        .into_iter()
        .chain(names.array)
        .find(|name| cert.dns_names.iter().any(|d| d.eq_ignore_ascii_case(name)))
        .map(|name| {
            format!(
                " ({name} is among its subject alternative names, which browsers accept and OCS \
                 does not read)"
            )
        })
        .unwrap_or_default();
    let message = match cert.subject_cn.as_deref() {
        Some(cn) => format!(
            "the certificate's subject CN is '{}', not {expected}{in_sans}: OCS identifies the \
             CAS by the subject name, so the pool's Authorized Hosts entry must be '{}'",
            crate::hidden::printable(cn),
            crate::hidden::printable(cn)
        ),
        None => format!(
            "the certificate's subject ('{}') has no CN, where OCS expects {expected}{in_sans}: \
             OCS identifies the CAS by the subject CN, so no Authorized Hosts entry can name \
             this certificate; issue one whose subject CN is the server's FQDN",
            crate::hidden::printable(&cert.subject_text)
        ),
    };
    Some(Diagnostic::new(Code::CertNameMismatch, message))
}

/// `2012-01-01T00:00:00Z`: whole seconds, UTC, as the report schema shows.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn date(t: OffsetDateTime) -> String {
    rfc3339(t)[..10].to_string()
}

#[cfg(test)]
mod tests {
    use super::{ambiguous, name_mismatch, Names};
    use crate::cert::index::Source;
    use crate::cert::{CertIndex, DistinguishedName, Lookup, Query, Serial};

    fn certificate(subject: rcgen::DistinguishedName, dns: &str) -> crate::cert::Certificate {
        self_signed(subject, dns, None)
    }

    fn self_signed(
        subject: rcgen::DistinguishedName,
        dns: &str,
        serial: Option<u64>,
    ) -> crate::cert::Certificate {
        let mut params = rcgen::CertificateParams::new(vec![dns.to_string()]).expect("names");
        params.distinguished_name = subject;
        params.serial_number = serial.map(rcgen::SerialNumber::from);
        let key = rcgen::KeyPair::generate().expect("key generation");
        let der = params
            .self_signed(&key)
            .expect("certificate")
            .der()
            .to_vec();
        crate::cert::certificate::from_der(&der).expect("certificate parses")
    }

    /// A subject with no CN is said as such: not as "the subject CN is ''", with an empty
    /// Authorized Hosts entry to make.
    #[test]
    fn a_subject_without_a_cn_is_said_to_have_none() {
        let mut subject = rcgen::DistinguishedName::new();
        subject.push(rcgen::DnType::OrganizationName, "Contoso");
        let cert = certificate(subject, "cas01.contoso.com");
        let names = Names {
            server: Some("CAS01"),
            fqdn: Some("cas01.contoso.com"),
            array: None,
        };
        let said = name_mismatch(&cert, names).expect("a mismatch").message;
        assert!(said.contains("has no CN"), "{said}");
        assert!(said.contains("O=Contoso"), "{said}");
        assert!(!said.contains("''"), "{said}");
        assert!(
            said.contains("among its subject alternative names"),
            "{said}"
        );
    }

    /// Two issuers, one the other's reverse, with the same serial: both match (SPEC §3), so
    /// each is named with its issuer and no other way of writing the issuer is offered.
    #[test]
    fn an_ambiguity_between_issuers_names_each_issuer() {
        let name = |rdns: &[(rcgen::DnType, &str)]| {
            let mut name = rcgen::DistinguishedName::new();
            for (kind, value) in rdns {
                name.push(kind.clone(), *value);
            }
            name
        };
        use rcgen::DnType::{CommonName, OrganizationName};
        let mut index = CertIndex::default();
        let file: std::sync::Arc<std::path::Path> =
            std::sync::Arc::from(std::path::Path::new("a.pem"));
        for subject in [
            name(&[(OrganizationName, "Fabrikam"), (CommonName, "Issuing")]),
            name(&[(CommonName, "Issuing"), (OrganizationName, "Fabrikam")]),
        ] {
            let cert = self_signed(subject, "issuing.fabrikam.com", Some(0x4242));
            index.insert(cert, Source::file(&file, None));
        }
        let issuer = DistinguishedName::parse("CN=Issuing, O=Fabrikam").expect("issuer");
        let (serial, reversed) = Serial::parse_both_orders("4242").expect("serial");
        let query = Query {
            issuer_text: "CN=Issuing, O=Fabrikam",
            issuer: &issuer,
            serial: &serial,
            serial_reversed: &reversed,
        };
        let Lookup::Ambiguous(found) = index.lookup(&query) else {
            panic!("both orders match");
        };
        let said = ambiguous(&found).message;
        assert!(
            said.contains("issued by 'CN=Issuing, O=Fabrikam'")
                && said.contains("issued by 'O=Fabrikam, CN=Issuing'"),
            "{said}"
        );
        assert!(!said.contains("write the issuer"), "{said}");
    }
}
