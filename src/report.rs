//! report.json (SPEC §7) and the short summary people read on the terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::cert::source::SourceFile;
use crate::diag::{Code, Diagnostic, Severity};
use crate::hidden::printable;
use crate::input::collected::CurrentValues;
use crate::input::corrections::Correction;
use crate::names::{Identity, ServerName};
use crate::plan::{CertificateView, Change, Plan, Rtm, ServerPlan, Sp1, Status};
use crate::tool::Tool;

pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: u32,
    pub tool: Tool,
    pub summary: Summary,
    /// Each server's plan, written as a [`ServerRow`].
    #[serde(serialize_with = "rows")]
    pub servers: Vec<ServerPlan>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every `--certs` file, read or not (`convert` and `resolve` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<SourceFile>>,
    /// The run that wrote this report and the files beside it (`convert` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
}

/// What a `convert` run was, so that every file it wrote can be told from another run's.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The command line, as the options were understood (paths as shown, defaults left out).
    pub command: String,
    /// `--at`, when given; else the certificates were checked at the time of the run.
    pub certificates_checked_at: Option<String>,
    /// Whether the header time is recorded (not under `--reproducible`).
    pub time_recorded: bool,
    /// Whether the verification script is among the outputs (`--with verify`).
    pub verify: bool,
    /// Every file this run wrote into `--out`.
    pub outputs: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub configs: usize,
    pub converted: usize,
    /// `scan` only: servers whose settings are complete and valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configured: Option<usize>,
    pub not_configured: usize,
    pub failed: usize,
    pub warnings: usize,
}

/// The files an earlier run of this tool recorded as its own in `out`'s report.json
/// (`run.outputs`): what `--force` may remove. Nothing when there is no such report, or it is
/// not this tool's: then no file is taken for an earlier run's by its name alone.
pub fn recorded_outputs(out: &std::path::Path) -> Vec<String> {
    /// Only what is needed of an earlier report: serde passes over the rest (the servers)
    /// without building it.
    #[derive(serde::Deserialize)]
    struct Earlier {
        tool: EarlierTool,
        run: Option<EarlierRun>,
    }
    #[derive(serde::Deserialize)]
    struct EarlierTool {
        name: String,
    }
    #[derive(serde::Deserialize)]
    struct EarlierRun {
        outputs: Vec<String>,
    }
    let Ok(file) = std::fs::File::open(out.join("report.json")) else {
        return Vec::new();
    };
    match serde_json::from_reader::<_, Earlier>(std::io::BufReader::new(file)) {
        Ok(Earlier {
            tool,
            run: Some(run),
        }) if tool.name == Tool::THIS.name => run.outputs,
        _ => Vec::new(),
    }
}

impl Report {
    pub fn new(plan: Plan, sources: Option<Vec<SourceFile>>, scan: bool) -> Report {
        let count = |status| plan.servers.iter().filter(|s| s.status() == status).count();
        let warnings = plan
            .servers
            .iter()
            .flat_map(|s| &s.diagnostics)
            .chain(&plan.diagnostics)
            .filter(|d| d.severity == Severity::Warning)
            .count();
        Report {
            schema: SCHEMA,
            tool: Tool::THIS,
            summary: Summary {
                configs: plan.servers.len(),
                converted: count(Status::Converted),
                configured: scan.then(|| count(Status::Configured)),
                not_configured: count(Status::NotConfigured),
                failed: count(Status::Failed),
                warnings,
            },
            servers: plan.servers,
            diagnostics: plan.diagnostics,
            sources,
            run: None,
        }
    }

    /// Exit status 1 when any server failed (SPEC §5).
    pub fn any_failed(&self) -> bool {
        self.summary.failed > 0
    }

    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        // Serialising plain data with string keys into memory cannot fail, and it is UTF-8.
        let _ = self.write_json(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// report.json as it is written, straight into `out`: a large organisation's report is
    /// never held whole.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self).map_err(std::io::Error::from)?;
        out.write_all(b"\n")
    }

