//! The renderer stage: a plan -> PowerShell scripts and documents, through Handlebars.
//!
//! Handlebars' HTML escaping is replaced by PowerShell escaping for every script template,
//! built-in or the user's: whatever `{{value}}` a script writes becomes one single-quoted
//! literal. Markdown and HTML documents get the escaping of their own kind.
//! Every string of the context is checked for control characters before rendering, so a
//! template can never turn a value into code.

pub mod context;
mod helpers;
mod markdown;
pub mod powershell;
mod stream;

pub use stream::{Streams, WindowsText};

use std::path::Path;

use handlebars::template::{Template, TemplateElement};
use handlebars::Handlebars;
use serde_json::Value;

use crate::error::{Error, TemplateFailure};
use crate::plan::ServerPlan;

/// What a template writes, which decides how every `{{value}}` in it is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A single-quoted PowerShell literal; written UTF-8 with BOM and CRLF.
    PowerShell,
    /// Markdown for people: characters Markdown or HTML would interpret become entities.
    Markdown,
    /// HTML: Handlebars' own entity escaping.
    Html,
}

/// A template that ships inside the binary.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub kind: Kind,
    /// The file `convert` writes with it (`None` for a partial).
    pub output: Option<&'static str>,
    pub description: &'static str,
    pub source: &'static str,
}

/// The built-in templates: the default set (SPEC §6), the opt-in outputs, and partials.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "sp1",
        kind: Kind::PowerShell,
        output: Some(CHANGE_SCRIPT),
        description:
            "Exchange 2010 SP1 change script: one Set-OwaVirtualDirectory per server (default; \
             --with per-server renders it once per server too)",
        source: include_str!("../../templates/sp1.ps1.hbs"),
    },
    Builtin {
        name: "undo",
        kind: Kind::PowerShell,
        output: Some(UNDO_SCRIPT),
        description: "restores the values the change script saved in its state file",
        source: include_str!("../../templates/undo.ps1.hbs"),
    },
    Builtin {
        name: "plan-md",
        kind: Kind::Markdown,
        output: Some("CHANGE-PLAN.md"),
        description: "--with plan: the change plan for people, per server before/after, and the OCS steps",
        source: include_str!("../../templates/plan.md.hbs"),
    },
    Builtin {
        name: "plan-html",
        kind: Kind::Html,
        output: Some("CHANGE-PLAN.html"),
        description: "--with plan: the page around plan-md, which it shows as HTML: one self-contained, printable file",
        source: include_str!("../../templates/plan.html.hbs"),
    },
    Builtin {
        name: "exchange2013",
        kind: Kind::PowerShell,
        output: Some("Set-OwaInstantMessaging-Exchange2013.ps1"),
        description: "--with exchange2013: the Exchange 2013/2016 + Lync/Skype for Business form",
        source: include_str!("../../templates/exchange2013.ps1.hbs"),
    },
    Builtin {
        name: "sp2-cross-site",
        kind: Kind::PowerShell,
        output: Some("Set-OwaCrossSiteRedirect.ps1"),
        description: "--with sp2-cross-site: Exchange 2010 SP2 -CrossSiteRedirectType Silent on the Internet-facing CAS",
        source: include_str!("../../templates/sp2-cross-site.ps1.hbs"),
    },
    Builtin {
        name: "verify",
        kind: Kind::PowerShell,
        output: Some("Verify-OwaInstantMessaging.ps1"),
        description: "--with verify: after the change, compares every server with the plan, one line each",
        source: include_str!("../../templates/verify.ps1.hbs"),
    },
    Builtin {
        name: "collect",
        kind: Kind::PowerShell,
        output: Some(COLLECT_SCRIPT),
        description: "collect-script: gathers every CAS's web.config, certificates and OWA settings before SP1",
        source: include_str!("../../templates/collect.ps1.hbs"),
    },
    Builtin {
        name: "header",
        kind: Kind::PowerShell,
        output: None,
        description: "partial: every script's first comment, the tool, its version and the time",
        source: include_str!("../../templates/header.ps1.hbs"),
    },
    Builtin {
        name: "common",
        kind: Kind::PowerShell,
        output: None,
        description: "partial: the function library every script includes (results, state, checks, remote reads, restarts)",
        source: include_str!("../../templates/common.ps1.hbs"),
    },
];

