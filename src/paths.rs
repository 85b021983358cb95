//! How the tool writes a path, in messages, in report.json and in the generated files: as the
//! user typed it, with forward slashes on every platform. Windows accepts `/` wherever these
//! paths are used again (PowerShell, Explorer, the tool's own arguments), and report.json and
//! the scripts are then the same bytes whichever platform wrote them: they are compared across
//! runs and machines and reviewed by a change board.

use std::path::Path;

/// The path as the tool shows it.
pub fn shown(path: &Path) -> String {
    let text = path.display().to_string();
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_slashes_on_windows_and_the_path_as_it_is_elsewhere() {
        let joined = Path::new("collected").join("CAS01").join("web.config");
        assert_eq!(shown(&joined), "collected/CAS01/web.config");
        let typed = Path::new(r"Z:\collected\CAS01\web.config");
        if cfg!(windows) {
            assert_eq!(shown(typed), "Z:/collected/CAS01/web.config");
        } else {
            // A backslash is an ordinary character of a file name here.
            assert_eq!(shown(typed), r"Z:\collected\CAS01\web.config");
        }
    }
}
