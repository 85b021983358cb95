//! What only the Windows build has, run under Wine by scripts/windows-test: drive-letter and
//! backslash paths for every path option, a server map written with `\`, output into a pipe or
//! file (a scheduled task) with no colour or progress bar, and exit codes as `%ERRORLEVEL%`
//! sees them. Compiled only for Windows; the rest of the suite runs on both platforms.
#![cfg(windows)]

mod common;

use std::path::{Path, PathBuf};

use common::bin;

/// A path as a Windows administrator types it: the drive letter of the project root (Wine
/// shows the Linux root as `Z:`), backslashes throughout.
fn typed(path: &Path) -> String {
    let text = path.display().to_string().replace('/', "\\");
    if text.starts_with('\\') && !text.starts_with("\\\\") {
        format!("Z:{text}")
    } else {
        text
    }
}

fn report(out: &Path) -> serde_json::Value {
    common::report(out)
}

#[test]
fn drive_letter_and_backslash_paths_for_every_path_option() {
    let root = common::root();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let template = dir.path().join("change.ps1.hbs");
    std::fs::write(&template, "# {{tool.name}}\r\n").unwrap();
    let output = bin()
        .args(["convert"])
        .arg(typed(&root.join("examples/contoso/configs")))
        .arg("--certs")
        .arg(typed(&root.join("examples/contoso/certs")))
        .arg("--server-map")
        .arg(typed(&root.join("examples/contoso/server-map.csv")))
        .arg("--template")
        .arg(typed(&template))
        .args(["--at", "2026-11-24", "--domain", "contoso.com", "--out"])
        .arg(typed(&out))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let r = report(&out);
    assert_eq!(r["summary"]["converted"], 4);
    // Paths are written with forward slashes, whatever was typed.
    let source = r["servers"][0]["source"].as_str().unwrap();
    assert!(
        source.starts_with("Z:/") && source.ends_with("/examples/contoso/configs/CAS01/web.config"),
        "{source}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("Set-OwaInstantMessaging.ps1")).unwrap(),
        "\u{FEFF}# 'owa-im-migrate'\r\n"
    );
}

#[test]
fn drive_letter_paths_for_scan_resolve_and_collect_script() {
    let root = common::root();
    let scan = bin()
        .arg("scan")
        .arg(typed(&root.join("examples/contoso/configs")))
        .output()
        .unwrap();
    assert_eq!(
        scan.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    assert!(String::from_utf8_lossy(&scan.stdout)
        .contains("/examples/contoso/configs/CAS04/web.config:82"));
    let resolve = bin()
        .args([
            "resolve",
            "--issuer",
            "CN=ContosoCA, DC=contoso, DC=com",
            "--serial",
            "3C7B91D5000000000008",
            "--certs",
        ])
        .arg(typed(&root.join("examples/contoso/certs")))
        .output()
        .unwrap();
    assert_eq!(
        resolve.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resolve.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&resolve.stdout).trim().len(), 40);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("collect");
    let collect = bin()
        .args(["collect-script", "--out"])
        .arg(typed(&out))
        .output()
        .unwrap();
    assert_eq!(
        collect.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&collect.stderr)
    );
    assert!(out.join("Collect-OwaImInputs.ps1").is_file());
}

#[test]
fn relative_paths_with_backslashes_from_another_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // From examples\contoso: ..\..\ reaches the project root.
    let output = bin()
        .current_dir(common::root().join("examples/contoso"))
        .args([
            "convert",
            r"configs",
            "--certs",
            r"certs",
            "--server-map",
            r".\server-map.csv",
            "--at",
            "2026-11-24",
            "--out",
        ])
        .arg(typed(&out))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let r = report(&out);
    assert_eq!(r["servers"][3]["source"], "configs/CAS04/web.config");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("error[pool-not-fqdn] configs/CAS04/web.config:82:"),
        "{stdout}"
    );
}

#[test]
fn a_server_map_written_with_backslashes() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.csv");
    std::fs::write(
        &map,
        "path,server,identity,fqdn\r\n\
         CAS01\\web.config,CAS01,CAS01\\owa (Default Web Site),cas01.contoso.com\r\n\
         .\\CAS02\\web.config,CAS02,CAS02\\owa (Default Web Site),cas02.contoso.com\r\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = common::convert_example()
        .arg("--server-map")
        .arg(typed(&map))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let r = report(&out);
    let cas01 = common::server(&r, "CAS01");
    assert_eq!(
        cas01["fqdn"],
        "cas01.contoso.com",
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(common::server(&r, "CAS02")["fqdn"], "cas02.contoso.com");
}

#[test]
fn redirected_output_has_no_colour_and_no_progress_bar() {
    // As a scheduled task runs it: stdout and stderr into pipes, a long run.
    let dir = tempfile::tempdir().unwrap();
    let config = common::web_config(&common::im_keys(
        "naocs.contoso.com",
        "CN=ContosoCA, DC=contoso, DC=com",
        "61 0E 0A 00 00 00 00 00 00 21",
    ));
    for n in 0..250 {
        common::write(dir.path(), &format!("CAS{n:03}/web.config"), &config);
    }
    let output = bin().arg("scan").arg(typed(dir.path())).output().unwrap();
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !stream.contains(&0x1b),
            "an escape sequence in redirected output"
        );
        assert!(
            !String::from_utf8_lossy(stream).contains("/250 web.config files"),
            "a progress bar"
        );
    }
    assert!(String::from_utf8_lossy(&output.stdout).contains("250 web.config files:"));
}

/// Runs `arguments` through cmd.exe and returns what `%ERRORLEVEL%` said.
fn errorlevel(arguments: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("run.cmd");
    let exe: PathBuf = assert_cmd::cargo::cargo_bin("owa-im-migrate");
    std::fs::write(
        &batch,
        format!(
            "@echo off\r\ncd /d \"{}\"\r\n\"{}\" {arguments} >nul 2>nul\r\necho ERRORLEVEL=%ERRORLEVEL%\r\n",
            typed(&common::root()),
            typed(&exe)
        ),
    )
    .unwrap();
    let output = std::process::Command::new("cmd")
        .arg("/c")
        .arg(typed(&batch))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("ERRORLEVEL="))
        .unwrap_or_else(|| panic!("no ERRORLEVEL in {text:?}"))
        .to_string()
}

#[test]
fn exit_codes_as_errorlevel_sees_them() {
    let out = tempfile::tempdir().unwrap();
    let common_args = r"examples\contoso\configs --certs examples\contoso\certs --at 2026-11-24";
    let run = |extra: &str, name: &str| {
        errorlevel(&format!(
            "convert {common_args} {extra} --out \"{}\"",
            typed(&out.path().join(name))
        ))
    };
    assert_eq!(run("--domain contoso.com", "ok"), "0");
    assert_eq!(run("", "failed"), "1", "CAS04 fails without --domain");
    assert_eq!(run("--at not-a-date", "bad"), "2");
}
