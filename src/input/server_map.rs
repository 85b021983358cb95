//! `--server-map`: a CSV that names the server (and optionally the OWA identities, FQDN,
//! AD site or CAS array) of each collected web.config.
//!
//! Columns, by header name in any case and order: `path`, `server` (required), `identity`,
//! `fqdn`, `site`, `array` (the CAS array FQDN), `internet_facing` (`true`/`yes` for the
//! OWA virtual directories that take Internet traffic, the ones SP2's cross-site redirection is
//! set on; `no`/`false` for the others; an empty cell leaves it to the collected `ExternalUrl`).
//! Several rows with the same path give several OWA virtual directories of one server.

use std::collections::HashMap;
use std::path::Path;

use crate::config::ConfigFile;
use crate::diag::{Code, Diagnostic};
use crate::error::Error;
use crate::names::{validate_dns_name, Identity, ServerName};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The path normalised for comparison (forward slashes, lower case).
    key: String,
    /// The path as written, for messages.
    path: String,
    /// The CSV line, for messages.
    line: u32,
    pub server: ServerName,
    pub identity: Option<Identity>,
    pub fqdn: Option<String>,
    pub site: Option<String>,
    pub array: Option<String>,
    /// `yes`/`true`/`1`/`y` or `no`/`false`/`0`/`n`; None when the column is missing or the
    /// cell empty (then the collected `ExternalUrl` decides).
    pub internet_facing: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct ServerMap {
    rows: Vec<Row>,
    /// Row indices by normalised path, so a file is matched without scanning every row.
    by_key: HashMap<String, Vec<usize>>,
    /// Rows not used, by normalised path, with their line and why: the file they name must
    /// not be changed as if the map said nothing of it.
    refused: HashMap<String, Vec<(u32, String)>>,
    /// The map file, for messages.
    shown: String,
    /// Rows that could not be used, reported once for the run.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the map has a site or array column: then pools are compared per group.
    pub has_groups: bool,
}

impl ServerMap {
    /// Reads the map. A missing file or a header without `path` and `server` stops the run;
    /// a bad row is a diagnostic and the row is not used.
    pub fn load(path: &Path) -> Result<ServerMap, Error> {
        let bad = |message: String| Error::ServerMap {
            path: path.to_path_buf(),
            message,
        };
        let text = super::read_text(path, "server map", bad)?;
        let (mut reader, headers) = super::table(&text, bad)?;
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (Some(path_col), Some(server_col)) = (column("path"), column("server")) else {
            return Err(bad(format!(
                "the first line must name the columns, with at least 'path' and 'server' (found: {})",
                headers.join(",")
            )));
        };
        let unknown = unknown_columns(&headers);
        let columns = Columns {
            path: path_col,
            server: server_col,
            identity: column("identity"),
            fqdn: column("fqdn"),
            site: column("site"),
            array: column("array"),
            internet_facing: column("internet_facing"),
        };
        let shown = crate::paths::shown(path);
        let mut map = ServerMap {
            has_groups: columns.site.is_some() || columns.array.is_some(),
            shown: shown.clone(),
            ..ServerMap::default()
        };
        for message in unknown {
            map.diagnostics.push(
                Diagnostic::new(Code::MapRowUnused, message)
                    .in_file(&shown)
                    .at_line(1),
            );
        }
        for (i, record) in reader.records().enumerate() {
            // Line 1 is the header.
            let line = u32::try_from(i + 2).unwrap_or(u32::MAX);
            // The key a refused row is remembered by: the path as a kept row's is read
            // (invisible characters removed, trimmed), so that it names the same file.
            let key = record
                .as_ref()
                .ok()
                .and_then(|r| r.get(path_col))
                .map(|p| crate::hidden::strip(p).0)
                .filter(|p| !p.trim().is_empty())
                .map(|p| normalise(p.trim()));
            let parsed = record.map_err(|e| e.to_string()).and_then(|record| {
                let (record, removed) = clean(&record, &headers)?;
                map.invisible_removed(&removed, line);
                columns.row(&record)
            });
            map.add(parsed, line, key);
        }
        Ok(map)
    }

