//! The change, undo and verification scripts run in a real PowerShell against a simulated
//! Exchange 2010 SP1 organisation (tests/ps/SimulatedExchange.psm1), with assertions on the
//! organisation afterwards. See tests/common/exchange.rs for how PowerShell is found.

mod common;

use common::exchange::{defaults, im_values, Organization, Param, Simulation};
use serde_json::{json, Value};

const SET: &str = "Set-OwaInstantMessaging.ps1";
const UNDO: &str = "Undo-OwaInstantMessaging.ps1";
const VERIFY: &str = "Verify-OwaInstantMessaging.ps1";
const SP2: &str = "Set-OwaCrossSiteRedirect.ps1";
const EXCHANGE2013: &str = "Set-OwaInstantMessaging-Exchange2013.ps1";

const CAS01: &str = "CAS01\\owa (Default Web Site)";
const CAS02: &str = "CAS02\\owa (Default Web Site)";
const CAS04: &str = "CAS04\\owa (Default Web Site)";
const CAS05: &str = "CAS05\\owa (Default Web Site)";
const CAS05_BACK_END: &str = "CAS05\\owa (Exchange Back End)";
const POOL: &str = "naocs.contoso.com";

/// The scripts for the collected Contoso folder, CAS04's pool qualified with `--domain`: CAS01,
/// CAS04 and CAS05 (two virtual directories) will change, CAS02 is already set, CAS03 had no IM.
fn collected(
    test: &str,
    edit: impl FnOnce(Organization) -> Organization,
) -> Option<(Simulation, Value)> {
    collected_with(test, &["--domain", "contoso.com"], edit)
}

fn collected_with(
    test: &str,
    extra: &[&str],
    edit: impl FnOnce(Organization) -> Organization,
) -> Option<(Simulation, Value)> {
    let pwsh = common::exchange::powershell(test)?;
    let out = tempfile::tempdir().expect("temporary folder");
    let out_path = out.path().join("out");
    common::bin()
        .args([
            "convert",
            "tests/fixtures/collected",
            "--certs",
            "tests/fixtures/collected",
            "--server-map",
            "tests/fixtures/collected/server-map.csv",
            "--at",
            "2026-11-24",
            "--with",
            "verify",
            "--with",
            "per-server",
            "--with",
            "sp2-cross-site",
            "--with",
            "exchange2013",
            "--out",
        ])
        .arg(&out_path)
        .args(extra)
        .assert()
        .code(predicates::ord::lt(2));
    let report = common::report(&out_path);
    // What runs here must also run in the Exchange 2010 shell: nothing newer than PowerShell
    // 2.0, and strict mode 2.0 on from the start.
    for entry in std::fs::read_dir(&out_path).expect("readable") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "ps1") {
            let script = common::read_script(&path);
            common::assert_powershell_2(&script);
            assert!(
                script.contains("\r\nSet-StrictMode -Version 2.0\r\n"),
                "{}",
                path.display()
            );
        }
    }
    let sim = Simulation::new(pwsh, &edit(Organization::from_report(&report)));
    copy_dir(&out_path, &sim.out());
    Some((sim, report))
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copied");
    }
}

fn thumbprint(report: &Value, server: &str) -> String {
    common::server(report, server)["sp1"]["thumbprint"]
        .as_str()
        .expect("thumbprint")
        .to_string()
}

/// Every file the scripts wrote beside themselves (state, transcripts, evidence).
fn written(sim: &Simulation) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(sim.out())
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".ps1") && name != "report.json")
        .collect();
    names.sort();
    names
}

