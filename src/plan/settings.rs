//! The three RTM values of one server: complete, visible, and each valid on its own.

use std::sync::Arc;

use crate::cert::{DistinguishedName, Issuers, Serial};
use crate::config::{ImKey, ImSettings, Setting};
use crate::diag::{Code, Diagnostic, Severity};
use crate::hidden;
use crate::input::collected::CurrentValues;
use crate::names::{PoolError, PoolFqdn};

use super::{Outcome, ServerPlan, Settings};

/// The most characters of a value a message quotes: a hostile 50 MB value makes a message
/// of a line, not of 50 MB.
const QUOTED: usize = 120;

/// The three values, cleaned and typed.
pub(super) struct Values {
    pub(super) pool: PoolFqdn,
    /// Shared with every server naming the same issuer ([`Values::share_issuers`]).
    pub(super) issuer_text: Arc<str>,
    pub(super) issuer: Arc<DistinguishedName>,
    pub(super) issuer_line: u32,
    pub(super) serial: Serial,
    pub(super) serial_reversed: Serial,
    pub(super) serial_line: u32,
}

impl Values {
    /// One copy of each issuer for all the servers: thousands of servers name a handful of
    /// CAs, and each parsed name is some twenty allocations.
    pub(super) fn share_issuers<'v>(values: impl Iterator<Item = &'v mut Values>) {
        let mut issuers = Issuers::default();
        for v in values {
            issuers.share(&mut v.issuer_text, &mut v.issuer);
        }
    }
}

/// A value with its invisible characters removed, and its line.
struct Cleaned {
    text: String,
    /// Without invisible characters but not trimmed: RTM compared the issuer as written.
    untrimmed: String,
    line: u32,
}

/// None of the three keys is in the file at all. RTM's OWA web.config has all three, empty
/// until IM is set up (the RTM deployment steps fill in their values); a file without them is
/// one that SP1 setup or an update rollup replaced, so the RTM settings, if there were any,
/// are not in it. The OWA virtual directories' collected values tell the two cases apart
/// where the collection recorded them: SP1's settings already in place, or nothing anywhere.
fn keys_absent(source: &str, current: Option<&[CurrentValues]>) -> Diagnostic {
    let migrated = current
        .unwrap_or_default()
        .iter()
        .find(|c| c.kind.eq_ignore_ascii_case("ocs") && !c.server_name.is_empty());
    let (severity, message) = match (migrated, current) {
        (Some(c), _) => (
            Severity::Info,
            format!(
                "none of the IM keys is in this web.config, as after SP1 setup; the collected \
                 values show OWA IM already set on {} (server {}, thumbprint {}): already \
                 migrated, nothing to do",
                c.identity,
                crate::hidden::quoted(&c.server_name, QUOTED),
                crate::hidden::quoted(&c.thumbprint, QUOTED)
            ),
        ),
        (None, Some(_)) => (
            Severity::Warning,
            "none of IMPoolName, IMCertificateIssuer and IMCertificateSerialNumber is in this \
             web.config at all, and the collected OWA virtual directory values show no IM \
             either: the file was replaced (by SP1 setup or an update rollup) before it was \
             collected. If this server had OWA IM, its settings are lost from this file: take \
             them from a backup of the RTM web.config, or from a server set up the same way"
                .to_string(),
        ),
        (None, None) => (
            Severity::Warning,
            "none of IMPoolName, IMCertificateIssuer and IMCertificateSerialNumber is in this \
             web.config at all (RTM's file has all three, empty until IM is set up): it looks \
             like a file SP1 setup or an update rollup replaced. If this server had OWA IM, its \
             settings are not here: take them from a backup of the RTM web.config; the \
             collection script also records the OWA virtual directories' values, which tell \
             whether the server is already migrated"
                .to_string(),
        ),
    };
    Diagnostic::new(Code::ImKeysAbsent, message)
        .with_severity(severity)
        .in_file(source)
}

/// Completeness, invisible characters, and each value's own validity.
pub(super) fn check_settings(
    read: &ImSettings,
    source: &str,
    settings: &Settings,
    plan: &mut ServerPlan,
) -> Option<Values> {
    let [pool, issuer, serial] = complete(read, source, plan)?;
    let pool = check_pool(&pool, settings, source, &mut plan.diagnostics);
    let issuer_dn = check_issuer(&issuer, source, &mut plan.diagnostics);
    let serials = check_serial(&serial, source, &mut plan.diagnostics);
    let (pool, issuer_dn, (forward, reversed)) = (pool?, issuer_dn?, serials?);
    Some(Values {
        pool,
        issuer_text: issuer.untrimmed.into(),
        issuer: Arc::new(issuer_dn),
        issuer_line: issuer.line,
        serial: forward,
        serial_reversed: reversed,
        serial_line: serial.line,
    })
}

