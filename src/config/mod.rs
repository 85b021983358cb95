//! The reader stage: web.config bytes -> the RTM IM settings of one server.

pub mod app_settings;
pub mod discover;

pub use app_settings::{ImKey, ImSettings, Setting};
pub use discover::{derive_server, discover, ConfigFile, DerivedServer};

use crate::diag::{Code, Diagnostic};

/// Reads one web.config. A file that cannot be read, decoded or parsed is one diagnostic.
pub fn read_file(file: &ConfigFile) -> Result<ImSettings, Diagnostic> {
    let shown = file.display();
    let bytes = crate::walk::read(&file.path)
        .map_err(|e| Diagnostic::new(Code::SourceUnreadable, e.to_string()).in_file(&shown))?;
    read_bytes(&bytes, &shown)
}

/// Reads web.config bytes; `shown` names the file in diagnostics.
pub fn read_bytes(bytes: &[u8], shown: &str) -> Result<ImSettings, Diagnostic> {
    let (text, _) = crate::encoding::decode(bytes)
        .map_err(|e| Diagnostic::new(Code::SourceUnreadable, e.to_string()).in_file(shown))?;
    app_settings::read(&text, shown).map_err(|m| {
        Diagnostic::new(
            Code::XmlMalformed,
            format!(
                "not well-formed XML: {}; fix the file (or collect it again) and run again",
                m.message
            ),
        )
        .in_file(shown)
        .at_line(m.line)
        .at_column(m.column)
    })
}