    /// Says which cells of row `line` had invisible characters removed.
    fn invisible_removed(&mut self, removed: &[(String, String)], line: u32) {
        for (column, what) in removed {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::HiddenCharacters,
                    format!(
                        "the {column} of this row contains invisible characters ({what}); they \
                         were removed"
                    ),
                )
                .with_severity(crate::diag::Severity::Warning)
                .in_file(&self.shown)
                .at_line(line),
            );
        }
    }

    /// Keeps a row read on `line`, or says why it is not used (and remembers it for the
    /// file it names, `key`).
    fn add(&mut self, parsed: Result<Row, String>, line: u32, key: Option<String>) {
        match parsed {
            Ok(mut row) => {
                row.line = line;
                self.by_key
                    .entry(row.key.clone())
                    .or_default()
                    .push(self.rows.len());
                self.rows.push(row);
            }
            Err(message) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::SourceUnreadable,
                        format!("server map row not used: {message}"),
                    )
                    .in_file(&self.shown)
                    .at_line(line),
                );
                if let Some(key) = key {
                    self.refused.entry(key).or_default().push((line, message));
                }
            }
        }
    }

    /// Errors for a config file that a row of the map not used names: the row meant
    /// something for its server (an identity, its FQDN, its site), and the defaults the
    /// server would get instead could change a virtual directory the map did not name. So
    /// the server fails until the row is mended.
    pub fn refused_for(&self, file: &ConfigFile, source: &str) -> Vec<Diagnostic> {
        let mut refused: Vec<&(u32, String)> = Self::keys_of(file)
            .filter_map(|key| self.refused.get(&key))
            .flatten()
            .collect();
        refused.sort();
        refused.dedup();
        refused
            .into_iter()
            .map(|(line, why)| {
                Diagnostic::new(
                    Code::SourceUnreadable,
                    format!(
                        "the --server-map row for this file ({} line {line}) is not used: {why}; \
                         this server is not changed until the row is mended, since without it \
                         its name, identities and FQDN would be guessed",
                        self.shown
                    ),
                )
                .in_file(source)
            })
            .collect()
    }

    /// The rows for a config file: its path as found, or its path below the folder argument,
    /// compared without regard to case or slash direction; a map path may also be a tail of
    /// the path that names a folder (`CAS01/web.config`).
    pub fn rows_for(&self, file: &ConfigFile) -> Vec<&Row> {
        self.row_indices(file)
            .into_iter()
            .map(|i| &self.rows[i])
            .collect()
    }

    fn row_indices(&self, file: &ConfigFile) -> Vec<usize> {
        let mut found: Vec<usize> = Self::keys_of(file)
            .filter_map(|key| self.by_key.get(&key))
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The keys a map row may give a file by: its path as found, its path below the folder
    /// argument, and every tail of its path that names a folder.
    fn keys_of(file: &ConfigFile) -> impl Iterator<Item = String> {
        let full = normalise(&file.path.to_string_lossy());
        let relative = file.relative().map(|r| normalise(&r.to_string_lossy()));
        // A bare `web.config` tail would match every file: a tail must contain a folder.
        let tails: Vec<String> = full
            .match_indices('/')
            .map(|(i, _)| full[i + 1..].to_string())
            .filter(|tail| tail.contains('/'))
            .collect();
        std::iter::once(full).chain(relative).chain(tails)
    }

    /// A row that matches none of the files found is a mistake in the map (often a path
    /// written for another machine): say so rather than lose its identity, FQDN and site.
    pub fn unused_rows(&self, files: &[ConfigFile]) -> Vec<Diagnostic> {
        let used: std::collections::HashSet<usize> =
            files.iter().flat_map(|f| self.row_indices(f)).collect();
        self.rows
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(_, row)| {
                Diagnostic::new(
                    Code::MapRowUnused,
                    format!(
                        "server map row not used: no web.config found has the path '{}', so \
                         its identity, FQDN and site are not applied; write it as found on the \
                         command line or below the folder given there (e.g. {}/web.config)",
                        crate::hidden::quoted(&row.path, 200),
                        row.server
                    ),
                )
                .in_file(&self.shown)
                .at_line(row.line)
            })
            .collect()
    }
}

struct Columns {
    path: usize,
    server: usize,
    identity: Option<usize>,
    fqdn: Option<usize>,
    site: Option<usize>,
    array: Option<usize>,
    internet_facing: Option<usize>,
}

