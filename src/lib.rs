//! owa-im-migrate: moves Exchange 2010 RTM OWA instant-messaging settings (three web.config
//! keys per Client Access server) to the Exchange 2010 SP1 `Set-OwaVirtualDirectory`
//! parameters, for a whole organisation, as a reviewed PowerShell change script.
//!
//! The pipeline (SPEC §2) is the layout: [`config`] reads web.configs, [`cert`] builds the
//! certificate index, [`plan`] decides per server, [`render`] writes scripts, [`report`]
//! accounts for every input, [`output`] writes atomically.
#![forbid(unsafe_code)]

pub mod cert;
pub mod cli;
pub mod config;
pub mod der;
pub mod diag;
pub mod encoding;
pub mod error;
pub mod hidden;
pub mod input;
pub mod names;
pub mod output;
pub mod paths;
pub mod plan;
pub mod render;
pub mod report;
pub mod tool;
pub mod walk;

use std::path::PathBuf;

use rayon::prelude::*;
use time::OffsetDateTime;

use crate::cert::exchange_csv::Culture;
use crate::cert::source::{self, SourceFile};
use crate::cert::{CertIndex, DistinguishedName, Query, Serial};
use crate::config::ConfigFile;
use crate::diag::{Code, Diagnostic};
use crate::input::corrections::Corrections;
use crate::input::server_map::ServerMap;
use crate::plan::{Plan, Settings};
use crate::render::context::Context;
use crate::render::{ChangeTemplate, Renderer, Streams};
use crate::report::Report;

pub use crate::error::{Error, Result};

/// What `scan` and `convert` read.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub configs: Vec<PathBuf>,
    /// Show a progress bar on stderr for long runs (only ever when stderr is a terminal).
    pub progress: bool,
    pub server_map: Option<PathBuf>,
    /// `--corrections`: values given instead of the web.configs' (which stay as collected).
    pub corrections: Option<PathBuf>,
    pub settings: Settings,
}

/// Everything `convert` needs.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub inputs: Inputs,
    pub certs: Vec<PathBuf>,
    /// The regional format of `Export-Csv` dates.
    pub csv_culture: Culture,
    pub out: PathBuf,
    /// Outputs beyond the default set.
    pub extras: Vec<render::Extra>,
    /// Whether `--at` named the date the certificates are checked at (else: the run's time).
    pub at_given: bool,
    pub force: bool,
    pub template: Option<String>,
    /// `--template NAME=FILE`, as given: the user's templates in place of built-ins.
    pub replace: Vec<String>,
    /// The script header's time; `None` writes none.
    pub generated: Option<OffsetDateTime>,
}

/// What `convert` did.
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub written: Vec<PathBuf>,
    /// Files an earlier run wrote into `--out` that this one does not (`--force`): removed,
    /// so that no file of another run stands beside this run's.
    pub removed: Vec<PathBuf>,
}

/// `scan`: what the configs say, without certificates.
pub fn scan(inputs: &Inputs) -> Result<Report> {
    let (files, map, corrections, mut run) = gather(inputs)?;
    let read = read_configs(
        &files,
        map.as_ref(),
        &corrections,
        &inputs.settings,
        &Progress::new(inputs.progress),
    );
    let mut plan = plan::resolve_all(read, map.as_ref(), None, &inputs.settings);
    run.extend(unused_corrections(&corrections, &plan));
    add_run_diagnostics(&mut plan, run, Vec::new());
    Ok(Report::new(plan, None, true))
}

/// Everything `convert` derives before it writes: the report, which holds the plan of every
/// server, and what the template context is made from.
pub struct Prepared {
    pub report: Report,
    /// The header time as templates show it.
    generated: String,
}

impl Prepared {
    /// The whole template context, every list in it (`--dump-context`, a user's template).
    pub fn context(&self) -> Result<serde_json::Value> {
        let context = Context::new(&self.report.servers, self.generated.clone());
        self.with_run(serde_json::to_value(context))
    }

