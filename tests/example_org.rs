//! The bundled example organisation, end to end: what an administrator sees.

mod common;

use std::path::Path;

use common::{bin, codes, independent_sha1, report, server};

const CONFIGS: &str = "examples/contoso/configs";
const CERTS: &str = "examples/contoso/certs";

fn convert_command(out: &Path) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.args([
        "convert",
        CONFIGS,
        "--certs",
        CERTS,
        "--at",
        "2026-11-24",
        "--out",
    ])
    .arg(out);
    cmd
}

fn convert(out: &Path) -> assert_cmd::assert::Assert {
    convert_command(out).assert()
}

fn thumbprint_of(file: &str, block: usize) -> String {
    let ders = common::certificate_ders(&common::root().join(CERTS).join(file));
    independent_sha1(&ders[block])
}

#[test]
fn converts_every_configured_server_and_fails_the_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("migration");
    // CAS04's single-label pool fails: exit 1, the others are still written.
    convert(&out).code(1);
    let r = report(&out);
    assert_eq!(r["schema"], 1);
    assert_eq!(r["tool"]["name"], "owa-im-migrate");
    assert_eq!(r["summary"]["configs"], 5);
    assert_eq!(r["summary"]["converted"], 3);
    assert_eq!(r["summary"]["not_configured"], 1);
    assert_eq!(r["summary"]["failed"], 1);

    let expected = [
        ("CAS01", thumbprint_of("cas01.cer", 0)),
        ("CAS02", thumbprint_of("cas02.crt", 0)),
        ("CAS05", thumbprint_of("cas04-cas05.pem", 1)),
    ];
    for (name, thumbprint) in &expected {
        let s = server(&r, name);
        assert_eq!(s["status"], "converted", "{name}");
        assert_eq!(s["sp1"]["server_name"], "naocs.contoso.com");
        assert_eq!(s["sp1"]["thumbprint"], thumbprint.as_str(), "{name}");
        assert_eq!(s["certificate"]["thumbprint"], thumbprint.as_str());
        assert_eq!(
            s["certificate"]["issuer"],
            "CN=ContosoCA, DC=contoso, DC=com"
        );
        assert_eq!(s["identity"], format!("{name}\\owa (Default Web Site)"));
    }
    assert_eq!(server(&r, "CAS01")["diagnostics"], serde_json::json!([]));
    assert_eq!(codes(server(&r, "CAS02")), ["im-port-number"]);
    let cas05 = codes(server(&r, "CAS05"));
    for code in ["duplicate-key", "hidden-characters", "issuer-inexact"] {
        assert!(cas05.contains(&code.to_string()), "{cas05:?}");
    }
    let cas03 = server(&r, "CAS03");
    assert_eq!(cas03["status"], "not_configured");
    assert_eq!(codes(cas03), ["im-not-configured"]);
    let cas04 = server(&r, "CAS04");
    assert_eq!(cas04["status"], "failed");
    assert_eq!(codes(cas04), ["pool-not-fqdn"]);
    assert_eq!(cas04["sp1"], serde_json::Value::Null);
    assert_eq!(cas04["diagnostics"][0]["line"], 82);
    assert_eq!(
        cas04["diagnostics"][0]["file"],
        "examples/contoso/configs/CAS04/web.config"
    );

    // The change script: valid PowerShell 2.0, one literal Set per converted server.
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    common::assert_powershell_2(&script);
    let sets = common::set_commands(&script);
    let expected_sets: Vec<(String, (String, String))> = expected
        .iter()
        .map(|(name, t)| {
            (
                format!("{name}\\owa (Default Web Site)"),
                ("naocs.contoso.com".to_string(), t.clone()),
            )
        })
        .collect();
    assert_eq!(sets.into_iter().collect::<Vec<_>>(), expected_sets);
    let undo = common::read_script(&out.join("Undo-OwaInstantMessaging.ps1"));
    common::assert_powershell_2(&undo);
}