pub const CHANGE_SCRIPT: &str = "Set-OwaInstantMessaging.ps1";
pub const UNDO_SCRIPT: &str = "Undo-OwaInstantMessaging.ps1";
pub const COLLECT_SCRIPT: &str = "Collect-OwaImInputs.ps1";

pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name.eq_ignore_ascii_case(name))
}

/// Which template writes the change script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeTemplate {
    Builtin(&'static str),
    /// A user's template, with the file it came from.
    User {
        file: String,
        source: String,
    },
}

impl ChangeTemplate {
    /// `--template NAME|FILE`: a built-in name, else a file to read.
    pub fn choose(choice: Option<&str>) -> Result<ChangeTemplate, Error> {
        let Some(choice) = choice else {
            return Ok(ChangeTemplate::Builtin("sp1"));
        };
        if let Some(b) = builtin(choice) {
            return match b.output {
                Some(CHANGE_SCRIPT) => Ok(ChangeTemplate::Builtin(b.name)),
                _ => Err(Error::NotAChangeScript(b.name.to_string())),
            };
        }
        let path = Path::new(choice);
        let source = std::fs::read_to_string(path).map_err(|source| Error::Input {
            path: path.to_path_buf(),
            what: "template (a built-in name such as sp1, or a .hbs file)",
            source,
        })?;
        Ok(ChangeTemplate::User {
            file: choice.to_string(),
            source,
        })
    }
}

/// `--template NAME=FILE`: a user's template in place of the built-in NAME (SPEC §2: a user
/// template can replace any of them), the undo script, a partial or an opt-in output alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub builtin: &'static str,
    pub file: String,
    pub source: String,
}

impl Replacement {
    /// Whether a `--template` value is `NAME=FILE`, not the path of the change script's
    /// template, which may hold a `=` of its own (`my=sp1.hbs`): a built-in's name before
    /// the `=`, or no file of that whole name.
    pub fn is_one(given: &str) -> bool {
        given
            .split_once('=')
            .is_some_and(|(name, _)| builtin(name.trim()).is_some() || !Path::new(given).exists())
    }

    /// Reads `NAME=FILE` ([`Replacement::is_one`]).
    pub fn read(given: &str) -> Result<Replacement, Error> {
        let (name, file) = given.split_once('=').unwrap_or((given, ""));
        let fail = |why: String| Error::Replacement {
            given: given.to_string(),
            why,
        };
        let Some(b) = builtin(name.trim()) else {
            return Err(fail(format!(
                "there is no built-in template '{}' to replace (see `owa-im-migrate templates \
                 list`), and no file of that whole name",
                crate::hidden::printable(name)
            )));
        };
        std::fs::read_to_string(file)
            .map_err(|source| Error::Input {
                path: file.into(),
                what: "template",
                source,
            })
            .map(|source| Replacement {
                builtin: b.name,
                file: file.to_string(),
                source,
            })
    }
}

/// Handlebars registries in strict mode (a missing variable is an error, not an empty
/// string), one per kind of output, each with its own escaping.
pub struct Renderer {
    powershell: Handlebars<'static>,
    markdown: Handlebars<'static>,
    html: Handlebars<'static>,
    /// The user's templates in place of built-ins (`sp1` for the change script's), by the
    /// built-in's name: their failures name the file the user gave.
    user: Vec<(&'static str, String)>,
}

impl Renderer {
    /// Every built-in, and the user's change script if there is one.
    pub fn new(change: &ChangeTemplate) -> Result<Renderer, Error> {
        Self::compile(change, |_| true)
    }

    /// Only the built-ins named (and the partials): a run compiles what it renders. A
    /// user's template gets every built-in, which it may include as a partial.
    pub fn for_templates(change: &ChangeTemplate, names: &[&str]) -> Result<Renderer, Error> {
        let user = matches!(change, ChangeTemplate::User { .. });
        Self::compile(change, |name| user || names.contains(&name))
    }