    /// The template context with its per-server lists made one item at a time while a
    /// template renders, by `streams`.
    pub fn streamed_context(&self, streams: &Streams) -> Result<serde_json::Value> {
        let context = Context::without_servers(&self.report.servers, self.generated.clone());
        self.with_run(streams.root(&context))
    }

    fn with_run(
        &self,
        context: serde_json::Result<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let fail = |e: serde_json::Error| Error::Template {
            name: "context".into(),
            cause: e.into(),
        };
        let mut context = context.map_err(fail)?;
        context["run"] = serde_json::to_value(&self.report.run).map_err(fail)?;
        Ok(context)
    }
}

/// Reads, resolves and plans, without writing (`convert --dump-context` stops here).
pub fn prepare(options: &ConvertOptions) -> Result<Prepared> {
    // Every file is found first, so that a path that does not exist stops the run before
    // anything is read or a password asked for.
    // Both folders are searched at once; an error of the web.config side is said first.
    let (gathered, found) =
        rayon::join(|| gather(&options.inputs), || source::find(&options.certs));
    let (files, map, corrections, mut run) = gathered?;
    let found = found?;
    let bar = Progress::new(options.inputs.progress);
    // Neither side needs the other until the lookups: the certificates (one large export
    // is one worker's job) are read while the web.config files are.
    let (read, (index, sources, source_diagnostics)) = rayon::join(
        || {
            read_configs(
                &files,
                map.as_ref(),
                &corrections,
                &options.inputs.settings,
                &bar,
            )
        },
        || index_certificates(found, options.csv_culture.clone(), Some(bar.bar.clone())),
    );
    let mut plan = plan::resolve_all(read, map.as_ref(), Some(&index), &options.inputs.settings);
    let no_certificate = index.is_empty();
    // Freeing a large organisation's certificates takes a while; nothing waits for it.
    rayon::spawn(move || drop((index, map)));
    if no_certificate {
        no_certificates(&plan, &options.certs, &sources, &source_diagnostics)?;
    }
    run.extend(unused_corrections(&corrections, &plan));
    add_run_diagnostics(&mut plan, run, source_diagnostics);
    let generated = options
        .generated
        .map_or_else(|| "not recorded".to_string(), plan::rfc3339);
    let run = run_record(options, &plan);
    let mut report = Report::new(plan, Some(sources), false);
    report.run = Some(run);
    Ok(Prepared { report, generated })
}

/// What this run was: its options, the date certificates were checked at, the files it
/// writes. The report and the plan both carry it, so a reviewer can tell which run wrote
/// which file.
fn run_record(options: &ConvertOptions, plan: &Plan) -> report::Run {
    let shown = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| hidden::quoted(&paths::shown(p), 200))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let settings = &options.inputs.settings;
    let mut arguments = vec![
        shown(&options.inputs.configs),
        format!("--certs {}", shown(&options.certs)),
    ];
    if let Some(map) = &options.inputs.server_map {
        arguments.push(format!("--server-map {}", shown(std::slice::from_ref(map))));
    }
    if let Some(corrections) = &options.inputs.corrections {
        arguments.push(format!(
            "--corrections {}",
            shown(std::slice::from_ref(corrections))
        ));
    }
    if options.at_given {
        arguments.push(format!("--at {}", plan::rfc3339(settings.at)));
    }
    if let Some(domain) = &settings.domain {
        arguments.push(format!("--domain {}", hidden::quoted(domain, 200)));
    }
    if settings.strict {
        arguments.push("--strict".into());
    }
    if options.csv_culture != Culture::default() {
        arguments.push(format!("--csv-culture {}", options.csv_culture.name()));
    }
    for extra in &options.extras {
        arguments.push(format!("--with {}", extra.name()));
    }
    for template in options.template.iter().chain(&options.replace) {
        arguments.push(format!("--template {}", hidden::quoted(template, 200)));
    }
    let converted: Vec<&str> = plan
        .servers
        .iter()
        .filter(|s| s.status() == plan::Status::Converted)
        .filter_map(|s| s.server.as_ref().map(|n| n.as_str()))
        .collect();
    report::Run {
        command: format!("owa-im-migrate convert {}", arguments.join(" ")),
        certificates_checked_at: options.at_given.then(|| plan::rfc3339(settings.at)),
        time_recorded: options.generated.is_some(),
        verify: options.extras.contains(&render::Extra::Verify),
        outputs: render::outputs(&options.extras, &converted),
    }
}

