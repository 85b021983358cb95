//! Values from inputs are data, never code: hostile identities, issuers and folder names
//! stay single literals (or comments) in the generated scripts.

mod common;

use common::pwsh::{self, ArgValue};
use common::{bin, im_keys, web_config, write};

const CERTS: &str = "examples/contoso/certs";
const ISSUER: &str = "CN=ContosoCA, DC=contoso, DC=com";
const SERIAL: &str = "1F 5E DD 03 00 00 00 00 00 05";

/// Commands a hostile value might try to smuggle in.
const FORBIDDEN: &[&str] = &[
    "remove-item",
    "calc",
    "invoke-expression",
    "iex",
    "start-process",
    "format-volume",
];

fn convert(
    configs: &std::path::Path,
    extra: &[&str],
    out: &std::path::Path,
) -> std::process::Output {
    bin()
        .arg("convert")
        .arg(configs)
        .args(["--certs", CERTS, "--at", "2026-11-24"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn assert_no_smuggled_commands(script: &str) {
    pwsh::assert_parses(script);
    for cmd in pwsh::all_commands(script) {
        let name = cmd.name.to_lowercase();
        assert!(
            !FORBIDDEN.contains(&name.as_str()),
            "line {}: a value became the command {}",
            cmd.line,
            cmd.name
        );
    }
}

#[test]
fn a_hostile_identity_in_the_server_map_stays_one_literal() {
    let identities = [
        "CAS01\\owa (Default Web Site'); Remove-Item -Recurse C:\\; ('",
        "CAS01\\owa ’; calc; ‘x‛‚",
        "CAS01\\owa $(Remove-Item C:\\) `n \"; iex 'calc' #",
        "CAS01\\owa @' '@ <# #> ${env:PATH} | Format-Volume &",
    ];
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "configs/CAS01/web.config",
        web_config(&im_keys("naocs.contoso.com", ISSUER, SERIAL)),
    );
    let mut map = String::from("path,server,identity\n");
    for identity in identities {
        map.push_str(&format!(
            "CAS01/web.config,CAS01,\"{}\"\n",
            identity.replace('"', "\"\"")
        ));
    }
    let map = write(dir.path(), "map.csv", map);
    let out = dir.path().join("m");
    let output = convert(
        &dir.path().join("configs"),
        &["--server-map", map.to_str().unwrap()],
        &out,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    assert_no_smuggled_commands(&script);
    let sets = common::set_commands(&script);
    let mut expected: Vec<&str> = identities.to_vec();
    expected.sort();
    assert_eq!(
        sets.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
    // Every other command that names the identity gets it as the same literal (the library's
    // own functions pass their parameters on as variables).
    for cmd in pwsh::commands_named(&script, "Get-ImValues") {
        match cmd.param("-Identity") {
            Some(ArgValue::Literal(v)) => assert!(identities.contains(&v.as_str()), "{v}"),
            Some(ArgValue::Variable(_)) => {}
            other => panic!("line {}: {other:?}", cmd.line),
        }
    }
}

#[test]
fn hostile_values_of_failed_servers_stay_in_comments() {
    let dir = tempfile::tempdir().unwrap();
    // Entities put a newline and quotes into the value: it fails to parse as a DN, and its
    // message reaches the script's comments.
    let issuer = "x&#39;; Remove-Item C:\\ -Recurse&#10;Remove-Item C:\\ -Recurse #&#x2019;";
    write(
        dir.path(),
        "configs/CAS01/web.config",
        web_config(&im_keys("naocs.contoso.com", issuer, SERIAL)),
    );
    write(
        dir.path(),
        "configs/CAS02/web.config",
        web_config(&im_keys("naocs.contoso.com", ISSUER, SERIAL)),
    );
    let out = dir.path().join("m");
    let output = convert(&dir.path().join("configs"), &[], &out);
    assert_eq!(output.status.code(), Some(1));
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    assert_no_smuggled_commands(&script);
    assert!(
        script.contains("Remove-Item C:\\ -Recurse[U+000A]Remove-Item"),
        "the newline is shown, not written"
    );
    let report = common::report(&out);
    assert_eq!(common::server(&report, "CAS01")["status"], "failed");
    assert_eq!(common::server(&report, "CAS02")["status"], "converted");
}

#[test]
fn hostile_folder_names_stay_in_comments() {
    let dir = tempfile::tempdir().unwrap();
    let configs = dir.path().join("x'; Remove-Item C:\\; '$(calc)");
    write(
        &configs,
        "CAS01/web.config",
        web_config(&im_keys("naocs.contoso.com", ISSUER, SERIAL)),
    );
    if cfg!(unix) {
        write(
            &configs,
            "CAS02/evil\nRemove-Item C:\\\n/web.config",
            web_config(&im_keys("naocs.contoso.com", ISSUER, SERIAL)),
        );
    }
    let out = dir.path().join("m");
    let output = convert(&configs, &[], &out);
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    assert_no_smuggled_commands(&script);
    assert_eq!(output.status.code(), Some(0));
    let sets = common::set_commands(&script);
    assert!(sets.contains_key("CAS01\\owa (Default Web Site)"));
    if cfg!(unix) {
        // The server comes from the first folder; the newline below it is shown escaped.
        assert!(sets.contains_key("CAS02\\owa (Default Web Site)"));
        assert!(script.contains("evil[U+000A]Remove-Item"), "{script}");
    }
}
