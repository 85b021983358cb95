//! The plan stage: per server, the SP1 settings or the reasons they cannot be made; then
//! the checks that need every server at once.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::cert::index::{Candidate, Found};
use crate::cert::{
    CertIndex, Certificate, DistinguishedName, Lookup, Query, Serial, ServerAuth, Thumbprint,
};
use crate::config::{self, derive_server, ConfigFile, ImKey, ImSettings, Setting};
use crate::diag::{Code, Diagnostic, Severity};
use crate::hidden;
use crate::names::{Identity, PoolError, PoolFqdn, ServerName};
use crate::server_map::ServerMap;

/// OWA logs a warning when its certificate expires within this many days.
const EXPIRING_SOON_DAYS: i64 = 30;

/// What a server's migration comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Converted,
    /// `scan`: settings are complete and valid; no certificate was looked up.
    Configured,
    NotConfigured,
    Failed,
}

/// The settings as the web.config had them (after .NET's appSettings rules).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rtm {
    pub pool: Option<String>,
    pub issuer: Option<String>,
    pub serial: Option<String>,
}

/// What `Set-OwaVirtualDirectory` will be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sp1 {
    pub server_name: PoolFqdn,
    pub thumbprint: Thumbprint,
}

/// The certificate as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateView {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub thumbprint: Thumbprint,
    pub not_before: String,
    pub not_after: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerPlan {
    pub server: Option<ServerName>,
    pub source: String,
    pub status: Status,
    /// The first virtual directory (the report's `identity`); all are in `identities`.
    pub identity: Option<Identity>,
    pub identities: Vec<Identity>,
    pub fqdn: Option<String>,
    /// The server map's `array`, else `site`: the servers that must agree on a pool.
    pub group: Option<String>,
    pub rtm: Option<Rtm>,
    pub sp1: Option<Sp1>,
    pub certificate: Option<CertificateView>,
    /// `IMPortNumber`, which SP1 has no parameter for.
    pub port: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Everything the plan needs besides the configs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub domain: Option<String>,
    pub at: OffsetDateTime,
    pub strict: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub servers: Vec<ServerPlan>,
    /// Diagnostics about the run or several servers at once.
    pub diagnostics: Vec<Diagnostic>,
}

/// Plans every config file. `index` is `None` for `scan`, which resolves no certificate.
pub fn plan(
    files: &[ConfigFile],
    map: Option<&ServerMap>,
    index: Option<&CertIndex>,
    settings: &Settings,
) -> Plan {
    let mut servers: Vec<ServerPlan> = files
        .iter()
        .map(|file| plan_server(file, map, index, settings))
        .collect();
    let mut diagnostics = duplicate_servers(&mut servers);
    diagnostics.extend(inconsistent_pools(
        &servers,
        map.is_some_and(|m| m.has_groups),
    ));
    for server in &mut servers {
        finish(server, settings.strict, index.is_some());
    }
    if settings.strict {
        diagnostics = diagnostics.into_iter().map(Diagnostic::strict).collect();
    }
    servers.sort_by(|a, b| {
        a.server
            .cmp(&b.server)
            .then_with(|| a.source.cmp(&b.source))
    });
    Plan {
        servers,
        diagnostics,
    }
}

fn plan_server(
    file: &ConfigFile,
    map: Option<&ServerMap>,
    index: Option<&CertIndex>,
    settings: &Settings,
) -> ServerPlan {
    let source = file.display();
    let mut plan = identify(file, map, &source);
    let settings_read = match config::read_file(file) {
        Ok(read) => read,
        Err(diagnostic) => {
            plan.diagnostics.push(diagnostic);
            return plan;
        }
    };
    plan.rtm = Some(rtm_of(&settings_read));
    plan.diagnostics
        .extend(settings_read.diagnostics.iter().cloned());
    let Some(values) = check_settings(&settings_read, &source, settings, &mut plan) else {
        return plan;
    };
    if let Some(index) = index {
        resolve(&values, index, settings, &source, &mut plan);
    }
    plan
}

