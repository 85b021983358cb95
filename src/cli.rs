//! The command line, defined once (clap derive): `main` parses it, and completions and the
//! man page can be generated from the same definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::cert::exchange_csv::Culture;

#[derive(Debug, Parser)]
#[command(
    name = "owa-im-migrate",
    version,
    about = "Moves Exchange 2010 RTM OWA instant-messaging web.config settings to SP1 Set-OwaVirtualDirectory change scripts",
    after_help = "Examples:\n  \
                  owa-im-migrate collect-script --out collect\n  \
                  owa-im-migrate scan collected\n  \
                  owa-im-migrate convert collected --certs collected \\\n      \
                  --server-map collected/server-map.csv --out migration\n  \
                  owa-im-migrate convert collected --certs collected --out migration \\\n      \
                  --with plan --with verify\n  \
                  owa-im-migrate resolve --issuer 'CN=ContosoCA, DC=contoso, DC=com' \\\n      \
                  --serial '1F 5E DD 03 00 00 00 00 00 05' --certs certs\n  \
                  owa-im-migrate completions bash > /etc/bash_completion.d/owa-im-migrate"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Output for people (text) or machines (json), on stdout
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
    /// Print nothing but errors
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Also print informational diagnostics
    #[arg(long, short, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// Outputs beyond SPEC §6's default set: the library's own selection, offered by `--with`
/// (the library knows nothing of clap; the command line describes its values here).
pub use crate::render::Extra;

