//! `convert` on a folder laid out exactly as Collect-OwaImInputs.ps1 writes it
//! (tests/fixtures/collected, generated from the example organisation): no renaming by hand.

mod common;

use common::{bin, codes, independent_sha1, server};
use serde_json::Value;

const COLLECTED: &str = "tests/fixtures/collected";

fn thumbprint(file: &str, block: usize) -> String {
    independent_sha1(
        &common::certificate_ders(&common::root().join("examples/contoso/certs").join(file))[block],
    )
}

fn convert(with_map: bool) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("migration");
    let mut cmd = bin();
    cmd.args([
        "convert",
        COLLECTED,
        "--certs",
        COLLECTED,
        "--at",
        "2026-11-24",
    ]);
    if with_map {
        cmd.args(["--server-map", "tests/fixtures/collected/server-map.csv"]);
    }
    let output = cmd.arg("--out").arg(&out).output().unwrap();
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    (output.status.code().unwrap(), common::report(&out), script)
}

#[test]
fn the_collected_folder_converts_as_it_is() {
    let (code, report, script) = convert(true);
    assert_eq!(code, 1, "CAS04's single-label pool still fails");
    let expected = [
        ("CAS01", thumbprint("cas01.cer", 0), "will_change"),
        ("CAS02", thumbprint("cas02.crt", 0), "already_set"),
        ("CAS05", thumbprint("cas04-cas05.pem", 1), "will_change"),
    ];
    for (name, t, change) in &expected {
        let s = server(&report, name);
        assert_eq!(s["status"], "converted", "{name}: {s:#}");
        assert_eq!(
            s["sp1"]["thumbprint"],
            t.as_str(),
            "{name}: the IM certificate, not a decoy"
        );
        assert_eq!(s["change"], *change, "{name}");
        assert_eq!(s["fqdn"], format!("{}.contoso.com", name.to_lowercase()));
        assert!(
            !codes(s)
                .iter()
                .any(|c| c == "cert-ambiguous" || c == "cert-name-mismatch"),
            "{name}: {:?}",
            codes(s)
        );
        let sources = s["certificate"]["sources"].as_array().unwrap();
        assert!(
            sources
                .iter()
                .any(|o| o.as_str().unwrap().contains("certificates.clixml#object")),
            "{sources:?}"
        );
    }
    assert_eq!(server(&report, "CAS03")["status"], "not_configured");
    assert_eq!(codes(server(&report, "CAS04")), ["pool-not-fqdn"]);
    // CAS05 has two OWA virtual directories: both are set, each with one literal command.
    let cas05 = server(&report, "CAS05");
    assert_eq!(
        cas05["identities"],
        serde_json::json!([
            "CAS05\\owa (Default Web Site)",
            "CAS05\\owa (Exchange Back End)"
        ])
    );
    let sets = common::set_commands(&script);
    assert_eq!(sets.len(), 4, "{:?}", sets.keys());
    assert!(sets.contains_key("CAS05\\owa (Exchange Back End)"));
    // Nothing in the folder is unreadable; the non-certificate files are listed as ignored.
    for source in report["sources"].as_array().unwrap() {
        assert_ne!(source["status"], "unreadable", "{source}");
    }
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["severity"] != "error"),
        "{:#}",
        report["diagnostics"]
    );
}

#[test]
fn without_the_map_the_collected_virtual_directories_still_name_the_identities() {
    let (_, report, _) = convert(false);
    let cas05 = server(&report, "CAS05");
    assert_eq!(cas05["identities"].as_array().unwrap().len(), 2);
    assert_eq!(server(&report, "CAS02")["change"], "already_set");
}

#[test]
fn the_summary_says_what_will_change() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .args([
            "convert",
            COLLECTED,
            "--certs",
            COLLECTED,
            "--server-map",
            "tests/fixtures/collected/server-map.csv",
        ])
        .args(["--at", "2026-11-24", "--out"])
        .arg(dir.path().join("m"))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("CAS02") && l.contains("already set")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("CAS01") && l.contains("will change")),
        "{text}"
    );
}

/// The Internet-facing virtual directories of each server in the template context.
fn facing(map: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let output = bin()
        .args([
            "convert",
            COLLECTED,
            "--certs",
            COLLECTED,
            "--at",
            "2026-11-24",
            "--dump-context",
            "--server-map",
        ])
        .arg(map)
        .output()
        .unwrap();
    let context: Value = serde_json::from_slice(&output.stdout).expect("context JSON");
    context["all_servers"]
        .as_array()
        .expect("all_servers")
        .iter()
        .map(|s| {
            let facing = s["facing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            (s["server"].as_str().unwrap().to_string(), facing)
        })
        .filter(|(_, f): &(String, Vec<String>)| !f.is_empty())
        .collect()
}

#[test]
fn internet_facing_comes_from_the_collected_external_url_unless_the_map_says_otherwise() {
    let collected = common::root().join(COLLECTED).join("server-map.csv");
    assert_eq!(
        facing(&collected),
        [
            (
                "CAS01".to_string(),
                vec!["CAS01\\owa (Default Web Site)".to_string()]
            ),
            (
                "CAS04".to_string(),
                vec!["CAS04\\owa (Default Web Site)".to_string()]
            ),
        ]
    );
    // An internet_facing column wins where it has a value: CAS01 is not (a reverse proxy
    // publishes another server), CAS05's back end is; an empty cell leaves CAS04 to its URL.
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.csv");
    std::fs::write(
        &map,
        "path,server,identity,internet_facing\n\
         CAS01/web.config,CAS01,CAS01\\owa (Default Web Site),no\n\
         CAS02/web.config,CAS02,CAS02\\owa (Default Web Site),\n\
         CAS03/web.config,CAS03,CAS03\\owa (Default Web Site),\n\
         CAS04/web.config,CAS04,CAS04\\owa (Default Web Site),\n\
         CAS05/web.config,CAS05,CAS05\\owa (Default Web Site),no\n\
         CAS05/web.config,CAS05,CAS05\\owa (Exchange Back End),yes\n",
    )
    .unwrap();
    assert_eq!(
        facing(&map),
        [
            (
                "CAS04".to_string(),
                vec!["CAS04\\owa (Default Web Site)".to_string()]
            ),
            (
                "CAS05".to_string(),
                vec!["CAS05\\owa (Exchange Back End)".to_string()]
            ),
        ]
    );
}

#[test]
fn the_plan_counts_an_already_set_server_apart_and_lists_no_restart_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    bin()
        .args(["convert", COLLECTED, "--certs", COLLECTED])
        .args(["--server-map", "tests/fixtures/collected/server-map.csv"])
        .args(["--at", "2026-11-24", "--with", "plan", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let report = common::report(&out);
    let converted = report["summary"]["converted"].as_u64().unwrap();
    let plan = std::fs::read_to_string(out.join("CHANGE-PLAN.md")).unwrap();
    assert!(
        plan.contains(&format!(
            "| Client Access servers changed by this plan | {} |",
            converted - 1
        )),
        "CAS02 is already set, not changed:\n{plan}"
    );
    assert!(
        plan.contains("| Already set (collected values are the new ones; left as they are) | 1 |")
    );
    let cas02 = &plan[plan.find("### CAS02").unwrap()..];
    let cas02 = &cas02[..cas02[4..].find("### ").map_or(cas02.len(), |i| i + 4)];
    assert!(
        !cas02.contains("iisreset"),
        "no restart is listed for CAS02:\n{cas02}"
    );
    assert!(
        plan.contains("iisreset &#39;CAS01&#39; /noforce")
            || plan.contains("iisreset 'CAS01' /noforce")
    );
}
