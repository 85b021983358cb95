//! `--corrections`: the values an administrator corrects without touching the collected
//! files, which stay as they were collected (the evidence is never edited). A CSV with the
//! columns `server,key,value,by,why`: for that server, the key's value is taken from the row
//! instead of the web.config, and the report and the plan show it beside the original with
//! who said so and why.
//!
//! ```text
//! server,key,value,by,why
//! CAS04,IMPoolName,naocs.contoso.com,J. Doe (messaging),"typed without its domain; the pool of Lyon is naocs"
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::config::ImKey;
use crate::diag::{Code, Diagnostic, Severity};
use crate::error::Error;
use crate::names::ServerName;

/// The keys a correction may name: the three RTM keys.
const KEYS: [ImKey; 3] = [
    ImKey::PoolName,
    ImKey::CertificateIssuer,
    ImKey::CertificateSerialNumber,
];
/// As for the server map: far beyond any real value.
const MAX_CELL: usize = 1024;

/// One correction as the report shows it, beside the value the web.config had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub key: &'static str,
    /// What the web.config said (null: the key was not there).
    pub original: Option<String>,
    pub value: String,
    pub by: String,
    pub why: String,
    /// Where the correction was written: the corrections file and its line.
    pub file: String,
    pub line: u32,
}

/// Every correction of the file, by server.
#[derive(Debug, Clone, Default)]
pub struct Corrections {
    rows: Vec<(ServerName, ImKey, Correction)>,
    by_server: HashMap<ServerName, Vec<usize>>,
    /// Rows for a server that cannot be applied (a bad key, no `by` or `why`, a second value
    /// for one key), with their line and why: the administrator said a value of that server
    /// is wrong, so the server is not changed with the file's value instead.
    refused: HashMap<ServerName, Vec<(u32, String)>>,
    /// The corrections file, as messages show it.
    shown: String,
    /// Unusable rows, reported once for the run.
    pub diagnostics: Vec<Diagnostic>,
}

impl Corrections {
    /// Reads the file. A missing or unreadable file, or one without the five columns, stops
    /// the run; a bad row is a diagnostic and is not applied.
    pub fn load(path: &Path) -> Result<Corrections, Error> {
        let bad = |message: String| Error::Corrections {
            path: path.to_path_buf(),
            message,
        };
        let text = super::read_text(path, "corrections file", bad)?;
        let (mut reader, headers) = super::table(&text, bad)?;
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (Some(server), Some(key), Some(value), Some(by), Some(why)) = (
            column("server"),
            column("key"),
            column("value"),
            column("by"),
            column("why"),
        ) else {
            return Err(bad(format!(
                "the first line must name the columns server,key,value,by,why (found: {})",
                headers.join(",")
            )));
        };
        let shown = crate::paths::shown(path);
        let columns = [server, key, value, by, why];
        let mut corrections = Corrections {
            shown: shown.clone(),
            ..Corrections::default()
        };
        for (i, record) in reader.records().enumerate() {
            let line = u32::try_from(i + 2).unwrap_or(u32::MAX);
            let row = record
                .map_err(|e| (None, e.to_string()))
                .and_then(|record| row(&record, columns, &shown, line));
            let refused = match row {
                Ok(row) => corrections.add(row),
                Err(refused) => Err(refused),
            };
            if let Err((server, message)) = refused {
                corrections.diagnostics.push(
                    Diagnostic::new(
                        Code::SourceUnreadable,
                        format!("correction not applied: {message}"),
                    )
                    .in_file(&shown)
                    .at_line(line),
                );
                if let Some(server) = server {
                    corrections
                        .refused
                        .entry(server)
                        .or_default()
                        .push((line, message));
                }
            }
        }
        Ok(corrections)
    }

    /// Keeps a row, or refuses a second value for a key of a server that has one already:
    /// which of two is right is the administrator's to say.
    fn add(&mut self, row: (ServerName, ImKey, Correction)) -> Result<(), Refused> {
        let earlier = self
            .by_server
            .get(&row.0)
            .into_iter()
            .flatten()
            .find(|&&i| self.rows[i].1 == row.1);
        if let Some(&i) = earlier {
            let message = format!(
                "a second correction of {} for {} (line {} gives one already): keep one of them",
                row.1.name(),
                row.0,
                self.rows[i].2.line
            );
            return Err((Some(row.0), message));
        }
        self.by_server
            .entry(row.0.clone())
            .or_default()
            .push(self.rows.len());
        self.rows.push(row);
        Ok(())
    }