/// The server, identities, FQDN and group of a file: from the map, else from its path.
fn identify(file: &ConfigFile, map: Option<&ServerMap>, source: &str) -> ServerPlan {
    let mut plan = ServerPlan {
        server: None,
        source: source.to_string(),
        status: Status::Failed,
        identity: None,
        identities: Vec::new(),
        fqdn: None,
        group: None,
        rtm: None,
        sp1: None,
        certificate: None,
        port: None,
        diagnostics: Vec::new(),
    };
    let rows = map.map(|m| m.rows_for(file)).unwrap_or_default();
    if let Some(first) = rows.first() {
        plan.server = Some(first.server.clone());
        plan.fqdn = rows.iter().find_map(|r| r.fqdn.clone());
        plan.group = rows
            .iter()
            .find_map(|r| r.array.clone().or_else(|| r.site.clone()));
        let mut identities: Vec<Identity> = rows
            .iter()
            .filter(|r| r.server == first.server)
            .filter_map(|r| r.identity.clone())
            .collect();
        identities.sort();
        identities.dedup();
        plan.identities = identities;
    } else {
        match derive_server(file) {
            Ok(derived) => {
                plan.server = Some(derived.server);
                plan.fqdn = derived.fqdn;
            }
            Err(message) => plan
                .diagnostics
                .push(Diagnostic::new(Code::ServerUnknown, message).in_file(source)),
        }
    }
    if let Some(server) = &plan.server {
        if plan.identities.is_empty() {
            plan.identities.push(Identity::default_for(server));
        }
        plan.identity = plan.identities.first().cloned();
    }
    plan
}

fn rtm_of(read: &ImSettings) -> Rtm {
    let value = |key| read.get(key).map(|s: &Setting| s.value.clone());
    Rtm {
        pool: value(ImKey::PoolName),
        issuer: value(ImKey::CertificateIssuer),
        serial: value(ImKey::CertificateSerialNumber),
    }
}

/// The three values, cleaned and typed.
struct Values {
    pool: PoolFqdn,
    issuer_text: String,
    issuer: DistinguishedName,
    issuer_line: u32,
    serial: Serial,
    serial_reversed: Serial,
    serial_line: u32,
}

/// A value with its invisible characters removed, and its line.
struct Cleaned {
    text: String,
    line: u32,
}

/// Completeness, invisible characters, and each value's own validity.
fn check_settings(
    read: &ImSettings,
    source: &str,
    settings: &Settings,
    plan: &mut ServerPlan,
) -> Option<Values> {
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
        plan.status = Status::NotConfigured;
        plan.diagnostics.push(
            Diagnostic::new(
                Code::ImNotConfigured,
                "IMPoolName, IMCertificateIssuer and IMCertificateSerialNumber have no value: \
                 this server had no OWA instant messaging, so there is nothing to migrate",
            )
            .in_file(source),
        );
        return None;
    }
    port_number(read, source, plan);
    if present.len() < keys.len() {
        let missing: Vec<&str> = keys
            .iter()
            .map(|k| k.name())
            .filter(|k| !present.contains(k))
            .collect();
        plan.diagnostics.push(
            Diagnostic::new(
                Code::ImPartial,
                format!(
                    "{} set but {} missing or empty: RTM IM could not have worked on this server; \
                     find the missing value (Get-ExchangeCertificate on the server shows issuer and \
                     serial) and add it to the collected file, or remove the others",
                    present.join(" and "),
                    missing.join(" and ")
                ),
            )
            .in_file(source),
        );
        return None;
    }
    let [Some(pool), Some(issuer), Some(serial)] =
        <[Option<Cleaned>; 3]>::try_from(cleaned).ok()?
    else {
        return None;
    };
    let pool = check_pool(&pool, settings, source, &mut plan.diagnostics);
    let issuer_dn = check_issuer(&issuer, source, &mut plan.diagnostics);
    let serials = check_serial(&serial, source, &mut plan.diagnostics);
    let (pool, issuer_dn, (forward, reversed)) = (pool?, issuer_dn?, serials?);
    Some(Values {
        pool,
        issuer_text: issuer.text,
        issuer: issuer_dn,
        issuer_line: issuer.line,
        serial: forward,
        serial_reversed: reversed,
        serial_line: serial.line,
    })
}

