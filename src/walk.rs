//! Walking the folders named on the command line: every file below, sorted, following
//! symbolic links (collected trees often use them) but never around a loop; and reading the
//! files found, within a size no input of this tool ever reaches.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Code, Diagnostic};

/// No OWA web.config (about 30 KB) or certificate export of even a large organisation comes
/// near this: a bigger file is a wrong file, refused before it is read into memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// The bytes of an input file, or why not (too large, unreadable) in words for a person.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let too_large = |size: u64| {
        format!(
            "the file is {} MiB, larger than any web.config or certificate export ({} MiB at \
             most): is it the right file?",
            size / (1024 * 1024),
            MAX_INPUT_BYTES / (1024 * 1024)
        )
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_INPUT_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // `take` guards a file that grows while it is read.
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Every file below `root`, in a stable order, and a diagnostic for each folder that could
/// not be searched.
pub fn files(root: &Path) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
        match entry {
            Ok(entry) if entry.file_type().is_file() => files.push(entry.into_path()),
            Ok(_) => {}
            Err(e) => diagnostics.push(walk_error(&e)),
        }
    }
    (files, diagnostics)
}

fn walk_error(e: &walkdir::Error) -> Diagnostic {
    let path = e.path().map(crate::paths::shown).unwrap_or_default();
    let reason = if e.loop_ancestor().is_some() {
        "a symbolic link leads back into a folder above it, so it was not followed".to_string()
    } else {
        e.io_error()
            .map_or_else(|| e.to_string(), ToString::to_string)
    };
    Diagnostic::new(
        Code::SourceUnreadable,
        format!("cannot search {path}: {reason}"),
    )
    .in_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_files_and_no_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/2.txt"), "").unwrap();
        std::fs::write(dir.path().join("a.txt"), "").unwrap();
        let (files, diagnostics) = files(dir.path());
        let names: Vec<_> = files
            .iter()
            .map(|f| f.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(names, [PathBuf::from("a.txt"), PathBuf::from("b/c/2.txt")]);
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn a_file_larger_than_any_input_is_refused_without_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.config");
        // Sparse: a gigabyte on paper, nothing on disk.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.contains("1024 MiB"), "{err}");
        std::fs::write(&path, "<configuration/>").unwrap();
        assert_eq!(read(&path).unwrap(), b"<configuration/>");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_reported_not_followed_forever() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("x/loop")).unwrap();
        let (_, diagnostics) = files(dir.path());
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::SourceUnreadable);
        assert!(
            diagnostics[0].message.contains("leads back"),
            "{}",
            diagnostics[0].message
        );
    }
}
