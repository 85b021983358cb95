//! Every certificate source an administrator has, made from the same four certificates
//! (tests/fixtures/sources, values in manifest.json): each gives the same conversion.

mod common;

use std::path::{Path, PathBuf};

use common::{diagnostic, im_keys, server, web_config, write};
use serde_json::Value;

const SOURCES: &str = "tests/fixtures/sources";
const PASSWORD: &str = "Contoso!2010";

fn manifest() -> Value {
    let text = std::fs::read_to_string(common::root().join(SOURCES).join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn certificate(name: &str) -> Value {
    manifest()["certificates"][name].clone()
}

/// CAS21..CAS24, each configured with its certificate's issuer and serial as Windows wrote
/// them, in the layout of a collection.
fn organisation(dir: &Path) -> PathBuf {
    for n in 21..=24 {
        let cert = certificate(&format!("cas{n}"));
        let issuer = cert["windows_issuer"].as_str().unwrap();
        let serial = cert["serial"].as_str().unwrap();
        write(
            dir,
            &format!("collected/CAS{n}/web.config"),
            web_config(&im_keys("naocs.contoso.com", issuer, serial)),
        );
    }
    dir.join("collected")
}

fn convert(dir: &Path, certs: &[&str], password: Option<&str>) -> (i32, Value) {
    convert_with(dir, certs, password, &[])
}

fn convert_with(
    dir: &Path,
    certs: &[&str],
    password: Option<&str>,
    extra: &[&str],
) -> (i32, Value) {
    let configs = organisation(dir);
    let out = dir.join(format!("out-{}", certs.join("-").replace(['/', '.'], "_")));
    let mut cmd = common::bin();
    cmd.arg("convert").arg(&configs).arg("--certs");
    for c in certs {
        cmd.arg(common::root().join(SOURCES).join(c));
    }
    cmd.args(["--at", "2027-01-01", "--out"])
        .arg(&out)
        .args(extra)
        .env_remove("OWA_IM_MIGRATE_PFX_PASSWORD");
    if let Some(p) = password {
        cmd.env("OWA_IM_MIGRATE_PFX_PASSWORD", p);
    }
    let output = cmd.output().unwrap();
    (output.status.code().unwrap(), common::report(&out))
}

fn assert_converted(report: &Value, n: u32) {
    let s = server(report, &format!("CAS{n}"));
    let expected = certificate(&format!("cas{n}"))["thumbprint"].clone();
    assert_eq!(s["status"], "converted", "CAS{n}: {s:#}");
    assert_eq!(s["sp1"]["thumbprint"], expected, "CAS{n}");
}

#[test]
fn every_source_gives_the_same_thumbprints() {
    let cases: &[(&[&str], &[u32])] = &[
        (&["cas21.cer", "cas22.cer", "cas24.cer"], &[21, 22, 24]),
        (&["cas21-legacy.pfx", "cas22-aes.pfx"], &[21, 22]),
        (&["cas21-3des.pfx"], &[21]),
        (&["exchange-ps51.json"], &[21, 22, 24]),
        (&["exchange-ps7.json"], &[21, 22, 24]),
        (&["exchange-single.json"], &[22]),
        (&["exchange.clixml"], &[21, 22, 24]),
        (&["exchange-rawdata-only.clixml"], &[21, 22, 24]),
        (&["exchange-escapes.clixml"], &[22]),
        (&["exchange-ps2.csv"], &[21, 22, 24]),
        (&["exchange-utf16.csv"], &[21, 22, 24]),
        (&["exchange-utf8-notype.csv"], &[21, 22, 24]),
    ];
    for (certs, converted) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (_, report) = convert(dir.path(), certs, Some(PASSWORD));
        for &n in *converted {
            assert_converted(&report, n);
        }
        let unreadable: Vec<&Value> = report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] != "read")
            .collect();
        assert!(unreadable.is_empty(), "{certs:?}: {unreadable:?}");
    }
}

#[test]
fn one_certificate_seen_through_many_sources_is_one_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let all = [
        "cas21.cer",
        "cas21-legacy.pfx",
        "cas21-3des.pfx",
        "exchange-ps51.json",
        "exchange-ps7.json",
        "exchange.clixml",
        "exchange-rawdata-only.clixml",
    ];
    let (_, report) = convert(dir.path(), &all, Some(PASSWORD));
    assert_converted(&report, 21);
    let cas21 = server(&report, "CAS21");
    let sources = cas21["certificate"]["sources"].as_array().unwrap();
    assert!(sources.len() >= all.len(), "{sources:?}");
    assert_eq!(
        cas21["certificate"]["private_key"], true,
        "the PFX proves the key exists"
    );
    assert!(!common::codes(cas21).iter().any(|c| c == "cert-ambiguous"));
}

#[test]
fn an_export_from_the_server_itself_without_a_key_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    // exchange.clixml says cas23 has no private key, and its Identity names CAS23.
    let (code, report) = convert(dir.path(), &["exchange.clixml", "cas23.cer"], None);
    assert_eq!(code, 1);
    let cas23 = server(&report, "CAS23");
    assert_eq!(cas23["status"], "failed");
    let d = diagnostic(cas23, "cert-no-private-key");
    assert_eq!(d["severity"], "error");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("CAS23's own export"),
        "{d}"
    );
    assert_eq!(cas23["certificate"]["private_key"], false);

    // A PFX without the key, from elsewhere, is only a warning.
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert(dir.path(), &["cas23-nokey.pfx"], Some(PASSWORD));
    let cas23 = server(&report, "CAS23");
    assert_eq!(cas23["status"], "converted");
    assert_eq!(
        diagnostic(cas23, "cert-no-private-key")["severity"],
        "warning"
    );
}