impl Columns {
    fn row(&self, record: &csv::StringRecord) -> Result<Row, String> {
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let path = get(Some(self.path)).ok_or("the path is empty")?;
        let server_text = get(Some(self.server)).ok_or("the server is empty")?;
        let (server, derived_fqdn) =
            ServerName::parse(server_text).map_err(|e| format!("server '{server_text}': {e}"))?;
        let identity = get(self.identity)
            .map(|i| Identity::parse(i, &server))
            .transpose()
            .map_err(|e| e.to_string())?;
        let fqdn = match get(self.fqdn) {
            Some(f) => {
                validate_dns_name(f.trim_end_matches('.'))
                    .map_err(|e| format!("fqdn '{f}': {e}"))?;
                Some(f.trim_end_matches('.').to_ascii_lowercase())
            }
            None => derived_fqdn,
        };
        // Written with its root's dot (`casarray.contoso.com.`) it is the same name, as fqdn.
        let array = get(self.array).map(|a| a.trim_end_matches('.'));
        if let Some(array) = array {
            validate_dns_name(array).map_err(|e| format!("array '{array}': {e}"))?;
        }
        Ok(Row {
            key: normalise(path),
            path: path.to_string(),
            line: 0,
            server,
            identity,
            fqdn,
            site: get(self.site).map(str::to_string),
            array: array.map(str::to_ascii_lowercase),
            internet_facing: get(self.internet_facing).map(yes_or_no).transpose()?,
        })
    }
}

/// `internet_facing`: yes or no in the usual spellings; anything else is refused rather than
/// read as no, which would leave a server out of the SP2 step without a word.
fn yes_or_no(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "y" => Ok(true),
        "false" | "no" | "0" | "n" => Ok(false),
        _ => Err(format!(
            "internet_facing '{}' is neither yes nor no: write yes, no, true, false, 1 or 0, or \
             leave it empty for the collected ExternalUrl to decide",
            crate::hidden::quoted(text, 60)
        )),
    }
}

/// The columns the map is read for.
const KNOWN_COLUMNS: &[&str] = &[
    "path",
    "server",
    "identity",
    "fqdn",
    "site",
    "array",
    "internet_facing",
];

/// A column the map is not read for is said, with the known one it most resembles: a
/// misspelt `internet-facing` or `FQDN_name` would otherwise be ignored without a word, and
/// the checks it feeds would silently do nothing.
fn unknown_columns(headers: &[String]) -> Vec<String> {
    let squeeze = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_alphanumeric()).collect() };
    headers
        .iter()
        .filter(|h| !h.is_empty() && !KNOWN_COLUMNS.contains(&h.as_str()))
        .map(|header| {
            let nearest = KNOWN_COLUMNS
                .iter()
                .map(|known| {
                    let distance = strsim::levenshtein(&squeeze(header), &squeeze(known));
                    let contains = squeeze(header).contains(&squeeze(known));
                    (if contains { 0 } else { distance }, *known)
                })
                .min()
                .filter(|(distance, _)| *distance <= 3)
                .map(|(_, known)| format!("; did you mean '{known}'?"))
                .unwrap_or_default();
            format!(
                "column '{}' is not one the server map is read for ({}), so it is ignored{nearest}",
                crate::hidden::quoted(header, 60),
                KNOWN_COLUMNS.join(", ")
            )
        })
        .collect()
}

/// The longest value a server map cell may hold: a path of Windows' 260 characters with
/// room to spare, and far beyond any server name, identity, FQDN or site.
const MAX_CELL: usize = 1024;

/// A row with invisible characters removed from every cell (bidirectional controls and
/// separators must never reach a script, where the identity goes), and what was removed, by
/// column; a cell longer than any real value refuses the row.
fn clean(
    record: &csv::StringRecord,
    headers: &[String],
) -> Result<(csv::StringRecord, Vec<(String, String)>), String> {
    let mut cleaned = csv::StringRecord::with_capacity(record.as_slice().len(), record.len());
    let mut removed = Vec::new();
    for (i, cell) in record.iter().enumerate() {
        let column = headers.get(i).map_or("unnamed column", String::as_str);
        let length = cell.chars().count();
        if length > MAX_CELL {
            return Err(format!(
                "the {column} is {length} characters long; no value of a server map is longer \
                 than {MAX_CELL}"
            ));
        }
        // A DNS name has no space in it: a no-break space there stands for nothing.
        let (text, gone) = if matches!(column, "server" | "fqdn" | "array") {
            crate::hidden::strip_from_name(cell)
        } else {
            crate::hidden::strip(cell)
        };
        if !gone.is_empty() {
            removed.push((column.to_string(), crate::hidden::describe_all(&gone)));
        }
        cleaned.push_field(&text);
    }
    Ok((cleaned, removed))
}

