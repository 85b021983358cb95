//! The plan stage: per server, the SP1 settings or the reasons they cannot be made; then
//! the checks that need every server at once.

mod across;
mod certificate;
mod settings;

pub use certificate::{check_certificate, find_certificate, lookup, rfc3339, About, Names};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use time::OffsetDateTime;

use crate::cert::index::Entry;
use crate::cert::{CertIndex, Issuers, Thumbprint};
use crate::config::{self, derive_server, ConfigFile, ImKey, ImSettings, Setting};
use crate::diag::{Code, Diagnostic};
use crate::input::collected::{self, CurrentValues};
use crate::input::corrections::{Correction, Corrections};
use crate::input::server_map::ServerMap;
use crate::names::{Identity, PoolFqdn, ServerName};
use settings::Values;

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

/// The certificate as the report shows it: a view of its entry in the index, shared by
/// every server that names it (nothing of it is copied per server).
#[derive(Debug, Clone)]
pub struct CertificateView(Arc<Entry>);

impl CertificateView {
    pub fn new(entry: &Arc<Entry>) -> Self {
        CertificateView(Arc::clone(entry))
    }

    pub fn subject(&self) -> &str {
        &self.0.cert.subject_text
    }

    /// The certificate's subject CN: the Authorized Host entry the OCS pool needs.
    pub fn subject_cn(&self) -> Option<&str> {
        self.0.cert.subject_cn.as_deref()
    }

    pub fn issuer(&self) -> &str {
        &self.0.cert.issuer_text
    }

    /// Hex digits, as `Set-OwaVirtualDirectory`'s documentation and certutil print them.
    pub fn serial(&self) -> String {
        self.0.cert.serial.to_hex()
    }

    pub fn thumbprint(&self) -> Thumbprint {
        self.0.cert.thumbprint
    }

    pub fn not_before(&self) -> String {
        rfc3339(self.0.cert.not_before)
    }

    pub fn not_after(&self) -> String {
        rfc3339(self.0.cert.not_after)
    }

    /// Whether a private key is known to exist (`None`: no source can tell).
    pub fn private_key(&self) -> Option<bool> {
        self.0.private_key()
    }

    /// The name a serialized store gave it.
    pub fn friendly_name(&self) -> Option<&str> {
        self.0.friendly_name()
    }

    /// Where it was found (`certs/cas01.cer`, `exports/cas.csv#row 3`).
    pub fn sources(&self) -> impl Iterator<Item = String> + '_ {
        self.0.sources.iter().map(|s| s.origin())
    }
}

/// report.json's `certificate` (SPEC §7).
impl Serialize for CertificateView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let named = self.friendly_name();
        let mut out =
            serializer.serialize_struct("CertificateView", 8 + usize::from(named.is_some()))?;
        out.serialize_field("subject", self.subject())?;
        out.serialize_field("issuer", self.issuer())?;
        out.serialize_field("serial", &self.serial())?;
        out.serialize_field("thumbprint", &self.thumbprint())?;
        out.serialize_field("not_before", &self.not_before())?;
        out.serialize_field("not_after", &self.not_after())?;
        out.serialize_field("private_key", &self.private_key())?;
        if let Some(name) = named {
            out.serialize_field("friendly_name", name)?;
        }
        out.serialize_field("sources", &Sources(self))?;
        out.end()
    }
}

/// The origins, written as a list without collecting them.
struct Sources<'v>(&'v CertificateView);

impl Serialize for Sources<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.sources())
    }
}

/// What the change does to a server's virtual directories, by their collected values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// They already hold the new values: the script changes and restarts nothing.
    AlreadySet,
    WillChange,
}

/// What a server's migration comes to, each with exactly its data.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every value valid and its certificate found and usable: the change sets them.
    Converted(Box<Converted>),
    /// `scan`: the values are complete and valid; no certificate was looked up.
    Configured,
    /// No IM under RTM: nothing to migrate.
    NotConfigured,
    /// Not in the change; the diagnostics say why. The certificate, when one was found
    /// (and refused, say as expired).
    Failed(Option<Box<CertificateView>>),
}

/// A server the change script changes.
#[derive(Debug, Clone)]
pub struct Converted {
    /// What `Set-OwaVirtualDirectory` is given.
    pub sp1: Sp1,
    pub certificate: CertificateView,
    /// Whether the change alters the virtual directories, from the collected values (none
    /// when the collection did not record them).
    pub change: Option<Change>,
}

