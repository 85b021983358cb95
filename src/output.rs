//! Writing into `--out`: all or nothing.
//!
//! Every file is first written to a temporary file in the same folder, then all are renamed
//! into place; a failure before the renames removes the temporaries, so a failed run leaves
//! no half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use tempfile::NamedTempFile;

use crate::Error;

/// Refuses a non-empty `--out` unless `--force`: checked before any work, so that exit 2
/// means nothing was written.
pub fn check_out_dir(out: &Path, force: bool) -> Result<(), Error> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() && !force {
                return Err(Error::OutNotEmpty(out.to_path_buf()));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Output {
            path: out.to_path_buf(),
            source,
        }),
    }
}

/// Writes `files` (name, bytes) into `out`, creating it if needed. Names are fixed by the
/// program, never taken from input, so nothing is written outside `out`.
pub fn write_all(out: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>, Error> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Output { path, source }
    };
    std::fs::create_dir_all(out).map_err(fail(out))?;
    // Each file is written and flushed to disk on its own, in parallel; if any fails, the
    // temporaries already made are removed as they are dropped.
    let staged: Vec<(NamedTempFile, PathBuf)> = files
        .par_iter()
        .map(|(name, bytes)| {
            let target = out.join(name);
            let mut temp = temporary(out).map_err(fail(&target))?;
            temp.write_all(bytes).map_err(fail(&target))?;
            temp.as_file().sync_all().map_err(fail(&target))?;
            Ok((temp, target))
        })
        .collect::<Vec<Result<_, Error>>>()
        .into_iter()
        // The first failure in the files' order, whichever worker met one first.
        .collect::<Result<_, Error>>()?;
    let mut written = Vec::with_capacity(staged.len());
    for (temp, target) in staged {
        temp.persist(&target).map_err(|e| Error::Output {
            path: target.clone(),
            source: e.error,
        })?;
        written.push(target);
    }
    Ok(written)
}

/// A temporary file beside its target. On Unix, readable by others like any file the
/// administrator writes (a temporary file is private by default).
fn temporary(out: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".owa-im-migrate-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_empty_without_force() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_out_dir(dir.path(), false).is_ok());
        std::fs::write(dir.path().join("keep.txt"), "x").unwrap();
        assert!(matches!(
            check_out_dir(dir.path(), false),
            Err(Error::OutNotEmpty(_))
        ));
        assert!(check_out_dir(dir.path(), true).is_ok());
        assert!(check_out_dir(&dir.path().join("new"), false).is_ok());
    }

    #[test]
    fn writes_every_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("migration");
        let written = write_all(
            &out,
            &[
                ("a.txt".into(), b"1".to_vec()),
                ("b.txt".into(), b"2".to_vec()),
            ],
        )
        .unwrap();
        assert_eq!(written.len(), 2);
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.txt", "b.txt"]);
        assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(out.join("a.txt"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }
}