/// `convert`: the whole job. Checks `--out` first so that a run that cannot start writes
/// nothing; writes every file to a temporary as it is rendered, and renames them into place
/// only once all are complete.
pub fn convert(options: &ConvertOptions) -> Result<Outcome> {
    output::check_out_dir(&options.out, options.force)?;
    let change = ChangeTemplate::choose(options.template.as_deref())?;
    let mut templates = vec!["sp1", "undo"];
    for &extra in &options.extras {
        templates.extend(render::templates_of(extra));
    }
    let replacements = replacements(options, &templates)?;
    let renderer = if replacements.is_empty() {
        Renderer::for_templates(&change, &templates)?
    } else {
        let mut renderer = Renderer::new(&change)?;
        renderer.replace(&replacements)?;
        renderer
    };
    // On a worker: the reading is done by the workers, and what it frees stays in their
    // allocator arenas (glibc gives each thread its own), where the plans and the rendering
    // reuse it instead of growing the main thread's (10 MB less at 10,000 servers).
    let (prepared, staging, staged) = rayon::scope(|_| -> Result<_> {
        let prepared = prepare(options)?;
        // Made only now: a run that cannot start has written nothing, not even `--out`.
        let staging = output::Staging::new(&options.out)?;
        let staged = write_outputs(options, &renderer, &prepared, &staging)?;
        Ok((prepared, staging, staged))
    })?;
    let ours: Vec<String> = staged.iter().map(|s| s.name().to_string()).collect();
    // Read before this run's report.json takes its place: the earlier run's own record of
    // what it wrote, the only files `--force` removes.
    let earlier = if options.force {
        report::recorded_outputs(&options.out)
    } else {
        Vec::new()
    };
    let written = staging.persist(staged)?;
    // Only once every file of this run is in place: the earlier run's own files that this
    // run did not write again (its plan, its per-server scripts) go, so that no reviewer
    // reads one run's plan beside another run's script. Only what that run recorded in its
    // report.json is its own: anything else (a state file, a transcript, the
    // administrator's files, even one named as an output) stays.
    let removed = if options.force {
        let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
        output::remove_earlier_outputs(&options.out, &ours, &earlier, render::is_output_name)
    } else {
        Vec::new()
    };
    Ok(Outcome {
        report: prepared.report,
        written,
        removed,
    })
}

/// `--template NAME=FILE`, read, each of a template this run renders (or a partial), and one
/// template a name: a replacement that would change nothing, or two for one output, is the
/// command line's mistake, not something to pass over.
fn replacements(options: &ConvertOptions, rendered: &[&str]) -> Result<Vec<render::Replacement>> {
    let mut replacements: Vec<render::Replacement> = Vec::new();
    for given in &options.replace {
        let replacement = render::Replacement::read(given)?;
        let name = replacement.builtin;
        let fail = |why: String| Error::Replacement {
            given: given.clone(),
            why,
        };
        let output = render::builtin(name).and_then(|b| b.output);
        if output.is_some() && !rendered.contains(&name) {
            return Err(fail(format!(
                "this run does not write '{name}' ({}): add the --with that writes it, or leave \
                 this --template out",
                output.unwrap_or_default()
            )));
        }
        if (name == "sp1" && options.template.is_some())
            || replacements.iter().any(|r| r.builtin == name)
        {
            return Err(fail(format!(
                "another --template already replaces '{name}': give one"
            )));
        }
        replacements.push(replacement);
    }
    Ok(replacements)
}

