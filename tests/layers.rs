//! One direction of flow: every module imports only from the stages before it and from the
//! shared helpers below them, never from a later stage (SPEC §2's pipeline, read top-down).
//!
//! ```text
//! 6  lib.rs (the front door), cli, output        what a run does, and writing it out
//! 5  render, report                              the outputs, side by side
//! 4  plan                                        per server, then across servers
//! 3  input                                       server map, collected values (keyed by config files)
//! 2  config, cert                                the reader and the resolver
//! 1  error, names, walk                          shared: errors, validated names, reading files
//! 0  paths, hidden, der, encoding, diag, tool    shared: text, bytes, diagnostics
//! ```
//!
//! A module may use its own submodules and anything on a lower layer; nothing on its own
//! layer (siblings stay independent) and nothing above it.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

const LAYERS: &[(&str, u8)] = &[
    ("paths", 0),
    ("hidden", 0),
    ("der", 0),
    ("encoding", 0),
    ("diag", 0),
    ("tool", 0),
    ("error", 1),
    ("names", 1),
    ("walk", 1),
    ("config", 2),
    ("cert", 2),
    ("input", 3),
    ("plan", 4),
    ("render", 5),
    ("report", 5),
    ("cli", 6),
    ("output", 6),
    ("lib", 6),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The top-level module a source file belongs to: `src/cert/dn.rs` -> `cert`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// Every top-level module a file names through `crate::`, in `use` lines and paths alike,
/// `use crate::{a, b::c}` groups included. A name that starts with a capital is an item of
/// the crate root (`crate::Error`): the root is the top layer.
fn imports(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
        .into_iter()
        .map(|name| {
            if name.starts_with(char::is_uppercase) {
                "lib".to_string()
            } else {
                name
            }
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_from_a_later_stage_or_a_sibling() {
    let src = common::root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "main" {
            continue; // the binary: a crate of its own, above everything
        }
        let Some(own) = layer(&module) else {
            wrong.push(format!(
                "{}: module '{module}' has no layer in tests/layers.rs",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for import in imports(&text) {
            if import == module {
                continue;
            }
            match layer(&import) {
                Some(theirs) if theirs < own => {}
                Some(theirs) => wrong.push(format!(
                    "{}: '{module}' (layer {own}) imports '{import}' (layer {theirs})",
                    file.strip_prefix(&src).unwrap().display()
                )),
                None => wrong.push(format!(
                    "{}: imports 'crate::{import}', which has no layer",
                    file.strip_prefix(&src).unwrap().display()
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "against the flow:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_every_form_of_import() {
    let text = "use crate::cert::Serial;\nuse crate::{diag::Code, plan};\n\
                // crate::render in a comment\nfn f() -> crate::Result<()> { crate::walk::read() }";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["cert", "diag", "lib", "plan", "walk"]);
}
