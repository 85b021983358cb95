//! The errors that stop a run: everything else about the input is a diagnostic.

use std::path::PathBuf;

use crate::paths;

/// Why a run could not start or finish: exit status 2. Problems in the input are
/// [`Diagnostic`]s instead, and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {what} {}: {source}", paths::shown(path))]
    Input {
        path: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
    #[error("no web.config file found in {}: name the collected files web.config or SERVER.web.config", .0.iter().map(|p| paths::shown(p)).collect::<Vec<_>>().join(", "))]
    NoConfigs(Vec<PathBuf>),
    #[error("server map {}: {message}", paths::shown(path))]
    ServerMap { path: PathBuf, message: String },
    #[error("--out {} is not empty: choose a new folder, or add --force to replace the files this tool writes there (other files are kept)", paths::shown(.0))]
    OutNotEmpty(PathBuf),
    #[error("cannot write {}: {source}", paths::shown(path))]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template {name}: {cause}")]
    Template {
        name: String,
        cause: TemplateFailure,
    },
    #[error("corrections file {}: {message}", paths::shown(path))]
    Corrections { path: PathBuf, message: String },
    /// `--certs` held no certificate at all while servers need one; `found` says what was
    /// there and why none of it was read.
    #[error("no certificate was read from --certs {}: {found}. Every server with IM settings needs its certificate: give the certificates.clixml files of the collection, or the certificates exported from the servers", .paths.iter().map(|p| paths::shown(p)).collect::<Vec<_>>().join(" "))]
    NoCertificates { paths: Vec<PathBuf>, found: String },
    #[error("no built-in template '{0}'; see `owa-im-migrate templates list`")]
    UnknownTemplate(String),
    /// `--template NAME` with a built-in that writes another file than the change script.
    #[error("--template {0}: '{0}' is a built-in template, but not of the change script; to replace it with your own, give --template {0}=FILE")]
    NotAChangeScript(String),
    /// `--template NAME=FILE` in a form that cannot be used.
    #[error("--template {given}: {why}")]
    Replacement { given: String, why: String },
    #[error("SOURCE_DATE_EPOCH '{0}' is not a number of seconds")]
    SourceDateEpoch(String),
    #[error("SOURCE_DATE_EPOCH: {0}")]
    SourceDateEpochRange(#[from] time::error::ComponentRange),
    #[error("cannot write the man page: {0}")]
    ManPage(std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a template could not be compiled or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateFailure {
    #[error(transparent)]
    Compile(#[from] handlebars::TemplateError),
    #[error(transparent)]
    Render(#[from] handlebars::RenderError),
    /// The context could not be made (serialised) for it.
    #[error(transparent)]
    Context(#[from] serde_json::Error),
    #[error(transparent)]
    Write(#[from] std::io::Error),
    /// A user's template writes a value unescaped, on this line.
    #[error("line {0} writes a value unescaped ({{{{{{ }}}}}} or {{{{& }}}}); write it as {{{{value}}}}, which becomes a PowerShell single-quoted literal")]
    Unescaped(usize),
    /// A value of the context, at this path, holds a control character.
    #[error("the context value {0} contains a control character")]
    ControlCharacter(String),
}
