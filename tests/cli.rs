//! The command line as an administrator types it: exit statuses, refusals, resolve, templates.

mod common;

use common::{bin, root};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

#[test]
fn a_missing_certs_path_stops_the_run_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("migration");
    bin()
        .args([
            "convert",
            "examples/contoso/configs",
            "--certs",
            "examples/contoso/no-such-folder",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(
            "cannot read certificate file or folder examples/contoso/no-such-folder",
        ));
    assert!(
        !out.exists(),
        "--out was created by a run that could not start"
    );
}

#[test]
fn missing_configs_and_bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    bin()
        .args([
            "convert",
            "nowhere",
            "--certs",
            "examples/contoso/certs",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2);
    bin()
        .args(["scan", "examples/contoso/certs"])
        .assert()
        .code(2)
        .stderr(contains("no web.config file found"));
    bin()
        .args(["convert", "examples/contoso/configs", "--at", "24/11/2026"])
        .args(["--certs", "examples/contoso/certs", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("YYYY-MM-DD"));
    // scan reads no certificate: a date to check them at is accepted (a command line written
    // for convert still runs), said to have no effect, and not offered in its help.
    bin()
        .args(["scan", "examples/contoso/configs", "--at", "2026-11-24"])
        .assert()
        .stdout(contains("CAS01"))
        .stderr(contains("--at has no effect on scan"));
    bin()
        .args(["scan", "--help"])
        .assert()
        .stdout(predicates::str::contains("--at").not());
    // An issuer or serial that is not one is a usage error, like every other: exit 2, and
    // with --format json, nothing but the JSON (on stdout).
    for (issuer, serial) in [
        ("CN=ContosoCA, DC=contoso, DC=com", "zz"),
        ("not a name", "1F 5E DD 03 00 00 00 00 00 05"),
    ] {
        let output = bin()
            .args(["resolve", "--issuer", issuer, "--serial", serial])
            .args(["--certs", "examples/contoso/certs", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{serial}");
        assert!(
            output.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(answer["status"], "invalid");
    }
    bin()
        .args(["convert", "examples/contoso/configs", "--out"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("--certs"));
    // A mistyped --domain is the command line's mistake, said as one: not a pool-invalid on
    // every single-label pool, with the outputs written.
    for domain in ["contoso com", "", "contoso..com"] {
        common::convert_example()
            .args(["--domain", domain, "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains("is not a DNS suffix").and(contains("pool-invalid").not()));
    }
    bin()
        .args([
            "scan",
            "examples/contoso/configs",
            "--server-map",
            "nowhere.csv",
        ])
        .assert()
        .code(2);
    assert!(!out.exists());
}

#[test]
fn resolve_prints_the_thumbprint_alone_on_stdout() {
    let expected = common::independent_sha1(
        &common::certificate_ders(&root().join("examples/contoso/certs/cas01.cer"))[0],
    );
    bin()
        .args([
            "resolve",
            "--issuer",
            "CN=ContosoCA, DC=contoso, DC=com",
            "--serial",
            "1F 5E DD 03 00 00 00 00 00 05",
        ])
        .args(["--certs", "examples/contoso/certs", "--at", "2026-11-24"])
        .assert()
        .success()
        .stdout(format!("{expected}\n"))
        .stderr(contains("CN=cas01.contoso.com"));
}

#[test]
fn resolve_accepts_every_written_form_with_the_right_warning() {
    let expected = common::independent_sha1(
        &common::certificate_ders(&root().join("examples/contoso/certs/cas01.cer"))[0],
    );
    let cases = [
        (
            "/DC=com/DC=contoso/CN=ContosoCA",
            "1f:5e:dd:03:00:00:00:00:00:05",
            Some("issuer-inexact"),
        ),
        (
            "DC = com, DC = contoso, CN = ContosoCA",
            "001F5EDD03000000000005",
            Some("issuer-inexact"),
        ),
        (
            "cn=contosoca,dc=contoso,dc=com",
            "1F-5E-DD-03-00-00-00-00-00-05",
            Some("issuer-inexact"),
        ),
        (
            "CN=ContosoCA, DC=contoso, DC=com",
            "05 00 00 00 00 00 03 DD 5E 1F",
            Some("serial-byte-order"),
        ),
        (
            "CN=ContosoCA, DC=contoso, DC=com",
            "\u{200E}1F 5E DD 03 00 00 00 00 00 05",
            Some("hidden-characters"),
        ),
        (
            "CN=ContosoCA, DC=contoso, DC=com ",
            "1F5EDD03000000000005",
            Some("issuer-inexact"),
        ),
        (
            "CN=ContosoCA, DC=contoso, DC=com",
            "1F5EDD03000000000005",
            None,
        ),
    ];
    for (issuer, serial, warning) in cases {
        let output = bin()
            .args([
                "resolve", "--format", "json", "--issuer", issuer, "--serial", serial,
            ])
            .args(["--certs", "examples/contoso/certs", "--at", "2026-11-24"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{issuer} / {serial}");
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(answer["status"], "found");
        assert_eq!(answer["thumbprint"], expected.as_str());
        let codes: Vec<&str> = answer["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        match warning {
            Some(code) => assert_eq!(codes, [code], "{issuer} / {serial}"),
            None => assert!(codes.is_empty(), "{codes:?}"),
        }
    }
}

#[test]
fn resolve_not_found_names_the_nearest_candidates() {
    let output = bin()
        .args([
            "resolve",
            "--format",
            "json",
            "--issuer",
            "CN=ContosoCA, DC=contoso, DC=com",
            "--serial",
            "1F 5E DD 03 00 00 00 00 00 04",
        ])
        .args(["--certs", "examples/contoso/certs", "--at", "2026-11-24"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["status"], "not_found");
    let message = answer["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("CN=cas01.contoso.com"), "{message}");
    assert!(message.contains("differs in 1 digit"), "{message}");
}

#[test]
fn templates_list_and_show() {
    bin().args(["templates", "list"]).assert().success().stdout(
        contains("sp1")
            .and(contains("Set-OwaInstantMessaging.ps1"))
            .and(contains("undo")),
    );
    let shown = bin().args(["templates", "show", "sp1"]).output().unwrap();
    assert!(shown.status.success());
    assert_eq!(
        shown.stdout,
        std::fs::read(root().join("templates/sp1.ps1.hbs")).unwrap()
    );
    bin()
        .args(["templates", "show", "nope"])
        .assert()
        .code(2)
        .stderr(contains("templates list"));
    // --format json, for machines: the same list, and a template with its text.
    let listed = bin()
        .args(["--format", "json", "templates", "list"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let sp1 = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "sp1")
        .unwrap();
    assert_eq!(sp1["output"], "Set-OwaInstantMessaging.ps1");
    assert_eq!(sp1["kind"], "PowerShell");
    let shown = bin()
        .args(["templates", "show", "sp1", "--format", "json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(
        shown["source"].as_str().unwrap().as_bytes(),
        std::fs::read(root().join("templates/sp1.ps1.hbs")).unwrap()
    );
}

/// The change script `convert` writes for the example organisation with `template` (the
/// template's text) as `--template FILE`; it must parse as PowerShell.
fn change_script_with_template(template: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let template = common::write(dir.path(), "mine.ps1.hbs", template);
    let out = dir.path().join("m");
    common::convert_example()
        .arg("--template")
        .arg(&template)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    common::pwsh::assert_parses(&script);
    script
}

#[test]
fn a_user_template_replaces_the_change_script() {
    let script = change_script_with_template(
        "{{#each servers}}Write-Host {{server}} {{rtm.issuer}}\n{{/each}}",
    );
    let hosts = common::pwsh::commands_named(&script, "Write-Host");
    assert_eq!(hosts.len(), 3);
    assert_eq!(
        hosts[2].args[1],
        common::pwsh::Arg::Value(common::pwsh::ArgValue::Literal(
            "DC=com, DC=contoso, CN=ContosoCA".into()
        ))
    );
}

#[test]
fn a_user_template_may_include_the_built_ins() {
    let script = change_script_with_template(
        "# Change CHG0042: check first, then the usual functions\n{{> verify}}\n{{> common tool}}\n",
    );
    assert!(script.starts_with("# Change CHG0042"), "{script}");
    assert!(
        !common::pwsh::commands_named(&script, "Get-OwaVirtualDirectory").is_empty(),
        "the verify built-in was not included"
    );
}

/// A user template that fails only as it renders (a helper that does not exist) stops the
/// run with exit 2, names the user's file, and leaves nothing: not even the `--out` folder,
/// nor the folders above it that the run made.
#[test]
fn a_user_template_that_fails_to_render_leaves_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let template = common::write(
        dir.path(),
        "broken.ps1.hbs",
        "{{#each servers}}{{no-such-helper server}}{{/each}}\n",
    );
    let out = dir.path().join("changes").join("m");
    let output = common::convert_example()
        .arg("--template")
        .arg(&template)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken.ps1.hbs"), "{stderr}");
    assert!(!out.exists(), "--out was left behind");
    assert!(
        !out.parent().unwrap().exists(),
        "the folder above --out was left behind"
    );
}

#[test]
fn quiet_prints_only_errors_and_help_has_examples() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .args([
            "--quiet",
            "convert",
            "examples/contoso/configs",
            "--certs",
            "examples/contoso/certs",
            "--at",
            "2026-11-24",
            "--out",
        ])
        .arg(dir.path().join("m"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("error[pool-not-fqdn]"), "{stderr}");
    assert!(!stderr.contains("warning["), "{stderr}");
    bin()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("Examples:").and(contains("convert")));
}

#[test]
fn scan_summarises_without_certificates() {
    bin()
        .args(["scan", "examples/contoso/configs"])
        .assert()
        .code(1)
        .stdout(contains(
            "5 web.config files: 3 configured, 1 not configured, 1 failed, 5 warnings.",
        ));
}

#[test]
fn resolve_fails_an_expired_certificate_but_still_names_it() {
    let expired = "tests/fixtures/certs/cas03-expired.cer";
    for at in ["2027-01-01", "9999-12-20"] {
        let output = bin()
            .args(["resolve", "--issuer", "CN=ContosoCA, DC=contoso, DC=com"])
            .args([
                "--serial",
                "1F 5E DD 03 00 00 00 00 00 07",
                "--certs",
                expired,
                "--at",
                at,
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "at {at}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("error[cert-expired]"), "{stderr}");
        assert_eq!(output.stdout.len(), 41, "the thumbprint is still shown");
    }
}

#[test]
fn no_next_step_is_offered_when_nothing_converted() {
    let dir = tempfile::tempdir().unwrap();
    // CAS04 alone fails (its single-label pool, without --domain): nothing converts.
    let output = bin()
        .args([
            "convert",
            "examples/contoso/configs/CAS04/web.config",
            "--server-map",
            "examples/contoso/server-map.csv",
            "--certs",
            "examples/contoso/certs",
            "--at",
            "2026-11-24",
            "--out",
        ])
        .arg(dir.path().join("m"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("run it with -WhatIf"), "{stdout}");
    assert!(
        stdout.contains("Nothing to change: no server converted."),
        "{stdout}"
    );
    // No server had IM at all: nothing failed, and the message says why nothing changes
    // instead of pointing at messages that are not shown.
    let configs = dir.path().join("configs/CAS09/web.config");
    std::fs::create_dir_all(configs.parent().unwrap()).unwrap();
    std::fs::write(
        &configs,
        "<configuration><appSettings><add key=\"OwaVersion\" value=\"14.0\" /></appSettings></configuration>",
    )
    .unwrap();
    let output = bin()
        .arg("convert")
        .arg(dir.path().join("configs"))
        .args(["--certs", "examples/contoso/certs", "--out"])
        .arg(dir.path().join("n"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("no server had OWA instant messaging to migrate")
            && !stdout.contains("messages above"),
        "{stdout}"
    );
}

/// A PEM bundle saved by Windows PowerShell's `>` or `Out-File` (UTF-16 LE with a byte
/// order mark, CRLF) is read as PEM, under a certificate extension or not.
#[test]
fn a_pem_file_in_utf16_is_read() {
    let pem = std::fs::read_to_string(root().join("examples/contoso/certs/cas04-cas05.pem"))
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    let expected = common::independent_sha1(
        &common::certificate_ders(&root().join("examples/contoso/certs/cas04-cas05.pem"))[0],
    );
    let dir = tempfile::tempdir().unwrap();
    for name in ["bundle.pem", "bundle.txt"] {
        let file = common::write(dir.path(), name, common::utf16le(&pem));
        bin()
            .args(["resolve", "--issuer", "CN=ContosoCA, DC=contoso, DC=com"])
            .args([
                "--serial",
                "3C7B91D5000000000008",
                "--at",
                "2026-11-24",
                "--certs",
            ])
            .arg(&file)
            .assert()
            .success()
            .stdout(format!("{expected}\n"));
    }
}

/// SPEC 2: a user template can replace any built-in: `--template NAME=FILE`, here the undo
/// script's, while the change script stays the built-in. A built-in name that is not the
/// change script's, alone, says how to replace it; a name that is no built-in says so.
#[test]
fn any_built_in_is_replaced_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let undo = common::write(
        dir.path(),
        "undo.ps1.hbs",
        "# Restore by hand, change CHG0042\n{{#each servers}}Write-Host {{server}}\n{{/each}}",
    );
    let out = dir.path().join("m");
    common::convert_example()
        .arg("--template")
        .arg(format!("undo={}", undo.display()))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let undone = common::read_script(&out.join("Undo-OwaInstantMessaging.ps1"));
    assert!(
        undone.starts_with("# Restore by hand, change CHG0042"),
        "{undone}"
    );
    common::pwsh::assert_parses(&undone);
    assert_eq!(common::pwsh::commands_named(&undone, "Write-Host").len(), 3);
    let change = std::fs::read(out.join("Set-OwaInstantMessaging.ps1")).unwrap();
    assert!(!String::from_utf8_lossy(&change).contains("CHG0042"));
    let report = common::report(&out);
    assert!(
        report["run"]["command"]
            .as_str()
            .unwrap()
            .contains("--template undo="),
        "{:#}",
        report["run"]
    );

    for (given, said) in [
        ("verify".to_string(), "--template verify=FILE".to_string()),
        (
            format!("nope={}", undo.display()),
            "no built-in template 'nope'".to_string(),
        ),
    ] {
        let out = dir.path().join("n");
        common::convert_example()
            .args(["--template", &given, "--out"])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains(said.as_str()));
        assert!(!out.exists(), "{given}");
    }
    // A replacement is a user's template like any: no value written unescaped.
    let raw = common::write(
        dir.path(),
        "raw.hbs",
        "{{#each servers}}{{{server}}}{{/each}}",
    );
    common::convert_example()
        .arg("--template")
        .arg(format!("plan-md={}", raw.display()))
        .args(["--with", "plan", "--out"])
        .arg(dir.path().join("r"))
        .assert()
        .code(2)
        .stderr(contains("raw.hbs").and(contains("unescaped")));
    // One that would change nothing (the plan is not written), or a second for one output,
    // is refused rather than passed over.
    let plan = common::write(dir.path(), "plan.md.hbs", "# Plan\n");
    let change = common::write(dir.path(), "change.ps1.hbs", "# Change\n");
    for (extra, said) in [
        (
            vec![format!("plan-md={}", plan.display())],
            "does not write 'plan-md'",
        ),
        (
            vec![
                change.display().to_string(),
                format!("sp1={}", change.display()),
            ],
            "already replaces 'sp1'",
        ),
    ] {
        let mut run = common::convert_example();
        for given in &extra {
            run.args(["--template", given]);
        }
        run.arg("--out")
            .arg(dir.path().join("p"))
            .assert()
            .code(2)
            .stderr(contains(said));
    }
    // A template file whose own name has a '=' in it is still the change script's template.
    let odd = common::write(dir.path(), "change=mine.ps1.hbs", "# Mine\n");
    common::convert_example()
        .arg("--template")
        .arg(&odd)
        .arg("--out")
        .arg(dir.path().join("q"))
        .assert()
        .code(1);
    let mine = common::read_script(&dir.path().join("q/Set-OwaInstantMessaging.ps1"));
    assert!(mine.starts_with("# Mine"), "{mine}");
}

/// SPEC 8: an expired certificate's renewal (same subject, later notAfter, in the sources)
/// is proposed by name, with the serial to give in --corrections.
#[test]
fn an_expired_certificate_proposes_its_renewal() {
    let renewal = common::independent_sha1(
        &common::certificate_ders(&root().join("examples/contoso/certs/cas01.cer"))[0],
    );
    let output = bin()
        .args(["resolve", "--issuer", "CN=ContosoCA, DC=contoso, DC=com"])
        .args(["--serial", "6B0F2A1C000000000002", "--at", "2026-11-24"])
        .args(["--certs", "examples/contoso/certs"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error[cert-expired]")
            && stderr.contains("Its renewal is in --certs")
            && stderr.contains(&renewal)
            && stderr.contains("--corrections"),
        "{stderr}"
    );
    // Checked at a date when the renewal has expired too, it is not offered.
    let output = bin()
        .args(["resolve", "--issuer", "CN=ContosoCA, DC=contoso, DC=com"])
        .args(["--serial", "6B0F2A1C000000000002", "--at", "2040-01-01"])
        .args(["--certs", "examples/contoso/certs"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("Its renewal"), "{stderr}");
}

/// A message quotes at most 120 characters of a value the administrator wrote: a pasted
/// 5,000-character issuer does not make a 5,000-character line.
#[test]
fn a_very_long_value_is_quoted_shortened() {
    let issuer = format!("CN={}", "A".repeat(5000));
    let output = bin()
        .args([
            "resolve",
            "--issuer",
            &issuer,
            "--serial",
            &"1F".repeat(2000),
        ])
        .args(["--certs", "examples/contoso/certs", "--at", "2026-11-24"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let said = stderr
        .lines()
        .find(|l| l.contains("cert-not-found"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(said.len() < 2000, "{} characters: {said}", said.len());
}