/// The three values, cleaned, when all three are there: else the server is not configured
/// (none is) or cannot be converted (some are), and the diagnostics say which.
fn complete(read: &ImSettings, source: &str, plan: &mut ServerPlan) -> Option<[Cleaned; 3]> {
    let keys = [
        ImKey::PoolName,
        ImKey::CertificateIssuer,
        ImKey::CertificateSerialNumber,
    ];
    let cleaned: Vec<Option<Cleaned>> = keys
        .iter()
        .map(|&key| clean(key, read.get(key), source, &mut plan.diagnostics))
        .collect();
    let present: Vec<&str> = keys
        .iter()
        .zip(&cleaned)
        .filter(|(_, c)| c.is_some())
        .map(|(k, _)| k.name())
        .collect();
    if present.is_empty() {
        not_configured(read, &keys, source, plan);
        return None;
    }
    port_number(read, source, plan);
    if present.len() < keys.len() {
        let missing: Vec<&str> = keys
            .iter()
            .map(|k| k.name())
            .filter(|k| !present.contains(k))
            .collect();
        // The line of the first key that is there: where the administrator will look.
        let first_line = cleaned.iter().flatten().map(|c| c.line).min().unwrap_or(1);
        // Where each missing value can be found again.
        let mut whence = Vec::new();
        if missing.contains(&ImKey::PoolName.name()) {
            whence.push(
                "the pool is the OCS 2007 R2 Front End pool's FQDN, as the other servers of \
                 its site have it or OCS's administrative tool shows it",
            );
        }
        if missing.len() > usize::from(missing.contains(&ImKey::PoolName.name())) {
            whence.push(
                "Get-ExchangeCertificate on the server shows the certificate's issuer and serial \
                 number",
            );
        }
        plan.diagnostics.push(
            Diagnostic::new(
                Code::ImPartial,
                format!(
                    "{} set but {} missing or empty: RTM IM could not have worked on this server; \
                     give the missing value in --corrections ({}), or leave the server out if it \
                     never had IM",
                    present.join(" and "),
                    missing.join(" and "),
                    whence.join("; ")
                ),
            )
            .in_file(source)
            .at_line(first_line),
        );
        return None;
    }
    let [Some(pool), Some(issuer), Some(serial)] =
        <[Option<Cleaned>; 3]>::try_from(cleaned).ok()?
    else {
        return None;
    };
    Some([pool, issuer, serial])
}

/// No IM key has a value: nothing to migrate. When the keys are not in the file at all, that
/// is said too.
fn not_configured(read: &ImSettings, keys: &[ImKey], source: &str, plan: &mut ServerPlan) {
    // Added and then removed (`<clear/>`, `<remove>`) is not absent: as .NET reads the
    // file there is no value, which im-not-configured says.
    if !read.added && keys.iter().all(|&key| read.get(key).is_none()) {
        // Said aloud, beside SPEC's im-not-configured below (none of the keys has a value).
        plan.diagnostics
            .push(keys_absent(source, plan.current.as_deref()));
    }
    plan.outcome = Outcome::NotConfigured;
    plan.diagnostics.push(
        Diagnostic::new(
            Code::ImNotConfigured,
            "IMPoolName, IMCertificateIssuer and IMCertificateSerialNumber have no value: \
             this server had no OWA instant messaging, so there is nothing to migrate",
        )
        .in_file(source),
    );
}

