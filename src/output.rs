//! Writing into `--out`: all or nothing.
//!
//! Every file is first written to a temporary file in the same folder, then all are renamed
//! into place; a failure before the renames removes the temporaries, so a failed run leaves
//! no half-written file. An interrupt (Ctrl+C, SIGTERM, SIGHUP) removes them too, through
//! [`remove_staged`], which the binary calls from its signal handler; and a run that was
//! killed outright (SIGKILL, a power cut) leaves temporaries that name its process, which
//! the next run recognises as its own and removes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use tempfile::NamedTempFile;

use crate::error::Error;

/// The temporaries of this process not yet renamed into place, and whether an interrupt
/// removed them: after that, no new temporary is made (a writer that asks gets an error),
/// so that none is created between the removal and the exit.
static STAGED: Mutex<Temporaries> = Mutex::new(Temporaries {
    paths: Vec::new(),
    folders: Vec::new(),
    interrupted: false,
});

struct Temporaries {
    paths: Vec<PathBuf>,
    /// The folders a staging made for `--out` (the outermost first): removed with the
    /// temporaries, so that a run that stops writes no folder either.
    folders: Vec<PathBuf>,
    interrupted: bool,
}

/// What every temporary's name starts with; the process id follows, then a dash.
const PREFIX: &str = ".owa-im-migrate-";

fn staged() -> std::sync::MutexGuard<'static, Temporaries> {
    STAGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes every temporary this process has staged and not yet renamed, and makes no more:
/// for an interrupt, just before the process exits. Returns how many were removed.
pub fn remove_staged() -> usize {
    let mut staged = staged();
    staged.interrupted = true;
    let removed = remove(std::mem::take(&mut staged.paths));
    remove_folders(&std::mem::take(&mut staged.folders));
    removed
}

/// Removes the folders a run made, innermost first, each only if it is empty: nothing that
/// was put there since (by this run or anyone) is removed with it.
fn remove_folders(made: &[PathBuf]) {
    for folder in made.iter().rev() {
        let _ = std::fs::remove_dir(folder);
    }
}

/// The staged temporaries that `which` selects, no longer registered.
#[cfg(test)]
fn take_staged(which: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut staged = staged();
    let (taken, kept) = staged.paths.drain(..).partition(|path| which(path));
    staged.paths = kept;
    taken
}

fn remove(paths: Vec<PathBuf>) -> usize {
    paths
        .iter()
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count()
}

