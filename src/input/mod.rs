//! The readers of the other files an administrator hands over, beside the web.configs
//! (`config`) and the certificates (`cert`): the server map, and the values the collection
//! script recorded before the change.

pub mod collected;
pub mod corrections;
pub mod server_map;

use std::path::Path;

use crate::error::Error;

/// The text of a CSV file an administrator gives (`--server-map`, `--corrections`): a path
/// that does not exist stops the run as any missing input does; one that cannot be read or
/// decoded is said through `bad`.
pub(crate) fn read_text(
    path: &Path,
    what: &'static str,
    bad: impl Fn(String) -> Error,
) -> Result<String, Error> {
    if let Err(source) = std::fs::metadata(path) {
        return Err(Error::Input {
            path: path.to_path_buf(),
            what,
            source,
        });
    }
    let bytes = crate::walk::read(path).map_err(|e| bad(e.to_string()))?;
    let (text, _) = crate::encoding::decode(&bytes).map_err(|e| bad(e.to_string()))?;
    Ok(text.into_owned())
}

/// A CSV reader over `text` (cells trimmed, rows of any length), and its header line's
/// column names in lower case: what the server map and the corrections are read with.
pub(crate) fn table(
    text: &str,
    bad: impl Fn(String) -> Error,
) -> Result<(csv::Reader<&[u8]>, Vec<String>), Error> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(|h| {
            h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                .to_ascii_lowercase()
        })
        .collect();
    Ok((reader, headers))
}