/// Removes invisible characters (warning) and treats a blank value as missing.
fn clean(
    key: ImKey,
    setting: Option<&Setting>,
    source: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Cleaned> {
    let setting = setting?;
    let (text, removed) = match key {
        // A DNS name: a no-break space in it stands for nothing.
        ImKey::PoolName => hidden::strip_from_name(&setting.value),
        _ => hidden::strip(&setting.value),
    };
    let spaced = key != ImKey::PoolName && removed.iter().any(|r| r.ch == '\u{00A0}');
    if !removed.is_empty() {
        out.push(
            Diagnostic::new(
                Code::HiddenCharacters,
                format!(
                    "{} contains invisible characters ({}), typically pasted from the Windows \
                     certificate dialog; they were removed{}. RTM compared the value with them, \
                     so IM may already have been failing on this server",
                    key.name(),
                    hidden::describe_all(&removed),
                    if spaced {
                        " (a no-break space is read as an ordinary space)"
                    } else {
                        ""
                    }
                ),
            )
            .in_file(source)
            .at_line(setting.line),
        );
    }
    let trimmed = text.trim().to_string();
    (!trimmed.is_empty()).then_some(Cleaned {
        text: trimmed,
        untrimmed: text,
        line: setting.line,
    })
}

fn port_number(read: &ImSettings, source: &str, plan: &mut ServerPlan) {
    let Some(port) = read
        .get(ImKey::PortNumber)
        .filter(|p| !p.value.trim().is_empty())
    else {
        return;
    };
    plan.port = Some(port.value.trim().to_string());
    plan.diagnostics.push(
        Diagnostic::new(
            Code::ImPortNumber,
            format!(
                "IMPortNumber is set to '{}'. Set-OwaVirtualDirectory has no equivalent: if this \
                 deployment needs it, add <add key=\"IMPortNumber\" value=\"{}\" /> to the OWA \
                 web.config again after SP1 setup, and after every update rollup (each one replaces \
                 web.config)",
                crate::hidden::quoted(port.value.trim(), QUOTED),
                crate::hidden::quoted(port.value.trim(), QUOTED)
            ),
        )
        .in_file(source)
        .at_line(port.line),
    );
}

fn check_pool(
    pool: &Cleaned,
    settings: &Settings,
    source: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<PoolFqdn> {
    let at = |d: Diagnostic| d.in_file(source).at_line(pool.line);
    match PoolFqdn::parse(&pool.text, settings.domain.as_deref()) {
        Ok((fqdn, false)) => Some(fqdn),
        Ok((fqdn, true)) => {
            out.push(at(Diagnostic::new(
                Code::PoolNotFqdn,
                format!(
                    "IMPoolName '{}' is a single label; qualified with --domain as '{fqdn}'. Check \
                     that this is the pool's FQDN (the name in its certificate)",
                    pool.text
                ),
            )
            .with_severity(Severity::Warning)));
            Some(fqdn)
        }
        Err(PoolError::NotFqdn(name)) => {
            out.push(at(Diagnostic::new(
                Code::PoolNotFqdn,
                format!(
                    "IMPoolName '{name}' is a single label, not the pool's FQDN (RTM's most common \
                     mistake); OWA needs the FQDN in the pool's certificate, e.g. {name}.contoso.com: \
                     give the pool's FQDN for this server in --corrections, or run with --domain \
                     <your DNS suffix>"
                ),
            )));
            None
        }
        Err(reason @ (PoolError::IpAddress(_) | PoolError::Invalid(_))) => {
            out.push(at(Diagnostic::new(
                Code::PoolInvalid,
                format!(
                    "IMPoolName '{}' is not a valid DNS name: {reason}; give the pool's FQDN for \
                     this server in --corrections",
                    crate::hidden::quoted(&pool.text, QUOTED)
                ),
            )));
            None
        }
    }
}

fn check_issuer(
    issuer: &Cleaned,
    source: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<DistinguishedName> {
    match DistinguishedName::parse(&issuer.text) {
        Ok(dn) => Some(dn),
        Err(e) => {
            out.push(
                Diagnostic::new(
                    Code::IssuerInvalid,
                    format!(
                        "IMCertificateIssuer '{}' is not a distinguished name: {e}. Give the Issuer \
                         of the certificate as Get-ExchangeCertificate shows it (e.g. \
                         CN=ContosoCA, DC=contoso, DC=com) for this server in --corrections",
                        crate::hidden::quoted(&issuer.text, QUOTED)
                    ),
                )
                .in_file(source)
                .at_line(issuer.line),
            );
            None
        }
    }
}

fn check_serial(
    serial: &Cleaned,
    source: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<(Serial, Serial)> {
    match Serial::parse_both_orders(&serial.text) {
        Ok(pair) => Some(pair),
        Err(e) => {
            out.push(
                Diagnostic::new(
                    Code::SerialInvalid,
                    format!(
                        "IMCertificateSerialNumber '{}' is not a serial number: {e}; give the \
                         certificate's serial for this server in --corrections",
                        crate::hidden::quoted(&serial.text, QUOTED)
                    ),
                )
                .in_file(source)
                .at_line(serial.line),
            );
            None
        }
    }
}
