//! Running generated scripts in a real PowerShell against the simulated Exchange organisation
//! of `tests/ps/SimulatedExchange.psm1`.
//!
//! PowerShell is found through `OWA_IM_MIGRATE_PWSH`, then `pwsh` on `PATH`. Without either a
//! scenario prints that it was skipped and returns; `.ci/run` sets the variable to the shared
//! PowerShell and fails when it is missing, so CI never skips. A variable that names something
//! that does not run fails the test instead of skipping it.
//!
//! The organisation is a JSON document (built by [`Organization`]) in the scenario's folder; the
//! module reads it on import and writes it back after every change, so a test asserts on the
//! organisation after a run, not on what the script printed.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// The PowerShell to run scenarios with, or None (and a line saying the test is skipped).
pub fn powershell(test: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OWA_IM_MIGRATE_PWSH").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("pwsh"))
            .find(|candidate| candidate.is_file())
    });
    if on_path.is_none() {
        super::skipped(
            test,
            "no PowerShell to run the scripts with \
             (set OWA_IM_MIGRATE_PWSH, e.g. to ../shared/pwsh/pwsh, or put pwsh on PATH)",
        );
    }
    on_path
}

/// A parameter passed to a script, as PowerShell source for a splatted hashtable.
pub enum Param<'a> {
    Switch(&'a str),
    Text(&'a str, &'a str),
    Number(&'a str, i64),
}

impl Param<'_> {
    fn source(&self) -> String {
        match self {
            Param::Switch(name) => format!("'{name}' = $true"),
            Param::Text(name, value) => format!("'{name}' = {}", quote(value)),
            Param::Number(name, value) => format!("'{name}' = {value}"),
        }
    }
}

/// A single-quoted PowerShell literal of test-controlled text (paths, names).
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// One finished run of a script.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    /// Everything the host printed (output, warnings, errors), in one text.
    pub output: String,
}

/// The outcomes the scripts give a planned item, as their summary prints them.
const OUTCOMES: &[&str] = &[
    "Changed",
    "AlreadySet",
    "WhatIf",
    "Declined",
    "Skipped",
    "Failed",
    "NotInScript",
    "NotConfigured",
    "Restarted",
    "RestartPending",
    "Restored",
    "AlreadyRestored",
];

/// One row of a script's results: server, identity ('' for the server itself), outcome, detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub server: String,
    pub identity: String,
    pub outcome: String,
    pub detail: String,
}

impl Run {
    /// The result lines the script printed as it went (`SERVER IDENTITY: Outcome - detail`).
    pub fn rows(&self) -> Vec<Row> {
        self.output
            .lines()
            .filter_map(|line| {
                let line = line.strip_prefix("WARNING: ").unwrap_or(line);
                let (server, rest) = line.split_once(' ')?;
                let (identity, after) = rest.split_once(": ")?;
                let (outcome, detail) = after.split_once(" - ").unwrap_or((after, ""));
                OUTCOMES.contains(&outcome.trim()).then(|| Row {
                    server: server.to_string(),
                    identity: identity.to_string(),
                    outcome: outcome.trim().to_string(),
                    detail: detail.to_string(),
                })
            })
            .collect()
    }

    /// The rows of one server.
    pub fn rows_of(&self, server: &str) -> Vec<Row> {
        self.rows()
            .into_iter()
            .filter(|r| r.server == server)
            .collect()
    }

    /// Whether `server` has a row with `outcome` whose detail contains `detail`.
    pub fn has_row(&self, server: &str, outcome: &str, detail: &str) -> bool {
        self.rows_of(server)
            .iter()
            .any(|r| r.outcome == outcome && r.detail.contains(detail))
    }

    /// The outcomes of one server's rows, in order.
    pub fn outcomes(&self, server: &str) -> Vec<String> {
        self.rows_of(server)
            .into_iter()
            .map(|r| r.outcome)
            .collect()
    }
}

