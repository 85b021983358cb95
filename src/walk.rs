//! Walking the folders named on the command line: every file below, sorted, following
//! symbolic links (collected trees often use them) but never around a loop; and reading the
//! files found, within a size no input of this tool ever reaches: whole, or as a stream.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Code, Diagnostic};
use crate::encoding::DecodeError;

/// No OWA web.config (about 30 KB) or certificate file comes near this: a bigger file is a
/// wrong file, refused before it is read into memory. Also the most one object of a streamed
/// export may take ([`MAX_RECORD_BYTES`]).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// A `Get-ExchangeCertificate` export is read as it streams, one object in memory at a time,
/// so its size costs time, not memory. 10,000 servers' `Export-Clixml` is 73 MB (UTF-16);
/// 4 GiB holds over fifty times as many certificates, and takes about a minute to read: a
/// bigger file is a wrong one (or `/dev/zero` behind a link), refused rather than read on.
pub const MAX_STREAMED_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// One object of a streamed export may take no more than a whole file read at once.
pub const MAX_RECORD_BYTES: u64 = MAX_INPUT_BYTES;

/// How much of a file is read to recognise it before it is streamed or read whole.
pub const HEAD_BYTES: usize = 64 * 1024;

const MIB: u64 = 1024 * 1024;

/// Why an input file was not read, in words for a person.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),
    /// A symbolic link whose target does not exist.
    #[error(
        "it is a symbolic link to {}, which does not exist: copy the file itself there, or \
         give the file it should lead to",
        crate::paths::shown(.0)
    )]
    BrokenLink(PathBuf),
    /// What the path is instead (a folder, a named pipe, a device...).
    #[error("it is {0}, not a regular file: give the file itself")]
    NotRegular(&'static str),
    #[error(
        "the file is {} MiB, larger than any web.config or certificate export ({} MiB at \
         most): is it the right file?",
        size / MIB,
        MAX_INPUT_BYTES / MIB
    )]
    TooLarge { size: u64 },
    /// A file that does not begin as an export, too large to read whole.
    #[error(
        "the file is {} MiB, larger than any certificate file read whole ({} MiB at most), and \
         it does not begin as a Get-ExchangeCertificate export (which is read as it streams, \
         whatever its size): is it the right file?",
        size / MIB,
        MAX_INPUT_BYTES / MIB
    )]
    TooLargeToReadWhole { size: u64 },
    #[error(transparent)]
    Decode(DecodeError),
    #[error(transparent)]
    Oversize(Oversize),
}

/// A streamed input past its limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Oversize {
    #[error(
        "the file is more than {} MiB, larger than any certificate export: is it the right \
         file?",
        MAX_STREAMED_BYTES / MIB
    )]
    Stream,
    /// One object (a row, a `<Obj>`) is larger than a whole input may be.
    #[error(
        "one {0} takes more than {limit} MiB, more than any certificate does: the file is \
         damaged or is not an export",
        limit = MAX_RECORD_BYTES / MIB
    )]
    Record(&'static str),
}

impl Oversize {
    pub fn into_io(self) -> io::Error {
        io::Error::other(self)
    }
}

impl ReadError {
    /// What an I/O error met while streaming an input means: a decoding error or a limit
    /// carried inside it from the layers below a reader, or a failure of the file itself.
    pub fn from_io(error: io::Error) -> ReadError {
        match Self::carried(&error) {
            Some(carried) => carried,
            None => ReadError::Io(error),
        }
    }

    /// [`ReadError::from_io`] for an error a parser keeps shared (quick-xml's `Arc`).
    pub fn from_io_ref(error: &io::Error) -> ReadError {
        Self::carried(error)
            .unwrap_or_else(|| ReadError::Io(io::Error::new(error.kind(), error.to_string())))
    }

    fn carried(error: &io::Error) -> Option<ReadError> {
        if let Some(decode) = DecodeError::of_io(error) {
            return Some(ReadError::Decode(decode));
        }
        let inner = error.get_ref()?;
        inner
            .downcast_ref::<Oversize>()
            .map(|o| ReadError::Oversize(o.clone()))
    }
}