/// Renders every output of the run into its staged file, in parallel, in the order they
/// are listed: the change and undo scripts, report.json, the opt-in outputs. Nothing of a
/// rendered file is kept in memory, and the servers' entries of the template context are
/// made one at a time.
fn write_outputs(
    options: &ConvertOptions,
    renderer: &Renderer,
    prepared: &Prepared,
    staging: &output::Staging,
) -> Result<Vec<output::Staged>> {
    let servers = &prepared.report.servers;
    let streams = Streams::new(servers);
    let data = render::Data::new(prepared.streamed_context(&streams)?)?;
    // A user's template gets the whole context: it may use the lists any way it likes; and
    // so does every output of the run, since a user's partial may be in any of them.
    let whole = if renderer.has_user_templates() {
        Some(render::Data::new(prepared.context()?)?)
    } else {
        None
    };
    let mut files: Vec<OutputFile> = render::pieces(&options.extras, servers)
        .into_iter()
        .map(OutputFile::Rendered)
        .collect();
    // report.json after the two scripts, as the outputs are listed everywhere else.
    files.insert(2, OutputFile::Report);
    files
        .par_iter()
        .map(|file| match file {
            OutputFile::Report => staging.write("report.json", |w| {
                prepared
                    .report
                    .write_json(w)
                    .map_err(|source| Error::Output {
                        path: options.out.join("report.json"),
                        source,
                    })
            }),
            OutputFile::Rendered(piece) => staging.write(piece.file(), |w| match (piece, &whole) {
                (render::Piece::Whole { .. }, Some(whole)) => {
                    renderer.write_piece(piece, whole, &Streams::none(), w)
                }
                _ => renderer.write_piece(piece, &data, &streams, w),
            }),
        })
        .collect::<Vec<Result<_>>>()
        .into_iter()
        // The first failure in the outputs' order, whichever worker met one first.
        .collect()
}

/// One file `convert` writes.
enum OutputFile<'a> {
    Report,
    Rendered(render::Piece<'a>),
}

/// `collect-script`: writes the collection script, which needs no input at all.
pub fn collect_script(
    out: &std::path::Path,
    force: bool,
    generated: Option<OffsetDateTime>,
) -> Result<Vec<PathBuf>> {
    output::check_out_dir(out, force)?;
    let renderer = Renderer::new(&ChangeTemplate::Builtin("sp1"))?;
    let context = serde_json::json!({
        "tool": crate::tool::Tool::THIS,
        "generated": generated.map_or_else(|| "not recorded".to_string(), plan::rfc3339),
    });
    let script = renderer.render("collect", &render::Data::new(context)?)?;
    output::write_all(out, &[(render::COLLECT_SCRIPT.to_string(), script)])
}

/// The answer of `resolve`.
#[derive(Debug, serde::Serialize)]
pub struct Resolved {
    pub status: ResolveStatus,
    pub thumbprint: Option<cert::Thumbprint>,
    pub certificate: Option<plan::CertificateView>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Vec<SourceFile>,
}

/// What one lookup came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolveStatus {
    Found,
    Ambiguous,
    NotFound,
    /// `--issuer` or `--serial` is not one.
    Invalid,
}