/// One config file: what was read from it and from the inputs about its server, and its
/// outcome. report.json's `servers` and the template context are made from it.
#[derive(Debug, Clone)]
pub struct ServerPlan {
    pub server: Option<ServerName>,
    pub source: String,
    pub outcome: Outcome,
    /// The first virtual directory (the report's `identity`); all are in `identities`.
    pub identity: Option<Identity>,
    pub identities: Vec<Identity>,
    pub fqdn: Option<String>,
    /// The server map's `array`, else `site`: the servers that must agree on a pool.
    pub group: Option<String>,
    /// The CAS array FQDN from the server map.
    pub array: Option<String>,
    /// The folder this server's files were collected into: an export found there is the
    /// server's own.
    pub folder: Option<PathBuf>,
    pub rtm: Option<Rtm>,
    /// The OWA virtual directories' values before the change, when the collection script
    /// recorded them.
    pub current: Option<Vec<CurrentValues>>,
    /// Values given in `--corrections` instead of the web.config's (`rtm` keeps the file's).
    pub corrections: Vec<Correction>,
    /// `IMPortNumber`, which SP1 has no parameter for.
    pub port: Option<String>,
    /// The server map's AD site.
    pub site: Option<String>,
    /// Some of its OWA virtual directories take Internet traffic (SP2 cross-site redirection
    /// is set on them).
    pub internet_facing: bool,
    /// Those virtual directories: the server map's `internet_facing` rows, else the collected
    /// ones with an `ExternalUrl`.
    pub facing: Vec<Identity>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ServerPlan {
    pub fn status(&self) -> Status {
        match self.outcome {
            Outcome::Converted(_) => Status::Converted,
            Outcome::Configured => Status::Configured,
            Outcome::NotConfigured => Status::NotConfigured,
            Outcome::Failed(_) => Status::Failed,
        }
    }

    /// The server and what the change does to it, when the change script changes it.
    pub fn converted(&self) -> Option<(&ServerName, &Converted)> {
        match &self.outcome {
            Outcome::Converted(converted) => Some((self.server.as_ref()?, converted)),
            _ => None,
        }
    }

    /// The certificate found for the server, used or refused.
    pub fn certificate(&self) -> Option<&CertificateView> {
        match &self.outcome {
            Outcome::Converted(converted) => Some(&converted.certificate),
            Outcome::Failed(certificate) => certificate.as_deref(),
            Outcome::Configured | Outcome::NotConfigured => None,
        }
    }

    pub fn sp1(&self) -> Option<&Sp1> {
        self.converted().map(|(_, c)| &c.sp1)
    }

    pub fn change(&self) -> Option<Change> {
        self.converted().and_then(|(_, c)| c.change)
    }
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

/// The config files read and their settings checked: everything that needs no certificate,
/// so that it can run while the certificates are still being read. Each server's values
/// are kept beside the plans, so that the plans are completed where they are.
pub struct Read {
    servers: Vec<ServerPlan>,
    /// Each server's values, where they are complete and valid.
    values: Vec<Option<Values>>,
}

/// A config file read and its settings checked.
struct ReadServer {
    plan: ServerPlan,
    values: Option<Values>,
}

/// Reads and checks every config file, in parallel, in the files' order; calls `done` after
/// each file (from any worker thread), for a progress bar.
pub fn read_all(
    files: &[ConfigFile],
    map: Option<&ServerMap>,
    corrections: &Corrections,
    settings: &Settings,
    done: &(dyn Fn() + Sync),
) -> Read {
    // Each worker shares the issuers of the servers it reads as it reads them (a parsed
    // name is dropped as soon as it is read), and one pass at the end shares them across
    // workers.
    let (servers, mut values): (_, Vec<_>) = files
        .par_iter()
        .map_init(Issuers::default, |issuers, file| {
            let mut read = read_server(file, map, corrections, settings);
            if let Some(values) = &mut read.values {
                issuers.share(&mut values.issuer_text, &mut values.issuer);
            }
            done();
            (read.plan, read.values)
        })
        .unzip();
    Values::share_issuers(values.iter_mut().flatten());
    Read { servers, values }
}

/// Looks up each server's certificate (none for `scan`), then the checks across servers.
pub fn resolve_all(
    read: Read,
    map: Option<&ServerMap>,
    index: Option<&CertIndex>,
    settings: &Settings,
) -> Plan {
    let Read {
        mut servers,
        values,
    } = read;
    if let Some(index) = index {
        servers
            .par_iter_mut()
            .zip(values.par_iter())
            .for_each(|(plan, values)| {
                if let Some(values) = values {
                    let source = plan.source.clone();
                    certificate::resolve(values, index, settings, &source, plan);
                }
            });
    }
    drop(values);
    let mut diagnostics = across::duplicate_servers(&mut servers);
    let grouped = map.is_some_and(|m| m.has_groups);
    diagnostics.extend(across::inconsistent_pools(
        &mut servers,
        grouped,
        settings.strict,
    ));
    for server in &mut servers {
        finish(server, settings.strict, index.is_some());
    }
    if settings.strict {
        diagnostics = diagnostics.into_iter().map(Diagnostic::strict).collect();
    }
    // Stable: two files whose paths differ only in bytes that are not UTF-8 show as the
    // same source, and stay in the order of their paths.
    sort_stably(&mut servers, |a, b| {
        a.server
            .cmp(&b.server)
            .then_with(|| a.source.cmp(&b.source))
    });
    Plan {
        servers,
        diagnostics,
    }
}

/// `slice::sort_by`, without its buffer of half the items (8 MB of plans at 20,000
/// servers, the run's peak): the items' positions are sorted, stably, and the items then
/// moved into place by swaps, one cycle of the permutation at a time.
fn sort_stably<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| compare(&items[a], &items[b]));
    // Position i receives the item at order[i]; a position done is marked order[i] == i.
    for start in 0..order.len() {
        let mut i = start;
        while order[i] != i {
            let from = order[i];
            order[i] = i;
            if from == start {
                break;
            }
            items.swap(i, from);
            i = from;
        }
    }
}

