//! Checks that need every server at once.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic};
use crate::hidden;
use crate::names::{PoolFqdn, ServerName};

use super::ServerPlan;

/// Two files for one server: neither can be trusted to be the right one. Each file's own
/// entry says so, naming the others; the finding across servers is also in the report's
/// top-level list (SPEC §7), which the text summary does not print a third time.
pub(super) fn duplicate_servers(servers: &mut [ServerPlan]) -> Vec<Diagnostic> {
    let mut by_name: BTreeMap<ServerName, Vec<usize>> = BTreeMap::new();
    for (i, s) in servers.iter().enumerate() {
        if let Some(name) = &s.server {
            by_name.entry(name.clone()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (name, indices) in by_name.into_iter().filter(|(_, v)| v.len() > 1) {
        for &i in &indices {
            let others: Vec<&str> = indices
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| servers[j].source.as_str())
                .collect();
            let message = format!(
                "this file and {} map to server {name}; give convert only the one collected \
                 from {name} (or fix --server-map)",
                others.join(", ")
            );
            let d = Diagnostic::new(Code::DuplicateServer, message).in_file(&servers[i].source);
            servers[i].diagnostics.push(d);
        }
        let files: Vec<&str> = indices
            .iter()
            .map(|&i| servers[i].source.as_str())
            .collect();
        out.push(Diagnostic::new(
            Code::DuplicateServer,
            format!(
                "{} files map to server {name}: {}",
                files.len(),
                files.join(", ")
            ),
        ));
    }
    out
}

/// Servers behind one load balancer must use one pool (per site or array when the map says).
/// Under `--strict` the disagreement fails each server involved, so that none is changed.
pub(super) fn inconsistent_pools(
    servers: &mut [ServerPlan],
    grouped: bool,
    strict: bool,
) -> Vec<Diagnostic> {
    let mut groups: BTreeMap<Option<String>, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (i, s) in servers.iter().enumerate() {
        let (Some(_), Some(pool)) = (&s.server, configured_pool(s)) else {
            continue;
        };
        // AD site names (and DNS names) do not differ by case: Paris and PARIS are one site.
        let group = if grouped {
            s.group.as_deref().map(str::to_lowercase)
        } else {
            None
        };
        groups
            .entry(group)
            .or_default()
            .entry(pool)
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for (group, pools) in groups.into_iter().filter(|(_, pools)| pools.len() > 1) {
        let listed: Vec<String> = pools
            .iter()
            .map(|(pool, members)| {
                let names: Vec<String> = members
                    .iter()
                    .filter_map(|&i| servers[i].server.as_ref().map(ToString::to_string))
                    .collect();
                format!("{pool} ({})", names.join(", "))
            })
            .collect();
        // What tells the servers apart when they are rightly on different pools.
        let hint = if grouped {
            "if these servers are not behind one load balancer, give each its own array or \
             site in --server-map"
        } else {
            "one pool per site is fine: give a site column in --server-map"
        };
        // The group as the map writes it (its first server's spelling), not as compared.
        let first = pools.values().flatten().min().map(|&i| &servers[i]);
        let scope = match (group, first.and_then(|s| s.group.as_deref())) {
            (Some(_), Some(written)) => format!("'{written}'"),
            _ => "the organisation".to_string(),
        };
        let diagnostic = Diagnostic::new(
            Code::PoolInconsistent,
            format!(
                "the servers of {scope} use different pools: {}; servers behind one load \
                 balancer should use one pool ({hint})",
                listed.join(" vs ")
            ),
        );
        if strict {
            for &i in pools.values().flatten() {
                let own = diagnostic.clone().in_file(&servers[i].source).strict();
                servers[i].diagnostics.push(own);
            }
        }
        out.push(diagnostic);
    }
    out
}

fn configured_pool(s: &ServerPlan) -> Option<String> {
    let raw = s.rtm.as_ref()?.pool.as_deref()?;
    let (clean, _) = hidden::strip_from_name(raw);
    PoolFqdn::parse(&clean, None).ok().map(|(p, _)| p.key())
}