/// `resolve`: one issuer + serial lookup, with the same rules and checks as `convert`.
pub fn resolve(
    issuer: &str,
    serial: &str,
    certs: &[PathBuf],
    csv_culture: Culture,
    at: OffsetDateTime,
) -> Result<Resolved> {
    let (index, sources, mut diagnostics) = load_certificates(certs, csv_culture)?;
    let (issuer_text, serial_text) = visible(issuer, serial, &mut diagnostics);
    let mut answer = Resolved {
        status: ResolveStatus::Invalid,
        thumbprint: None,
        certificate: None,
        diagnostics,
        sources,
    };
    let (dn, (forward, reversed)) = match parse_lookup(&issuer_text, &serial_text) {
        Ok(parsed) => parsed,
        Err(invalid) => {
            answer.diagnostics.push(invalid);
            return Ok(answer);
        }
    };
    let query = Query {
        issuer_text: &issuer_text,
        issuer: &dn,
        serial: &forward,
        serial_reversed: &reversed,
    };
    let (found, said) = plan::find_certificate(&index, &query, plan::Names::default(), at);
    let ambiguous = said.iter().any(|(_, d)| d.code == Code::CertAmbiguous);
    answer.diagnostics.extend(said.into_iter().map(|(_, d)| d));
    answer.status = match found {
        Some(entry) => {
            answer.thumbprint = Some(entry.cert.thumbprint);
            answer.certificate = Some(plan::CertificateView::new(entry));
            ResolveStatus::Found
        }
        None if ambiguous => ResolveStatus::Ambiguous,
        None => ResolveStatus::NotFound,
    };
    Ok(answer)
}

/// `--issuer` and `--serial` without invisible characters, which a warning names.
fn visible(issuer: &str, serial: &str, diagnostics: &mut Vec<Diagnostic>) -> (String, String) {
    let (issuer_text, removed_issuer) = hidden::strip(issuer);
    let (serial_text, removed_serial) = hidden::strip(serial);
    if !removed_issuer.is_empty() || !removed_serial.is_empty() {
        let all: Vec<_> = removed_issuer.into_iter().chain(removed_serial).collect();
        diagnostics.push(Diagnostic::new(
            Code::HiddenCharacters,
            format!(
                "invisible characters removed: {}",
                hidden::describe_all(&all)
            ),
        ));
    }
    (issuer_text, serial_text)
}

/// The issuer as a distinguished name and the serial in both byte orders, or why one of them
/// is not one.
fn parse_lookup(
    issuer: &str,
    serial: &str,
) -> std::result::Result<(DistinguishedName, (Serial, Serial)), Diagnostic> {
    let dn = DistinguishedName::parse(issuer.trim())
        .map_err(|e| Diagnostic::new(Code::IssuerInvalid, format!("--issuer: {e}")))?;
    let serials = Serial::parse_both_orders(serial)
        .map_err(|e| Diagnostic::new(Code::SerialInvalid, format!("--serial: {e}")))?;
    Ok((dn, serials))
}

/// A bar on stderr for runs long enough to want one; hidden unless stderr is a terminal, so
/// nothing extra reaches a log or a pipe.
/// The web.config progress bar: only for runs long enough to want one, only on a terminal.
/// Made before the files are counted, so that the password prompt can hide it at any time.
struct Progress {
    wanted: bool,
    bar: indicatif::ProgressBar,
}

impl Progress {
    const WORTH_A_BAR: usize = 200;

    fn new(wanted: bool) -> Self {
        use std::io::IsTerminal;
        Self {
            wanted: wanted && std::io::stderr().is_terminal(),
            bar: indicatif::ProgressBar::hidden(),
        }
    }