/// The bytes of an input file, or why not (not a regular file, too large, unreadable). Every
/// input file of the tool is read here or through [`open`].
pub fn read(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_INPUT_BYTES {
        return Err(ReadError::TooLarge { size });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // `take` guards a file that grows while it is read.
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// An input file opened, with its first bytes read to recognise it by: then read whole
/// ([`Opened::into_bytes`]) or streamed ([`Opened::into_stream`]).
#[derive(Debug)]
pub struct Opened {
    file: File,
    size: u64,
    head: Vec<u8>,
}

/// Opens an input file (a regular file only, as [`read`]) and reads its first
/// [`HEAD_BYTES`].
pub fn open(path: &Path) -> Result<Opened, ReadError> {
    let file = open_regular(path)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&file)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(ReadError::Io)?;
    Ok(Opened { file, size, head })
}

impl Opened {
    /// The first bytes, all of a file shorter than [`HEAD_BYTES`].
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The whole file, within [`MAX_INPUT_BYTES`].
    pub fn into_bytes(self) -> Result<Vec<u8>, ReadError> {
        let too_large = |size| ReadError::TooLargeToReadWhole { size };
        if self.size > MAX_INPUT_BYTES {
            return Err(too_large(self.size));
        }
        let mut bytes = self.head;
        let rest = MAX_INPUT_BYTES + 1 - bytes.len() as u64;
        // `take` guards a file that grows while it is read.
        self.file
            .take(rest)
            .read_to_end(&mut bytes)
            .map_err(ReadError::Io)?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        Ok(bytes)
    }

    /// The file from its first byte, to be read as it streams, within
    /// [`MAX_STREAMED_BYTES`].
    pub fn into_stream(self) -> Result<Streamed, ReadError> {
        if self.size > MAX_STREAMED_BYTES {
            return Err(ReadError::Oversize(Oversize::Stream));
        }
        let mut stream = Streamed {
            file: self.file,
            read: 0,
        };
        stream.rewind().map_err(ReadError::Io)?;
        Ok(stream)
    }
}

/// A file read as it streams: an I/O error carrying [`Oversize::Stream`] past
/// [`MAX_STREAMED_BYTES`] (a file that grows while it is read). It can start again from its
/// beginning.
#[derive(Debug)]
pub struct Streamed {
    file: File,
    read: u64,
}

impl Read for Streamed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if self.read > MAX_STREAMED_BYTES {
            return Err(Oversize::Stream.into_io());
        }
        Ok(n)
    }
}

impl Seek for Streamed {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        let at = self.file.seek(position)?;
        self.read = at;
        Ok(at)
    }
}

/// Opens `path` only if it is a regular file, once symbolic links are followed. A FIFO would
/// block the open itself until something writes to it (hence `O_NONBLOCK`, which does
/// nothing to a regular file), and a device such as `/dev/zero` never ends.
fn open_regular(path: &Path) -> Result<std::fs::File, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options
        .open(path)
        .map_err(|e| match std::fs::read_link(path) {
            Ok(target) if e.kind() == io::ErrorKind::NotFound => ReadError::BrokenLink(target),
            _ => ReadError::Io(e),
        })?;
    let kind = file.metadata().map_err(ReadError::Io)?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(ReadError::NotRegular(describe(kind)))
}

/// What a file that is not a regular file is, in words.
fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// What a file is, whatever path names it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub enum FileId {
    /// Its device and inode: one `stat`, where resolving the path would read every folder
    /// of it as a possible link (seven system calls a file in a collection's layout).
    #[cfg(unix)]
    Inode(u64, u64),
    /// Its path with every link resolved.
    Path(PathBuf),
}

