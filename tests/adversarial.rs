//! A hostile administrator's folder: inputs built to hang the tool, exhaust its memory, make
//! its outputs enormous, slip out of the report, or hide code from a reviewer. Each test runs
//! the binary on an input large enough to show the old behaviour and asserts the outcome; a
//! bound on each run turns a hang into a failure (the bound is not a performance target).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{bin, im_keys, server, web_config, write};

const CERTS: &str = "examples/contoso/certs";
const ISSUER: &str = "CN=ContosoCA, DC=contoso, DC=com";
const SERIAL: &str = "1F 5E DD 03 00 00 00 00 00 05";
/// Long enough for any of these runs on a loaded machine; a hang never ends.
const HANG: Duration = Duration::from_secs(300);

/// CAS01 of the example, configured as the README's, in `dir/collected`.
fn organisation(dir: &Path) -> PathBuf {
    write(
        dir,
        "collected/CAS01/web.config",
        web_config(&im_keys("ocs.contoso.com", ISSUER, SERIAL)),
    );
    dir.join("collected")
}

fn convert(configs: &Path, certs: &[&Path], extra: &[&str], out: &Path) -> std::process::Output {
    let mut cmd = bin();
    cmd.arg("convert").arg(configs).arg("--certs");
    for c in certs {
        cmd.arg(c);
    }
    cmd.args(["--at", "2026-11-24", "--out"])
        .arg(out)
        .args(extra)
        .timeout(HANG)
        .output()
        .unwrap()
}

fn example_certs() -> PathBuf {
    common::root().join(CERTS)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo").arg(path).status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "mkfifo (coreutils) is needed to make {}",
        path.display()
    );
}