    fn compile(change: &ChangeTemplate, wanted: impl Fn(&str) -> bool) -> Result<Renderer, Error> {
        let mut renderer = Renderer {
            powershell: registry(Kind::PowerShell),
            markdown: registry(Kind::Markdown),
            html: registry(Kind::Html),
            user: match change {
                ChangeTemplate::User { file, .. } => vec![("sp1", file.clone())],
                ChangeTemplate::Builtin(_) => Vec::new(),
            },
        };
        for b in BUILTINS
            .iter()
            .filter(|b| b.output.is_none() || wanted(b.name))
        {
            let registry = renderer.registry_mut(b.kind);
            let registered = match b.output {
                None => registry.register_partial(b.name, b.source),
                Some(_) => registry.register_template_string(b.name, b.source),
            };
            registered.map_err(|e| Error::Template {
                name: b.name.to_string(),
                cause: e.into(),
            })?;
        }
        if let ChangeTemplate::User { file, source } = change {
            refuse_unescaped(source).map_err(|cause| Error::Template {
                name: file.clone(),
                cause,
            })?;
            renderer
                .powershell
                .register_template_string("sp1", source)
                .map_err(|e| Error::Template {
                    name: file.clone(),
                    cause: e.into(),
                })?;
        }
        Ok(renderer)
    }

    /// Puts the user's templates in place of the built-ins they name, each checked as a
    /// user's change script is (no value written unescaped).
    pub fn replace(&mut self, replacements: &[Replacement]) -> Result<(), Error> {
        for r in replacements {
            let fail = |cause: TemplateFailure| Error::Template {
                name: r.file.clone(),
                cause,
            };
            refuse_unescaped(&r.source).map_err(fail)?;
            let b = builtin(r.builtin).ok_or_else(|| Error::UnknownTemplate(r.builtin.into()))?;
            let registry = self.registry_mut(b.kind);
            let registered = match b.output {
                None => registry.register_partial(b.name, &r.source),
                Some(_) => registry.register_template_string(b.name, &r.source),
            };
            registered.map_err(|e| fail(e.into()))?;
            self.user.retain(|(name, _)| *name != b.name);
            self.user.push((b.name, r.file.clone()));
        }
        Ok(())
    }

    /// Whether any template is the user's: then every output gets the whole context, which
    /// a user's template may use any way it likes.
    pub fn has_user_templates(&self) -> bool {
        !self.user.is_empty()
    }

    fn registry_mut(&mut self, kind: Kind) -> &mut Handlebars<'static> {
        match kind {
            Kind::PowerShell => &mut self.powershell,
            Kind::Markdown => &mut self.markdown,
            Kind::Html => &mut self.html,
        }
    }

    /// Renders a built-in (or the user's change script) to the bytes its kind is written
    /// in: PowerShell as UTF-8 with BOM and CRLF, Markdown and HTML as UTF-8.
    pub fn render(&self, name: &str, data: &Data) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.render_to(name, data, &Streams::none(), &mut out)?;
        Ok(out)
    }

    /// Renders into `out` as [`Renderer::render`] does, making the streamed lists of the
    /// context (`streams`) one item at a time: nothing of the output is kept.
    pub fn render_to(
        &self,
        name: &str,
        data: &Data,
        streams: &Streams,
        out: &mut dyn std::io::Write,
    ) -> Result<(), Error> {
        let shown = self
            .user
            .iter()
            .find(|(builtin, _)| *builtin == name)
            .map_or(name, |(_, file)| file.as_str());
        let fail = |cause: TemplateFailure| Error::Template {
            name: shown.to_string(),
            cause,
        };
        let kind = builtin(name).map_or(Kind::PowerShell, |b| b.kind);
        let registry = match kind {
            Kind::PowerShell => &self.powershell,
            Kind::Markdown => &self.markdown,
            Kind::Html => &self.html,
        };
        if let Some(document) = markdown::wrapped(name) {
            // A page around a Markdown document: both rendered whole, since CommonMark reads
            // a document at once.
            let (mut page, mut body) = (Vec::new(), Vec::new());
            streams
                .render(registry, name, &data.0, &mut page)
                .and_then(|()| streams.render(&self.markdown, document, &data.0, &mut body))
                .map_err(|e| fail(e.into()))?;
            return markdown::write_page(&page, &body, out).map_err(|e| fail(e.into()));
        }
        let rendered = match kind {
            Kind::PowerShell => {
                let mut windows = WindowsText::new(out).map_err(|e| fail(e.into()))?;
                streams.render(registry, name, &data.0, &mut windows)
            }
            Kind::Markdown | Kind::Html => streams.render(registry, name, &data.0, out),
        };
        rendered.map_err(|e| fail(e.into()))
    }
}

/// A template context, checked for control characters and made ready for Handlebars once:
/// every output of a run is rendered from the same one without copying it (a large
/// organisation's context is tens of megabytes).
pub struct Data(handlebars::Context);

