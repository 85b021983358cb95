//! Argument parsing and exit statuses only; the work is in the library.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use owa_im_migrate::cli::{
    Cli, CollectArgs, Command, ConvertArgs, Format, InputArgs, ResolveArgs, ScanArgs,
    TemplatesCommand,
};
use owa_im_migrate::plan::Settings;
use owa_im_migrate::render::{Replacement, BUILTINS};
use owa_im_migrate::report::Report;
use owa_im_migrate::{ConvertOptions, Error, Inputs};
use time::OffsetDateTime;

/// SPEC §5: 0 all converted, 1 a server failed, 2 the run could not start.
const FAILED: u8 = 1;
const CANNOT_START: u8 = 2;

fn main() -> ExitCode {
    // Ctrl+C, SIGTERM or SIGHUP while outputs are written: remove the temporaries, so that
    // an interrupted run leaves --out as it found it. 130 is the shells' "interrupted".
    let _ = ctrlc::set_handler(|| {
        owa_im_migrate::output::remove_staged();
        std::process::exit(130);
    });
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("owa-im-migrate: error: {e}");
            ExitCode::from(CANNOT_START)
        }
    }
}

fn run(cli: &Cli) -> Result<u8, Error> {
    match &cli.command {
        Command::Convert(args) => convert(cli, args),
        Command::Scan(args) => scan(cli, args),
        Command::Resolve(args) => resolve(cli, args),
        Command::Completions { shell } => {
            let _ = std::io::stdout().write_all(&owa_im_migrate::cli::completions(*shell));
            Ok(0)
        }
        Command::Man => {
            let page = owa_im_migrate::cli::man_page().map_err(Error::ManPage)?;
            let _ = std::io::stdout().write_all(&page);
            Ok(0)
        }
        Command::CollectScript(args) => collect_script(cli, args),
        Command::Templates(TemplatesCommand::List) => {
            templates_list(cli.format);
            Ok(0)
        }
        Command::Templates(TemplatesCommand::Show { name }) => {
            let b = owa_im_migrate::render::builtin(name)
                .ok_or_else(|| Error::UnknownTemplate(name.clone()))?;
            match cli.format {
                Format::Text => print!("{}", b.source),
                Format::Json => {
                    let mut shown = template_json(b);
                    shown["source"] = b.source.into();
                    println!("{shown}");
                }
            }
            Ok(0)
        }
    }
}

fn scan(cli: &Cli, args: &ScanArgs) -> Result<u8, Error> {
    if args.at.is_some() {
        eprintln!(
            "owa-im-migrate: note: --at has no effect on scan, which reads no certificate; \
             convert and resolve check certificates at that date"
        );
    }
    let report = owa_im_migrate::scan(&inputs(&args.input, None, cli.quiet))?;
    print_report(cli, &report);
    Ok(if report.any_failed() { FAILED } else { 0 })
}

fn collect_script(cli: &Cli, args: &CollectArgs) -> Result<u8, Error> {
    let written =
        owa_im_migrate::collect_script(&args.out, args.force, header_time(args.reproducible)?)?;
    if cli.format == Format::Json {
        let files: Vec<String> = written
            .iter()
            .map(|p| owa_im_migrate::paths::shown(p))
            .collect();
        println!("{}", serde_json::json!({ "written": files }));
    } else if !cli.quiet {
        for path in written {
            println!("Wrote {}", owa_im_migrate::paths::shown(&path));
        }
        println!("Next: copy it to a machine with the Exchange Management Shell and run it before SP1 setup (-WhatIf first).");
    }
    Ok(0)
}

fn templates_list(format: Format) {
    if format == Format::Json {
        let list: Vec<serde_json::Value> = BUILTINS.iter().map(template_json).collect();
        println!("{}", serde_json::Value::Array(list));
        return;
    }
    for b in BUILTINS {
        let output = b.output.unwrap_or("(partial)");
        println!(
            "{:15} {:10} {:41} {}",
            b.name,
            kind_name(b.kind),
            output,
            b.description
        );
    }
}

/// A built-in as `--format json` lists it; `output` is null for a partial.
fn template_json(b: &owa_im_migrate::render::Builtin) -> serde_json::Value {
    serde_json::json!({
        "name": b.name,
        "kind": kind_name(b.kind),
        "output": b.output,
        "description": b.description,
    })
}

fn kind_name(kind: owa_im_migrate::render::Kind) -> &'static str {
    match kind {
        owa_im_migrate::render::Kind::PowerShell => "PowerShell",
        owa_im_migrate::render::Kind::Markdown => "Markdown",
        owa_im_migrate::render::Kind::Html => "HTML",
    }
}

/// The one `--template` that names the change script's template (a built-in or a file);
/// the others are `NAME=FILE` replacements.
fn change_template(given: &[String]) -> Result<Option<String>, Error> {
    let mut plain = given.iter().filter(|t| !Replacement::is_one(t));
    let first = plain.next().cloned();
    match plain.next() {
        Some(second) => Err(Error::Replacement {
            given: second.clone(),
            why: format!(
                "the change script's template is already '{}'; give one, and NAME=FILE for \
                 the others",
                first.unwrap_or_default()
            ),
        }),
        None => Ok(first),
    }
}

