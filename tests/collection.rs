//! The collection script run in the simulated Exchange 2010 organisation before SP1
//! (tests/fixtures/organization/contoso.json), with assertions on the folder it writes and on
//! what `convert` makes of it.

mod common;

use std::path::{Path, PathBuf};

use common::exchange::{Organization, Param, Simulation};
use serde_json::json;

const COLLECT: &str = "Collect-OwaImInputs.ps1";

/// The collection script, written by the binary, beside an organisation.
fn collection(test: &str, edit: impl FnOnce(Organization) -> Organization) -> Option<Simulation> {
    let pwsh = common::exchange::powershell(test)?;
    let sim = Simulation::new(pwsh, &edit(Organization::contoso_rtm()));
    common::bin()
        .args(["collect-script", "--out"])
        .arg(sim.out())
        .assert()
        .success();
    Some(sim)
}

fn collected_dir(sim: &Simulation) -> PathBuf {
    sim.dir.path().join("collected")
}

fn collect(sim: &Simulation, extra: &[Param]) -> common::exchange::Run {
    let output = collected_dir(sim).display().to_string();
    let mut params = vec![Param::Text("Output", &output)];
    params.extend(extra.iter().map(|p| match p {
        Param::Switch(n) => Param::Switch(n),
        Param::Text(n, v) => Param::Text(n, v),
        Param::Number(n, v) => Param::Number(n, *v),
    }));
    sim.run(COLLECT, &params)
}

/// The collection summary's rows: (Server, Outcome, Detail).
fn summary(folder: &Path) -> Vec<(String, String, String)> {
    common::exchange::three_columns(&folder.join("collection-summary.csv"))
}

fn outcome<'s>(rows: &'s [(String, String, String)], server: &str) -> &'s (String, String, String) {
    rows.iter()
        .find(|r| r.0 == server)
        .unwrap_or_else(|| panic!("no row for {server}: {rows:?}"))
}

/// `convert` of a collected folder, as the README runs it, from a folder of its own so that the
/// paths in the report are the same wherever the collected folder came from.
fn convert_report(folder: &Path) -> String {
    let work = tempfile::tempdir().expect("temporary folder");
    let copy = work.path().join("collected");
    copy_tree(folder, &copy);
    let output = common::bin()
        .current_dir(work.path())
        .args([
            "convert",
            "collected",
            "--certs",
            "collected",
            "--server-map",
            "collected/server-map.csv",
            "--at",
            "2026-11-24",
            "--domain",
            "contoso.com",
            "--format",
            "json",
            "--out",
            "migration",
        ])
        .output()
        .expect("convert ran");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Copies what the collection script wrote (the fixture's own README.md and .gitattributes
/// are not part of it).
fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walkable");
        let relative = entry.path().strip_prefix(from).expect("below");
        if relative == Path::new("README.md") || relative == Path::new(".gitattributes") {
            continue;
        }
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("folder");
        } else {
            std::fs::copy(entry.path(), &target).expect("copied");
        }
    }
}

#[test]
fn collect_finding2_every_server_is_collected_and_converts_as_the_fixture_does() {
    let Some(sim) = collection("every_server_is_collected", |o| o) else {
        return;
    };
    let run = collect(&sim, &[]);
    assert_eq!(run.code, 0, "{}", run.output);
    let folder = collected_dir(&sim);
    let rows = summary(&folder);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(rows.iter().all(|r| r.1 == "Collected"), "{rows:?}");
    for n in 1..=5 {
        let server = format!("CAS0{n}");
        // Byte for byte, whatever its encoding.
        assert_eq!(
            std::fs::read(folder.join(&server).join("web.config")).expect("copied"),
            std::fs::read(
                common::root()
                    .join("examples/contoso/configs")
                    .join(&server)
                    .join("web.config")
            )
            .expect("original"),
            "{server}"
        );
        let clixml =
            std::fs::read(folder.join(&server).join("certificates.clixml")).expect("exported");
        assert!(
            clixml.starts_with(&[0xFF, 0xFE]),
            "{server}: CLIXML is UTF-16 with BOM, as PowerShell 2.0 writes it"
        );
    }
    assert_eq!(
        convert_report(&folder),
        convert_report(&common::root().join("tests/fixtures/collected")),
        "convert reads the collection script's output as it reads the fixture"
    );
}