    /// Shows the bar once the number of files is known, if there are enough of them.
    fn start(&self, files: usize) {
        if !self.wanted || files < Self::WORTH_A_BAR {
            return;
        }
        let style = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} web.config files {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        self.bar.set_style(style);
        self.bar.set_length(files as u64);
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
}

/// Reads every web.config file and checks its settings; what is left needs the
/// certificates.
fn read_configs(
    files: &[ConfigFile],
    map: Option<&ServerMap>,
    corrections: &Corrections,
    settings: &Settings,
    progress: &Progress,
) -> plan::Read {
    progress.start(files.len());
    let read = plan::read_all(files, map, corrections, settings, &|| progress.bar.inc(1));
    progress.bar.finish_and_clear();
    read
}

/// What the run reads besides the certificates: the web.configs found, the server map, the
/// corrections, and the run-level diagnostics so far.
type Gathered = (
    Vec<ConfigFile>,
    Option<ServerMap>,
    Corrections,
    Vec<Diagnostic>,
);

fn gather(inputs: &Inputs) -> Result<Gathered> {
    let map = inputs
        .server_map
        .as_deref()
        .map(ServerMap::load)
        .transpose()?;
    let corrections = inputs
        .corrections
        .as_deref()
        .map(Corrections::load)
        .transpose()?
        .unwrap_or_default();
    let (files, walk) = config::discover(&inputs.configs)?;
    if files.is_empty() {
        return Err(Error::NoConfigs(inputs.configs.clone()));
    }
    // Run-level diagnostics first: the map's unusable and unused rows, unsearchable folders.
    let mut run: Vec<Diagnostic> = Vec::new();
    if let Some(map) = &map {
        run.extend(map.diagnostics.iter().cloned());
        run.extend(map.unused_rows(&files));
    }
    run.extend(corrections.diagnostics.iter().cloned());
    run.extend(walk);
    Ok((files, map, corrections, run))
}

/// Corrections for servers that no web.config was for.
fn unused_corrections(corrections: &Corrections, plan: &Plan) -> Vec<Diagnostic> {
    let servers: Vec<&names::ServerName> = plan
        .servers
        .iter()
        .filter_map(|s| s.server.as_ref())
        .collect();
    corrections.unused(&servers)
}

fn load_certificates(
    paths: &[PathBuf],
    csv_culture: Culture,
) -> Result<(CertIndex, Vec<SourceFile>, Vec<Diagnostic>)> {
    Ok(index_certificates(source::find(paths)?, csv_culture, None))
}

/// `--certs` gave no certificate at all while servers need one: a run-level error (exit 2,
/// nothing written), not a `cert-not-found` for every server. It says what was found there
/// and why none of it was read.
fn no_certificates(
    plan: &Plan,
    paths: &[PathBuf],
    sources: &[SourceFile],
    diagnostics: &[Diagnostic],
) -> Result<()> {
    let needed = plan
        .servers
        .iter()
        .any(|s| s.diagnostics.iter().any(|d| d.code == Code::CertNotFound));
    if !needed {
        return Ok(());
    }
    let found = match sources.len() {
        0 => "no file at all".to_string(),
        n => {
            let count = |status| sources.iter().filter(|s| s.status == status).count();
            format!(
                "{n} file{}: {} unreadable, {} not certificates",
                if n == 1 { "" } else { "s" },
                count(source::Status::Unreadable),
                count(source::Status::Ignored)
            )
        }
    };
    let reasons: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.code == Code::SourceUnreadable)
        .take(3)
        .map(|d| hidden::printable(&d.to_string()))
        .collect();
    let reasons = if reasons.is_empty() {
        String::new()
    } else {
        format!(
            " ({}{})",
            reasons.join("; "),
            if diagnostics.len() > 3 { "; …" } else { "" }
        )
    };
    Err(Error::NoCertificates {
        paths: paths.to_vec(),
        found: format!("{found}{reasons}"),
    })
}

/// Reads the certificate files found and indexes every certificate once.
fn index_certificates(
    found: source::Found,
    csv_culture: Culture,
    progress: Option<indicatif::ProgressBar>,
) -> (CertIndex, Vec<SourceFile>, Vec<Diagnostic>) {
    let reading = source::Reading {
        csv_culture,
        progress,
        ..source::Reading::default()
    };
    let loaded = source::read(found, &reading);
    (loaded.index, loaded.files, loaded.diagnostics)
}

/// Run-level diagnostics (server map rows, unreadable folders and certificate files) go
/// first in the report's top-level list.
fn add_run_diagnostics(plan: &mut Plan, mut run: Vec<Diagnostic>, sources: Vec<Diagnostic>) {
    run.extend(sources);
    run.append(&mut plan.diagnostics);
    plan.diagnostics = run;
}