    /// Errors for a server that corrections name in rows that cannot be applied: the server
    /// fails, rather than be changed with a value the administrator said is wrong.
    pub fn refused_for(&self, server: &ServerName, source: &str) -> Vec<Diagnostic> {
        let file = &self.shown;
        self.refused
            .get(server)
            .into_iter()
            .flatten()
            .map(|(line, why)| {
                Diagnostic::new(
                    Code::SourceUnreadable,
                    format!(
                        "a correction for this server ({file} line {line}) is not applied: {why}; \
                         the server is not changed until it is mended"
                    ),
                )
                .in_file(source)
            })
            .collect()
    }

    /// The corrections for one server, in the file's order, one a key at most.
    pub fn for_server(&self, server: &ServerName) -> Vec<(ImKey, &Correction)> {
        self.by_server
            .get(server)
            .into_iter()
            .flatten()
            .map(|&i| (self.rows[i].1, &self.rows[i].2))
            .collect()
    }

    /// Rows for servers no web.config is for: said, so that a correction is never lost
    /// without a word.
    pub fn unused(&self, servers: &[&ServerName]) -> Vec<Diagnostic> {
        self.rows
            .iter()
            .filter(|(server, _, _)| !servers.contains(&server))
            .map(|(server, _, c)| {
                Diagnostic::new(
                    Code::MapRowUnused,
                    format!("correction not applied: no web.config found is for server {server}"),
                )
                .with_severity(Severity::Warning)
                .in_file(&c.file)
                .at_line(c.line)
            })
            .collect()
    }
}

/// Why a row is not applied, and its server when that much could be read.
type Refused = (Option<ServerName>, String);

/// One row: (server, key, correction), or why it cannot be applied. `columns` are the
/// positions of server, key, value, by and why.
fn row(
    record: &csv::StringRecord,
    columns: [usize; 5],
    shown: &str,
    line: u32,
) -> Result<(ServerName, ImKey, Correction), Refused> {
    let [server, key, value, by, why] = columns.map(|at| cell(record, at));
    let server_text = server.map_err(|e| (None, e))?;
    let (server, _) = ServerName::parse(&server_text)
        .map_err(|e| (None, format!("server '{server_text}': {e}")))?;
    let of_server = |message: String| (Some(server.clone()), message);
    correction(server.clone(), [key, value, by, why], shown, line).map_err(of_server)
}

/// The rest of a row, once its server is known.
fn correction(
    server: ServerName,
    [key, value, by, why]: [Result<String, String>; 4],
    shown: &str,
    line: u32,
) -> Result<(ServerName, ImKey, Correction), String> {
    let key_text = key?;
    let key = KEYS
        .into_iter()
        .find(|k| k.name().eq_ignore_ascii_case(&key_text))
        .ok_or_else(|| {
            format!(
                "key '{}' is not one of IMPoolName, IMCertificateIssuer, IMCertificateSerialNumber",
                crate::hidden::quoted(&key_text, 60)
            )
        })?;
    let (by, why) = (by?, why?);
    if by.is_empty() || why.is_empty() {
        return Err("a correction says who made it (by) and why (why)".to_string());
    }
    let correction = Correction {
        key: key.name(),
        original: None,
        value: value?,
        by,
        why,
        file: shown.to_string(),
        line,
    };
    Ok((server, key, correction))
}

/// One cell, trimmed: refused when longer than any real value, or when it holds invisible
/// characters (a correction is written by hand, to be exactly what is meant).
fn cell(record: &csv::StringRecord, at: usize) -> Result<String, String> {
    let text = record.get(at).unwrap_or("");
    if text.chars().count() > MAX_CELL {
        return Err(format!("a cell is longer than {MAX_CELL} characters"));
    }
    let (text, removed) = crate::hidden::strip(text);
    if !removed.is_empty() {
        return Err(format!(
            "it contains invisible characters ({}): write the value as it should be",
            crate::hidden::describe_all(&removed)
        ));
    }
    Ok(text.trim().to_string())
}