/// A folder with generated scripts, an organisation, and the PowerShell to run them in.
pub struct Simulation {
    pub pwsh: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Simulation {
    /// Generated scripts are in `dir/out` (`convert … --out dir/out`); the organisation is
    /// written to `dir/organization.json`.
    pub fn new(pwsh: PathBuf, org: &Organization) -> Simulation {
        let dir = tempfile::tempdir().expect("temporary folder");
        let sim = Simulation { pwsh, dir };
        sim.set_org(&org.0);
        sim.lay_out_shares(&org.0);
        sim
    }

    /// The folder that stands for the servers' administrative shares (`SERVER/C/...`).
    pub fn shares(&self) -> PathBuf {
        self.dir.path().join("shares")
    }

    /// Puts each server's `WebConfig` (a path from the project root) where its administrative
    /// share shows `<InstallPath>ClientAccess\Owa\web.config`.
    fn lay_out_shares(&self, org: &Value) {
        for server in org["Servers"].as_array().into_iter().flatten() {
            let (Some(name), Some(install), Some(source)) = (
                server["Name"].as_str(),
                server["InstallPath"].as_str(),
                server["WebConfig"].as_str(),
            ) else {
                continue;
            };
            let (drive, rest) = install
                .split_once(":\\")
                .expect("a drive-letter install path");
            let mut target = self.shares().join(name).join(drive.to_uppercase());
            for part in rest.split('\\').filter(|p| !p.is_empty()) {
                target.push(part);
            }
            target.push("ClientAccess");
            target.push("Owa");
            std::fs::create_dir_all(&target).expect("share folder");
            std::fs::copy(super::root().join(source), target.join("web.config"))
                .expect("web.config laid out");
        }
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    pub fn org_path(&self) -> PathBuf {
        self.dir.path().join("organization.json")
    }

    pub fn set_org(&self, org: &Value) {
        let text = serde_json::to_string_pretty(org).expect("organisation as JSON");
        std::fs::write(self.org_path(), text).expect("organisation written");
    }

    /// The organisation as the last run left it.
    pub fn org(&self) -> Value {
        let text = std::fs::read_to_string(self.org_path()).expect("organisation readable");
        serde_json::from_str(&text).expect("organisation is JSON")
    }

    /// Changes the organisation between runs (faults, clock, lag).
    pub fn edit_org(&self, edit: impl FnOnce(&mut Value)) {
        let mut org = self.org();
        edit(&mut org);
        self.set_org(&org);
    }

    /// Someone else changes a virtual directory (on every domain controller at once).
    pub fn set_values(&self, identity: &str, values: Value) {
        self.edit_org(|org| {
            let clock = org["Clock"].clone();
            let vdir = org["VirtualDirectories"]
                .as_array_mut()
                .expect("VirtualDirectories")
                .iter_mut()
                .find(|v| v["Identity"] == identity)
                .unwrap_or_else(|| panic!("no virtual directory {identity}"));
            vdir["Current"] = values.clone();
            vdir["Writes"]
                .as_array_mut()
                .expect("Writes")
                .push(json!({ "Clock": clock, "DomainController": "*", "Values": values }));
        });
    }

    /// Advances the simulated clock, as time passing between two runs.
    pub fn advance_clock(&self, seconds: i64) {
        self.edit_org(|org| {
            org["Clock"] = json!(org["Clock"].as_i64().unwrap_or(0) + seconds);
        });
    }

    /// The values a virtual directory holds now (the latest write, on any domain controller).
    pub fn values(&self, identity: &str) -> Value {
        let org = self.org();
        let vdir = org["VirtualDirectories"]
            .as_array()
            .expect("VirtualDirectories")
            .iter()
            .find(|v| v["Identity"] == identity)
            .unwrap_or_else(|| panic!("no virtual directory {identity}"))
            .clone();
        vdir["Current"].clone()
    }

    /// The events of one kind, in order (`Set`, `RestartBegin`, `RestartEnd`, `Sleep`, …).
    pub fn events(&self, kind: &str) -> Vec<Value> {
        self.org()["Events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .filter(|e| e["Kind"] == kind)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The servers restarted (a completed restart), in order.
    pub fn restarted(&self) -> Vec<String> {
        self.events("RestartEnd")
            .iter()
            .map(|e| e["Server"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// The identities set, in order.
    pub fn sets(&self) -> Vec<String> {
        self.events("Set")
            .iter()
            .map(|e| e["Identity"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// Runs `out/<script>` with `params`, non-interactively.
    pub fn run(&self, script: &str, params: &[Param]) -> Run {
        self.run_script(&self.out().join(script), params, None)
    }

    /// Runs `out/<script>` with `params`, answering its prompts with the lines of `answers`.
    pub fn run_answering(&self, script: &str, params: &[Param], answers: &str) -> Run {
        self.run_script(&self.out().join(script), params, Some(answers))
    }

    pub fn run_script(&self, script: &Path, params: &[Param], answers: Option<&str>) -> Run {
        let driver = super::root().join("tests/ps/Invoke-InSimulation.ps1");
        let table: Vec<String> = params.iter().map(Param::source).collect();
        let command = format!(
            "& {} -Script {} -Parameters @{{ {} }}; exit $LASTEXITCODE",
            quote(&driver.display().to_string()),
            quote(&script.display().to_string()),
            table.join("; ")
        );
        let mut cmd = Command::new(&self.pwsh);
        cmd.args(["-NoProfile", "-NoLogo"]);
        if answers.is_none() {
            cmd.arg("-NonInteractive");
        }
        cmd.args(["-Command", &command])
            .current_dir(self.dir.path())
            .env("OWA_SIM_ORG", self.org_path())
            .env("OWA_SIM_SHARES", self.shares())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", self.pwsh.display()));
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(answers.unwrap_or("").as_bytes())
                .expect("answers written");
        }
        let finished = child.wait_with_output().expect("PowerShell ran");
        let mut output = String::from_utf8_lossy(&finished.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&finished.stderr));
        let code = finished.status.code().unwrap_or(-1);
        assert_ne!(
            code, 99,
            "a terminating error escaped the script:\n{output}"
        );
        assert_ne!(
            code, 98,
            "the script left its transcript running:\n{output}"
        );
        Run { code, output }
    }
}

/// The simulated organisation's data: servers, domain controllers, OWA virtual directories and
/// their values, certificates, mailbox policies, faults, and the event log runs append to.
pub struct Organization(pub Value);

impl Organization {
    /// Every server of a report, on Exchange 2010 SP1 (14.1), in site Paris, reading from the
    /// shell's domain controller; its OWA virtual directories with the values the collection
    /// recorded (`current`), else with Exchange's defaults; each converted server holding its
    /// certificate with the private key; one mailbox policy with IM on.
    pub fn from_report(report: &Value) -> Organization {
        let servers = report["servers"].as_array().expect("servers");
        let mut org = json!({
            "ShellDomainController": "dc01.contoso.com",
            "ShellServer": "CAS01",
            "Clock": 0,
            "DomainControllers": [
                { "Name": "dc01.contoso.com", "Site": "Paris", "LagSeconds": 0 },
                { "Name": "dc02.contoso.com", "Site": "Lyon", "LagSeconds": 0 }
            ],
            "Servers": [],
            "VirtualDirectories": [],
            "Certificates": [],
            "MailboxPolicies": [
                { "Name": "Default", "IsDefault": true, "InstantMessagingEnabled": true }
            ],
            "SettingOverrides": [],
            "Faults": [],
            "Events": []
        });
        for server in servers {
            let Some(name) = server["server"].as_str() else {
                continue;
            };
            org["Servers"].as_array_mut().expect("array").push(json!({
                "Name": name,
                "Fqdn": format!("{}.contoso.com", name.to_lowercase()),
                "Version": "14.1",
                "Build": "218.15",
                "Site": "Paris",
                "Roles": ["ClientAccess", "Mailbox"],
                "ConfigDomainController": "dc01.contoso.com"
            }));
            for identity in server["identities"].as_array().into_iter().flatten() {
                let identity = identity.as_str().expect("identity");
                let current = server["current"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|c| c["identity"] == identity);
                let values = match current {
                    Some(c) => json!({
                        "InstantMessagingServerName": c["server_name"],
                        "InstantMessagingCertificateThumbprint": c["thumbprint"],
                        "InstantMessagingEnabled": c["enabled"],
                        "InstantMessagingType": c["kind"]
                    }),
                    None => defaults(),
                };
                let external_url = current
                    .and_then(|c| c["external_url"].as_str())
                    .filter(|u| !u.is_empty());
                org["VirtualDirectories"]
                    .as_array_mut()
                    .expect("array")
                    .push(json!({
                        "Identity": identity,
                        "Server": name,
                        "ExternalUrl": external_url,
                        "Current": values,
                        "Writes": [{ "Clock": 0, "DomainController": "*", "Values": values }]
                    }));
            }
            if let Some(thumbprint) = server["sp1"]["thumbprint"].as_str() {
                org["Certificates"]
                    .as_array_mut()
                    .expect("array")
                    .push(json!({
                        "Server": name,
                        "Thumbprint": thumbprint,
                        "Subject": server["certificate"]["subject"],
                        "HasPrivateKey": true
                    }));
            }
        }
        Organization(org)
    }

    /// The Contoso organisation before SP1 (tests/fixtures/organization/contoso.json): five
    /// Exchange 2010 RTM Client Access servers with the example organisation's web.config files,
    /// certificate stores and OWA virtual directories.
    pub fn contoso_rtm() -> Organization {
        let path = super::root().join("tests/fixtures/organization/contoso.json");
        let text = std::fs::read_to_string(&path).expect("organisation readable");
        Organization(serde_json::from_str(&text).expect("organisation is JSON"))
    }

    /// A server that is down: nothing reaches it (registry, share, RPC), though Active
    /// Directory still lists it.
    pub fn down(self, server: &str) -> Organization {
        let message = "The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)";
        self.fault("down", server, message)
            .fault("Get-ExchangeCertificate", server, message)
    }

    /// Adds a fault: `operation` (`Set-OwaVirtualDirectory`, `Get-OwaVirtualDirectory`,
    /// `Get-ExchangeServer`, `Get-ExchangeCertificate`, `iisreset`, …) fails on `server` with
    /// `message`; `Die` as the effect ends the session right after the operation instead.
    pub fn fault(mut self, operation: &str, server: &str, message: &str) -> Organization {
        self.0["Faults"]
            .as_array_mut()
            .expect("array")
            .push(json!({ "Operation": operation, "Server": server, "Message": message, "Effect": "Error" }));
        self
    }

    /// The session dies right after `operation` on `server` has been carried out.
    pub fn dies_after(mut self, operation: &str, server: &str) -> Organization {
        self.0["Faults"]
            .as_array_mut()
            .expect("array")
            .push(json!({ "Operation": operation, "Server": server, "Effect": "Die", "Times": 1 }));
        self
    }

    /// Sets a field of one server (e.g. its `Version`, `Site`, `ConfigDomainController`).
    pub fn server(mut self, name: &str, field: &str, value: Value) -> Organization {
        let servers = self.0["Servers"].as_array_mut().expect("array");
        let server = servers
            .iter_mut()
            .find(|s| s["Name"] == name)
            .unwrap_or_else(|| panic!("no server {name}"));
        server[field] = value;
        self
    }

    /// Sets a domain controller's replication lag: what is written elsewhere reaches it only
    /// after this many seconds of the simulated clock.
    pub fn lag(mut self, dc: &str, seconds: i64) -> Organization {
        let dcs = self.0["DomainControllers"].as_array_mut().expect("array");
        let found = dcs
            .iter_mut()
            .find(|d| d["Name"] == dc)
            .unwrap_or_else(|| panic!("no domain controller {dc}"));
        found["LagSeconds"] = json!(seconds);
        self
    }

    /// Sets the private-key flag of a server's certificates.
    pub fn private_key(mut self, server: &str, has: bool) -> Organization {
        for certificate in self.0["Certificates"].as_array_mut().expect("array") {
            if certificate["Server"] == server {
                certificate["HasPrivateKey"] = json!(has);
            }
        }
        self
    }

    /// Adds an OWA mailbox policy.
    pub fn mailbox_policy(mut self, name: &str, im_enabled: bool) -> Organization {
        self.0["MailboxPolicies"]
            .as_array_mut()
            .expect("array")
            .push(
                json!({ "Name": name, "IsDefault": false, "InstantMessagingEnabled": im_enabled }),
            );
        self
    }

    /// Removes a server's certificates.
    pub fn without_certificate(mut self, server: &str) -> Organization {
        self.0["Certificates"]
            .as_array_mut()
            .expect("array")
            .retain(|c| c["Server"] != server);
        self
    }
}

/// Exchange 2010 SP1's values of an OWA virtual directory where IM was never set: the two
/// names are String.Empty by default (ADOwaVirtualDirectorySchema), IM off, type None.
pub fn defaults() -> Value {
    json!({
        "InstantMessagingServerName": "",
        "InstantMessagingCertificateThumbprint": "",
        "InstantMessagingEnabled": false,
        "InstantMessagingType": "None"
    })
}

/// The four values as the scripts set them, for comparing with [`Simulation::values`].
pub fn im_values(server_name: &str, thumbprint: &str) -> Value {
    json!({
        "InstantMessagingServerName": server_name,
        "InstantMessagingCertificateThumbprint": thumbprint,
        "InstantMessagingEnabled": true,
        "InstantMessagingType": "Ocs"
    })
}

/// The first three columns of every row of a CSV file the scripts wrote (the collection
/// summary, Verify's evidence).
pub fn three_columns(path: &Path) -> Vec<(String, String, String)> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[0].to_string(), r[1].to_string(), r[2].to_string())
        })
        .collect()
}