impl Data {
    pub fn new(context: Value) -> Result<Data, Error> {
        if let Some(path) = control_character(&context) {
            return Err(Error::Template {
                name: "context".into(),
                cause: TemplateFailure::ControlCharacter(path),
            });
        }
        Ok(Data(handlebars::Context::from(context)))
    }

    pub fn value(&self) -> &Value {
        self.0.data()
    }
}

/// The outputs beyond SPEC §6's default set, which `convert --with` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Extra {
    PerServer,
    Plan,
    Exchange2013,
    Sp2CrossSite,
    Verify,
}

impl Extra {
    /// The name `--with` takes.
    pub fn name(self) -> &'static str {
        match self {
            Extra::PerServer => "per-server",
            Extra::Plan => "plan",
            Extra::Exchange2013 => "exchange2013",
            Extra::Sp2CrossSite => "sp2-cross-site",
            Extra::Verify => "verify",
        }
    }
}

/// The files a `convert` run writes: the change and undo scripts, report.json, and those of
/// each opt-in output (one change script per converted server for `per-server`).
pub fn outputs(extras: &[Extra], converted: &[&str]) -> Vec<String> {
    let mut files = vec![
        CHANGE_SCRIPT.to_string(),
        UNDO_SCRIPT.to_string(),
        "report.json".to_string(),
    ];
    for &extra in extras {
        if extra == Extra::PerServer {
            files.extend(converted.iter().map(|s| per_server_file(s)));
            continue;
        }
        files.extend(
            templates_of(extra)
                .iter()
                .filter_map(|name| builtin(name))
                .map(|b| b.output.unwrap_or(b.name).to_string()),
        );
    }
    files
}

/// A per-server change script's name.
fn per_server_file(server: &str) -> String {
    format!("Set-OwaInstantMessaging-{server}.ps1")
}

/// Whether a file name is one a `convert` run writes (whichever options it had): what an
/// earlier run left that `--force` may remove. The collection script is not one of them.
pub fn is_output_name(name: &str) -> bool {
    let fixed = BUILTINS
        .iter()
        .filter_map(|b| b.output)
        .filter(|&output| output != COLLECT_SCRIPT)
        .chain(["report.json"]);
    let per_server = name
        .strip_prefix("Set-OwaInstantMessaging-")
        .and_then(|rest| rest.strip_suffix(".ps1"))
        .is_some_and(|server| {
            !server.is_empty()
                && server
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    per_server || fixed.into_iter().any(|output| output == name)
}

/// The built-in templates an opt-in output renders.
pub fn templates_of(extra: Extra) -> &'static [&'static str] {
    match extra {
        Extra::PerServer => &["sp1"],
        Extra::Plan => &["plan-md", "plan-html"],
        Extra::Exchange2013 => &["exchange2013"],
        Extra::Sp2CrossSite => &["sp2-cross-site"],
        Extra::Verify => &["verify"],
    }
}

/// One file a template writes in a `convert` run.
pub enum Piece<'a> {
    /// A template over the whole organisation, written as `file`.
    Whole {
        file: &'static str,
        template: &'static str,
    },
    /// The change script of one converted server (`--with per-server`).
    PerServer {
        file: String,
        server: &'a ServerPlan,
    },
}

impl Piece<'_> {
    pub fn file(&self) -> &str {
        match self {
            Piece::Whole { file, .. } => file,
            Piece::PerServer { file, .. } => file,
        }
    }
}

/// The files the templates write in a run: the change and undo scripts, then each opt-in
/// output's (report.json is not a template's).
pub fn pieces<'a>(extras: &[Extra], plan: &'a [ServerPlan]) -> Vec<Piece<'a>> {
    let mut pieces = vec![
        Piece::Whole {
            file: CHANGE_SCRIPT,
            template: "sp1",
        },
        Piece::Whole {
            file: UNDO_SCRIPT,
            template: "undo",
        },
    ];
    for &extra in extras {
        if extra == Extra::PerServer {
            pieces.extend(
                plan.iter()
                    .filter(|s| s.status() == crate::plan::Status::Converted)
                    .filter_map(|server| {
                        let name = server.server.as_ref()?;
                        Some(Piece::PerServer {
                            file: per_server_file(name.as_str()),
                            server,
                        })
                    }),
            );
            continue;
        }
        pieces.extend(
            templates_of(extra)
                .iter()
                .filter_map(|name| builtin(name))
                .filter_map(|b| {
                    Some(Piece::Whole {
                        file: b.output?,
                        template: b.name,
                    })
                }),
        );
    }
    pieces
}