#[test]
fn one_element_with_200000_attributes_is_read_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let attributes: String = (0..200_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
    let config = web_config(&im_keys("ocs.contoso.com", ISSUER, SERIAL)).replacen(
        "<appSettings>",
        &format!("<appSettings>\n    <add key=\"Padding\" value=\"x\"{attributes} />"),
        1,
    );
    write(dir.path(), "collected/CAS01/web.config", &config);
    let output = convert(
        &dir.path().join("collected"),
        &[&example_certs()],
        &[],
        &dir.path().join("out"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = common::report(&dir.path().join("out"));
    assert_eq!(server(&report, "CAS01")["status"], "converted");

    // A name given twice is still malformed XML, as .NET would refuse it.
    let dir = tempfile::tempdir().unwrap();
    let config = web_config(&im_keys("ocs.contoso.com", ISSUER, SERIAL)).replacen(
        "<appSettings>",
        "<appSettings>\n<add key=\"a\" key=\"b\" />",
        1,
    );
    write(dir.path(), "collected/CAS01/web.config", &config);
    let output = convert(
        &dir.path().join("collected"),
        &[&example_certs()],
        &[],
        &dir.path().join("out"),
    );
    let report = common::report(&dir.path().join("out"));
    let cas01 = server(&report, "CAS01");
    assert_eq!(cas01["status"], "failed", "{}", stderr(&output));
    let malformed = common::diagnostic(cas01, "xml-malformed")["message"]
        .as_str()
        .unwrap();
    assert!(malformed.contains("'key' is given twice"), "{malformed}");
}

#[test]
fn many_copies_of_one_certificate_are_one_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let pem = std::fs::read_to_string(example_certs().join("cas04-cas05.pem")).unwrap();
    let first =
        &pem[pem.find("-----BEGIN").unwrap()..pem.find("-----END CERTIFICATE-----").unwrap() + 25];
    let bundle = format!("{first}\n").repeat(30_000);
    let bundle_path = write(dir.path(), "hostile/copies.pem", bundle);
    let output = convert(
        &configs,
        &[&example_certs(), &bundle_path],
        &[],
        &dir.path().join("out"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = common::report(&dir.path().join("out"));
    let listed = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["file"].as_str().unwrap().ends_with("copies.pem"))
        .unwrap();
    assert_eq!(listed["certificates"], 30_000);

    // The same with an export of 100,000 identical rows (the issue's size: before the fix,
    // over a minute in a release build).
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let mut rows = String::from("\"Thumbprint\",\"Issuer\",\"SerialNumber\"\r\n");
    let row = "\"7B30E0F3E98C0498E830BD8E2B29011F94F44C1D\",\"CN=ContosoCA, DC=contoso, DC=com\",\"1F5EDD03000000000005\"\r\n";
    rows.push_str(&row.repeat(100_000));
    let rows_path = write(dir.path(), "hostile/rows.csv", rows);
    let output = convert(
        &configs,
        &[&example_certs(), &rows_path],
        &[],
        &dir.path().join("out"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_named_not_waited_on_or_read_forever() {
    // A FIFO or /dev/zero as the server map stops the run with a message (exit 2).
    for (name, make) in [
        ("fifo", (|p: &Path| mkfifo(p)) as fn(&Path)),
        ("zero", |p: &Path| {
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let configs = organisation(dir.path());
        let map = dir.path().join(format!("{name}-map.csv"));
        make(&map);
        let output = convert(
            &configs,
            &[&example_certs()],
            &["--server-map", map.to_str().unwrap()],
            &dir.path().join("out"),
        );
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("not a regular file"),
            "{name}: {}",
            stderr(&output)
        );
        assert!(!dir.path().join("out").exists(), "{name}: nothing written");
    }

    // In a collected folder: the current values' CSV as a FIFO and as /dev/zero, a web.config
    // that is a FIFO, and a certificate file that is a FIFO, named explicitly.
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    mkfifo(&configs.join("CAS01/owa-virtual-directories.csv"));
    write(
        dir.path(),
        "collected/CAS02/web.config",
        web_config(&im_keys("ocs.contoso.com", ISSUER, SERIAL)),
    );
    std::os::unix::fs::symlink(
        "/dev/zero",
        configs.join("CAS02/owa-virtual-directories.csv"),
    )
    .unwrap();
    mkfifo(&configs.join("CAS03/web.config"));
    let fifo_cert = dir.path().join("certs/cas09.cer");
    mkfifo(&fifo_cert);
    let output = convert(
        &configs,
        &[&example_certs(), &fifo_cert, &dir.path().join("certs")],
        &[],
        &dir.path().join("out"),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = common::report(&dir.path().join("out"));
    for cas in ["CAS01", "CAS02"] {
        let s = server(&report, cas);
        assert_eq!(s["status"], "converted", "{cas}: {s:#}");
        let unreadable = common::diagnostic(s, "source-unreadable");
        assert_eq!(unreadable["severity"], "warning", "{cas}");
        assert!(
            unreadable["message"]
                .as_str()
                .unwrap()
                .contains("not a regular file"),
            "{cas}: {unreadable}"
        );
    }
    let cas03 = server(&report, "CAS03");
    assert_eq!(cas03["status"], "failed");
    assert!(common::diagnostic(cas03, "source-unreadable")["message"]
        .as_str()
        .unwrap()
        .contains("named pipe"));
    let fifo_sources: Vec<&serde_json::Value> = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["file"].as_str().unwrap().ends_with("certs/cas09.cer"))
        .collect();
    assert!(
        !fifo_sources.is_empty(),
        "the FIFO certificate is in sources"
    );
    assert!(fifo_sources.iter().all(|s| s["status"] == "unreadable"));
}

#[test]
fn a_fifty_megabyte_value_makes_messages_of_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let pool = "a".repeat(5_000_000);
    let serial = "z".repeat(1_000_000);
    write(
        dir.path(),
        "collected/CAS01/web.config",
        web_config(&im_keys(&pool, ISSUER, &serial)),
    );
    let out = dir.path().join("out");
    let output = convert(
        &dir.path().join("collected"),
        &[&example_certs()],
        &[],
        &out,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.len() < 10_000,
        "{} bytes on stderr",
        output.stderr.len()
    );
    let script = std::fs::metadata(out.join("Set-OwaInstantMessaging.ps1")).unwrap();
    assert!(
        script.len() < 200_000,
        "the change script is {} bytes",
        script.len()
    );
    let report = common::report(&out);
    for d in server(&report, "CAS01")["diagnostics"].as_array().unwrap() {
        let message = d["message"].as_str().unwrap();
        assert!(
            message.len() < 1_000,
            "{} bytes: {}",
            message.len(),
            &message[..200]
        );
    }
}

#[test]
fn trojan_source_characters_in_the_server_map_never_reach_a_line_of_code() {
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let map = write(
        dir.path(),
        "server-map.csv",
        "path,server,identity,site\r\n\
         CAS01/web.config,CAS01,CAS01\\owa\u{202E}txt.exe (Default Web Site\u{2028}),Paris\u{2069}\r\n",
    );
    let out = dir.path().join("out");
    let output = convert(
        &configs,
        &[&example_certs()],
        &["--server-map", map.to_str().unwrap(), "--with", "plan"],
        &out,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = common::report(&out);
    let cas01 = server(&report, "CAS01");
    assert_eq!(cas01["identity"], "CAS01\\owatxt.exe (Default Web Site)");
    let hidden: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "hidden-characters")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        hidden
            .iter()
            .any(|m| m.contains("U+202E RIGHT-TO-LEFT OVERRIDE")),
        "{hidden:#?}"
    );
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let bad: Vec<char> = text
            .chars()
            .filter(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'))
            .collect();
        assert!(bad.is_empty(), "{}: {bad:?}", path.display());
    }
}

#[test]
fn a_pfx_beyond_the_iteration_limit_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let pfx = common::root().join("tests/fixtures/fuzz/pkcs12/mac-iterations-2147483647.pfx");
    let output = convert(
        &configs,
        &[&example_certs(), &pfx],
        &[],
        &dir.path().join("out"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = common::report(&dir.path().join("out"));
    let said: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        said.iter()
            .any(|m| m.contains("more than 1,000,000 MAC or key-derivation iterations")),
        "{said:#?}"
    );
}

/// Linux only: the tool tells a dead process from a live one by `/proc`.
#[cfg(target_os = "linux")]
#[test]
fn temporaries_of_a_killed_run_do_not_block_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let out = dir.path().join("out");
    // What a run killed with SIGKILL leaves: a half-written temporary naming its process.
    let stale = write(&out, ".owa-im-migrate-99999999-Xk3j9q", "half a scr");
    let output = convert(&configs, &[&example_certs()], &[], &out);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stale.exists());
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_no_temporaries() {
    // A large organisation, so that the outputs take a while to write; SIGTERM as soon as the
    // first temporary appears. Whether the signal lands while writing or just after, no
    // temporary may stay; at least one of the attempts must land while writing.
    let dir = tempfile::tempdir().unwrap();
    for n in 0..3000 {
        write(
            dir.path(),
            &format!("collected/CAS{n:04}/web.config"),
            web_config(&im_keys("ocs.contoso.com", ISSUER, SERIAL)),
        );
    }
    let mut interrupted = 0;
    for attempt in 0..5 {
        let out = dir.path().join(format!("out{attempt}"));
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("owa-im-migrate"))
            .current_dir(common::root())
            .arg("convert")
            .arg(dir.path().join("collected"))
            .args([
                "--certs",
                CERTS,
                "--at",
                "2026-11-24",
                "--with",
                "plan",
                "--out",
            ])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let staging = |out: &Path| {
            std::fs::read_dir(out).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(".owa-im-migrate-")
                })
            })
        };
        while !staging(&out) && child.try_wait().unwrap().is_none() && started.elapsed() < HANG {
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        if status.code() == Some(130) {
            interrupted += 1;
        }
        assert!(
            !staging(&out),
            "attempt {attempt}: temporaries left in {}",
            out.display()
        );
    }
    assert!(interrupted > 0, "no attempt was interrupted while writing");
}