impl ValueEnum for Extra {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Extra::PerServer,
            Extra::Plan,
            Extra::Exchange2013,
            Extra::Sp2CrossSite,
            Extra::Verify,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Extra::PerServer => "One change script per CAS, for changing one server at a time",
            Extra::Plan => "A change plan for people, in Markdown and as one printable HTML page",
            Extra::Exchange2013 => {
                "The Exchange 2013/2016 + Lync/Skype for Business form of the same settings"
            }
            Extra::Sp2CrossSite => {
                "Exchange 2010 SP2 -CrossSiteRedirectType Silent for the Internet-facing CAS"
            }
            Extra::Verify => {
                "A read-only script that compares every server with the plan after the change"
            }
        };
        Some(clap::builder::PossibleValue::new(self.name()).help(help))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the collected web.config files and certificates, write the change script,
    /// the undo script and report.json
    #[command(
        override_usage = "owa-im-migrate convert [OPTIONS] --certs <PATH>... --out <DIR> <CONFIG>...\n       \
                                owa-im-migrate convert [OPTIONS] --certs <PATH>... --dump-context <CONFIG>..."
    )]
    Convert(ConvertArgs),
    /// What the web.config files say, with diagnostics; no certificates needed
    Scan(ScanArgs),
    /// Look up one certificate by issuer and serial number and print its thumbprint
    Resolve(ResolveArgs),
    /// The built-in templates
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Write Collect-OwaImInputs.ps1, which gathers every CAS's web.config, certificates and
    /// OWA settings into the folder layout convert reads (run it before SP1 setup)
    CollectScript(CollectArgs),
    /// Print shell completions (bash, zsh, fish, powershell, elvish) on stdout
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout
    Man,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Folder to write Collect-OwaImInputs.ps1 into (must be empty or new)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a non-empty --out
    #[arg(long)]
    pub force: bool,
    /// Leave the time out of the script header (SOURCE_DATE_EPOCH pins it instead)
    #[arg(long)]
    pub reproducible: bool,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// web.config files, or folders searched for web.config and SERVER.web.config
    #[arg(required = true, value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// CSV with columns path,server and optionally identity,fqdn,site,array,internet_facing
    /// (collect-script writes one)
    #[arg(long, value_name = "CSV")]
    pub server_map: Option<PathBuf>,
    /// CSV with columns server,key,value,by,why: values to use instead of the web.config's
    /// (the collected files stay as they are; the report and the plan show both)
    #[arg(long, value_name = "CSV")]
    pub corrections: Option<PathBuf>,
    /// DNS suffix that qualifies a single-label IMPoolName (then a warning, not an error)
    #[arg(long, value_name = "SUFFIX", value_parser = parse_domain)]
    pub domain: Option<String>,
    /// Treat warnings as errors
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Certificate sources, files or folders: PEM, DER, PKCS#7 (.p7b), serialized stores
    /// (.sst), PKCS#12 (.pfx; password from OWA_IM_MIGRATE_PFX_PASSWORD or a prompt),
    /// Get-ExchangeCertificate exports (CSV, JSON, CLIXML)
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub certs: Vec<PathBuf>,
    /// Regional format of the dates in Export-Csv files (the exporting machine's culture)
    #[arg(long, value_name = "CULTURE", default_value = "en-US", value_parser = parse_culture)]
    pub csv_culture: Culture,
    /// Check certificate validity at this date (YYYY-MM-DD or RFC 3339) instead of now
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub at: Option<OffsetDateTime>,
    /// Folder to write the scripts and report.json into (must be empty or new)
    #[arg(long, value_name = "DIR", required_unless_present = "dump_context")]
    pub out: Option<PathBuf>,
    /// Also write these outputs (repeatable): per-server scripts, the change plan (Markdown
    /// and HTML), the Exchange 2013/2016 + Lync form, the SP2 cross-site redirection step
    #[arg(long = "with", value_enum, value_name = "OUTPUT")]
    pub with: Vec<Extra>,
    /// Print the template context as JSON (what a template sees) and write nothing
    #[arg(long)]
    pub dump_context: bool,
    /// Write into a non-empty --out (files of the same name are replaced, others kept)
    #[arg(long)]
    pub force: bool,
    /// Change script template: a built-in name (see `templates list`) or a .hbs file; or
    /// NAME=FILE to replace any built-in (undo, plan-md, a partial...) with your own
    /// (repeatable)
    #[arg(long, value_name = "NAME|FILE|NAME=FILE")]
    pub template: Vec<String>,
    /// Leave the time out of the script header (SOURCE_DATE_EPOCH pins it instead)
    #[arg(long)]
    pub reproducible: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Accepted, so that a command line written for convert still runs, and said to have no
    /// effect: scan reads no certificate, so there is no validity to check at a date.
    #[arg(long, value_name = "DATE", value_parser = parse_date, hide = true)]
    pub at: Option<OffsetDateTime>,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The issuer as written in IMCertificateIssuer
    #[arg(long)]
    pub issuer: String,
    /// The serial number as written in IMCertificateSerialNumber
    #[arg(long)]
    pub serial: String,
    /// Certificate sources, files or folders (as for convert)
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub certs: Vec<PathBuf>,
    /// Regional format of the dates in Export-Csv files
    #[arg(long, value_name = "CULTURE", default_value = "en-US", value_parser = parse_culture)]
    pub csv_culture: Culture,
    /// Check certificate validity at this date instead of now
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub at: Option<OffsetDateTime>,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the built-in templates
    List,
    /// Print a built-in template
    Show {
        /// Template name, as `templates list` shows it
        name: String,
    },
}

/// `--csv-culture`: one of the cultures whose date format is known.
pub fn parse_culture(text: &str) -> Result<Culture, String> {
    Culture::from_name(text).ok_or_else(|| {
        format!(
            "unknown culture '{text}'; supported: {}",
            Culture::supported().join(", ")
        )
    })
}

/// `--domain`: a DNS suffix (`contoso.com`), checked before anything is read, so that a
/// mistyped one is the command line's error, not every single-label pool's.
pub fn parse_domain(text: &str) -> Result<String, String> {
    let suffix = text.trim().trim_matches('.');
    crate::names::validate_dns_name(suffix)
        .map(|()| suffix.to_string())
        .map_err(|e| {
            format!(
                "'{}' is not a DNS suffix: {e}; give the suffix of the pool's FQDN, such as \
                 contoso.com",
                crate::hidden::printable(text)
            )
        })
}

/// `2026-11-24` (midnight UTC) or `2026-11-24T08:00:00Z`.
pub fn parse_date(text: &str) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| format!("'{text}' is not a date: write YYYY-MM-DD or 2026-11-24T08:00:00Z"))
}

/// Completions for `shell`, generated from the one CLI definition.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "owa-im-migrate", &mut out);
    out
}