fn normalise(path: &str) -> String {
    let slashed = path.replace('\\', "/").to_lowercase();
    let trimmed = slashed.trim_start_matches("./");
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    fn load(text: &str) -> Result<ServerMap, Error> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        ServerMap::load(file.path())
    }

    fn config(path: &str, root: Option<&str>) -> ConfigFile {
        ConfigFile {
            path: PathBuf::from(path),
            root: root.map(|r| std::sync::Arc::from(std::path::Path::new(r))),
        }
    }

    #[test]
    fn rows_match_full_relative_and_tail_paths() {
        let map = load("\u{FEFF}Path,Server,Identity,FQDN,Site\r\nCAS01\\web.config,cas01,CAS01\\owa (Default Web Site),cas01.contoso.com,Paris\r\ncollected/x/web.config,CAS09,,,\r\n").unwrap();
        assert!(map.diagnostics.is_empty(), "{:?}", map.diagnostics);
        assert!(map.has_groups);
        let rows = map.rows_for(&config("collected/CAS01/web.config", Some("collected")));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].server.as_str(), "CAS01");
        assert_eq!(rows[0].fqdn.as_deref(), Some("cas01.contoso.com"));
        assert_eq!(rows[0].site.as_deref(), Some("Paris"));
        let rows = map.rows_for(&config("./collected/X/Web.config", None));
        assert_eq!(rows[0].server.as_str(), "CAS09");
        assert!(map
            .rows_for(&config("other/CAS02/web.config", Some("other")))
            .is_empty());
        let files = [config("collected/CAS01/web.config", Some("collected"))];
        let unused = map.unused_rows(&files);
        assert_eq!(unused.len(), 1);
        assert_eq!(unused[0].line, Some(3));
        assert!(
            unused[0].message.contains("collected/x/web.config"),
            "{}",
            unused[0].message
        );
    }

    #[test]
    fn bad_rows_are_diagnostics_with_line() {
        let map = load("path,server,identity\nCAS01/web.config,CAS 01,\nCAS02/web.config,CAS02,CAS03\\owa (Default Web Site)\n").unwrap();
        assert_eq!(map.diagnostics.len(), 2);
        assert_eq!(map.diagnostics[0].line, Some(2));
        assert_eq!(map.diagnostics[1].line, Some(3));
        assert!(map.diagnostics[1].message.contains("CAS03"));
    }

    #[test]
    fn internet_facing_is_yes_or_no_or_refused() {
        let map = load("path,server,internet_facing\nA/web.config,CAS01,Yes\nB/web.config,CAS02,0\nC/web.config,CAS03,\nD/web.config,CAS04,maybe\n").unwrap();
        let facing: Vec<Option<bool>> = map.rows.iter().map(|r| r.internet_facing).collect();
        assert_eq!(facing, [Some(true), Some(false), None]);
        assert_eq!(map.diagnostics.len(), 1);
        assert!(map.diagnostics[0]
            .message
            .contains("'maybe' is neither yes nor no"));
        // A refused row whose path had an invisible character still names its file.
        let map =
            load("path,server,identity\n\u{200B}CAS01/web.config,CAS01,\"CAS01\\owa (a\tb)\"\n")
                .unwrap();
        let file = crate::config::ConfigFile {
            path: "collected/CAS01/web.config".into(),
            root: Some(std::sync::Arc::from(std::path::Path::new("collected"))),
        };
        assert_eq!(map.refused_for(&file, "x").len(), 1);
        // A no-break space in a DNS name is removed, not read as a space.
        let map = load("path,server,fqdn\nA/web.config,CAS01,cas01\u{00A0}.contoso.com\n").unwrap();
        assert_eq!(map.rows[0].fqdn.as_deref(), Some("cas01.contoso.com"));
        // An array's FQDN with its root's dot is the same name, as an fqdn's is.
        let map = load("path,server,array\nA/web.config,CAS01,CasArray.contoso.com.\n").unwrap();
        assert!(map.diagnostics.is_empty(), "{:?}", map.diagnostics);
        assert_eq!(map.rows[0].array.as_deref(), Some("casarray.contoso.com"));
    }

    #[test]
    fn missing_columns_stop_the_run() {
        assert!(matches!(
            load("file,name\na,b\n"),
            Err(Error::ServerMap { .. })
        ));
    }
}