impl Renderer {
    /// Writes one piece of a run: a whole-organisation template from `data` and its
    /// `streams`, or a per-server change script from `data` with only that server in it.
    pub fn write_piece(
        &self,
        piece: &Piece,
        data: &Data,
        streams: &Streams,
        out: &mut dyn std::io::Write,
    ) -> Result<(), Error> {
        match piece {
            Piece::Whole { template, .. } => self.render_to(template, data, streams, out),
            Piece::PerServer { server, .. } => {
                let one = per_server_context(data.value(), server)?;
                self.render_to("sp1", &one, &Streams::none(), out)
            }
        }
    }
}

/// The change script's context for one server, for organisations that change one CAS at a
/// time behind a load balancer: the run's context with that server alone in it, and no
/// other server at all.
fn per_server_context(run: &Value, server: &ServerPlan) -> Result<Data, Error> {
    let mut one = match run {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "servers" | "skipped" | "all_servers"))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    let entry = context::server_context(server).map(serde_json::to_value);
    let entry = entry
        .transpose()
        .map_err(|e| Error::Template {
            name: "context".into(),
            cause: e.into(),
        })?
        .map_or_else(Vec::new, |entry| vec![entry]);
    one["servers"] = Value::Array(entry);
    one["skipped"] = Value::Array(Vec::new());
    one["all_servers"] = Value::Array(Vec::new());
    one["counts"]["in_script"] = Value::from(1);
    Data::new(one)
}

/// A strict registry with the escaping and the helpers of its kind.
fn registry(kind: Kind) -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    match kind {
        Kind::PowerShell => registry.register_escape_fn(escape),
        Kind::Markdown => registry.register_escape_fn(markdown_escape),
        Kind::Html => registry.register_escape_fn(handlebars::html_escape),
    }
    helpers::register(&mut registry, kind);
    registry
}