#[test]
fn what_if_reads_everything_and_writes_nothing() {
    let Some(sim) = collection("collect_what_if", |o| o) else {
        return;
    };
    let run = collect(&sim, &[Param::Switch("WhatIf")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(!collected_dir(&sim).exists(), "{}", run.output);
    assert_eq!(
        run.output.matches(": Checked - readable").count(),
        5,
        "{}",
        run.output
    );
    assert!(sim.events("Copy").is_empty());
}

#[test]
fn collect_finding1_failing_servers_are_failed_with_the_reason_and_the_others_collected() {
    let export = "The certificate store of CAS05 could not be opened.";
    let Some(sim) = collection("collect_failures", |o| {
        o.down("CAS01")
            .fault("reg", "CAS02", "")
            .server("CAS04", "Version", json!("14.1"))
            .server("CAS04", "Build", json!("218.15"))
            .fault("Get-ExchangeCertificate", "CAS05", export)
    }) else {
        return;
    };
    let run = collect(&sim, &[]);
    assert_eq!(run.code, 1, "{}", run.output);
    let folder = collected_dir(&sim);
    let rows = summary(&folder);
    let cas01 = outcome(&rows, "CAS01");
    assert_eq!(cas01.1, "Failed", "{cas01:?}");
    assert!(
        cas01.2.contains("The network path was not found"),
        "{cas01:?}"
    );
    let cas02 = outcome(&rows, "CAS02");
    assert_eq!(cas02.1, "Failed", "{cas02:?}");
    assert!(
        cas02
            .2
            .contains("is the Remote Registry service running there?"),
        "{cas02:?}"
    );
    assert_eq!(outcome(&rows, "CAS03").1, "Collected");
    // Already on SP1: its web.config holds no RTM keys any more; that is a failure, not a
    // collection, and it says where the RTM values can still come from.
    let cas04 = outcome(&rows, "CAS04");
    assert_eq!(cas04.1, "Failed", "{cas04:?}");
    assert!(
        cas04.2.contains("SP1 setup has replaced its web.config"),
        "{cas04:?}"
    );
    assert!(cas04.2.contains("an earlier collection"), "{cas04:?}");
    assert!(!folder.join("CAS04/web.config").exists());
    // A certificate export that fails is the server's failure, not "0 certificate(s)".
    let cas05 = outcome(&rows, "CAS05");
    assert_eq!(cas05.1, "Failed", "{cas05:?}");
    assert!(cas05.2.contains(export), "{cas05:?}");
    // The server map names only what was collected.
    let map = std::fs::read_to_string(folder.join("server-map.csv")).expect("map");
    assert!(
        map.contains("CAS03/web.config") && !map.contains("CAS01/") && !map.contains("CAS04/"),
        "{map}"
    );
}

#[test]
fn collecting_the_failed_servers_again_keeps_the_earlier_rows() {
    let Some(sim) = collection("collect_again", |o| o.fault("reg", "CAS04", "")) else {
        return;
    };
    let first = collect(&sim, &[]);
    assert_eq!(first.code, 1, "{}", first.output);
    let folder = collected_dir(&sim);
    assert_eq!(outcome(&summary(&folder), "CAS04").1, "Failed");

    // The Remote Registry service is started on CAS04; only CAS04 is collected again.
    sim.edit_org(|org| org["Faults"] = json!([]));
    let second = collect(&sim, &[Param::Text("Server", "CAS04")]);
    assert_eq!(second.code, 0, "{}", second.output);
    let rows = summary(&folder);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(rows.iter().all(|r| r.1 == "Collected"), "{rows:?}");
    let map = std::fs::read_to_string(folder.join("server-map.csv")).expect("map");
    assert_eq!(
        map.lines().count(),
        7,
        "a header and six virtual directories:\n{map}"
    );
    assert_eq!(
        convert_report(&folder),
        convert_report(&common::root().join("tests/fixtures/collected"))
    );
}

#[test]
fn an_sp1_server_collected_before_keeps_its_earlier_copy() {
    let Some(sim) = collection("collect_sp1_kept", |o| o) else {
        return;
    };
    assert_eq!(collect(&sim, &[]).code, 0);
    // SP1 setup runs on CAS04 and replaces its web.config.
    sim.edit_org(|org| {
        let cas04 = org["Servers"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|s| s["Name"] == "CAS04")
            .unwrap();
        cas04["Version"] = json!("14.1");
        cas04["Build"] = json!("218.15");
    });
    let share = sim
        .shares()
        .join("CAS04/C/Program Files/Microsoft/Exchange Server/V14/ClientAccess/Owa/web.config");
    std::fs::write(&share, "<configuration><appSettings /></configuration>")
        .expect("SP1's web.config");
    let kept = std::fs::read(collected_dir(&sim).join("CAS04/web.config")).expect("earlier copy");
    let again = collect(&sim, &[Param::Text("Server", "CAS04")]);
    assert_eq!(again.code, 0, "{}", again.output);
    assert_eq!(
        std::fs::read(collected_dir(&sim).join("CAS04/web.config")).expect("copy"),
        kept
    );
    let cas04 = summary(&collected_dir(&sim))
        .into_iter()
        .find(|r| r.0 == "CAS04")
        .expect("row");
    assert!(
        cas04.2.contains("collected before SP1 is kept"),
        "{cas04:?}"
    );
}