/// Removes the temporaries an earlier run left in `out` when it was killed before it could
/// clean up: files named by this program's prefix and a process that no longer runs.
fn remove_stale(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !is_running(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this id runs: on Linux, whether `/proc/<pid>` exists. Where there
/// is no `/proc` the question is not asked: a temporary there is removed only by the run
/// that made it (or by hand).
fn is_running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

/// Refuses a non-empty `--out` unless `--force`: checked before any work, so that exit 2
/// means nothing was written. Temporaries of a run that was killed are removed first: they
/// do not make the folder "not empty".
pub fn check_out_dir(out: &Path, force: bool) -> Result<(), Error> {
    remove_stale(out);
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

/// The folder a run's files are staged in: each is written to a temporary beside its
/// target as it is produced, and all are renamed into place together by [`persist`] once
/// every one is complete. Names are fixed by the program, never taken from input, so
/// nothing is written outside `out`.
///
/// The folders it makes for `out` are removed again when it is dropped before
/// [`Staging::persist`] succeeded: a run that fails (exit 2) leaves no empty `--out` behind.
pub struct Staging {
    out: PathBuf,
    made: Vec<PathBuf>,
    persisted: bool,
}

/// One file written in full to its temporary, not yet in place. Dropped unpersisted (a
/// failure elsewhere in the run), its temporary is removed.
pub struct Staged {
    temp: NamedTempFile,
    target: PathBuf,
}

impl Staged {
    /// The file's name in `out`.
    pub fn name(&self) -> &str {
        self.target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }
}

/// The size of the buffer between a writer and its file.
const BUFFER: usize = 256 * 1024;

impl Staging {
    /// Creates `out` if needed, remembering which folders it made.
    pub fn new(out: &Path) -> Result<Staging, Error> {
        let made: Vec<PathBuf> = out
            .ancestors()
            .filter(|folder| !folder.as_os_str().is_empty() && !folder.exists())
            .map(Path::to_path_buf)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let staging = Staging {
            out: out.to_path_buf(),
            made,
            persisted: false,
        };
        staged().folders.extend(staging.made.iter().cloned());
        std::fs::create_dir_all(out).map_err(|source| Error::Output {
            path: out.to_path_buf(),
            source,
        })?;
        Ok(staging)
    }

    /// Renames every staged file into place, in order, and returns the paths; `out` stays.
    pub fn persist(mut self, staged: Vec<Staged>) -> Result<Vec<PathBuf>, Error> {
        let written = persist(staged)?;
        self.persisted = true;
        Ok(written)
    }

    /// Stages the file `name`: `write` writes it through a buffer, then it is flushed to
    /// disk. A write error is the file's, whatever `write` made of it.
    pub fn write(
        &self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
    ) -> Result<Staged, Error> {
        let target = self.out.join(name);
        let fail = |source| Error::Output {
            path: target.clone(),
            source,
        };
        let temp = temporary(&self.out).map_err(fail)?;
        let mut file = Recording {
            inner: std::io::BufWriter::with_capacity(BUFFER, temp.as_file()),
            error: None,
        };
        let written = write(&mut file).and_then(|()| file.flush().map_err(fail));
        if let Some(source) = file.error.take() {
            return Err(fail(source));
        }
        written?;
        drop(file);
        temp.as_file().sync_all().map_err(fail)?;
        Ok(Staged { temp, target })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        staged()
            .folders
            .retain(|folder| !self.made.contains(folder));
        if !self.persisted {
            remove_folders(&self.made);
        }
    }
}

/// Renames every staged file into place, in order, and returns the paths.
fn persist(staged: Vec<Staged>) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::with_capacity(staged.len());
    for Staged { temp, target } in staged {
        let path = temp.path().to_path_buf();
        temp.persist(&target).map_err(|e| Error::Output {
            path: target.clone(),
            source: e.error,
        })?;
        forget(&path);
        written.push(target);
    }
    Ok(written)
}

/// A writer that keeps its first error, so that it is reported as the file's even when a
/// template engine turned it into an error of its own.
struct Recording<W: Write> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> Write for Recording<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.keep(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf).inspect_err(|e| self.keep(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| self.keep(e))
    }
}

impl<W: Write> Recording<W> {
    fn keep(&mut self, e: &std::io::Error) {
        if self.error.is_none() {
            self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
    }
}

/// Writes `files` (name, bytes) into `out`, creating it if needed, all or nothing.
pub fn write_all(out: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<PathBuf>, Error> {
    let staging = Staging::new(out)?;
    // Each file is written and flushed to disk on its own, in parallel; if any fails, the
    // temporaries already made are removed as they are dropped.
    let staged: Vec<Staged> = files
        .par_iter()
        .map(|(name, bytes)| {
            staging.write(name, |w| {
                w.write_all(bytes).map_err(|source| Error::Output {
                    path: out.join(name),
                    source,
                })
            })
        })
        .collect::<Vec<Result<_, Error>>>()
        .into_iter()
        // The first failure in the files' order, whichever worker met one first.
        .collect::<Result<_, Error>>()?;
    staging.persist(staged)
}

/// A temporary that was renamed or removed is no longer this process's to clean up.
fn forget(path: &Path) {
    staged().paths.retain(|p| p != path);
}

/// Removes from `out` the files an earlier run recorded as its own (`earlier`, names only)
/// that this run did not write again (`written`), and returns them. A name is removed only
/// if it is one of this tool's output names (`is_output`) as well, so that a report.json
/// edited by hand cannot name any other file.
pub fn remove_earlier_outputs(
    out: &Path,
    written: &[&str],
    earlier: &[String],
    is_output: impl Fn(&str) -> bool,
) -> Vec<PathBuf> {
    let mut removed: Vec<PathBuf> = earlier
        .iter()
        .filter(|name| is_output(name) && !written.contains(&name.as_str()))
        .map(|name| out.join(name))
        .filter(|path| std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()))
        .filter(|path| std::fs::remove_file(path).is_ok())
        .collect();
    removed.sort();
    removed.dedup();
    removed
}

/// A temporary file beside its target. On Unix, readable by others like any file the
/// administrator writes (a temporary file is private by default).
fn temporary(out: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{PREFIX}{}-", std::process::id());
    builder.prefix(&prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    // Made and registered under the lock, so that an interrupt removes it or it is never
    // made at all.
    let mut staged = staged();
    if staged.interrupted {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "the run was interrupted",
        ));
    }
    let temp = builder.tempfile_in(out)?;
    staged.paths.push(temp.path().to_path_buf());
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_removes_what_was_staged() {
        let dir = tempfile::tempdir().unwrap();
        // Kept, so that nothing but the removal can delete them.
        let temps: Vec<(std::fs::File, PathBuf)> = (0..3)
            .map(|_| temporary(dir.path()).unwrap().keep().unwrap())
            .collect();
        // As the signal handler does, while the writers still hold their files (only this
        // test's: other tests stage files in this process at the same time).
        assert_eq!(remove(take_staged(|p| p.starts_with(dir.path()))), 3);
        // On Windows a removed file goes when its last handle closes, as at the exit.
        let paths: Vec<PathBuf> = temps.into_iter().map(|(_, path)| path).collect();
        for path in &paths {
            assert!(!path.exists(), "{}", path.display());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn temporaries_of_a_killed_run_are_recognised_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        // A process id that cannot exist (above Linux's pid_max limit of 2^22).
        let stale = dir.path().join(format!("{PREFIX}99999999-a1b2c3"));
        let mine = dir
            .path()
            .join(format!("{PREFIX}{}-d4e5f6", std::process::id()));
        std::fs::write(&stale, "half").unwrap();
        std::fs::write(&mine, "being written").unwrap();
        remove_stale(dir.path());
        assert!(!stale.exists());
        assert!(mine.exists(), "a running process's temporary stays");
        std::fs::remove_file(&mine).unwrap();
        std::fs::write(&stale, "half").unwrap();
        assert!(
            check_out_dir(dir.path(), false).is_ok(),
            "only a stale temporary was there"
        );
    }

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
