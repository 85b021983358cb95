//! Finds the web.config files named on the command line and derives each one's server.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::error::Error;
use crate::names::ServerName;

/// One web.config found, and where it was found from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// The directory argument it was found under (`None` when named directly): one copy
    /// for all the files under it.
    pub root: Option<Arc<Path>>,
}

impl ConfigFile {
    /// The path as the report and messages show it: what the user typed, plus what we walked.
    pub fn display(&self) -> String {
        crate::paths::shown(&self.path)
    }

    /// The path below the directory argument (`CAS01/ClientAccess/Owa/web.config`).
    pub fn relative(&self) -> Option<&Path> {
        self.root
            .as_deref()
            .and_then(|root| self.path.strip_prefix(root).ok())
    }
}

/// `web.config` or `<SERVER>.web.config`, in any case.
pub fn is_config_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "web.config" || (lower.ends_with(".web.config") && lower.len() > ".web.config".len())
}

/// Every config file under the arguments, sorted, each once. A missing argument stops the run;
/// a directory that cannot be walked (a permission, a symlink loop) is a diagnostic.
pub fn discover(args: &[PathBuf]) -> Result<(Vec<ConfigFile>, Vec<Diagnostic>), Error> {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for arg in args {
        let meta = std::fs::metadata(arg).map_err(|source| Error::Input {
            path: arg.clone(),
            what: "web.config file or folder",
            source,
        })?;
        // A FIFO or a device named as such is a file to be read, and refused there.
        if !meta.is_dir() {
            files.push(ConfigFile {
                path: arg.clone(),
                root: None,
            });
            continue;
        }
        let (found, walked) =
            crate::walk::files(arg, |name| is_config_name(&name.to_string_lossy()));
        diagnostics.extend(walked);
        let root: Arc<Path> = Arc::from(arg.as_path());
        files.extend(found.into_iter().map(|path| ConfigFile {
            path,
            root: Some(Arc::clone(&root)),
        }));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // The same file named twice is one file, not two servers.
    crate::walk::distinct(&mut files, |f| &f.path);
    Ok((files, diagnostics))
}

/// How a server name was derived, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedServer {
    pub server: ServerName,
    pub fqdn: Option<String>,
}

/// SPEC §5's rules after the server map: the host of a UNC path, a `<SERVER>.web.config`
/// file name, the first folder below the directory argument.
pub fn derive_server(file: &ConfigFile) -> Result<DerivedServer, String> {
    let text = file.path.to_string_lossy();
    if let Some(host) = unc_host(&text) {
        return parse(host, "the UNC host");
    }
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if name.len() > ".web.config".len() && is_config_name(&name) {
        let stem = &name[..name.len() - ".web.config".len()];
        return parse(stem, "the file name");
    }
    let first = file.relative().and_then(|rel| {
        let mut parts = rel
            .components()
            .filter(|c| matches!(c, Component::Normal(_)));
        let first = parts.next()?;
        // A web.config directly in the folder argument has no server folder above it.
        parts
            .next()
            .map(|_| first.as_os_str().to_string_lossy().into_owned())
    });
    // A file named on its own (`convert collected/CAS01/web.config`): the folder it is in,
    // as a collection lays it out; but not OWA's own folder (`...\ClientAccess\Owa\`), on
    // a server read in place, whose name says nothing of the server.
    let own_folder = || {
        let folder = file
            .path
            .parent()?
            .file_name()?
            .to_string_lossy()
            .into_owned();
        (!folder.eq_ignore_ascii_case("owa")).then_some(folder)
    };
    match (first, file.root.is_none()) {
        (Some(folder), _) => parse(&folder, "the folder name"),
        (None, true) => match own_folder() {
            Some(folder) => parse(&folder, "the folder name"),
            None => Err(format!(
                "no server name for {}: name the server in --server-map (path,server), or \
                 copy the file as CAS01.web.config",
                file.display()
            )),
        },
        // Not the folder's own name: the folder given is as likely the collection's root
        // (`collected`) as a server's folder, and a wrong guess would name a server.
        (None, false) => Err(format!(
            "no server name for {}: it is directly in the folder given, and only a folder \
             below the one given names a server; give the folder above it instead (collected \
             for collected/CAS01/web.config), name the file CAS01.web.config, or list it in \
             --server-map",
            file.display()
        )),
    }
}

