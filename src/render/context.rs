//! The template context: the plan as the data model templates see (version 2, documented
//! field by field in templates/README.md).
//!
//! Free text (messages, values as read) passes through [`printable`], so a control
//! character in an input shows as `\u{a}` in a comment instead of stopping the render.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::input::corrections::Correction;
use crate::plan::{CertificateView, Change, Converted, ServerPlan, Status};

/// Bumped whenever a field changes meaning or disappears.
pub const CONTEXT_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub context_version: u32,
    pub tool: Tool,
    /// The header time: `SOURCE_DATE_EPOCH` or `--reproducible` pin it.
    pub generated: String,
    pub counts: Counts,
    /// Servers the change script changes, sorted by name.
    pub servers: Vec<ServerContext>,
    /// Every other config file, with why it is not in the script.
    pub skipped: Vec<Skipped>,
    /// Every server, whatever its IM conversion gave: for settings that do not depend on it
    /// (SP2 cross-site redirection on the Internet-facing virtual directories).
    pub all_servers: Vec<AnyServer>,
    /// The OCS pools the converted servers use, with the Authorized Hosts each needs.
    pub pools: Vec<PoolContext>,
    /// The issuers of the converted servers' certificates: CAs both sides must trust.
    pub issuers: Vec<String>,
}

/// One OCS pool and the Client Access servers that connect to it.
#[derive(Debug, Clone, Serialize)]
pub struct PoolContext {
    pub pool: String,
    pub hosts: Vec<AuthorizedHost>,
}

