//! Before and after the change: the collection script and the verification script.

mod common;

use common::{bin, read_script};

#[test]
fn the_collection_script_is_powershell_2_and_writes_only_under_should_process() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("collect");
    bin()
        .args(["collect-script", "--out"])
        .arg(&out)
        .assert()
        .success();
    let script = read_script(&out.join("Collect-OwaImInputs.ps1"));
    common::assert_powershell_2(&script);
    for write in ["Copy-Item", "Export-Clixml", "Export-Csv"] {
        assert!(
            common::assert_guarded(&script, write) > 0,
            "{write} not found"
        );
    }
    // It reads what the issue names, and writes the layout convert reads.
    for needed in [
        "MsiInstallPath",
        "IsClientAccessServer",
        "Get-ExchangeCertificate",
        "Get-OwaVirtualDirectory",
        "certificates.clixml",
        "owa-virtual-directories.csv",
        "server-map.csv",
    ] {
        assert!(script.contains(needed), "{needed} missing");
    }
    insta::assert_snapshot!("collect_script", script.replace("\r\n", "\n"));
    // A second run into the same folder is refused, as for convert.
    bin()
        .args(["collect-script", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    // JSON on stdout is JSON only.
    let json = bin()
        .args(["--format", "json", "collect-script", "--out"])
        .arg(dir.path().join("j"))
        .output()
        .unwrap();
    let value: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("only JSON on stdout");
    assert!(value["written"][0]
        .as_str()
        .unwrap()
        .ends_with("Collect-OwaImInputs.ps1"));
}

#[test]
fn the_verification_script_reads_every_identity_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    bin()
        .args([
            "convert",
            "tests/fixtures/collected",
            "--certs",
            "tests/fixtures/collected",
        ])
        .args([
            "--server-map",
            "tests/fixtures/collected/server-map.csv",
            "--at",
            "2026-11-24",
            "--with",
            "verify",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(1);
    let script = read_script(&out.join("Verify-OwaInstantMessaging.ps1"));
    common::assert_powershell_2(&script);
    assert!(
        common::pwsh::commands_named(&script, "Set-OwaVirtualDirectory").is_empty(),
        "verify must not change anything"
    );
    // One literal check per identity the change sets, with the values it sets.
    let mut checked: Vec<(String, (String, String))> =
        common::pwsh::commands_named(&script, "Test-ImVirtualDirectory")
            .iter()
            .map(|c| {
                let literal = |name: &str| match c.param(name) {
                    Some(common::pwsh::ArgValue::Literal(v)) => v.clone(),
                    other => panic!("line {}: {name} is {other:?}", c.line),
                };
                (
                    literal("-Identity"),
                    (literal("-ServerName"), literal("-Thumbprint")),
                )
            })
            .collect();
    checked.sort();
    let change = common::set_commands(&read_script(&out.join("Set-OwaInstantMessaging.ps1")));
    assert_eq!(checked, change.into_iter().collect::<Vec<_>>());
    insta::assert_snapshot!("verify_script", script.replace("\r\n", "\n"));
}
