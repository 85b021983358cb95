//! Shared support for the integration tests: running the binary, reading its outputs, and
//! checking generated PowerShell.
#![allow(dead_code)]

pub mod exchange;
pub mod pwsh;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The project root: tests run the binary from here with relative paths, so that paths in
/// the outputs are stable.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run from the project root with a pinned header time.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("owa-im-migrate").expect("the binary is built");
    cmd.current_dir(root())
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .env_remove("NO_COLOR");
    cmd
}

/// `convert` of the example organisation (its configs and certificates, the report's date
/// pinned to 2026-11-24); add the rest.
pub fn convert_example() -> Command {
    let mut cmd = bin();
    cmd.args([
        "convert",
        "examples/contoso/configs",
        "--certs",
        "examples/contoso/certs",
        "--at",
        "2026-11-24",
    ]);
    cmd
}

/// Says, where the person running the tests sees it, that `test` did not check what it is
/// for: the test harness captures `eprintln!` of a passing test, not a direct write to stderr.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// A path as the tool writes it (README: paths): forward slashes on every platform. Stated here
/// again, independently of the tool's own `paths::shown`, for tests that compare a path they
/// built with what the tool wrote.
pub fn shown(path: &Path) -> String {
    path.display()
        .to_string()
        .replace(std::path::MAIN_SEPARATOR, "/")
}

/// SHA-1 by ring, an implementation independent of the `sha1` crate the tool uses.
pub fn independent_sha1(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    digest.as_ref().iter().map(|b| format!("{b:02X}")).collect()
}

/// The DER of every certificate in a PEM or DER file, in order.
pub fn certificate_ders(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        x509_parser::pem::Pem::iter_from_buffer(&bytes)
            .map(|p| p.expect("valid PEM").contents)
            .collect()
    } else {
        vec![bytes]
    }
}

/// Every file below `dir` with its bytes, for before/after comparisons.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walkable"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().to_path_buf(),
                std::fs::read(e.path()).expect("readable"),
            )
        })
        .collect()
}

/// A generated script as text, after checking the encoding Windows PowerShell 2.0 needs:
/// a UTF-8 BOM and CRLF line endings only.
pub fn read_script(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "{} has no UTF-8 BOM",
        path.display()
    );
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    for (i, line) in text.split_inclusive('\n').enumerate() {
        assert!(
            line.ends_with("\r\n"),
            "{} line {} does not end in CRLF",
            path.display(),
            i + 1
        );
    }
    assert!(
        !text.replace("\r\n", "").contains('\r'),
        "lone CR in {}",
        path.display()
    );
    text
}

/// Constructs of PowerShell 3 and later that the Exchange 2010 shell (PowerShell 2.0) lacks.
pub const POWERSHELL_3_CONSTRUCTS: &[&str] = &[
    "[ordered]",
    "[pscustomobject]",
    "$psitem",
    "$psscriptroot",
    ".foreach(",
    ".where(",
    "convertto-json",
    "convertfrom-json",
    "invoke-restmethod",
    "-append",
    " -in ",
    " -notin ",
    "-noenumerate",
    "get-ciminstance",
    "using namespace",
];

/// Checks a script parses and uses nothing newer than PowerShell 2.0 (outside comments).
pub fn assert_powershell_2(script: &str) {
    pwsh::assert_parses(script);
    for (i, line) in script.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with('#') {
            continue;
        }
        let lower = code.to_lowercase();
        assert!(
            !lower.starts_with("class "),
            "line {}: PowerShell 5 class: {line}",
            i + 1
        );
        for construct in POWERSHELL_3_CONSTRUCTS {
            assert!(
                !lower.contains(construct),
                "line {}: PowerShell 3+ construct {construct}: {line}",
                i + 1
            );
        }
    }
}

/// `Set-OwaVirtualDirectory` invocations read back from the syntax tree:
/// identity -> (server name, thumbprint), with the fixed parameters checked.
pub fn set_commands(script: &str) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for cmd in pwsh::commands_named(script, "Set-OwaVirtualDirectory") {
        let literal = |name: &str| match cmd.param(name) {
            Some(pwsh::ArgValue::Literal(v)) => v.clone(),
            other => panic!("line {}: {name} is not a literal: {other:?}", cmd.line),
        };
        // The undo script sets from saved values by splatting: not a literal command.
        if !cmd.has_param("-Identity") {
            continue;
        }
        assert_eq!(
            cmd.param("-InstantMessagingEnabled"),
            Some(&pwsh::ArgValue::Variable("$true".into()))
        );
        assert_eq!(
            cmd.param("-InstantMessagingType"),
            Some(&pwsh::ArgValue::Bare("OCS".into()))
        );
        let previous = out.insert(
            literal("-Identity"),
            (
                literal("-InstantMessagingServerName"),
                literal("-InstantMessagingCertificateThumbprint"),
            ),
        );
        assert!(
            previous.is_none(),
            "two Set-OwaVirtualDirectory for one identity"
        );
    }
    out
}