fn read_server(
    file: &ConfigFile,
    map: Option<&ServerMap>,
    corrections: &Corrections,
    settings: &Settings,
) -> ReadServer {
    let source = file.display();
    let mut plan = identify(file, map, &source);
    let mut settings_read = match config::read_file(file) {
        Ok(read) => read,
        Err(diagnostic) => {
            plan.diagnostics.push(diagnostic);
            return ReadServer { plan, values: None };
        }
    };
    plan.rtm = Some(rtm_of(&settings_read));
    apply_corrections(&mut settings_read, corrections, &source, &mut plan);
    if let Some(external) = &settings_read.external {
        plan.diagnostics
            .push(external_settings(external, &plan, &source));
    }
    plan.diagnostics
        .extend(settings_read.diagnostics.iter().cloned());
    let values = settings::check_settings(&settings_read, &source, settings, &mut plan);
    ReadServer { plan, values }
}

/// The server, identities, FQDN and group of a file: from the map, else from its path.
fn identify(file: &ConfigFile, map: Option<&ServerMap>, source: &str) -> ServerPlan {
    let mut plan = ServerPlan {
        server: None,
        source: source.to_string(),
        outcome: Outcome::Failed(None),
        identity: None,
        identities: Vec::new(),
        fqdn: None,
        group: None,
        array: None,
        folder: collected_folder(file),
        site: None,
        internet_facing: false,
        facing: Vec::new(),
        rtm: None,
        current: None,
        corrections: Vec::new(),
        port: None,
        diagnostics: Vec::new(),
    };
    if let Some(map) = map {
        plan.diagnostics.extend(map.refused_for(file, source));
    }
    let rows = map.map(|m| m.rows_for(file)).unwrap_or_default();
    if !rows.is_empty() {
        from_map(&mut plan, &rows);
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
    read_current(&mut plan);
    if let Some(server) = &plan.server {
        if plan.identities.is_empty() {
            plan.identities.push(Identity::default_for(server));
        }
        plan.identity = plan.identities.first().cloned();
    }
    plan.facing = facing(&plan, &rows);
    plan.internet_facing = !plan.facing.is_empty();
    plan
}

/// The server map's rows for a file: its server, FQDN, array, site and identities.
fn from_map(plan: &mut ServerPlan, rows: &[&crate::input::server_map::Row]) {
    let Some(first) = rows.first() else {
        return;
    };
    plan.server = Some(first.server.clone());
    plan.fqdn = rows.iter().find_map(|r| r.fqdn.clone());
    plan.array = rows.iter().find_map(|r| r.array.clone());
    plan.site = rows.iter().find_map(|r| r.site.clone());
    plan.group = plan
        .array
        .clone()
        .or_else(|| rows.iter().find_map(|r| r.site.clone()));
    let mut identities: Vec<Identity> = rows
        .iter()
        .filter(|r| r.server == first.server)
        .filter_map(|r| r.identity.clone())
        .collect();
    identities.sort();
    identities.dedup();
    plan.identities = identities;
}

/// The OWA virtual directories that take Internet traffic: as the server map says where it
/// says it (a row without an identity stands for every one), else as Exchange says, by the
/// `ExternalUrl` the collection script recorded.
fn facing(plan: &ServerPlan, rows: &[&crate::input::server_map::Row]) -> Vec<Identity> {
    let said: Vec<_> = rows
        .iter()
        .filter_map(|r| r.internet_facing.map(|f| (r, f)))
        .collect();
    if !said.is_empty() {
        return plan
            .identities
            .iter()
            .filter(|identity| {
                said.iter()
                    .any(|(r, f)| *f && r.identity.as_ref().is_none_or(|i| i == *identity))
            })
            .cloned()
            .collect();
    }
    let current = plan.current.as_deref().unwrap_or_default();
    plan.identities
        .iter()
        .filter(|identity| {
            current.iter().any(|c| {
                !c.external_url.is_empty() && c.identity.eq_ignore_ascii_case(identity.as_str())
            })
        })
        .cloned()
        .collect()
}

/// The collected virtual directories: they name the identities when the map does not.
fn read_current(plan: &mut ServerPlan) {
    let (Some(folder), Some(server)) = (&plan.folder, &plan.server) else {
        return;
    };
    match collected::read(folder) {
        None => {}
        Some(Err(diagnostic)) => plan.diagnostics.push(diagnostic),
        Some(Ok((rows, notes))) => {
            plan.diagnostics.extend(notes);
            if plan.identities.is_empty() {
                let mut identities: Vec<Identity> = Vec::new();
                for row in &rows {
                    match Identity::parse(&row.identity, server) {
                        Ok(identity) => identities.push(identity),
                        Err(why) => plan.diagnostics.push(
                            Diagnostic::new(
                                Code::SourceUnreadable,
                                format!(
                                    "a collected OWA virtual directory is not used: {}",
                                    crate::hidden::quoted(&why.to_string(), 200)
                                ),
                            )
                            .with_severity(crate::diag::Severity::Warning)
                            .in_file(crate::paths::shown(&folder.join(collected::FILE))),
                        ),
                    }
                }
                identities.sort();
                identities.dedup();
                plan.identities = identities;
            }
            plan.current = Some(rows);
        }
    }
}

/// `already_set` when every identity the change sets already has the new values.
fn change_of(plan: &ServerPlan, sp1: &Sp1) -> Option<Change> {
    let current = plan.current.as_ref()?;
    let set = |identity: &Identity| {
        current.iter().any(|c| {
            c.identity.eq_ignore_ascii_case(identity.as_str())
                && c.matches(sp1.server_name.as_str(), &sp1.thumbprint.to_string())
        })
    };
    Some(if plan.identities.iter().all(set) {
        Change::AlreadySet
    } else {
        Change::WillChange
    })
}

/// `collected/CAS01` for `collected/CAS01/ClientAccess/Owa/web.config` found under
/// `collected`; the file's own folder otherwise.
fn collected_folder(file: &ConfigFile) -> Option<PathBuf> {
    let first_below_root = file
        .root
        .as_ref()
        .zip(file.relative())
        .and_then(|(root, rel)| {
            let mut parts = rel.components();
            let first = parts.next()?;
            parts.next().map(|_| root.join(first))
        });
    first_below_root.or_else(|| file.path.parent().map(Path::to_path_buf))
}

/// The server's corrections replace the file's values; `rtm` already holds those, and each
/// correction is recorded beside the value it replaces.
fn apply_corrections(
    read: &mut ImSettings,
    corrections: &Corrections,
    source: &str,
    plan: &mut ServerPlan,
) {
    let Some(server) = &plan.server else {
        return;
    };
    plan.diagnostics
        .extend(corrections.refused_for(server, source));
    // One correction a key at most (a second is refused as the file is read): the value
    // before it is the file's.
    for (key, correction) in corrections.for_server(server) {
        let before = read.get(key).cloned();
        let mut correction = correction.clone();
        correction.original = before.as_ref().map(|s| s.value.clone());
        plan.diagnostics.push(
            Diagnostic::new(
                Code::Corrected,
                format!(
                    "{} is '{}' from {} line {} (by {}: {}), not '{}' as the file has it",
                    correction.key,
                    crate::hidden::quoted(&correction.value, 120),
                    correction.file,
                    correction.line,
                    crate::hidden::quoted(&correction.by, 120),
                    crate::hidden::quoted(&correction.why, 200),
                    crate::hidden::quoted(correction.original.as_deref().unwrap_or(""), 120)
                ),
            )
            .in_file(source),
        );
        read.set(
            key,
            Setting {
                value: correction.value.clone(),
                // Findings about the value point at the key it replaces.
                line: before.map_or(1, |s| s.line),
            },
        );
        plan.corrections.retain(|c| c.key != correction.key);
        plan.corrections.push(correction);
    }
}

/// The application's appSettings come from another file too, which .NET reads (over the
/// section's values for `file`, instead of them for `configSource`) and this tool does not:
/// the values OWA used may be there. An error, unless `--corrections` gives all three values
/// for the server, the administrator's word on what they are.
fn external_settings(
    external: &config::app_settings::External,
    plan: &ServerPlan,
    source: &str,
) -> Diagnostic {
    let corrected = [
        ImKey::PoolName,
        ImKey::CertificateIssuer,
        ImKey::CertificateSerialNumber,
    ]
    .iter()
    .all(|key| plan.corrections.iter().any(|c| c.key == key.name()));
    let how = match external.attribute {
        "file" => "whose values .NET reads over the ones in this file",
        _ => "which .NET reads instead of this section",
    };
    let file = format!("'{}'", crate::hidden::quoted(&external.file, 120));
    let (severity, then) = if corrected {
        (
            crate::diag::Severity::Warning,
            "the values in --corrections are used".to_string(),
        )
    } else {
        (
            crate::diag::Severity::Error,
            format!(
                "this tool does not read it, so the values OWA used may be there: give the \
                 three IM values from {file} in --corrections (the collected files stay as they \
                 are)"
            ),
        )
    };
    Diagnostic::new(
        Code::SourceUnreadable,
        format!(
            "appSettings takes values from {file} ({}=), {how}; {then}",
            external.attribute
        ),
    )
    .with_severity(severity)
    .in_file(source)
    .at_line(external.line)
}

fn rtm_of(read: &ImSettings) -> Rtm {
    let value = |key| read.get(key).map(|s: &Setting| s.value.clone());
    Rtm {
        pool: value(ImKey::PoolName),
        issuer: value(ImKey::CertificateIssuer),
        serial: value(ImKey::CertificateSerialNumber),
    }
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
    server.outcome = match std::mem::replace(&mut server.outcome, Outcome::Failed(None)) {
        Outcome::Converted(converted) if failed => {
            Outcome::Failed(Some(Box::new(converted.certificate)))
        }
        failed_already @ Outcome::Failed(_) if failed || resolved => failed_already,
        _ if failed => Outcome::Failed(None),
        Outcome::NotConfigured => Outcome::NotConfigured,
        Outcome::Converted(mut converted) => {
            converted.change = change_of(server, &converted.sp1);
            Outcome::Converted(converted)
        }
        // Read, checked and not failed: complete and valid, with no certificate looked up.
        Outcome::Failed(_) | Outcome::Configured => Outcome::Configured,
    };
}

#[cfg(test)]
mod tests {
    use super::sort_stably;

    proptest::proptest! {
        /// The same order as the standard library's stable sort, ties included: the keys
        /// are few, so most lists have ties, and each item carries its first position.
        #[test]
        fn sorts_as_the_stable_sort_does(keys in proptest::collection::vec(0u8..6, 0..200)) {
            let items: Vec<(u8, usize)> = keys.into_iter().zip(0..).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|a| a.0);
            let mut sorted = items;
            sort_stably(&mut sorted, |a, b| a.0.cmp(&b.0));
            proptest::prop_assert_eq!(sorted, expected);
        }
    }
}
