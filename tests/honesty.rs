//! What convert tells the administrator, at the edges: every message once, causes before
//! what they caused.

mod common;

use common::{bin, write};

const ISSUER: &str = "CN=ContosoCA, DC=contoso, DC=com";

#[test]
fn an_unreadable_source_is_said_before_the_certificate_it_hid() {
    let dir = tempfile::tempdir().unwrap();
    // cas21's issuer and serial; its only source is a PFX given without its password.
    write(
        dir.path(),
        "collected/CAS21/web.config",
        common::web_config(&common::im_keys(
            "ocs.contoso.com",
            ISSUER,
            "4A0000000000000000000021",
        )),
    );
    let output = bin()
        .arg("convert")
        .arg(dir.path().join("collected"))
        .arg("--certs")
        .arg(common::root().join("tests/fixtures/sources/cas21-3des.pfx"))
        .arg(common::root().join("tests/fixtures/sources/contoso-ca.cer"))
        .args(["--at", "2027-01-01", "--out"])
        .arg(dir.path().join("out"))
        .env_remove("OWA_IM_MIGRATE_PFX_PASSWORD")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let password = text
        .find("error[source-unreadable]")
        .unwrap_or_else(|| panic!("{text}"));
    let not_found = text
        .find("error[cert-not-found]")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(password < not_found, "the cause comes first:\n{text}");
}

#[test]
fn the_summary_names_each_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let keys = "    <add key=\"IMPoolName\" value=\"a.contoso.com\" />\n    \
                <add key=\"IMPoolName\" value=\"b.contoso.com\" />\n    \
                <add key=\"IMCertificateIssuer\" value=\"CN=x\" />\n    \
                <add key=\"IMCertificateIssuer\" value=\"CN=ContosoCA, DC=contoso, DC=com\" />\n    \
                <add key=\"IMCertificateSerialNumber\" value=\"01\" />\n    \
                <add key=\"IMCertificateSerialNumber\" value=\"1F 5E DD 03 00 00 00 00 00 05\" />";
    write(dir.path(), "CAS01/web.config", common::web_config(keys));
    let output = bin()
        .args(["scan", "--strict"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.starts_with("CAS01")).unwrap();
    assert!(line.ends_with("failed          duplicate-key"), "{line:?}");
    assert_eq!(text.matches("error[duplicate-key]").count(), 3, "{text}");
}