#[test]
fn what_if_changes_nothing_and_writes_nothing() {
    let Some((sim, _)) = collected("what_if_changes_nothing_and_writes_nothing", |o| o) else {
        return;
    };
    let before = sim.org();
    let run = sim.run(SET, &[Param::Switch("WhatIf")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(sim.sets().is_empty(), "{}", run.output);
    assert!(sim.restarted().is_empty(), "{}", run.output);
    assert_eq!(
        sim.org()["VirtualDirectories"],
        before["VirtualDirectories"]
    );
    assert_eq!(written(&sim), Vec::<String>::new(), "{}", run.output);
    assert!(run.output.contains("What if"), "{}", run.output);
}

#[test]
fn a_run_sets_exactly_the_planned_values_and_restarts_each_changed_server_once() {
    // CAS05 already runs SP2 (14.2): SP1 or later is what counts. A mailbox policy turns IM off
    // for its users, whatever the virtual directories say: the script says so, and changes it not.
    let Some((sim, report)) = collected("a_run_sets_exactly_the_planned_values", |o| {
        o.server("CAS05", "Version", json!("14.2"))
            .server("CAS05", "Build", json!("247.5"))
            .mailbox_policy("Contractors", false)
    }) else {
        return;
    };
    let policies = sim.org()["MailboxPolicies"].clone();
    let run = sim.run(SET, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(
        run.output
            .contains("OWA mailbox policy Contractors has InstantMessagingEnabled False"),
        "{}",
        run.output
    );
    assert_eq!(sim.org()["MailboxPolicies"], policies);
    let mut sets = sim.sets();
    sets.sort();
    assert_eq!(sets, [CAS01, CAS04, CAS05, CAS05_BACK_END]);
    for (identity, server) in [
        (CAS01, "CAS01"),
        (CAS04, "CAS04"),
        (CAS05, "CAS05"),
        (CAS05_BACK_END, "CAS05"),
    ] {
        assert_eq!(
            sim.values(identity),
            im_values(POOL, &thumbprint(&report, server)),
            "{identity}"
        );
    }
    assert_eq!(
        sim.values(CAS02),
        im_values(POOL, &thumbprint(&report, "CAS02"))
    );
    assert_eq!(sim.restarted(), ["CAS01", "CAS04", "CAS05"]);
    // One at a time: each restart ends before the next begins.
    let org = sim.org();
    let restarts: Vec<&Value> = org["Events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["Kind"] == "RestartBegin" || e["Kind"] == "RestartEnd")
        .collect();
    for pair in restarts.chunks(2) {
        assert_eq!(pair[0]["Kind"], "RestartBegin");
        assert_eq!(pair[1]["Kind"], "RestartEnd");
        assert_eq!(pair[0]["Server"], pair[1]["Server"]);
    }
}

/// The four virtual directories the change sets hold Exchange's defaults again after `undo`.
fn assert_changed_ones_back_to_defaults(sim: &Simulation, undo: &common::exchange::Run) {
    for identity in [CAS01, CAS04, CAS05, CAS05_BACK_END] {
        assert_eq!(
            sim.values(identity),
            defaults(),
            "{identity}:\n{}",
            undo.output
        );
    }
}

/// The state files the change script left beside itself.
fn state_files(sim: &Simulation) -> Vec<String> {
    written(sim)
        .into_iter()
        .filter(|name| name.starts_with("OwaInstantMessaging-state"))
        .collect()
}

/// For every server, whether a completed restart came after its last change at or after
/// `clock` (the simulated clock when the values reached the domain controller it reads from).
fn restarted_after(sim: &Simulation, server: &str, clock: i64) -> bool {
    sim.events("RestartEnd")
        .iter()
        .any(|e| e["Server"] == server && e["Clock"].as_i64().unwrap_or(-1) >= clock)
}

fn last_set_clock(sim: &Simulation, server: &str) -> i64 {
    sim.events("Set")
        .iter()
        .filter(|e| e["Server"] == server)
        .filter_map(|e| e["Clock"].as_i64())
        .max()
        .unwrap_or_else(|| panic!("{server} was never set"))
}

#[test]
fn finding1_a_rerun_restarts_what_an_interrupted_run_changed() {
    // The session dies right after CAS04's change, before any restart.
    let Some((sim, report)) = collected("finding1_interrupted", |o| {
        o.dies_after("Set-OwaVirtualDirectory", "CAS04")
    }) else {
        return;
    };
    let first = sim.run(SET, &[]);
    assert_eq!(
        first.code, 254,
        "the session should have died:\n{}",
        first.output
    );
    assert!(sim.restarted().is_empty());
    assert_eq!(
        sim.values(CAS04),
        im_values(POOL, &thumbprint(&report, "CAS04"))
    );

    let second = sim.run(SET, &[]);
    assert_eq!(second.code, 0, "{}", second.output);
    // CAS01 and CAS04 were changed by the first run, CAS05 by this one: each restarted once.
    assert_eq!(
        sim.restarted(),
        ["CAS01", "CAS04", "CAS05"],
        "{}",
        second.output
    );
    let third = sim.run(SET, &[]);
    assert_eq!(third.code, 0, "{}", third.output);
    assert_eq!(
        sim.restarted(),
        ["CAS01", "CAS04", "CAS05"],
        "a converged run restarts nothing"
    );
}

#[test]
fn finding1_servers_restart_only_once_the_values_reached_their_domain_controller() {
    // CAS04 and CAS05 are in Lyon and read from dc02, which replicates from dc01 after 900 s.
    let lyon = |o: Organization| {
        o.lag("dc02.contoso.com", 900)
            .server("CAS04", "Site", json!("Lyon"))
            .server("CAS04", "ConfigDomainController", json!("dc02.contoso.com"))
            .server("CAS05", "Site", json!("Lyon"))
            .server("CAS05", "ConfigDomainController", json!("dc02.contoso.com"))
    };
    let Some((sim, _)) = collected("finding1_replication", lyon) else {
        return;
    };
    let first = sim.run(SET, &[]);
    assert_eq!(
        first.code, 1,
        "the Lyon servers are not done yet:\n{}",
        first.output
    );
    assert!(restarted_after(
        &sim,
        "CAS01",
        last_set_clock(&sim, "CAS01")
    ));
    assert_eq!(
        first.outcomes("CAS04").last().map(String::as_str),
        Some("RestartPending"),
        "{}",
        first.output
    );

    // As the warning says: run again with a replication wait.
    let second = sim.run(SET, &[Param::Number("ReplicationWaitSeconds", 1200)]);
    assert_eq!(second.code, 0, "{}", second.output);
    for server in ["CAS04", "CAS05"] {
        let replicated = last_set_clock(&sim, server) + 900;
        assert!(
            restarted_after(&sim, server, replicated),
            "{server} was not restarted after its values reached dc02:\n{}",
            second.output
        );
    }
    assert_eq!(sim.restarted().iter().filter(|s| *s == "CAS01").count(), 1);
}

#[test]
fn finding2_a_failed_read_is_reported_as_itself_and_saves_nothing() {
    let message = "The operation couldn't be performed because object 'CAS04\\owa (Default Web Site)' couldn't be found on 'dc01.contoso.com'.";
    let Some((sim, _)) = collected("finding2", |o| {
        o.fault("Get-OwaVirtualDirectory", "CAS04", message)
    }) else {
        return;
    };
    let run = sim.run(SET, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.has_row("CAS04", "Failed", message),
        "CAS04's own error is not reported:\n{}",
        run.output
    );
    assert_eq!(sim.values(CAS04), defaults());
    assert!(!sim.sets().iter().any(|s| s == CAS04));
    // The others went on.
    let mut sets = sim.sets();
    sets.sort();
    assert_eq!(sets, [CAS01, CAS05, CAS05_BACK_END]);
    // Nothing was saved for CAS04, so an undo cannot "restore" empty values over it.
    let undo = sim.run(UNDO, &[]);
    assert_eq!(undo.code, 0, "{}", undo.output);
    assert!(undo.rows_of("CAS04").is_empty(), "{}", undo.output);
}

#[test]
fn finding3_restarts_stop_after_a_failed_iisreset() {
    let Some((sim, _)) = collected("finding3", |o| o.fault("iisreset", "CAS01", "")) else {
        return;
    };
    let run = sim.run(SET, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        sim.restarted().is_empty(),
        "restarts went on after CAS01's failed: {:?}",
        sim.restarted()
    );
    for server in ["CAS04", "CAS05"] {
        assert_eq!(
            run.outcomes(server).last().map(String::as_str),
            Some("RestartPending"),
            "{}",
            run.output
        );
    }
    // Once IIS on CAS01 is fixed, a re-run restarts the three, and only them.
    sim.edit_org(|org| org["Faults"] = json!([]));
    let again = sim.run(SET, &[]);
    assert_eq!(again.code, 0, "{}", again.output);
    assert_eq!(sim.restarted(), ["CAS01", "CAS04", "CAS05"]);
    assert_eq!(sim.sets().len(), 4, "nothing is set twice");
}

#[test]
fn finding4_declining_under_confirm_leaves_a_row_and_fails_the_run() {
    let Some((sim, _)) = collected("finding4_declined", |o| o) else {
        return;
    };
    // "No to All" at the first question.
    let run = sim.run_answering(SET, &[Param::Switch("Confirm")], "L\n");
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(sim.sets().is_empty());
    for server in ["CAS01", "CAS04", "CAS05"] {
        assert!(
            run.outcomes(server).contains(&"Declined".to_string()),
            "{server} has no Declined row:\n{}",
            run.output
        );
    }
    assert!(
        state_files(&sim).is_empty(),
        "a declined change saves no state"
    );
}

#[test]
fn finding4_a_server_left_out_of_the_script_fails_the_run() {
    // Without --domain, CAS04's single-label pool keeps it out of the script.
    let Some((sim, _)) = collected_with("finding4_left_out", &[], |o| o) else {
        return;
    };
    let run = sim.run(SET, &[]);
    assert_eq!(run.outcomes("CAS04"), ["NotInScript"], "{}", run.output);
    assert_eq!(run.outcomes("CAS03"), ["NotConfigured"], "{}", run.output);
    assert_eq!(run.code, 1, "CAS04 is not migrated:\n{}", run.output);
}

#[test]
fn finding5_a_wrong_state_path_ends_with_a_summary_and_a_closed_transcript() {
    let Some((sim, _)) = collected("finding5", |o| o) else {
        return;
    };
    let missing = sim.dir.path().join("no-such-state.xml");
    let undo = sim.run(
        UNDO,
        &[Param::Text("StatePath", &missing.display().to_string())],
    );
    assert_eq!(undo.code, 1, "{}", undo.output);
    assert!(undo.output.contains("no-such-state.xml"), "{}", undo.output);
    assert_transcripts_closed(&sim);

    // The same in the change script: a state file that cannot be read changes nothing.
    let broken = sim.dir.path().join("broken-state.xml");
    std::fs::write(&broken, "not CLIXML").expect("written");
    let run = sim.run(
        SET,
        &[Param::Text("StatePath", &broken.display().to_string())],
    );
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(sim.sets().is_empty(), "{}", run.output);
    assert!(run.output.contains("broken-state.xml"), "{}", run.output);
    assert_transcripts_closed(&sim);
}

/// Every transcript beside the scripts was stopped (PowerShell writes its end banner then).
fn assert_transcripts_closed(sim: &Simulation) {
    let logs: Vec<String> = written(sim)
        .into_iter()
        .filter(|n| n.ends_with(".log"))
        .collect();
    assert!(!logs.is_empty(), "no transcript was written");
    for log in logs {
        let text = std::fs::read_to_string(sim.out().join(&log)).expect("readable");
        assert!(
            text.contains("PowerShell transcript end"),
            "{log} was never stopped:\n{text}"
        );
    }
}

#[test]
fn finding6_undo_clears_with_null_and_restores_empty_values_and_none() {
    let Some((sim, report)) = collected("finding6", |o| o) else {
        return;
    };
    let before = sim.org()["VirtualDirectories"].clone();
    let run = sim.run(SET, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
    let sets = sim.events("Set").len();
    let undo = sim.run(UNDO, &[]);
    assert_eq!(undo.code, 0, "{}", undo.output);
    assert_changed_ones_back_to_defaults(&sim, &undo);
    assert_eq!(
        sim.values(CAS02),
        im_values(POOL, &thumbprint(&report, "CAS02"))
    );
    for vdir in before.as_array().expect("array") {
        let identity = vdir["Identity"].as_str().expect("identity");
        assert_eq!(sim.values(identity), vdir["Current"], "{identity}");
    }
    // Exchange documents $null as the way to clear a value; '' is not documented for these.
    for event in &sim.events("Set")[sets..] {
        assert_eq!(
            event["Given"],
            json!({ "InstantMessagingServerName": "null", "InstantMessagingCertificateThumbprint": "null" }),
            "{event}"
        );
    }
    // OWA restarted to read them again.
    assert_eq!(
        sim.restarted(),
        ["CAS01", "CAS04", "CAS05", "CAS01", "CAS04", "CAS05"]
    );
}

#[test]
fn finding7_per_server_scripts_say_what_they_change_and_share_one_undo() {
    let Some((sim, _)) = collected("finding7", |o| o) else {
        return;
    };
    let script = common::read_script(&sim.out().join("Set-OwaInstantMessaging-CAS01.ps1"));
    assert!(
        script.contains("servers in this script '1'"),
        "{}",
        &script[..script.len().min(3000)]
    );
    for server in ["CAS01", "CAS04", "CAS05"] {
        let run = sim.run(&format!("Set-OwaInstantMessaging-{server}.ps1"), &[]);
        assert_eq!(run.code, 0, "{}", run.output);
    }
    assert_eq!(state_files(&sim).len(), 1, "{:?}", written(&sim));
    let undo = sim.run(UNDO, &[]);
    assert_eq!(undo.code, 0, "{}", undo.output);
    assert_changed_ones_back_to_defaults(&sim, &undo);
}

#[test]
fn confirming_asks_once_per_change_and_never_for_bookkeeping() {
    let Some((sim, _)) = collected("confirm_yes", |o| o) else {
        return;
    };
    // Four virtual directories to set and three servers to restart: seven questions, no more
    // (the transcript and the state file are not questions).
    let run = sim.run_answering(SET, &[Param::Switch("Confirm")], &"Y\n".repeat(7));
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(
        run.output
            .matches("Are you sure you want to perform this action?")
            .count(),
        7,
        "{}",
        run.output
    );
    assert_eq!(sim.sets().len(), 4);
    assert_eq!(sim.restarted(), ["CAS01", "CAS04", "CAS05"]);
}

#[test]
fn a_failure_on_one_server_does_not_stop_the_others_and_undo_restores_what_was_there() {
    let message = "Active Directory operation failed on dc01.contoso.com. This error is not retriable. Additional information: Insufficient access rights to perform the operation.";
    let Some((sim, _)) = collected("failure_then_undo", |o| {
        o.fault("Set-OwaVirtualDirectory", "CAS04", message)
    }) else {
        return;
    };
    let before: Vec<(String, Value)> = vdirs(&sim.org());
    let run = sim.run(SET, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(run.has_row("CAS04", "Failed", message), "{}", run.output);
    let mut sets = sim.sets();
    sets.sort();
    assert_eq!(sets, [CAS01, CAS05, CAS05_BACK_END]);
    assert_eq!(
        sim.restarted(),
        ["CAS01", "CAS05"],
        "a server whose change failed is not restarted"
    );

    let undo = sim.run(UNDO, &[]);
    assert_eq!(undo.code, 0, "{}", undo.output);
    assert_eq!(vdirs(&sim.org()), before, "{}", undo.output);
    assert_eq!(sim.restarted(), ["CAS01", "CAS05", "CAS01", "CAS05"]);
    // Undo converges too.
    let again = sim.run(UNDO, &[]);
    assert_eq!(again.code, 0, "{}", again.output);
    assert_eq!(sim.restarted().len(), 4, "{}", again.output);
}

/// Every virtual directory with its current values.
fn vdirs(org: &Value) -> Vec<(String, Value)> {
    org["VirtualDirectories"]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| {
            (
                v["Identity"].as_str().unwrap_or("").to_string(),
                v["Current"].clone(),
            )
        })
        .collect()
}

#[test]
fn the_same_run_twice_converges() {
    let Some((sim, _)) = collected("converges", |o| o) else {
        return;
    };
    let first = sim.run(SET, &[]);
    assert_eq!(first.code, 0, "{}", first.output);
    let after_first = vdirs(&sim.org());
    let second = sim.run(SET, &[]);
    assert_eq!(second.code, 0, "{}", second.output);
    assert_eq!(vdirs(&sim.org()), after_first);
    assert_eq!(sim.sets().len(), 4, "nothing set twice");
    assert_eq!(
        sim.restarted(),
        ["CAS01", "CAS04", "CAS05"],
        "nothing restarted twice"
    );
    for server in ["CAS01", "CAS02", "CAS04", "CAS05"] {
        assert!(
            second.outcomes(server).iter().all(|o| o == "AlreadySet"),
            "{}",
            second.output
        );
    }
}

#[test]
fn servers_still_on_rtm_or_without_the_certificate_are_skipped() {
    let Some((sim, _)) = collected("skipped", |o| {
        o.server("CAS01", "Version", json!("14.0"))
            .server("CAS01", "Build", json!("639.21"))
            .without_certificate("CAS04")
            .private_key("CAS05", false)
    }) else {
        return;
    };
    let run = sim.run(SET, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.has_row("CAS01", "Skipped", "Version 14.0 (Build 639.21)"),
        "{}",
        run.output
    );
    assert!(
        run.has_row("CAS04", "Skipped", "was not found on CAS04"),
        "{}",
        run.output
    );
    assert!(
        run.has_row("CAS05", "Skipped", "without its private key"),
        "{}",
        run.output
    );
    for identity in [CAS01, CAS04, CAS05, CAS05_BACK_END] {
        assert_eq!(sim.values(identity), defaults(), "{identity}");
    }
    assert!(sim.restarted().is_empty());
    assert!(written(&sim)
        .iter()
        .all(|name| !name.starts_with("OwaInstantMessaging-state")));
}

#[test]
fn recycling_the_app_pool_instead_of_iisreset() {
    let Some((sim, _)) = collected("recycle", |o| o) else {
        return;
    };
    let run = sim.run(SET, &[Param::Text("Restart", "RecycleOwaAppPool")]);
    assert_eq!(run.code, 0, "{}", run.output);
    let how: Vec<(String, String)> = sim
        .events("RestartEnd")
        .iter()
        .map(|e| {
            (
                e["Server"].as_str().unwrap_or("").into(),
                e["How"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        how,
        [
            ("CAS01".into(), "recycle".into()),
            ("CAS04".into(), "recycle".into()),
            ("CAS05".into(), "recycle".into())
        ]
    );
}

#[test]
fn restart_none_leaves_the_servers_pending_for_a_later_run() {
    let Some((sim, _)) = collected("restart_none", |o| o) else {
        return;
    };
    let run = sim.run(SET, &[Param::Text("Restart", "None")]);
    assert_eq!(
        run.code, 1,
        "the change is not in effect yet:\n{}",
        run.output
    );
    assert!(sim.restarted().is_empty());
    for server in ["CAS01", "CAS04", "CAS05"] {
        assert_eq!(
            run.outcomes(server).last().map(String::as_str),
            Some("RestartPending"),
            "{}",
            run.output
        );
    }
    let later = sim.run(SET, &[]);
    assert_eq!(later.code, 0, "{}", later.output);
    assert_eq!(sim.restarted(), ["CAS01", "CAS04", "CAS05"]);
}

/// The rows of a Verify evidence file: (Server, Identity, Result).
fn evidence(path: &std::path::Path) -> Vec<(String, String, String)> {
    common::exchange::three_columns(path)
}

#[test]
fn verify_says_ok_after_the_change_and_mismatch_where_it_differs() {
    let Some((sim, _)) = collected("verify", |o| o) else {
        return;
    };
    let before = sim.run(VERIFY, &[]);
    assert_eq!(before.code, 1, "nothing is set yet:\n{}", before.output);
    assert!(
        before
            .output
            .contains("CAS01  CAS01\\owa (Default Web Site)  MISMATCH"),
        "{}",
        before.output
    );

    assert_eq!(sim.run(SET, &[]).code, 0);
    let path = sim.dir.path().join("evidence.csv");
    let after = sim.run(VERIFY, &[Param::Text("Path", &path.display().to_string())]);
    assert_eq!(after.code, 0, "{}", after.output);
    let rows = evidence(&path);
    let results: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|(s, i, r)| (s.as_str(), i.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        results,
        [
            ("CAS01", CAS01, "OK"),
            ("CAS02", CAS02, "OK"),
            ("CAS04", CAS04, "OK"),
            ("CAS05", CAS05, "OK"),
            ("CAS05", CAS05_BACK_END, "OK"),
            (
                "CAS03",
                "",
                "NOT CONFIGURED: no IM under RTM, nothing to verify"
            ),
        ]
    );

    // Someone points CAS05's back end at another certificate.
    let other = "0000000000000000000000000000000000000000";
    sim.set_values(CAS05_BACK_END, im_values(POOL, other));
    let changed = sim.run(VERIFY, &[Param::Text("Path", &path.display().to_string())]);
    assert_eq!(changed.code, 1, "{}", changed.output);
    let rows = evidence(&path);
    let back_end = rows
        .iter()
        .find(|(_, i, _)| i == CAS05_BACK_END)
        .expect("row");
    assert!(
        back_end.2.starts_with("MISMATCH: InstantMessagingCertificateThumbprint is '0000000000000000000000000000000000000000'"),
        "{back_end:?}"
    );
    assert!(rows
        .iter()
        .filter(|(_, i, _)| i != CAS05_BACK_END && !i.is_empty())
        .all(|(_, _, r)| r == "OK"));
}

#[test]
fn verify_names_the_servers_left_out_of_the_change() {
    let Some((sim, _)) = collected_with("verify_left_out", &[], |o| o) else {
        return;
    };
    sim.run(SET, &[]);
    let run = sim.run(VERIFY, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.output.contains("CAS04  NOT IN CHANGE: pool-not-fqdn"),
        "{}",
        run.output
    );
}

#[test]
fn verify_against_a_lagging_domain_controller_sees_the_old_values_until_replication() {
    let Some((sim, _)) = collected("verify_lagging", |o| o.lag("dc02.contoso.com", 900)) else {
        return;
    };
    assert_eq!(sim.run(SET, &[]).code, 0);
    let dc02 = [Param::Text("DomainController", "dc02.contoso.com")];
    let early = sim.run(VERIFY, &dc02);
    assert_eq!(early.code, 1, "{}", early.output);
    assert!(
        early.output.contains(
            "CAS01  CAS01\\owa (Default Web Site)  MISMATCH: InstantMessagingServerName is ''"
        ),
        "{}",
        early.output
    );
    sim.advance_clock(900);
    let later = sim.run(VERIFY, &dc02);
    assert_eq!(later.code, 0, "{}", later.output);
}

#[test]
fn verify_reports_a_failed_read_as_itself() {
    let message = "The operation couldn't be performed because object 'CAS04\\owa (Default Web Site)' couldn't be found on 'dc01.contoso.com'.";
    let Some((sim, _)) = collected("verify_failed_read", |o| o) else {
        return;
    };
    assert_eq!(sim.run(SET, &[]).code, 0);
    sim.edit_org(|org| {
        org["Faults"] = json!([{ "Operation": "Get-OwaVirtualDirectory", "Server": "CAS04", "Message": message, "Effect": "Error" }]);
    });
    let run = sim.run(VERIFY, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.output
            .contains(&format!("CAS04  {CAS04}  ERROR: {message}")),
        "{}",
        run.output
    );
}

/// Every server on SP2 (14.2).
fn on_sp2(mut org: Organization) -> Organization {
    for server in ["CAS01", "CAS02", "CAS03", "CAS04", "CAS05"] {
        org = org
            .server(server, "Version", json!("14.2"))
            .server(server, "Build", json!("247.5"));
    }
    org
}

fn redirect(sim: &Simulation, identity: &str) -> Value {
    sim.values(identity)["CrossSiteRedirectType"].clone()
}

#[test]
fn sp2_finding3_sets_exactly_the_internet_facing_virtual_directories_and_undo_restores_them() {
    // Without --domain CAS04's IM fails to convert; it is Internet-facing all the same (its
    // collected ExternalUrl says so), as is CAS01. The others have no ExternalUrl.
    let Some((sim, _)) = collected_with("sp2", &[], on_sp2) else {
        return;
    };
    let script = common::read_script(&sim.out().join(SP2));
    let run = sim.run(SP2, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
    let mut sets = sim.sets();
    sets.sort();
    assert_eq!(sets, [CAS01, CAS04], "{script}");
    for identity in [CAS01, CAS04] {
        assert_eq!(redirect(&sim, identity), "Silent", "{identity}");
    }
    assert_eq!(sim.restarted(), ["CAS01", "CAS04"]);
    assert_transcripts_closed(&sim);
    assert!(
        written(&sim)
            .iter()
            .any(|n| n.starts_with("Set-OwaCrossSiteRedirect-")),
        "{:?}",
        written(&sim)
    );

    let undo = sim.run(SP2, &[Param::Switch("Undo")]);
    assert_eq!(undo.code, 0, "{}", undo.output);
    for identity in [CAS01, CAS04] {
        assert_eq!(redirect(&sim, identity), "Manual", "{identity}");
    }
    assert!(
        written(&sim)
            .iter()
            .any(|n| n.starts_with("Undo-OwaCrossSiteRedirect-")),
        "{:?}",
        written(&sim)
    );
}

/// OWA reads CrossSiteRedirectType from its server's configuration domain controller when
/// it starts, as it reads the IM values: a server whose DC is behind is not restarted until
/// the value is there, and a later run restarts it (the restart is owed in the state file).
#[test]
fn sp2_restarts_a_server_only_once_the_value_reached_its_domain_controller() {
    let Some((sim, _)) = collected_with("sp2_replication", &[], |o| {
        on_sp2(o).lag("dc02.contoso.com", 900).server(
            "CAS04",
            "ConfigDomainController",
            json!("dc02.contoso.com"),
        )
    }) else {
        return;
    };
    let first = sim.run(SP2, &[]);
    assert_eq!(first.code, 1, "CAS04 is not done yet:\n{}", first.output);
    assert_eq!(sim.restarted(), ["CAS01"], "{}", first.output);
    assert_eq!(
        first.outcomes("CAS04").last().map(String::as_str),
        Some("RestartPending"),
        "{}",
        first.output
    );
    // Again, waiting long enough: the value reaches dc02, and only then is CAS04 restarted.
    let second = sim.run(SP2, &[Param::Number("ReplicationWaitSeconds", 1200)]);
    assert_eq!(second.code, 0, "{}", second.output);
    let replicated = last_set_clock(&sim, "CAS04") + 900;
    assert!(
        restarted_after(&sim, "CAS04", replicated),
        "CAS04 was not restarted after its value reached dc02:\n{}",
        second.output
    );
    assert_eq!(sim.restarted().iter().filter(|s| *s == "CAS01").count(), 1);

    // The undo alike: CAS04 waits for dc02, and a later undo restarts it once Manual is there.
    let restarts = sim.restarted().len();
    let undo = sim.run(SP2, &[Param::Switch("Undo")]);
    assert_eq!(undo.code, 1, "CAS04 is not done yet:\n{}", undo.output);
    assert_eq!(
        undo.outcomes("CAS04").last().map(String::as_str),
        Some("RestartPending"),
        "{}",
        undo.output
    );
    let again = sim.run(
        SP2,
        &[
            Param::Switch("Undo"),
            Param::Number("ReplicationWaitSeconds", 1200),
        ],
    );
    assert_eq!(again.code, 0, "{}", again.output);
    let replicated = last_set_clock(&sim, "CAS04") + 900;
    assert!(
        restarted_after(&sim, "CAS04", replicated),
        "CAS04 was not restarted after the undo reached dc02:\n{}",
        again.output
    );
    assert_eq!(sim.restarted().len(), restarts + 2, "{}", again.output);
}

#[test]
fn sp2_what_if_changes_nothing_and_a_server_before_sp2_is_skipped() {
    let Some((sim, _)) = collected_with("sp2_what_if", &[], |o| {
        on_sp2(o).server("CAS04", "Version", json!("14.1")).server(
            "CAS04",
            "Build",
            json!("218.15"),
        )
    }) else {
        return;
    };
    let dry = sim.run(SP2, &[Param::Switch("WhatIf")]);
    assert!(sim.sets().is_empty(), "{}", dry.output);
    assert!(written(&sim).is_empty(), "{:?}", written(&sim));
    let run = sim.run(SP2, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert_eq!(sim.sets(), [CAS01]);
    assert!(
        run.has_row("CAS04", "Skipped", "before Exchange 2010 SP2"),
        "{}",
        run.output
    );
}

const EX2013: &str = "EX2013\\owa (Default Web Site)";
const EX2013_BACK_END: &str = "EX2013\\owa (Exchange Back End)";
const EX2013_CERT: &str = "A013A013A013A013A013A013A013A013A013A013";
const EX2016_CERT: &str = "A016A016A016A016A016A016A016A016A016A016";
const LYNC_POOL: &str = "pool01.contoso.com";
/// The Exchange step of the Exchange 2013/2016 script with the pool.
const EXCHANGE_STEP: [Param; 2] = [
    Param::Text("Step", "Exchange"),
    Param::Text("LyncPool", LYNC_POOL),
];

/// The Contoso organisation with an Exchange 2013 server (Client Access and Mailbox) and an
/// Exchange 2016 server beside its Exchange 2010 ones: each new server has the self-signed
/// certificate of setup, an expired CA certificate and the current one for its FQDN.
fn with_new_servers(org: Organization) -> Organization {
    let mut org = on_sp2(org);
    let install = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\";
    for (name, version, build, thumbprint) in [
        ("EX2013", "15.0", "1497.2", EX2013_CERT),
        ("EX2016", "15.1", "2507.6", EX2016_CERT),
    ] {
        let fqdn = format!("{}.contoso.com", name.to_lowercase());
        org.0["Servers"].as_array_mut().unwrap().push(json!({
            "Name": name, "Fqdn": fqdn, "Version": version, "Build": build, "Site": "Paris",
            "Roles": ["ClientAccess", "Mailbox"], "ConfigDomainController": "dc01.contoso.com",
            "InstallPath": install, "WebConfig": "tests/fixtures/organization/exchange2013-owa-web.config"
        }));
        for vdir in ["owa (Default Web Site)", "owa (Exchange Back End)"] {
            let values = json!({
                "InstantMessagingServerName": "", "InstantMessagingCertificateThumbprint": "",
                "InstantMessagingEnabled": true, "InstantMessagingType": "None"
            });
            org.0["VirtualDirectories"].as_array_mut().unwrap().push(json!({
                "Identity": format!("{name}\\{vdir}"), "Server": name, "ExternalUrl": null,
                "Current": values, "Writes": [{ "Clock": 0, "DomainController": "*", "Values": values }]
            }));
        }
        let certificates = org.0["Certificates"].as_array_mut().unwrap();
        certificates.push(json!({ "Server": name, "Thumbprint": thumbprint.replace('A', "B"),
            "Subject": format!("CN={name}"), "Issuer": format!("CN={name}"), "IsSelfSigned": true,
            "HasPrivateKey": true, "Services": "IMAP, POP, IIS, SMTP", "NotAfter": "2030-01-01T00:00:00Z" }));
        certificates.push(
            json!({ "Server": name, "Thumbprint": thumbprint.replace('A', "C"),
            "Subject": format!("CN={fqdn}"), "Issuer": "CN=ContosoCA, DC=contoso, DC=com",
            "HasPrivateKey": true, "Services": "IIS", "NotAfter": "2020-01-01T00:00:00Z" }),
        );
        certificates.push(json!({ "Server": name, "Thumbprint": thumbprint,
            "Subject": format!("CN={fqdn}, OU=Messaging, O=Contoso"), "Issuer": "CN=ContosoCA, DC=contoso, DC=com",
            "HasPrivateKey": true, "Services": "IIS, SMTP", "NotAfter": "2031-01-01T00:00:00Z" }));
    }
    org.0["MailboxPolicies"][0]["InstantMessagingType"] = json!("None");
    org
}

fn share_web_config(sim: &Simulation, server: &str) -> std::path::PathBuf {
    sim.shares()
        .join(server)
        .join("C/Program Files/Microsoft/Exchange Server/V15/ClientAccess/Owa/web.config")
}

#[test]
fn exchange2013_finding4_changes_only_the_new_servers_and_undo_restores_everything() {
    let Some((sim, _)) = collected("exchange2013", with_new_servers) else {
        return;
    };
    let original = std::fs::read(share_web_config(&sim, "EX2013")).expect("web.config");
    let before = vdirs(&sim.org());
    let exchange = EXCHANGE_STEP;

    // Without the pool it changes nothing, and says which parameter is missing.
    let refused = sim.run(EXCHANGE2013, &[Param::Text("Step", "Exchange")]);
    assert_eq!(refused.code, 1, "{}", refused.output);
    assert!(
        refused.output.contains("Give -LyncPool"),
        "{}",
        refused.output
    );
    assert!(
        written(&sim).iter().all(|n| !n.contains("state")),
        "{:?}",
        written(&sim)
    );

    let run = sim.run(EXCHANGE2013, &exchange);
    assert_eq!(run.code, 0, "{}", run.output);
    // Exchange 2010 is left alone; on Exchange 2013 the front-end virtual directory only.
    assert_eq!(sim.sets(), [EX2013], "{}", run.output);
    assert_eq!(sim.values(EX2013)["InstantMessagingType"], "Ocs");
    assert_eq!(sim.values(EX2013_BACK_END)["InstantMessagingType"], "None");
    // Exchange 2013's web.config names the pool and the certificate for its FQDN.
    let config = std::fs::read_to_string(share_web_config(&sim, "EX2013")).expect("web.config");
    assert!(
        config.contains(&format!(
            r#"<add key="IMServerName" value="{LYNC_POOL}" />"#
        )),
        "{config}"
    );
    assert!(
        config.contains(&format!(
            r#"<add key="IMCertificateThumbprint" value="{EX2013_CERT}" />"#
        )),
        "{config}"
    );
    assert!(
        config.contains(r#"<add key="owa.UserCacheTimeout" value="10" />"#),
        "the rest stays: {config}"
    );
    // Exchange 2016 ignores web.config: a setting override with both values, then a refresh.
    assert_eq!(
        std::fs::read(share_web_config(&sim, "EX2016")).expect("web.config"),
        original
    );
    let org = sim.org();
    assert_eq!(
        org["SettingOverrides"],
        json!([{
            "Name": "OWA IM EX2016", "Component": "OwaServer", "Section": "IMSettings",
            "Parameters": [format!("IMServerName={LYNC_POOL}"), format!("IMCertificateThumbprint={EX2016_CERT}")],
            "Reason": "OWA IM with Lync or Skype for Business", "Server": ["EX2016"]
        }])
    );
    assert_eq!(sim.events("DiagnosticInfo").len(), 1);
    assert_eq!(org["MailboxPolicies"][0]["InstantMessagingType"], "Ocs");
    assert_eq!(sim.restarted(), ["EX2013", "EX2016"]);
    assert!(
        written(&sim)
            .iter()
            .any(|n| n.starts_with("Set-OwaInstantMessaging-Exchange2013-")),
        "a transcript: {:?}",
        written(&sim)
    );

    // Again: nothing more to do.
    let again = sim.run(EXCHANGE2013, &exchange);
    assert_eq!(again.code, 0, "{}", again.output);
    assert_eq!(sim.sets().len(), 1);
    assert_eq!(sim.restarted().len(), 2, "{}", again.output);

    // Undo puts back every value, the policy and the web.config included.
    let undo = sim.run(
        EXCHANGE2013,
        &[Param::Text("Step", "Exchange"), Param::Switch("Undo")],
    );
    assert_eq!(undo.code, 0, "{}", undo.output);
    assert_eq!(
        std::fs::read(share_web_config(&sim, "EX2013")).expect("web.config"),
        original
    );
    let org = sim.org();
    assert_eq!(org["SettingOverrides"], json!([]));
    assert_eq!(org["MailboxPolicies"][0]["InstantMessagingType"], "None");
    assert_eq!(vdirs(&org), before);
}

/// Pinned to one domain controller, the Exchange step still refreshes Exchange 2016's
/// configuration: Get-ExchangeDiagnosticInfo has no -DomainController, and is called without.
#[test]
fn exchange2013_pinned_to_a_domain_controller_refreshes_without_passing_it_on() {
    let Some((sim, _)) = collected("exchange2013_dc", with_new_servers) else {
        return;
    };
    let pinned = [
        Param::Text("Step", "Exchange"),
        Param::Text("LyncPool", LYNC_POOL),
        Param::Text("DomainController", "dc01.contoso.com"),
    ];
    let run = sim.run(EXCHANGE2013, &pinned);
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(sim.events("DiagnosticInfo").len(), 1, "{}", run.output);
    assert_eq!(sim.restarted(), ["EX2013", "EX2016"], "{}", run.output);
}

#[test]
fn exchange2013_finding4_leaves_the_policy_alone_when_no_new_server_can_take_the_settings() {
    let Some((sim, _)) = collected("exchange2013_no_certificate", |o| {
        with_new_servers(o)
            .without_certificate("EX2013")
            .without_certificate("EX2016")
    }) else {
        return;
    };
    let run = sim.run(EXCHANGE2013, &EXCHANGE_STEP);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.has_row("EX2013", "Failed", "subject CN ex2013.contoso.com"),
        "{}",
        run.output
    );
    assert_eq!(
        sim.org()["MailboxPolicies"][0]["InstantMessagingType"],
        "None"
    );
    assert!(sim.sets().is_empty());
}

#[test]
fn sp2_and_exchange2013_finding5_each_run_keeps_a_transcript() {
    let Some((sim, _)) = collected("transcripts", with_new_servers) else {
        return;
    };
    assert_eq!(sim.run(SP2, &[]).code, 0);
    let exchange = EXCHANGE_STEP;
    assert_eq!(sim.run(EXCHANGE2013, &exchange).code, 0);
    let logs: Vec<String> = written(&sim)
        .into_iter()
        .filter(|n| n.ends_with(".log"))
        .collect();
    assert!(
        logs.iter()
            .any(|n| n.starts_with("Set-OwaCrossSiteRedirect-")),
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .any(|n| n.starts_with("Set-OwaInstantMessaging-Exchange2013-")),
        "{logs:?}"
    );
    assert_transcripts_closed(&sim);
}

#[test]
fn exchange2013_finding4_the_lync_step_trusts_the_new_servers_once() {
    let Some((sim, _)) = collected("exchange2013_lync", |o| {
        let mut org = with_new_servers(o);
        org.0["Lync"] = json!({ "Pools": [], "Applications": [] });
        org
    }) else {
        return;
    };
    let lync = [
        Param::Text("Step", "Lync"),
        Param::Text("LyncPool", LYNC_POOL),
        Param::Text("ComputerFqdn", "ex2013.contoso.com"),
        Param::Text("LyncSiteId", "1"),
        Param::Text("PoolLayout", "PerServer"),
    ];
    // Without the site ID nothing is created, and the message says what to give.
    let refused = sim.run(EXCHANGE2013, &lync[..4]);
    assert_eq!(refused.code, 1, "{}", refused.output);
    assert!(refused.output.contains("-PoolLayout"), "{}", refused.output);
    assert!(sim.events("NewTrustedApplicationPool").is_empty());

    let run = sim.run(EXCHANGE2013, &lync);
    assert_eq!(run.code, 0, "{}", run.output);
    let org = sim.org();
    assert_eq!(org["Lync"]["Pools"][0]["Fqdn"], "ex2013.contoso.com");
    assert_eq!(org["Lync"]["Pools"][0]["Registrar"], LYNC_POOL);
    assert_eq!(org["Lync"]["Pools"][0]["TreatAsAuthenticated"], true);
    assert_eq!(org["Lync"]["Applications"][0]["Port"], 5199);
    assert_eq!(sim.events("EnableTopology").len(), 1);
    // Again: everything is there, nothing is created, the topology is not published again.
    let again = sim.run(EXCHANGE2013, &lync);
    assert_eq!(again.code, 0, "{}", again.output);
    assert_eq!(sim.events("NewTrustedApplicationPool").len(), 1);
    assert_eq!(sim.events("EnableTopology").len(), 1);
}

#[test]
fn exchange2013_after_a_cumulative_update_runs_again_and_undo_keeps_the_new_file() {
    // EX2013 is Client Access only here, without a certificate for its name: its virtual
    // directories need none. An Edge Transport server (no OWA) is left out.
    let Some((sim, _)) = collected("exchange2013_cu", |o| {
        let mut org = with_new_servers(o);
        org.0["Servers"].as_array_mut().unwrap().push(json!({
            "Name": "EDGE01", "Fqdn": "edge01.contoso.com", "Version": "15.0", "Build": "1497.2",
            "Site": "Paris", "Roles": ["Edge"]
        }));
        org
    }) else {
        return;
    };
    let exchange = EXCHANGE_STEP;
    let before = std::fs::read_to_string(share_web_config(&sim, "EX2013")).expect("web.config");
    assert_eq!(sim.run(EXCHANGE2013, &exchange).code, 0);
    // A cumulative update replaces web.config: the keys are gone, something else is new.
    let cu = before.replace(r#"value="10""#, r#"value="20""#);
    std::fs::write(share_web_config(&sim, "EX2013"), &cu).expect("the update's web.config");
    let again = sim.run(EXCHANGE2013, &exchange);
    assert_eq!(again.code, 0, "{}", again.output);
    assert!(
        again
            .rows_of("EX2013")
            .iter()
            .any(|r| r.identity == "web.config" && r.outcome == "Changed"),
        "{}",
        again.output
    );
    assert!(!again.output.contains("EDGE01"), "{}", again.output);
    let undo = sim.run(
        EXCHANGE2013,
        &[Param::Text("Step", "Exchange"), Param::Switch("Undo")],
    );
    assert_eq!(undo.code, 0, "{}", undo.output);
    assert_eq!(
        std::fs::read_to_string(share_web_config(&sim, "EX2013")).expect("web.config"),
        cu,
        "undo takes the keys out of the update's file, it does not put the old file back"
    );
    let twice = sim.run(
        EXCHANGE2013,
        &[Param::Text("Step", "Exchange"), Param::Switch("Undo")],
    );
    assert_eq!(twice.code, 0, "{}", twice.output);
    assert!(
        twice
            .rows_of("EX2013")
            .iter()
            .all(|r| r.outcome == "AlreadyRestored"),
        "{}",
        twice.output
    );
}

#[test]
fn exchange2013_a_client_access_server_needs_no_certificate_for_its_virtual_directories() {
    let Some((sim, _)) = collected("exchange2013_cas_only", |o| {
        with_new_servers(o)
            .server("EX2013", "Roles", json!(["ClientAccess"]))
            .without_certificate("EX2013")
    }) else {
        return;
    };
    let run = sim.run(EXCHANGE2013, &EXCHANGE_STEP);
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(sim.values(EX2013)["InstantMessagingType"], "Ocs");
}