/// What the pool's Authorized Hosts tab needs for one CAS.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorizedHost {
    pub server: String,
    /// The certificate's subject CN: OCS identifies the CAS by it.
    pub fqdn: String,
    /// The port the pool reaches the CAS on (IMPortNumber, else 5075).
    pub port: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    pub configs: usize,
    pub converted: usize,
    /// The servers this script changes: all converted ones, or one in a per-server script.
    pub in_script: usize,
    /// Converted servers whose collected values already are the new ones.
    pub already_set: usize,
    /// Converted servers the change will alter (`converted` less `already_set`).
    pub to_change: usize,
    pub not_configured: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerContext {
    pub server: String,
    pub fqdn: Option<String>,
    pub source: String,
    pub identities: Vec<String>,
    /// `-InstantMessagingServerName`.
    pub pool: String,
    /// `-InstantMessagingCertificateThumbprint`.
    pub thumbprint: String,
    pub rtm: RtmContext,
    pub certificate: CertificateContext,
    /// `code: message` of each warning, for the script's comments.
    pub warnings: Vec<String>,
    /// From the server map, when it gives them.
    pub site: Option<String>,
    pub array: Option<String>,
    pub internet_facing: bool,
    /// `IMPortNumber` as the RTM web.config had it, if at all.
    pub port: Option<String>,
    /// The port OCS reaches this CAS on: `port`, else 5075.
    pub ocs_port: String,
    /// `already_set` or `will_change` when the collection script recorded the current
    /// values, else null.
    pub change: Option<Change>,
    /// The collected values already are the new ones: the script, checking again when it
    /// runs, changes nothing here and restarts nothing.
    pub already_set: bool,
    /// The collected values differ from the new ones: the script changes them.
    pub will_change: bool,
    /// Values taken from `--corrections` instead of the web.config's.
    pub corrections: Vec<Correction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RtmContext {
    pub pool: String,
    pub issuer: String,
    pub serial: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CertificateContext {
    pub subject: String,
    /// The subject CN (the Authorized Host entry), when the subject has one.
    pub subject_cn: Option<String>,
    pub thumbprint: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
}

/// A server of the organisation, converted or not.
#[derive(Debug, Clone, Serialize)]
pub struct AnyServer {
    pub server: String,
    pub source: String,
    /// `converted`, `not configured` or `failed`: its IM conversion.
    pub status: &'static str,
    pub site: Option<String>,
    pub internet_facing: bool,
    /// The OWA virtual directories that take Internet traffic.
    pub facing: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub server: String,
    pub source: String,
    /// `not configured` or `failed`, for people; templates test `not_configured`.
    pub status: &'static str,
    /// No IM under RTM: nothing to migrate (else the server failed).
    pub not_configured: bool,
    pub reasons: Vec<String>,
    /// The first reason (or the status), for a one-line summary.
    pub reason: String,
}

impl Context {
    /// The whole context, every list in it: for `--dump-context` and a user's template.
    pub fn new(plan: &[ServerPlan], generated: String) -> Context {
        let mut context = Self::without_servers(plan, generated);
        context.servers = plan.iter().filter_map(server_context).collect();
        context.skipped = plan
            .iter()
            .filter(|s| s.status() != Status::Converted)
            .map(skipped)
            .collect();
        context.all_servers = plan.iter().filter_map(any_server).collect();
        for (pool, members) in context
            .pools
            .iter_mut()
            .zip(pool_members(plan).into_values())
        {
            pool.hosts = members.into_iter().filter_map(authorized_host).collect();
        }
        context
    }

    /// Everything but the per-server lists (`servers`, `skipped`, `all_servers` and each
    /// pool's `hosts`, left empty), which [`super::stream::Streams`] makes one item at a
    /// time while a template renders.
    pub fn without_servers(plan: &[ServerPlan], generated: String) -> Context {
        let count = |status| plan.iter().filter(|s| s.status() == status).count();
        let converted = count(Status::Converted);
        let already_set = plan
            .iter()
            .filter(|s| s.change() == Some(Change::AlreadySet))
            .count();
        let issuers: std::collections::BTreeSet<String> = plan
            .iter()
            .filter_map(|s| Some(printable(in_script(s)?.certificate.issuer())))
            .collect();
        Context {
            context_version: CONTEXT_VERSION,
            tool: Tool::THIS,
            generated,
            counts: Counts {
                configs: plan.len(),
                converted,
                in_script: converted,
                already_set,
                to_change: converted - already_set,
                not_configured: count(Status::NotConfigured),
                failed: count(Status::Failed),
            },
            servers: Vec::new(),
            skipped: Vec::new(),
            all_servers: Vec::new(),
            pools: pool_members(plan)
                .into_keys()
                .map(|pool| PoolContext {
                    pool,
                    hosts: Vec::new(),
                })
                .collect(),
            issuers: issuers.into_iter().collect(),
        }
    }
}

/// The OCS pools of the converted servers (lower case, sorted), each with its servers in
/// the plan's order: the Authorized Hosts each pool needs.
pub(super) fn pool_members(plan: &[ServerPlan]) -> BTreeMap<String, Vec<&ServerPlan>> {
    let mut pools: BTreeMap<String, Vec<&ServerPlan>> = BTreeMap::new();
    for s in plan {
        if let Some(converted) = in_script(s) {
            let pool = converted.sp1.server_name.to_string().to_ascii_lowercase();
            pools.entry(pool).or_default().push(s);
        }
    }
    pools
}

/// What the change does to a server, for a server the script changes (the ones
/// [`server_context`] describes).
fn in_script(s: &ServerPlan) -> Option<&Converted> {
    s.rtm.as_ref()?;
    Some(s.converted()?.1)
}

/// A converted server as its pool's Authorized Hosts tab needs it.
pub(super) fn authorized_host(s: &ServerPlan) -> Option<AuthorizedHost> {
    let server = server_context(s)?;
    Some(AuthorizedHost {
        server: server.server,
        fqdn: server
            .certificate
            .subject_cn
            .unwrap_or(server.certificate.subject),
        port: server.ocs_port,
    })
}

/// The port OCS 2007 R2 connects to OWA's IM endpoint on, unless IMPortNumber says otherwise.
const DEFAULT_OCS_PORT: &str = "5075";

pub(super) fn server_context(s: &ServerPlan) -> Option<ServerContext> {
    let ((server, converted), rtm) = (s.converted()?, s.rtm.as_ref()?);
    let (sp1, cert) = (&converted.sp1, &converted.certificate);
    let text = |v: &Option<String>| printable(v.as_deref().unwrap_or(""));
    Some(ServerContext {
        server: server.to_string(),
        fqdn: s.fqdn.clone(),
        source: printable(&s.source),
        identities: s.identities.iter().map(ToString::to_string).collect(),
        pool: sp1.server_name.to_string(),
        thumbprint: sp1.thumbprint.to_string(),
        rtm: RtmContext {
            pool: text(&rtm.pool),
            issuer: text(&rtm.issuer),
            serial: text(&rtm.serial),
        },
        certificate: certificate_context(cert),
        warnings: s
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .map(summary)
            .collect(),
        site: s.site.as_deref().map(printable),
        array: s.array.clone(),
        internet_facing: s.internet_facing,
        port: s.port.as_deref().map(printable),
        change: converted.change,
        already_set: converted.change == Some(Change::AlreadySet),
        will_change: converted.change == Some(Change::WillChange),
        corrections: s.corrections.iter().map(printable_correction).collect(),
        ocs_port: s
            .port
            .as_deref()
            .filter(|p| p.parse::<u16>().is_ok())
            .unwrap_or(DEFAULT_OCS_PORT)
            .to_string(),
    })
}

fn certificate_context(cert: &CertificateView) -> CertificateContext {
    CertificateContext {
        subject: printable(cert.subject()),
        subject_cn: cert.subject_cn().map(printable),
        thumbprint: cert.thumbprint().to_string(),
        issuer: printable(cert.issuer()),
        serial: cert.serial(),
        not_before: cert.not_before(),
        not_after: cert.not_after(),
    }
}

/// A correction with its free text (the values, who and why) made printable.
fn printable_correction(c: &Correction) -> Correction {
    Correction {
        original: c.original.as_deref().map(printable),
        value: printable(&c.value),
        by: printable(&c.by),
        why: printable(&c.why),
        file: printable(&c.file),
        ..c.clone()
    }
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::NotConfigured => "not configured",
        Status::Failed => "failed",
        Status::Configured => "configured",
        Status::Converted => "converted",
    }
}

pub(super) fn any_server(s: &ServerPlan) -> Option<AnyServer> {
    Some(AnyServer {
        server: s.server.as_ref()?.to_string(),
        source: printable(&s.source),
        status: status_text(s.status()),
        site: s.site.as_deref().map(printable),
        internet_facing: s.internet_facing,
        facing: s.facing.iter().map(|i| i.as_str().to_string()).collect(),
    })
}

pub(super) fn skipped(s: &ServerPlan) -> Skipped {
    let status = status_text(s.status());
    let reasons: Vec<String> = s
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Warning)
        .map(summary)
        .collect();
    Skipped {
        reason: reasons
            .first()
            .cloned()
            .unwrap_or_else(|| status.to_string()),
        server: s
            .server
            .as_ref()
            .map_or_else(|| "(unknown server)".to_string(), ToString::to_string),
        source: printable(&s.source),
        status,
        not_configured: s.status() == Status::NotConfigured,
        reasons,
    }
}

fn summary(d: &Diagnostic) -> String {
    printable(&format!("{}: {}", d.code, d.message))
}

pub use crate::hidden::printable;
pub use crate::tool::Tool;