/// Removes invisible characters (warning) and treats a blank value as missing.
fn clean(
    key: ImKey,
    setting: Option<&Setting>,
    source: &str,
    out: &mut Vec<Diagnostic>,
) -> Option<Cleaned> {
    let setting = setting?;
    let (text, removed) = hidden::strip(&setting.value);
    if !removed.is_empty() {
        out.push(
            Diagnostic::new(
                Code::HiddenCharacters,
                format!(
                    "{} contains invisible characters ({}), typically pasted from the Windows \
                     certificate dialog; they were removed. RTM compared the value with them, so IM \
                     may already have been failing on this server",
                    key.name(),
                    hidden::describe_all(&removed)
                ),
            )
            .in_file(source)
            .at_line(setting.line),
        );
    }
    let text = text.trim().to_string();
    (!text.is_empty()).then_some(Cleaned {
        text,
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
                port.value.trim(),
                port.value.trim()
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
                     correct the collected file or run with --domain <your DNS suffix>"
                ),
            )));
            None
        }
        Err(PoolError::Invalid(reason)) => {
            out.push(at(Diagnostic::new(
                Code::PoolInvalid,
                format!(
                    "IMPoolName '{}' is not a valid DNS name: {reason}",
                    pool.text
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
                        "IMCertificateIssuer '{}' is not a distinguished name: {e}. Copy the Issuer \
                         of the certificate as Get-ExchangeCertificate shows it, e.g. \
                         CN=ContosoCA, DC=contoso, DC=com",
                        issuer.text
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
    match Serial::parse(&serial.text).and_then(|s| Ok((s, Serial::parse_reversed(&serial.text)?))) {
        Ok(pair) => Some(pair),
        Err(e) => {
            out.push(
                Diagnostic::new(
                    Code::SerialInvalid,
                    format!(
                        "IMCertificateSerialNumber '{}' is not a serial number: {e}",
                        serial.text
                    ),
                )
                .in_file(source)
                .at_line(serial.line),
            );
            None
        }
    }
}

/// Looks the certificate up and checks it.
fn resolve(
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
    let found = match index.lookup(&query) {
        Lookup::Found(found) => found,
        Lookup::Ambiguous(all) => {
            plan.diagnostics
                .push(ambiguous(&all, source, values.serial_line));
            return;
        }
        Lookup::NotFound(candidates) => {
            plan.diagnostics
                .push(not_found(values, &candidates, index.len(), source));
            return;
        }
    };
    let cert = &found.entry.cert;
    match_warnings(values, &found, source, &mut plan.diagnostics);
    let line = values.serial_line;
    plan.diagnostics.extend(
        check_certificate(
            cert,
            plan.fqdn.as_deref(),
            plan.group.as_deref(),
            settings.at,
        )
        .into_iter()
        .map(|d| d.in_file(source).at_line(line)),
    );
    plan.certificate = Some(certificate_view(cert, &found.entry.sources));
    plan.sp1 = Some(Sp1 {
        server_name: values.pool.clone(),
        thumbprint: cert.thumbprint,
    });
}

fn match_warnings(values: &Values, found: &Found<'_>, source: &str, out: &mut Vec<Diagnostic>) {
    let cert = &found.entry.cert;
    if found.issuer_inexact {
        out.push(
            Diagnostic::new(
                Code::IssuerInexact,
                format!(
                    "IMCertificateIssuer '{}' names the certificate's issuer, but not as the exact \
                     string Windows prints ('{}'); RTM required the exact string, so IM on this \
                     server may already have been failing before the upgrade",
                    values.issuer_text, cert.issuer_text
                ),
            )
            .in_file(source)
            .at_line(values.issuer_line),
        );
    }
    if found.byte_order {
        out.push(
            Diagnostic::new(
                Code::SerialByteOrder,
                format!(
                    "IMCertificateSerialNumber matches the certificate's serial {} only with its bytes \
                     reversed (the order of .NET's GetSerialNumber()); RTM would not have found this \
                     certificate",
                    cert.serial
                ),
            )
            .in_file(source)
            .at_line(values.serial_line),
        );
    }
}

fn ambiguous(all: &[Found<'_>], source: &str, line: u32) -> Diagnostic {
    let listed: Vec<String> = all
        .iter()
        .map(|f| {
            format!(
                "{} ({}, expires {}, from {})",
                f.entry.cert.thumbprint,
                f.entry.cert.subject_text,
                date(f.entry.cert.not_after),
                f.entry.sources.join(", ")
            )
        })
        .collect();
    Diagnostic::new(
        Code::CertAmbiguous,
        format!(
            "the issuer and serial match {} different certificates: {}; remove the wrong ones from \
             --certs or write the issuer exactly",
            all.len(),
            listed.join("; ")
        ),
    )
    .in_file(source)
    .at_line(line)
}

fn not_found(
    values: &Values,
    candidates: &[Candidate<'_>],
    total: usize,
    source: &str,
) -> Diagnostic {
    let mut message = format!(
        "no certificate issued by '{}' with serial {} among the {total} certificate{} read from \
         --certs; export that certificate from the server (Get-ExchangeCertificate) and add it",
        values.issuer_text,
        values.serial,
        if total == 1 { "" } else { "s" }
    );
    if !candidates.is_empty() {
        let near: Vec<String> = candidates
            .iter()
            .map(|c| {
                format!(
                    "{} [{}, serial {}, from {}]: {}",
                    c.entry.cert.thumbprint,
                    c.entry.cert.subject_text,
                    c.entry.cert.serial,
                    c.entry.sources.join(", "),
                    c.why
                )
            })
            .collect();
        message.push_str(&format!(". Nearest: {}", near.join("; ")));
    }
    Diagnostic::new(Code::CertNotFound, message)
        .in_file(source)
        .at_line(values.serial_line)
}

/// Validity, purpose and name checks on the certificate a server will use.
pub fn check_certificate(
    cert: &Certificate,
    fqdn: Option<&str>,
    array: Option<&str>,
    at: OffsetDateTime,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let subject = &cert.subject_text;
    if cert.not_after < at {
        out.push(Diagnostic::new(
            Code::CertExpired,
            format!(
                "certificate {subject} ({}) expired on {}; OWA will not use it: renew it, then run \
                 again with the new certificate in --certs",
                cert.thumbprint,
                date(cert.not_after)
            ),
        ));
    } else if cert.not_after < at + Duration::days(EXPIRING_SOON_DAYS) {
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
    out.extend(name_mismatch(cert, fqdn, array));
    out
}

fn name_mismatch(
    cert: &Certificate,
    fqdn: Option<&str>,
    array: Option<&str>,
) -> Option<Diagnostic> {
    let fqdn = fqdn?;
    let cn = cert.subject_cn.as_deref().unwrap_or("");
    let matches = |name: &str| cn.eq_ignore_ascii_case(name);
    if matches(fqdn) || array.is_some_and(matches) {
        return None;
    }
    Some(Diagnostic::new(
        Code::CertNameMismatch,
        format!(
            "the certificate's subject CN is '{cn}', not the server's FQDN {fqdn}{}: OCS identifies \
             the CAS by the subject name, so the pool's Authorized Hosts entry must be '{cn}'",
            array.map(|a| format!(" or its CAS array {a}")).unwrap_or_default()
        ),
    ))
}

/// The certificate as the report shows it.
pub fn certificate_view(cert: &Certificate, sources: &[String]) -> CertificateView {
    CertificateView {
        subject: cert.subject_text.clone(),
        issuer: cert.issuer_text.clone(),
        serial: cert.serial.to_hex(),
        thumbprint: cert.thumbprint,
        not_before: rfc3339(cert.not_before),
        not_after: rfc3339(cert.not_after),
        sources: sources.to_vec(),
    }
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

/// Two files for one server: neither can be trusted to be the right one.
fn duplicate_servers(servers: &mut [ServerPlan]) -> Vec<Diagnostic> {
    let mut by_name: BTreeMap<ServerName, Vec<usize>> = BTreeMap::new();
    for (i, s) in servers.iter().enumerate() {
        if let Some(name) = &s.server {
            by_name.entry(name.clone()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (name, indices) in by_name.into_iter().filter(|(_, v)| v.len() > 1) {
        let files: Vec<String> = indices.iter().map(|&i| servers[i].source.clone()).collect();
        let message = format!(
            "{} files map to server {name}: {}; keep the one collected from {name} and remove the \
             others (or fix --server-map)",
            files.len(),
            files.join(", ")
        );
        for &i in &indices {
            let d =
                Diagnostic::new(Code::DuplicateServer, message.clone()).in_file(&servers[i].source);
            servers[i].diagnostics.push(d);
        }
        out.push(Diagnostic::new(Code::DuplicateServer, message));
    }
    out
}

/// Servers behind one load balancer must use one pool (per site or array when the map says).
fn inconsistent_pools(servers: &[ServerPlan], grouped: bool) -> Vec<Diagnostic> {
    let mut groups: BTreeMap<Option<&str>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for s in servers {
        let (Some(name), Some(pool)) = (&s.server, configured_pool(s)) else {
            continue;
        };
        let group = if grouped { s.group.as_deref() } else { None };
        groups
            .entry(group)
            .or_default()
            .entry(pool)
            .or_default()
            .push(name.to_string());
    }
    groups
        .into_iter()
        .filter(|(_, pools)| pools.len() > 1)
        .map(|(group, pools)| {
            let listed: Vec<String> = pools
                .iter()
                .map(|(pool, names)| format!("{pool} ({})", names.join(", ")))
                .collect();
            let scope = group.map_or("the organisation".to_string(), |g| format!("'{g}'"));
            Diagnostic::new(
                Code::PoolInconsistent,
                format!(
                    "the servers of {scope} use different pools: {}; servers behind one load \
                     balancer should use one pool (one pool per site is fine: give a site column in \
                     --server-map)",
                    listed.join(" vs ")
                ),
            )
        })
        .collect()
}

fn configured_pool(s: &ServerPlan) -> Option<String> {
    let raw = s.rtm.as_ref()?.pool.as_deref()?;
    let (clean, _) = hidden::strip(raw);
    PoolFqdn::parse(&clean, None).ok().map(|(p, _)| p.key())
}

/// Severity adjustments and the final status.
fn finish(server: &mut ServerPlan, strict: bool, resolved: bool) {
    if strict {
        server.diagnostics = std::mem::take(&mut server.diagnostics)
            .into_iter()
            .map(Diagnostic::strict)
            .collect();
    }
    let failed = server.diagnostics.iter().any(Diagnostic::is_error)
        || server.server.is_none()
        || server.rtm.is_none();
    server.status = match server.status {
        _ if failed => Status::Failed,
        Status::NotConfigured => Status::NotConfigured,
        _ if !resolved => Status::Configured,
        _ if server.sp1.is_some() => Status::Converted,
        _ => Status::Failed,
    };
    if server.status == Status::Failed {
        server.sp1 = None;
    }
}