#[test]
fn every_change_is_guarded_by_should_process() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    convert(&out).code(1);
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    assert!(script.contains("[CmdletBinding(SupportsShouldProcess = $true)]"));
    // Each state-changing statement sits in the body of its own ShouldProcess check.
    for name in [
        "Set-OwaInstantMessaging.ps1",
        "Undo-OwaInstantMessaging.ps1",
    ] {
        let script = common::read_script(&out.join(name));
        let set = if name.starts_with("Undo") {
            "Set-OwaVirtualDirectory @parameters"
        } else {
            "Set-OwaVirtualDirectory -Identity"
        };
        for changing in [
            set,
            "Invoke-ImChange -Server",
            "Export-Clixml",
            "& iisreset.exe",
            "$pool.Recycle()",
        ] {
            assert!(
                common::assert_guarded(&script, changing) > 0,
                "{name}: {changing} not found"
            );
        }
        assert!(common::assert_changes_guarded(&script) >= 5, "{name}");
    }
}

#[test]
fn scripts_and_report_match_their_reviewed_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    convert(&out).code(1);
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    insta::assert_snapshot!("example_set_script", script.replace("\r\n", "\n"));
    let undo = common::read_script(&out.join("Undo-OwaInstantMessaging.ps1"));
    insta::assert_snapshot!("example_undo_script", undo.replace("\r\n", "\n"));
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    insta::assert_snapshot!("example_report", report);
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    convert(&a).code(1);
    convert(&b).code(1);
    for name in [
        "Set-OwaInstantMessaging.ps1",
        "Undo-OwaInstantMessaging.ps1",
        "report.json",
    ] {
        assert_eq!(
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn inputs_are_untouched_and_a_second_run_into_the_same_out_changes_nothing() {
    let inputs = common::root().join("examples/contoso");
    let before = common::snapshot_tree(&inputs);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    convert(&out).code(1);
    assert_eq!(
        common::snapshot_tree(&inputs),
        before,
        "an input file changed"
    );
    let written = common::snapshot_tree(&out);
    assert_eq!(written.len(), 3);
    convert(&out)
        .code(2)
        .stderr(predicates::str::contains("is not empty"));
    assert_eq!(
        common::snapshot_tree(&out),
        written,
        "the refused run changed --out"
    );
    // --force replaces the tool's files and keeps everything else.
    std::fs::write(out.join("OwaInstantMessaging-state-20261124.xml"), "state").unwrap();
    convert_command(&out).arg("--force").assert().code(1);
    assert_eq!(
        std::fs::read(out.join("OwaInstantMessaging-state-20261124.xml")).unwrap(),
        b"state"
    );
}

#[test]
fn json_on_stdout_is_the_report_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    let assert = convert_command(&out)
        .args(["--format", "json"])
        .assert()
        .code(1);
    let stdout: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("stdout is one JSON document");
    assert_eq!(stdout, report(&out));
}

#[test]
fn the_text_summary_names_every_server_and_the_failure() {
    let dir = tempfile::tempdir().unwrap();
    let assert = convert(&dir.path().join("m")).code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    for expected in [
        "CAS01",
        "CAS02",
        "CAS03  not configured",
        "CAS04  failed          pool-not-fqdn",
        "CAS05",
        "error[pool-not-fqdn] examples/contoso/configs/CAS04/web.config:82:",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
}

#[test]
fn the_guard_check_itself_catches_an_unguarded_change() {
    let unguarded =
        "if (-not $PSCmdlet.ShouldProcess('x', 'y')) { return }\r\nExport-Clixml -Path 'a'\r\n";
    assert!(
        std::panic::catch_unwind(|| common::assert_guarded(unguarded, "Export-Clixml")).is_err()
    );
    let negated = "if (-not $PSCmdlet.ShouldProcess('x', 'y')) { Export-Clixml -Path 'a' }\r\n";
    assert!(std::panic::catch_unwind(|| common::assert_guarded(negated, "Export-Clixml")).is_err());
    let in_else = "if ($PSCmdlet.ShouldProcess('x', 'y')) { } else { Export-Clixml -Path 'a' }\r\n";
    assert!(std::panic::catch_unwind(|| common::assert_guarded(in_else, "Export-Clixml")).is_err());
    let guarded = "# Export-Clixml in a comment\r\nif ($PSCmdlet.ShouldProcess('x', 'y')) { Export-Clixml -Path 'a' }\r\n";
    assert_eq!(common::assert_guarded(guarded, "Export-Clixml"), 1);
}
