//! What the tool says of itself in every output: its name and version.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub const THIS: Tool = Tool {
        name: "owa-im-migrate",
        version: env!("CARGO_PKG_VERSION"),
    };
}