/// What scan and convert read; `at` is convert's `--at` (scan reads no certificate, so the
/// date it carries is never used there).
fn inputs(args: &InputArgs, at: Option<OffsetDateTime>, quiet: bool) -> Inputs {
    Inputs {
        configs: args.configs.clone(),
        progress: !quiet,
        server_map: args.server_map.clone(),
        corrections: args.corrections.clone(),
        settings: Settings {
            domain: args.domain.clone(),
            at: at.unwrap_or_else(OffsetDateTime::now_utc),
            strict: args.strict,
        },
    }
}

fn convert(cli: &Cli, args: &ConvertArgs) -> Result<u8, Error> {
    let mut options = ConvertOptions {
        inputs: inputs(&args.input, args.at, cli.quiet),
        certs: args.certs.clone(),
        csv_culture: args.csv_culture.clone(),
        out: args.out.clone().unwrap_or_default(),
        extras: args.with.clone(),
        at_given: args.at.is_some(),
        force: args.force,
        template: change_template(&args.template)?,
        replace: args
            .template
            .iter()
            .filter(|t| Replacement::is_one(t))
            .cloned()
            .collect(),
        generated: header_time(args.reproducible)?,
    };
    options.extras.sort();
    options.extras.dedup();
    if args.dump_context {
        let context = owa_im_migrate::prepare(&options)?.context()?;
        println!(
            "{}",
            serde_json::to_string_pretty(&context).unwrap_or_default()
        );
        return Ok(0);
    }
    let outcome = owa_im_migrate::convert(&options)?;
    print_report(cli, &outcome.report);
    if cli.format == Format::Text && !cli.quiet {
        println!("Wrote:");
        for path in &outcome.written {
            println!("  {}", owa_im_migrate::paths::shown(path));
        }
        if !outcome.removed.is_empty() {
            println!("Removed, as an earlier run's and not this one's:");
            for path in &outcome.removed {
                println!("  {}", owa_im_migrate::paths::shown(path));
            }
        }
        let summary = &outcome.report.summary;
        if summary.converted == 0 && summary.failed == 0 {
            // Every server found had no IM under RTM (said at -v only, as information).
            println!(
                "Nothing to change: none of the {} web.config files sets IMPoolName, \
                 IMCertificateIssuer or IMCertificateSerialNumber, so no server had OWA instant \
                 messaging to migrate (report.json lists each as not_configured).",
                summary.configs
            );
        } else if summary.converted == 0 {
            // The scripts are written, but they change nothing: a dry run would only confirm it.
            println!("Nothing to change: no server converted. Fix what the messages above name, then run convert again.");
        } else {
            println!("Next: review the change script, run it with -WhatIf in the Exchange Management Shell, then run it for real.");
        }
    }
    Ok(if outcome.report.any_failed() {
        FAILED
    } else {
        0
    })
}

/// `SOURCE_DATE_EPOCH` pins the header time; `--reproducible` leaves it out.
fn header_time(reproducible: bool) -> Result<Option<OffsetDateTime>, Error> {
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let seconds: i64 = epoch
            .trim()
            .parse()
            .map_err(|_| Error::SourceDateEpoch(epoch.clone()))?;
        return Ok(Some(OffsetDateTime::from_unix_timestamp(seconds)?));
    }
    Ok((!reproducible).then(OffsetDateTime::now_utc))
}

fn resolve(cli: &Cli, args: &ResolveArgs) -> Result<u8, Error> {
    let at = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let answer = owa_im_migrate::resolve(
        &args.issuer,
        &args.serial,
        &args.certs,
        args.csv_culture.clone(),
        at,
    )?;
    if cli.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_default()
        );
    } else {
        if let Some(t) = answer.thumbprint {
            println!("{t}");
        }
        if let Some(c) = &answer.certificate {
            eprintln!(
                "{} (issued by {}, serial {}, valid until {}), from {}",
                c.subject(),
                c.issuer(),
                c.serial(),
                c.not_after(),
                c.sources().collect::<Vec<_>>().join(", ")
            );
            if let Some(name) = c.friendly_name() {
                eprintln!("friendly name: {name}");
            }
            eprintln!(
                "private key: {}",
                match c.private_key() {
                    Some(true) => "exists (a source holds it, or a store says it was attached)",
                    Some(false) => "missing, according to a source",
                    None => "unknown (no source says)",
                }
            );
        }
        for d in &answer.diagnostics {
            eprintln!("{}", owa_im_migrate::hidden::printable(&d.to_string()));
        }
    }
    // An --issuer or --serial that is not one is a usage error, as every other (exit 2).
    if answer.status == owa_im_migrate::ResolveStatus::Invalid {
        return Ok(CANNOT_START);
    }
    // A certificate that convert would refuse (expired, say) is not a usable answer.
    // Unreadable files elsewhere in --certs are reported, but they do not make the answer wrong.
    let refused = answer
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.code != owa_im_migrate::diag::Code::SourceUnreadable);
    Ok(if answer.thumbprint.is_some() && !refused {
        0
    } else {
        FAILED
    })
}

/// Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn print_report(cli: &Cli, report: &Report) {
    let mut stdout = std::io::stdout().lock();
    let text = match cli.format {
        Format::Json => report.to_json(),
        Format::Text if cli.quiet => {
            for d in report
                .servers
                .iter()
                .flat_map(|s| &s.diagnostics)
                .chain(&report.diagnostics)
            {
                if d.is_error() {
                    eprintln!("{}", owa_im_migrate::hidden::printable(&d.to_string()));
                }
            }
            return;
        }
        Format::Text => report.to_text(cli.verbose > 0, colour()),
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(text.as_bytes());
}