/// Text for Markdown: the characters Markdown or embedded HTML would interpret become
/// numeric entities, which Markdown decodes in text and in HTML blocks alike (templates
/// therefore show commands in `<pre>` blocks, not in fenced code, where entities stay
/// literal).
///
/// A backslash stays a backslash where Markdown reads it as one, before a letter, digit,
/// space or non-ASCII character (`CAS01\owa`), so that the raw file reads as the value does;
/// before punctuation or at the end of the value, where it could escape what follows, it is
/// an entity too.
fn markdown_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' if chars
                .peek()
                .is_some_and(|next| !next.is_ascii_punctuation() && !next.is_control()) =>
            {
                out.push('\\')
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push_str(&format!("&#{};", u32::from(c)))
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A user template may not write a value unescaped (`{{{x}}}`, `{{&x}}`, with any spacing or
/// whitespace control): the compiled template is walked, not its text searched, so no
/// spelling of the raw form gets through.
fn refuse_unescaped(source: &str) -> Result<(), TemplateFailure> {
    let template = Template::compile(source)?;
    match first_unescaped(&template) {
        Some(line) => Err(TemplateFailure::Unescaped(line)),
        None => Ok(()),
    }
}

/// The line of the first unescaped expression, in the template or any block inside it.
fn first_unescaped(template: &Template) -> Option<usize> {
    template
        .elements
        .iter()
        .enumerate()
        .find_map(|(i, element)| {
            let line = || template.mapping.get(i).map_or(0, |m| m.0);
            let inner = |t: Option<&Template>| t.and_then(first_unescaped);
            match element {
                TemplateElement::HtmlExpression(_) => Some(line()),
                TemplateElement::HelperBlock(h) => {
                    inner(h.template.as_ref()).or_else(|| inner(h.inverse.as_ref()))
                }
                TemplateElement::DecoratorBlock(d) | TemplateElement::PartialBlock(d) => {
                    inner(d.template.as_ref())
                }
                _ => None,
            }
        })
}

/// The one escaping of every `{{value}}`: a PowerShell single-quoted literal.
fn escape(value: &str) -> String {
    // A value the literal refuses (a control or invisible character: validated values never
    // have one, display text such as a certificate's subject might) is written with those
    // characters shown as escapes (`\u{202e}`): visible, never dropped, never raw.
    powershell::single_quoted(value).unwrap_or_else(|_| {
        powershell::single_quoted(&crate::hidden::printable(value))
            .unwrap_or_else(|_| "''".to_string())
    })
}

/// The JSON path of the first string holding a control character.
pub(crate) fn control_character(value: &Value) -> Option<String> {
    // The path is only spelled out for the value found, not for every value searched.
    match value {
        Value::String(s) if s.chars().any(char::is_control) => Some(String::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| control_character(v).map(|rest| format!("[{i}]{rest}"))),
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| control_character(v).map(|rest| format!(".{k}{rest}"))),
        _ => None,
    }
}

/// UTF-8 with BOM and CRLF line endings: Windows PowerShell reads a BOM-less file in the
/// ANSI code page.
pub fn windows_text(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 16 + 3);
    out.extend_from_slice(b"\xEF\xBB\xBF");
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) => {
                out.extend_from_slice(body.strip_suffix('\r').unwrap_or(body).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            None => out.extend_from_slice(line.as_bytes()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_a_backslash_readable_where_it_is_one() {
        assert_eq!(
            markdown_escape("CAS01\\owa (Default Web Site)"),
            "CAS01\\owa (Default Web Site)"
        );
        assert_eq!(markdown_escape("a\\*b"), "a&#92;&#42;b");
        assert_eq!(markdown_escape("end\\"), "end&#92;");
        assert_eq!(markdown_escape("x\\\\y"), "x&#92;\\y");
        assert_eq!(markdown_escape("<b>|"), "&lt;b&gt;&#124;");
    }
    use serde_json::json;

    #[test]
    fn windows_text_has_bom_and_crlf() {
        assert_eq!(
            windows_text("a\nb\r\nc"),
            b"\xEF\xBB\xBFa\r\nb\r\nc".to_vec()
        );
    }

    #[test]
    fn every_value_is_a_literal_in_user_templates() {
        let change = ChangeTemplate::User {
            file: "mine.hbs".into(),
            source: "Write-Host {{name}} {{#each list}}{{this}} {{/each}}".into(),
        };
        let r = Renderer::new(&change).unwrap();
        let data = Data::new(
            json!({"name": "x'; Remove-Item C:\\ -Recurse; '", "list": ["$(calc)", "’"]}),
        )
        .unwrap();
        let out = r.render("sp1", &data).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}Write-Host 'x''; Remove-Item C:\\ -Recurse; ''' '$(calc)' '’’' "
        );
    }

    #[test]
    fn unescaped_output_is_refused_in_user_templates() {
        for source in [
            "{{{name}}}",
            "{{& name}}",
            "A {{~{name}~}} B",
            "C {{ {name} }}",
            "{{#each list}}{{#if this}}x{{else}}{{{this}}}{{/if}}{{/each}}",
            "{{#*inline \"p\"}}{{{name}}}{{/inline}}",
        ] {
            let change = ChangeTemplate::User {
                file: "t".into(),
                source: source.into(),
            };
            assert!(
                matches!(Renderer::new(&change), Err(Error::Template { .. })),
                "{source}"
            );
        }
    }

    #[test]
    fn the_builtins_write_no_value_unescaped() {
        for b in BUILTINS {
            if let Err(e) = refuse_unescaped(b.source) {
                panic!("{}: {e}", b.name);
            }
        }
    }

    #[test]
    fn missing_variables_are_errors() {
        let change = ChangeTemplate::User {
            file: "t".into(),
            source: "{{nope}}".into(),
        };
        let r = Renderer::new(&change).unwrap();
        assert!(matches!(
            r.render("sp1", &Data::new(json!({})).unwrap()),
            Err(Error::Template { .. })
        ));
    }

    #[test]
    fn control_characters_in_the_context_are_refused() {
        let Err(err) = Data::new(json!({"tool": {"name": "a\nb"}})) else {
            panic!("a control character was accepted");
        };
        assert!(err.to_string().contains(".tool.name"), "{err}");
        let Err(err) = Data::new(json!({"servers": [{}, {"x": "\u{85}"}]})) else {
            panic!("a control character was accepted");
        };
        assert!(err.to_string().contains(".servers[1].x"), "{err}");
    }

    #[test]
    fn builtin_names_are_chosen_by_name() {
        assert_eq!(
            ChangeTemplate::choose(Some("SP1")).unwrap(),
            ChangeTemplate::Builtin("sp1")
        );
        assert!(matches!(
            ChangeTemplate::choose(Some("/nonexistent/x.hbs")),
            Err(Error::Input { .. })
        ));
    }
}
