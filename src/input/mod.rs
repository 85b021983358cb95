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
    let bytes = crate::walk::read(path).map_err(&bad)?;
    let (text, _) = crate::encoding::decode(&bytes).map_err(|e| bad(e.to_string()))?;
    Ok(text.into_owned())
}
