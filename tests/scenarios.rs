//! The change, undo and verification scripts run in a real PowerShell against a simulated
//! Exchange 2010 SP1 organisation (tests/ps/SimulatedExchange.psm1), with assertions on the
//! organisation afterwards. See tests/common/exchange.rs for how PowerShell is found.

mod common;

use common::exchange::{defaults, im_values, Organization, Param, Simulation};
use serde_json::{json, Value};

const SET: &str = "Set-OwaInstantMessaging.ps1";
const UNDO: &str = "Undo-OwaInstantMessaging.ps1";
const VERIFY: &str = "Verify-OwaInstantMessaging.ps1";

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
            "--out",
        ])
        .arg(&out_path)
        .args(extra)
        .assert()
        .code(predicates::ord::lt(2));
    let report = common::report(&out_path);
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
    let Some((sim, report)) = collected("a_run_sets_exactly_the_planned_values", |o| o) else {
        return;
    };
    let run = sim.run(SET, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
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
