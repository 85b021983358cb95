//! Walking the folders named on the command line: every file below, sorted, following
//! symbolic links (collected trees often use them) but never around a loop.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Code, Diagnostic};

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
    let path = e
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
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