impl FileId {
    pub fn of(path: &Path) -> FileId {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(meta) = std::fs::metadata(path) {
                return FileId::Inode(meta.dev(), meta.ino());
            }
        }
        FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// Keeps the first of the items that name the same file (`path` gives each one's path):
/// a file named twice (a folder and a file in it, `collected` and `./collected`, or through
/// a link) is one file.
pub fn distinct<T: Sync>(items: &mut Vec<T>, path: impl Fn(&T) -> &Path + Sync) {
    use rayon::prelude::*;
    let ids: Vec<FileId> = items
        .par_iter()
        .map(|item| FileId::of(path(item)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut ids = ids.into_iter();
    items.retain(|_| ids.next().is_some_and(|id| seen.insert(id)));
}

/// Every file below `root` that is not a folder and whose name `keep` accepts, in a stable
/// order, and a diagnostic for each folder that could not be searched. Special files (FIFOs,
/// devices, sockets) are kept, so that the report names them and [`read`] says why they
/// are not read. Names are chosen as they are walked: a collection's folders hold several
/// files for each web.config.
pub fn files(root: &Path, keep: impl Fn(&OsStr) -> bool) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for entry in WalkDir::new(root).follow_links(true).sort_by_file_name() {
        match entry {
            Ok(entry) if !entry.file_type().is_dir() && keep(entry.file_name()) => {
                files.push(entry.into_path())
            }
            Ok(_) => {}
            Err(e) => match broken_link(&e).filter(|link| link.file_name().is_some_and(&keep)) {
                // A file by its name, whose link leads nowhere: kept, so that reading it
                // fails where the file is accounted for (a server, a certificate source),
                // not only in a message about searching.
                Some(link) => files.push(link.to_path_buf()),
                None => diagnostics.push(walk_error(&e)),
            },
        }
    }
    (files, diagnostics)
}

/// The symbolic link a walk could not follow because its target does not exist.
fn broken_link(e: &walkdir::Error) -> Option<&Path> {
    let path = e.path()?;
    let dangling = e.loop_ancestor().is_none()
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err();
    dangling.then_some(path)
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
        let (files, diagnostics) = files(dir.path(), |_| true);
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
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("1024 MiB"), "{err}");
        std::fs::write(&path, "<configuration/>").unwrap();
        assert_eq!(read(&path).unwrap(), b"<configuration/>");
    }

    #[test]
    fn a_file_opened_is_read_whole_within_64_mib_or_streamed_within_4_gib() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exchange.clixml");
        std::fs::write(&path, "<Objs/>").unwrap();
        let opened = open(&path).unwrap();
        assert_eq!(opened.head(), b"<Objs/>");
        assert_eq!(opened.into_bytes().unwrap(), b"<Objs/>");
        // Sparse: 1 GiB of zeros, refused whole, streamed from its first byte.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let opened = open(&path).unwrap();
        assert_eq!(opened.head().len(), HEAD_BYTES);
        let err = opened.into_bytes().unwrap_err().to_string();
        assert!(err.contains("1024 MiB") && err.contains("streams"), "{err}");
        let mut stream = open(&path).unwrap().into_stream().unwrap();
        let mut first = [1u8; 4];
        stream.read_exact(&mut first).unwrap();
        assert_eq!(first, [0; 4]);
        stream.rewind().unwrap();
        assert_eq!(stream.read, 0);
        // Past the streamed limit, before anything is read.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(MAX_STREAMED_BYTES + 1)
            .unwrap();
        let err = open(&path).unwrap().into_stream().unwrap_err();
        assert!(
            matches!(err, ReadError::Oversize(Oversize::Stream)),
            "{err}"
        );
    }

    #[test]
    fn errors_carried_in_io_errors_are_recognised() {
        let decode = io::Error::other(DecodeError::Empty);
        assert!(matches!(
            ReadError::from_io(decode),
            ReadError::Decode(DecodeError::Empty)
        ));
        let record = Oversize::Record("row").into_io();
        assert!(matches!(
            ReadError::from_io_ref(&record),
            ReadError::Oversize(Oversize::Record("row"))
        ));
        let plain = io::Error::new(io::ErrorKind::PermissionDenied, "denied");
        assert_eq!(
            ReadError::from_io(plain).to_string(),
            "cannot read the file: denied"
        );
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_found_and_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("web.config");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("SKIPPED special_files_are_found_and_refused_without_blocking: no mkfifo");
            return;
        }
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.csv")).unwrap();
        let (found, _) = files(dir.path(), |_| true);
        assert_eq!(found.len(), 2, "{found:?}");
        let err = read(&fifo).unwrap_err().to_string();
        assert!(err.contains("named pipe"), "{err}");
        let err = read(&dir.path().join("zero.csv")).unwrap_err().to_string();
        assert!(err.contains("a device"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_reported_not_followed_forever() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("x/loop")).unwrap();
        let (_, diagnostics) = files(dir.path(), |_| true);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::SourceUnreadable);
        assert!(
            diagnostics[0].message.contains("leads back"),
            "{}",
            diagnostics[0].message
        );
    }
}