fn parse(text: &str, from: &str) -> Result<DerivedServer, String> {
    ServerName::parse(text)
        .map(|(server, fqdn)| DerivedServer { server, fqdn })
        .map_err(|e| {
            format!(
                "{from} '{}' is not a server name: {e}; name the server in --server-map \
                 (path,server)",
                crate::hidden::printable(text)
            )
        })
}

/// `\\CAS01\c$\...` or `//CAS01/c$/...` -> `CAS01`: the host of a path on a server's
/// administrative share (`C$`, `D$`), which is where a web.config is read in place. Any other
/// share (`\\fs01\collected\CAS01\web.config`) is a file server holding collected copies,
/// and names no CAS.
pub fn unc_host(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("\\\\")
        .or_else(|| path.strip_prefix("//"))?;
    let mut parts = rest.split(['\\', '/']);
    let host = parts.next()?;
    let share = parts.next()?;
    // `\\?\C:\...` and `\\.\` are Windows device paths, not servers.
    let admin_share = share.len() == 2
        && share.ends_with('$')
        && share.starts_with(|c: char| c.is_ascii_alphabetic());
    (!host.is_empty() && host != "?" && host != "." && admin_share).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, root: Option<&str>) -> ConfigFile {
        ConfigFile {
            path: PathBuf::from(path),
            root: root.map(|r| Arc::from(Path::new(r))),
        }
    }

    #[test]
    fn one_file_named_several_ways_is_found_once() {
        let dir = tempfile::tempdir().unwrap();
        let collected = dir.path().join("collected");
        std::fs::create_dir_all(collected.join("CAS01")).unwrap();
        std::fs::create_dir_all(collected.join("CAS02")).unwrap();
        std::fs::write(collected.join("CAS01/web.config"), "<configuration/>").unwrap();
        std::fs::write(collected.join("CAS02/web.config"), "<configuration/>").unwrap();
        let mut args = vec![
            collected.clone(),
            collected.join("."),
            collected.join("CAS01/web.config"),
        ];
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&collected, &link).unwrap();
            args.push(link);
        }
        let (files, diagnostics) = discover(&args).unwrap();
        assert!(diagnostics.is_empty());
        assert_eq!(files.len(), 2, "{files:?}");
    }

    #[test]
    fn config_names() {
        assert!(is_config_name("web.config"));
        assert!(is_config_name("Web.Config"));
        assert!(is_config_name("CAS01.web.config"));
        assert!(!is_config_name(".web.config"));
        assert!(!is_config_name("web.config.bak"));
        assert!(!is_config_name("machine.config"));
    }

    #[test]
    fn server_from_folder_below_argument() {
        let f = file(
            "collected/CAS01/ClientAccess/Owa/web.config",
            Some("collected"),
        );
        assert_eq!(derive_server(&f).unwrap().server.as_str(), "CAS01");
        let f = file("collected/web.config", Some("collected"));
        assert!(derive_server(&f).is_err());
        let f = file("web.config", None);
        assert!(derive_server(&f).unwrap_err().contains("--server-map"));
    }

    #[test]
    fn server_from_file_name_and_unc() {
        let f = file("configs/cas02.contoso.com.web.config", Some("configs"));
        let d = derive_server(&f).unwrap();
        assert_eq!(d.server.as_str(), "CAS02");
        assert_eq!(d.fqdn.as_deref(), Some("cas02.contoso.com"));
        let f = file("\\\\cas03.contoso.com\\c$\\Program Files\\web.config", None);
        let d = derive_server(&f).unwrap();
        assert_eq!(
            (d.server.as_str(), d.fqdn.as_deref()),
            ("CAS03", Some("cas03.contoso.com"))
        );
        assert_eq!(unc_host("//CAS04/c$/x"), Some("CAS04"));
        assert_eq!(unc_host("\\\\?\\C:\\x"), None);
        assert_eq!(unc_host("\\\\fs01\\share\\CAS05\\web.config"), None);
        assert_eq!(unc_host("//tmp/review/CAS05/web.config"), None);
    }

    #[test]
    fn bad_folder_names_are_refused() {
        let f = file("collected/CAS 01/web.config", Some("collected"));
        assert!(derive_server(&f).unwrap_err().contains("folder name"));
    }
}