    /// One line per server, then the diagnostics that need a person (`verbose` adds info).
    pub fn to_text(&self, verbose: bool, colour: bool) -> String {
        let paint = Paint(colour);
        let mut out = String::new();
        let width = self
            .servers
            .iter()
            .map(|s| s.server.as_ref().map_or(9, |n| n.as_str().len()))
            .max()
            .unwrap_or(0);
        for s in &self.servers {
            let name = s.server.as_ref().map_or("(unknown)", |n| n.as_str());
            let _ = writeln!(out, "{name:width$}  {}", server_line(s, paint));
        }
        let shown = |d: &&Diagnostic| verbose || d.severity != Severity::Info;
        // A file that could not be read comes first: what it caused (a certificate not
        // found) is said after it, per server, then what holds across servers.
        let (inputs, across): (Vec<&Diagnostic>, Vec<&Diagnostic>) = self
            .diagnostics
            .iter()
            // Each file's own entry already says it is one of two for a server.
            .filter(|d| d.code != Code::DuplicateServer)
            .partition(|d| d.code == Code::SourceUnreadable);
        let diagnostics: Vec<&Diagnostic> = inputs
            .into_iter()
            .chain(self.servers.iter().flat_map(|s| &s.diagnostics))
            .chain(across)
            .filter(shown)
            .collect();
        if !diagnostics.is_empty() {
            out.push('\n');
            for d in diagnostics {
                let text = printable(&d.to_string());
                // `error[code]` in the severity's colour, the rest as it is.
                let (head, rest) = text.split_once(']').unwrap_or((&text, ""));
                let _ = writeln!(
                    out,
                    "{}{rest}",
                    paint.severity(d.severity, &format!("{head}]"))
                );
            }
        }
        let s = &self.summary;
        let done = match s.configured {
            Some(configured) => format!("{configured} configured"),
            None => format!("{} converted", s.converted),
        };
        let _ = writeln!(
            out,
            "\n{} web.config file{}: {done}, {} not configured, {} failed, {} warning{}.",
            s.configs,
            plural(s.configs),
            s.not_configured,
            s.failed,
            s.warnings,
            plural(s.warnings)
        );
        out
    }
}

/// ANSI styles for a terminal, or nothing.
/// One server in report.json (SPEC §7): what was read, the outcome, and the findings.
#[derive(Serialize)]
struct ServerRow<'a> {
    server: Option<&'a ServerName>,
    source: &'a str,
    status: Status,
    identity: Option<&'a Identity>,
    identities: &'a [Identity],
    fqdn: Option<&'a str>,
    rtm: Option<&'a Rtm>,
    sp1: Option<&'a Sp1>,
    certificate: Option<&'a CertificateView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<&'a [CurrentValues]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<Change>,
    #[serde(skip_serializing_if = "<[Correction]>::is_empty")]
    corrections: &'a [Correction],
    diagnostics: &'a [Diagnostic],
}

impl<'a> ServerRow<'a> {
    fn of(s: &'a ServerPlan) -> ServerRow<'a> {
        ServerRow {
            server: s.server.as_ref(),
            source: &s.source,
            status: s.status(),
            identity: s.identity.as_ref(),
            identities: &s.identities,
            fqdn: s.fqdn.as_deref(),
            rtm: s.rtm.as_ref(),
            sp1: s.sp1(),
            certificate: s.certificate(),
            current: s.current.as_deref(),
            change: s.change(),
            corrections: &s.corrections,
            diagnostics: &s.diagnostics,
        }
    }
}

fn rows<S: serde::Serializer>(servers: &[ServerPlan], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(servers.iter().map(ServerRow::of))
}

#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn with(self, style: Style, text: &str) -> String {
        if self.0 {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    fn severity(self, severity: Severity, text: &str) -> String {
        let style = match severity {
            Severity::Error => RED.bold(),
            Severity::Warning => YELLOW.bold(),
            Severity::Info => CYAN,
        };
        self.with(style, text)
    }
}

const RED: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const YELLOW: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const CYAN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));

fn server_line(s: &ServerPlan, paint: Paint) -> String {
    let warnings = s
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let mut note = if warnings > 0 {
        format!(" ({warnings} warning{})", plural(warnings))
    } else {
        String::new()
    };
    match s.change() {
        Some(Change::AlreadySet) => note.push_str(" (already set: nothing will change)"),
        Some(Change::WillChange) => note.push_str(" (will change)"),
        None => {}
    }
    if !s.corrections.is_empty() {
        let keys: Vec<&str> = s.corrections.iter().map(|c| c.key).collect();
        note.push_str(&format!(" (corrected: {})", keys.join(", ")));
    }
    match (s.status(), s.sp1()) {
        (Status::Converted, Some(sp1)) => {
            format!(
                "{}       {} {}{note}",
                paint.with(GREEN, "converted"),
                sp1.server_name,
                sp1.thumbprint
            )
        }
        (Status::Configured, _) => format!(
            "{}      {}{note}",
            paint.with(GREEN, "configured"),
            s.rtm
                .as_ref()
                .and_then(|r| r.pool.as_deref())
                .map(printable)
                .unwrap_or_default()
        ),
        (Status::NotConfigured, _) => format!(
            "{}{note}",
            paint.with(Style::new().dimmed(), "not configured")
        ),
        _ => {
            // Each code once, in the order first met: the messages below say each finding.
            let mut why: Vec<&str> = Vec::new();
            for d in s.diagnostics.iter().filter(|d| d.is_error()) {
                if !why.contains(&d.code.as_str()) {
                    why.push(d.code.as_str());
                }
            }
            format!(
                "{}          {}{note}",
                paint.with(RED.bold(), "failed"),
                why.join(", ")
            )
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
