//! Pathological inputs get a diagnostic, never a hang, a crash or an out-of-memory.
//! (A wrong PKCS#12 password and a zero-byte certificate are in tests/sources.rs.)

mod common;

use std::path::Path;

use common::{bin, codes, im_keys, server, web_config, write};
use serde_json::Value;

fn scan(dir: &Path) -> (i32, Value) {
    let output = bin()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap(), report)
}

/// `convert` of `dir/configs` with `certs` into `dir/out`, which succeeds: its report.
fn convert_ok(dir: &Path, certs: &Path) -> Value {
    let out = dir.join("out");
    let output = bin()
        .arg("convert")
        .arg(dir.join("configs"))
        .arg("--certs")
        .arg(certs)
        .args(["--at", "2027-01-01", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    common::report(&out)
}

fn clean() -> String {
    web_config(&im_keys(
        "naocs.contoso.com",
        "CN=ContosoCA, DC=contoso, DC=com",
        "1F 5E DD 03 00 00 00 00 00 05",
    ))
}

#[test]
fn a_gigabyte_web_config_is_refused_by_its_size() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "CAS01/web.config", clean());
    let huge = write(dir.path(), "CAS02/web.config", "");
    // Sparse: a gigabyte to the file system, nothing to read.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let (code, report) = scan(dir.path());
    assert_eq!(code, 1);
    assert_eq!(server(&report, "CAS01")["status"], "configured");
    let cas02 = server(&report, "CAS02");
    assert_eq!(codes(cas02), ["source-unreadable"]);
    assert!(cas02["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("1024 MiB"));
}

#[test]
fn deeply_nested_xml_is_read_without_recursion() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let mut text = String::from("<configuration><appSettings><add key=\"IMPoolName\" value=\"naocs.contoso.com\" /></appSettings>");
    text.push_str(&"<x>".repeat(depth));
    text.push_str(&"</x>".repeat(depth));
    text.push_str("</configuration>");
    write(dir.path(), "CAS01/web.config", &text);
    let mut unclosed = String::from("<configuration>");
    unclosed.push_str(&"<x>".repeat(depth));
    write(dir.path(), "CAS02/web.config", &unclosed);
    let (_, report) = scan(dir.path());
    assert_eq!(codes(server(&report, "CAS01")), ["im-partial"]);
    assert_eq!(codes(server(&report, "CAS02")), ["xml-malformed"]);
}

#[test]
fn entity_expansion_is_refused_with_the_dtd() {
    let dir = tempfile::tempdir().unwrap();
    let mut laughs =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        laughs.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&lol{};", i - 1)
                .replace("&lol0;", "&lol;")
                .repeat(10)
        ));
    }
    laughs.push_str("]>\n<configuration><appSettings><add key=\"IMPoolName\" value=\"&lol9;\" /></appSettings></configuration>\n");
    write(dir.path(), "CAS01/web.config", &laughs);
    let (_, report) = scan(dir.path());
    let d = &server(&report, "CAS01")["diagnostics"][0];
    assert_eq!(d["code"], "xml-malformed");
    assert!(d["message"].as_str().unwrap().contains("DOCTYPE"), "{d}");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_and_a_broken_link_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "CAS01/web.config", clean());
    std::os::unix::fs::symlink(dir.path(), dir.path().join("CAS01/back-to-the-top")).unwrap();
    std::fs::create_dir_all(dir.path().join("CAS02")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("nowhere/web.config"),
        dir.path().join("CAS02/web.config"),
    )
    .unwrap();
    let (_, report) = scan(dir.path());
    assert_eq!(server(&report, "CAS01")["status"], "configured");
    let top: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(top.iter().any(|m| m.contains("leads back")), "{top:?}");
    // A web.config whose link leads nowhere is still a file found: its server fails, and
    // the run's exit status says so (SPEC 7: every config file found appears once).
    let cas02 = server(&report, "CAS02");
    assert_eq!(cas02["status"], "failed", "{cas02:#}");
    assert_eq!(
        cas02["diagnostics"][0]["code"], "source-unreadable",
        "{cas02:#}"
    );
    let message = cas02["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("symbolic link to") && message.contains("which does not exist"),
        "{message}"
    );
    assert_eq!(report["summary"]["configs"], 2);
}

#[test]
fn an_oversized_certificate_file_is_refused_and_the_rest_are_read() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "configs/CAS01/web.config", clean());
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(
        common::root().join("tests/fixtures/certs/cas01.cer"),
        certs.join("cas01.cer"),
    )
    .unwrap();
    let huge = certs.join("huge.cer");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    let report = convert_ok(dir.path(), &certs);
    assert_eq!(server(&report, "CAS01")["status"], "converted");
    assert!(report["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("200 MiB"));
}

#[test]
fn an_export_larger_than_any_file_read_whole_is_read_as_it_streams() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "configs/CAS01/web.config", clean());
    let der = std::fs::read(common::root().join("tests/fixtures/certs/cas01.cer")).unwrap();
    let raw = base64::engine::general_purpose::STANDARD.encode(&der);
    // Two rows of 33 MiB (a long FriendlyName each): 66 MiB in all, more than the 64 MiB a
    // file may be read whole in, while no one row is.
    let filler = "x".repeat(33 << 20);
    let export = dir.path().join("certs/exchange.csv");
    std::fs::create_dir_all(export.parent().unwrap()).unwrap();
    let mut text =
        String::from("#TYPE Selected.ExchangeCertificate\r\n\"FriendlyName\",\"RawData\"\r\n");
    for _ in 0..2 {
        text.push_str(&format!("\"{filler}\",\"{raw}\"\r\n"));
    }
    text.push_str("\"\",\"not base64\"\r\n");
    std::fs::write(&export, &text).unwrap();
    assert!(text.len() as u64 > 64 << 20);
    drop(text);
    let report = convert_ok(dir.path(), &export);
    assert_eq!(server(&report, "CAS01")["status"], "converted");
    let source = &report["sources"][0];
    assert_eq!(source["status"], "read", "{source}");
    assert_eq!(source["certificates"], 2, "{source}");
    // The last row is named by its line, past the 66 MiB before it.
    let said: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(said.iter().any(|m| m.starts_with("row 5: ")), "{said:?}");
}

#[test]
fn nothing_is_written_outside_out() {
    // The output names are the program's own; a hostile server name cannot reach a path.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "configs/..%2f..%2fevil/web.config", clean());
    write(dir.path(), "configs/CAS01/web.config", clean());
    let out = dir.path().join("out");
    bin()
        .arg("convert")
        .arg(dir.path().join("configs"))
        .args([
            "--certs",
            "tests/fixtures/certs",
            "--at",
            "2027-01-01",
            "--with",
            "per-server",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let mut everything: Vec<String> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .map(|e| common::shown(e.unwrap().path().strip_prefix(dir.path()).unwrap()))
        .filter(|p| !p.starts_with("configs") && !p.is_empty())
        .collect();
    everything.sort();
    assert!(
        everything.iter().all(|p| p.starts_with("out")),
        "{everything:?}"
    );
}