/// The man page, generated from the one CLI definition: the main page, then one section per
/// subcommand.
/// One page, `owa-im-migrate(1)`: the global options, then a section per command with its
/// synopsis and options (no `owa-im-migrate-convert(1)` pages are installed, so none is
/// referred to), the exit statuses, the environment and examples.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    use clap::CommandFactory;
    use clap_mangen::roff::{bold, roman, Roff};
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut page = Roff::new();
    commands_section(&mut page, &command);
    page.control("SH", ["EXIT STATUS"]);
    for (status, meaning) in [
        ("0", "Every server with IM settings was converted (scan: every file was read; resolve: the certificate was found and is usable)."),
        ("1", "At least one server failed, or resolve found no usable certificate. The outputs are still written for the others; report.json says why."),
        ("2", "The run could not start: a usage error, a missing input, an unreadable server map, or --out not empty without --force. Nothing is written."),
        ("130", "Interrupted (Ctrl+C, SIGTERM, SIGHUP). Nothing is written, and no temporary file is left."),
    ] {
        page.control("TP", []).text([bold(status)]).text([roman(meaning)]);
    }
    page.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in [
        ("OWA_IM_MIGRATE_PFX_PASSWORD", "The password of the PKCS #12 (.pfx) files under --certs. Without it, the tool asks once when it runs in a terminal; a password is never taken from the command line."),
        ("SOURCE_DATE_EPOCH", "Seconds since 1970: the time written in the generated files' header, for reproducible outputs."),
        ("NO_COLOR", "When set and not empty, the summary is never coloured (no-color.org)."),
    ] {
        page.control("TP", []).text([bold(name)]).text([roman(meaning)]);
    }
    page.control("SH", ["EXAMPLES"]);
    for example in EXAMPLES {
        page.control("PP", []).text([roman(*example)]);
    }
    page.control("SH", ["SEE ALSO"]).text([roman(
        "The README that comes with the tool: the migration step by step, the certificate \
         sources, the server map, the diagnostic codes.",
    )]);
    out.extend(page.render().into_bytes());
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// The COMMANDS section: each command's synopsis, what it does, and its options.
fn commands_section(page: &mut clap_mangen::roff::Roff, command: &clap::Command) {
    use clap_mangen::roff::{bold, italic, roman};
    page.control("SH", ["COMMANDS"]);
    for sub in command.get_subcommands() {
        let mut sub = sub.clone();
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        let usage = if usage.starts_with("owa-im-migrate") {
            usage.to_string()
        } else {
            format!("owa-im-migrate {usage}")
        };
        page.control(
            "SS",
            [format!("owa-im-migrate {}", sub.get_name()).as_str()],
        );
        page.text([bold(usage.as_str())]);
        if let Some(about) = sub.get_about() {
            page.control("PP", []).text([roman(about.to_string())]);
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            let Some(long) = arg.get_long() else {
                continue;
            };
            let value = arg
                .get_value_names()
                .filter(|_| arg.get_action().takes_values())
                .map(|names| format!(" <{}>", names.join("> <")))
                .unwrap_or_default();
            page.control("TP", [])
                .text([bold(format!("--{long}")), italic(value)]);
            if let Some(help) = arg.get_help() {
                page.text([roman(help.to_string())]);
            }
            // The values an option takes (`--with`, `--csv-culture`), as --help lists them.
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                page.text([roman(format!(" [possible values: {}]", values.join(", ")))]);
            }
        }
    }
}

/// The worked examples, each a whole command (the man page shows them unbroken).
const EXAMPLES: &[&str] = &[
    "owa-im-migrate collect-script --out collect",
    "owa-im-migrate scan collected",
    "owa-im-migrate convert collected --certs collected --server-map collected/server-map.csv --out migration",
    "owa-im-migrate convert collected --certs collected --out migration --with plan --with verify",
    "owa-im-migrate resolve --issuer 'CN=ContosoCA, DC=contoso, DC=com' --serial '1F 5E DD 03 00 00 00 00 00 05' --certs certs",
    "owa-im-migrate completions bash > /etc/bash_completion.d/owa-im-migrate",
];

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2011-01-01").unwrap().unix_timestamp(),
            1_293_840_000
        );
        assert_eq!(
            parse_date("2011-01-01T01:00:00+01:00")
                .unwrap()
                .unix_timestamp(),
            1_293_840_000
        );
        assert!(parse_date("01/01/2011").is_err());
    }
}