#[test]
fn certs_that_give_no_certificate_stop_the_run_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "certs/readme.txt",
        "the certificates are on the share",
    );
    let pfx = std::fs::read(common::root().join("tests/fixtures/sources/cas21-3des.pfx")).unwrap();
    write(dir.path(), "certs/cas21.pfx", pfx);
    let out = dir.path().join("out");
    let output = bin()
        .args(["convert", "examples/contoso/configs", "--certs"])
        .arg(dir.path().join("certs"))
        .arg("--out")
        .arg(&out)
        .env_remove("OWA_IM_MIGRATE_PFX_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no certificate was read from --certs")
            && stderr.contains("2 files: 1 unreadable, 1 not certificates")
            && stderr.contains("OWA_IM_MIGRATE_PFX_PASSWORD"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn force_into_an_earlier_run_leaves_no_file_of_that_run_and_says_which_run_wrote_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("migration");
    let run = |extra: &[&str]| {
        common::convert_example()
            .args(["--server-map", "examples/contoso/server-map.csv"])
            .args(extra)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    run(&["--with", "plan", "--with", "per-server"]);
    assert!(out.join("CHANGE-PLAN.md").exists());
    // What running the scripts leaves beside them, and the administrator's own file.
    write(&out, "OwaInstantMessaging-state.xml", "<Objs/>");
    write(&out, "notes.txt", "change 4711");
    let output = run(&["--force", "--with", "verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for stale in [
        "CHANGE-PLAN.md",
        "CHANGE-PLAN.html",
        "Set-OwaInstantMessaging-CAS01.ps1",
    ] {
        assert!(
            !out.join(stale).exists(),
            "{stale} of the earlier run is still there"
        );
        assert!(
            stdout.contains(stale),
            "removing {stale} is said:\n{stdout}"
        );
    }
    for kept in [
        "OwaInstantMessaging-state.xml",
        "notes.txt",
        "Verify-OwaInstantMessaging.ps1",
    ] {
        assert!(out.join(kept).exists(), "{kept}");
    }
    let report = common::report(&out);
    let outputs: Vec<&str> = report["run"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(
        outputs,
        [
            "Set-OwaInstantMessaging.ps1",
            "Undo-OwaInstantMessaging.ps1",
            "report.json",
            "Verify-OwaInstantMessaging.ps1"
        ]
    );
    let command = report["run"]["command"].as_str().unwrap();
    assert!(
        command.contains("--at 2026-11-24") && command.contains("--with verify"),
        "{command}"
    );

    // A folder no run of this tool wrote into: files of the administrator's that only have
    // an output's name are not an earlier run's, and --force keeps them.
    let theirs = dir.path().join("theirs");
    write(&theirs, "CHANGE-PLAN.html", "board minutes");
    write(&theirs, "Set-OwaInstantMessaging-CAS09.ps1", "# mine");
    let output = common::convert_example()
        .args(["--force", "--out"])
        .arg(&theirs)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("Removed"), "{stdout}");
    for kept in ["CHANGE-PLAN.html", "Set-OwaInstantMessaging-CAS09.ps1"] {
        assert!(theirs.join(kept).exists(), "{kept} was removed");
    }
}

#[test]
fn the_plan_records_its_run_and_names_the_verification_script() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("migration");
    bin()
        .args([
            "convert",
            "examples/contoso/configs",
            "--certs",
            "examples/contoso/certs",
        ])
        .args([
            "--with",
            "plan",
            "--with",
            "verify",
            "--reproducible",
            "--out",
        ])
        .arg(&out)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    let plan = std::fs::read_to_string(out.join("CHANGE-PLAN.md")).unwrap();
    assert!(
        !plan.contains("not recorded"),
        "a time not recorded is not shown as one"
    );
    assert!(
        plan.contains("certificates checked at the time of the run"),
        "no --at: said"
    );
    assert!(
        plan.contains("Verify-OwaInstantMessaging.ps1"),
        "the verification script is named"
    );
}

#[test]
fn corrections_replace_a_value_without_touching_the_evidence_and_are_shown_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::root().join("examples/contoso/configs/CAS04/web.config");
    let before = std::fs::read(&config).unwrap();
    let corrections = write(
        dir.path(),
        "corrections.csv",
        format!(
            "{}CAS99,IMPoolName,x.contoso.com,J. Doe,no such server\r\n\
             CAS01,IMPoolName,y.contoso.com,J. Doe,\r\n\
             CAS02,IMPoolName,a.contoso.com,J. Doe,one\r\n\
             CAS02,IMPoolName,b.contoso.com,J. Doe,two\r\n",
            std::fs::read_to_string(common::root().join("examples/contoso/corrections.csv"))
                .unwrap()
        ),
    );
    let out = dir.path().join("out");
    let output = common::convert_example()
        .args(["--server-map", "examples/contoso/server-map.csv"])
        .arg("--corrections")
        .arg(&corrections)
        .args(["--with", "plan", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        std::fs::read(&config).unwrap(),
        before,
        "the collected file is never edited"
    );
    let report = common::report(&out);
    let cas04 = common::server(&report, "CAS04");
    assert_eq!(cas04["status"], "converted", "{cas04:#}");
    assert_eq!(cas04["sp1"]["server_name"], "naocs.contoso.com");
    assert_eq!(
        cas04["rtm"]["pool"], "naocs",
        "rtm keeps what the file says"
    );
    let correction = &cas04["corrections"][0];
    assert_eq!(correction["key"], "IMPoolName");
    assert_eq!(correction["original"], "naocs");
    assert_eq!(correction["value"], "naocs.contoso.com");
    assert_eq!(correction["by"], "J. Doe (messaging team)");
    assert_eq!(correction["line"], 2);
    assert!(
        text.lines()
            .any(|l| l.starts_with("CAS04") && l.contains("(corrected: IMPoolName)")),
        "{text}"
    );
    // A row for no server, and a row that does not say why, are said and not applied.
    let top: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {} line {}", d["code"], d["message"], d["line"]))
        .collect();
    assert!(
        top.iter()
            .any(|d| d.contains("CAS99") && d.contains("line 3")),
        "{top:#?}"
    );
    assert!(
        top.iter()
            .any(|d| d.contains("says who made it") && d.contains("line 4")),
        "{top:#?}"
    );
    // The administrator said a value of CAS01 is wrong: it is not changed with the file's
    // value instead, and neither is CAS02, which has two values for one key.
    for (name, said) in [("CAS01", "line 4"), ("CAS02", "line 5 gives one already")] {
        let server = common::server(&report, name);
        assert_eq!(server["status"], "failed", "{server:#}");
        let refused = common::diagnostic(server, "source-unreadable")["message"]
            .as_str()
            .unwrap();
        assert!(
            refused.contains(said) && refused.contains("not changed"),
            "{refused}"
        );
    }
    // The plan shows the correction beside the original value, with who and why.
    let plan = std::fs::read_to_string(out.join("CHANGE-PLAN.md")).unwrap();
    assert!(
        plan.contains("| IMPoolName | naocs | naocs.contoso.com | J. Doe (messaging team) |"),
        "{plan}"
    );
}