/// The report of a run, parsed.
pub fn report(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// The report entry of one server.
pub fn server<'r>(report: &'r Value, name: &str) -> &'r Value {
    report["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|s| s["server"] == name)
        .unwrap_or_else(|| panic!("no server {name} in the report"))
}

/// The codes of a server's diagnostics.
pub fn codes(server: &Value) -> Vec<String> {
    server["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_string())
        .collect()
}

/// The statements of the generated scripts that change something: each must sit in the body
/// of an `if` that asks `$PSCmdlet.ShouldProcess(...)`. The state file's one write
/// (`Export-Clixml` in the library) is guarded too: its callers are inside a change the
/// operator has just confirmed and say so, so that it never asks twice, which the scenarios in
/// `tests/scenarios.rs` prove by running; and `Invoke-ImChange`, `Save-ImState` are called
/// only inside a confirmed change.
pub const CHANGING_CALLS: &[&str] = &[
    "Set-OwaVirtualDirectory -Identity",
    "Set-OwaVirtualDirectory @parameters",
    "Save-ImState -Server",
    "Invoke-ImChange -Server",
    "Export-Clixml",
    "& iisreset.exe",
    "$pool.Recycle()",
];

/// Checks every changing call of [`CHANGING_CALLS`] is guarded; returns how many were found.
pub fn assert_changes_guarded(script: &str) -> usize {
    CHANGING_CALLS
        .iter()
        .map(|call| assert_guarded(script, call))
        .sum()
}

/// Every occurrence of `needle` in code (not in a comment) must sit in the body of an `if` or
/// `elseif` whose condition asks `$PSCmdlet.ShouldProcess(...)` (not negated), so that
/// `-WhatIf` skips it. Returns how many occurrences were checked.
pub fn assert_guarded(script: &str, needle: &str) -> usize {
    let tree = pwsh::parse(script).unwrap_or_else(|e| panic!("{e:?}"));
    let mut checked = 0;
    for (start, _) in script.match_indices(needle) {
        let node = tree
            .root_node()
            .descendant_for_byte_range(start, start + needle.len())
            .expect("a node covers every byte");
        if ancestors(node).any(|n| n.kind() == "comment") {
            continue;
        }
        let line = node.start_position().row + 1;
        let guarded = ancestors(node).any(|n| {
            n.kind() == "statement_block"
                && n.parent().is_some_and(|p| {
                    matches!(p.kind(), "if_statement" | "elseif_clause")
                        && p.child_by_field_name("condition").is_some_and(|c| {
                            let text = &script[c.byte_range()];
                            text.contains("ShouldProcess(")
                                && !text.trim_start().starts_with("-not")
                        })
                })
        });
        assert!(
            guarded,
            "line {line}: {needle} is not inside if ($PSCmdlet.ShouldProcess(...))"
        );
        checked += 1;
    }
    checked
}

fn ancestors(node: tree_sitter::Node<'_>) -> impl Iterator<Item = tree_sitter::Node<'_>> {
    std::iter::successors(Some(node), |n| n.parent())
}

/// A realistic OWA web.config around the given `<appSettings>` body.
pub fn web_config(app_settings: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <configSections>
    <section name="owaDiagnostics" type="System.Configuration.NameValueSectionHandler" />
  </configSections>
  <appSettings>
    <add key="LogonFormat" value="FullDomain" />
    <!-- Instant Messaging settings -->
{app_settings}
    <add key="ProxyRequestTimeout" value="90" />
  </appSettings>
  <system.web>
    <compilation debug="false" defaultLanguage="c#" />
    <httpRuntime maxRequestLength="35000" />
  </system.web>
  <location path="ev.owa"><appSettings><add key="IMPoolName" value="location.contoso.com" /></appSettings></location>
</configuration>
"#
    )
}

/// The three IM keys as RTM documented them.
pub fn im_keys(pool: &str, issuer: &str, serial: &str) -> String {
    format!(
        "    <add key=\"IMPoolName\" value=\"{pool}\" />\n    <add key=\"IMCertificateIssuer\" value=\"{issuer}\" />\n    <add key=\"IMCertificateSerialNumber\" value=\"{serial}\" />"
    )
}

/// Writes `bytes` at `dir/relative`, creating folders.
pub fn write(dir: &Path, relative: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    std::fs::write(&path, bytes).expect("write");
    path
}

/// UTF-16 LE with BOM, as Notepad's "Unicode" saves.
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

pub fn utf16be(text: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    out
}

/// Runs `scan --format json` on `dir` (plus extra arguments) and returns the exit code and
/// the report.
pub fn scan(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let output = bin()
        .arg("scan")
        .arg(dir)
        .args(extra)
        .args(["--format", "json", "--at", "2027-01-01"])
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().expect("exit code"), report)
}

/// The one diagnostic of `code` of a server.
pub fn diagnostic<'r>(server: &'r Value, code: &str) -> &'r Value {
    server["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {:#}", server["diagnostics"]))
}