#[test]
fn pkcs12_passwords() {
    let dir = tempfile::tempdir().unwrap();
    // With one readable certificate beside it, so that the run goes on and reports.
    let (code, report) = convert(dir.path(), &["cas22-aes.pfx", "cas21.cer"], Some("wrong"));
    assert_eq!(code, 1);
    let message = report["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("wrong password"), "{message}");
    assert!(
        !message.contains("wrong\""),
        "the password itself is never shown"
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert(dir.path(), &["cas22-aes.pfx", "cas21.cer"], None);
    let message = report["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("OWA_IM_MIGRATE_PFX_PASSWORD"), "{message}");
    assert_eq!(server(&report, "CAS22")["status"], "failed");
}

#[test]
fn hostile_sources_are_named_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert(
        dir.path(),
        &[
            "hostile/rawdata-not-a-cert.clixml",
            "hostile/truncated-base64.clixml",
            "hostile/thumbprint-disagrees.clixml",
            "hostile/corrupt.pfx",
            "hostile/zero.cer",
            "hostile/json-other-date-style.json",
            "cas24.cer",
        ],
        Some(PASSWORD),
    );
    assert_converted(&report, 24);
    // The thumbprint text of cas21 with the DER of cas22: the DER wins, and it is said.
    assert_converted(&report, 22);
    let top: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {} {}", d["severity"], d["file"], d["message"]))
        .collect();
    let said = |file: &str, words: &str| {
        assert!(
            top.iter().any(|d| d.contains(file) && d.contains(words)),
            "{file}: {words}\n{top:#?}"
        );
    };
    said("rawdata-not-a-cert.clixml", "RawData");
    said("truncated-base64.clixml", "base64");
    said("thumbprint-disagrees.clixml", "disagrees");
    said("corrupt.pfx", "damaged");
    said("zero.cer", "empty");
    let status = |file: &str| {
        report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["file"].as_str().unwrap().ends_with(file))
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("json-other-date-style.json"), "read");
    assert_eq!(status("zero.cer"), "unreadable");
}

#[test]
fn an_ascii_csv_question_mark_matches_the_non_ascii_issuer_inexactly() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert(dir.path(), &["exchange-ps2.csv"], None);
    assert_converted(&report, 24);
    let cas24 = server(&report, "CAS24");
    assert!(
        common::codes(cas24).contains(&"issuer-inexact".to_string()),
        "{cas24:#}"
    );
    // Not "not as Windows prints it": the export cannot tell, and the message says so.
    let said = common::diagnostic(cas24, "issuer-inexact")["message"]
        .as_str()
        .unwrap();
    assert!(said.contains("cannot be told"), "{said}");
    // With the real bytes, the same issuer is exact.
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert(dir.path(), &["exchange-utf8-notype.csv"], None);
    assert!(!common::codes(server(&report, "CAS24")).contains(&"issuer-inexact".to_string()));
}

#[test]
fn csv_dates_follow_the_named_culture() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert_with(
        dir.path(),
        &["exchange-fr.csv"],
        None,
        &["--csv-culture", "fr-FR"],
    );
    for n in [21, 22, 24] {
        assert_converted(&report, n);
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert(dir.path(), &["exchange-fr.csv", "cas21.cer"], None);
    let message = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(message.contains("--csv-culture"), "{message}");
    assert!(message.contains("row 3: "), "rows are named: {message}");
    // The file is the diagnostic's own; its message does not say it a second time.
    assert!(!message.contains("exchange-fr.csv"), "{message}");
    common::bin()
        .args([
            "resolve",
            "--issuer",
            "CN=x",
            "--serial",
            "01",
            "--certs",
            SOURCES,
            "--csv-culture",
            "xx-YY",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("fr-FR"));
}

#[test]
fn hostile_csv_rows_are_named_and_the_good_ones_used() {
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = convert(
        dir.path(),
        &[
            "hostile/bad-thumbprint.csv",
            "hostile/bad-date.csv",
            "hostile/bom-mixup.csv",
        ],
        None,
    );
    let messages: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {}", d["file"], d["message"]))
        .collect();
    let said = |file: &str, words: &str| {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(file) && m.contains(words)),
            "{file}: {words}\n{messages:#?}"
        );
    };
    said("bad-thumbprint.csv", "not 40 hexadecimal digits");
    said("bad-thumbprint.csv", "invisible characters (U+200E");
    said("bad-date.csv", "--csv-culture");
    said("bom-mixup.csv", "not valid UTF-8");
}

#[test]
fn resolve_reads_every_source_and_says_what_they_tell() {
    let cas22 = certificate("cas22");
    let output = common::bin()
        .args([
            "resolve",
            "--issuer",
            cas22["windows_issuer"].as_str().unwrap(),
        ])
        .args([
            "--serial",
            cas22["serial"].as_str().unwrap(),
            "--at",
            "2027-01-01",
            "--certs",
        ])
        .arg(common::root().join(SOURCES))
        .env("OWA_IM_MIGRATE_PFX_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stdout.trim(),
        cas22["thumbprint"].as_str().unwrap(),
        "{stderr}"
    );
    assert!(
        stderr.contains("cas22-aes.pfx") && stderr.contains("exchange.clixml#object"),
        "{stderr}"
    );
    assert!(stderr.contains("private key: exists"), "{stderr}");
}
