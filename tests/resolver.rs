//! Certificates made with openssl (tests/fixtures/certs, values in manifest.json): every
//! issuer and serial rule of SPEC §3 and every certificate check of §4, end to end.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{codes, diagnostic, im_keys, server, web_config, write};
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/certs";
const CONTOSO: &str = "CN=ContosoCA, DC=contoso, DC=com";

fn manifest() -> BTreeMap<String, Value> {
    let text =
        std::fs::read_to_string(common::root().join(FIXTURES).join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn thumbprint(file: &str) -> String {
    manifest()[file]["thumbprint"].as_str().unwrap().to_string()
}

#[test]
fn every_fixture_reads_as_openssl_and_dotnet_see_it() {
    for (file, entry) in manifest() {
        let ders = common::certificate_ders(&common::root().join(FIXTURES).join(&file));
        let entries: Vec<&Value> = match &entry {
            Value::Array(blocks) => blocks.iter().collect(),
            single => vec![single],
        };
        assert_eq!(ders.len(), entries.len(), "{file}");
        for (der, expected) in ders.iter().zip(entries) {
            let cert = owa_im_migrate::cert::certificate::from_der(der)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let t = cert.thumbprint.to_string();
            assert_eq!(
                t,
                expected["thumbprint"].as_str().unwrap(),
                "{file}: openssl's SHA-1"
            );
            assert_eq!(t, common::independent_sha1(der), "{file}: ring's SHA-1");
            assert_eq!(
                cert.serial.to_hex(),
                expected["serial"].as_str().unwrap(),
                "{file}"
            );
            assert_eq!(
                &*cert.issuer_text,
                expected["windows_issuer"].as_str().unwrap(),
                "{file}: .NET issuer"
            );
            assert_eq!(
                owa_im_migrate::plan::rfc3339(cert.not_before),
                expected["not_before"].as_str().unwrap()
            );
            assert_eq!(
                owa_im_migrate::plan::rfc3339(cert.not_after),
                expected["not_after"].as_str().unwrap()
            );
        }
    }
}

/// One server per case: (server, issuer as written, serial as written).
const CASES: &[(&str, &str, &str)] = &[
    ("CAS01", CONTOSO, "1F 5E DD 03 00 00 00 00 00 05"),
    ("CAS02", CONTOSO, "9A 12 C4 E7 00 00 00 00 00 06"),
    ("CAS03", CONTOSO, "1F 5E DD 03 00 00 00 00 00 07"),
    ("CAS04", CONTOSO, "1F 5E DD 03 00 00 00 00 00 08"),
    ("CAS05", CONTOSO, "1F 5E DD 03 00 00 00 00 00 09"),
    ("CAS06", CONTOSO, "1F 5E DD 03 00 00 00 00 00 0A"),
    ("CAS07", CONTOSO, "1F 5E DD 03 00 00 00 00 00 0B"),
    ("CAS08", CONTOSO, "1F 5E DD 03 00 00 00 00 00 0C"),
    ("CAS09", "CN=cas09.contoso.com", "1F 5E DD 03 00 00 00 00 00 0D"),
    ("CAS10", "CN=Fabrikam Issuing CA, O=&quot;Fabrikam, Inc.&quot;, C=US", "1F 5E DD 03 00 00 00 00 00 05"),
    ("CAS11", "E=pki@contoso.com, CN=Contoso Legacy CA, OU=IT, O=Contoso, L=Redmond, S=Washington, C=US", "1F5EDD0300000000000E"),
    ("CAS12", CONTOSO, "1F 5E DD 03 00 00 00 00 00 0F"),
    ("CAS13", CONTOSO, "1F 5E DD 03 00 00 00 00 00 1F"),
    ("CAS14", "CN=Northwind CA", "1F 5E DD 03 00 00 00 00 00 05"),
    ("CAS15", CONTOSO, "0F 00 00 00 00 00 03 DD 5E 1F"),
    ("CAS16", "/C=US/ST=Washington/L=Redmond/O=Contoso/OU=IT/CN=Contoso Legacy CA/emailAddress=pki@contoso.com", "00:1f:5e:dd:03:00:00:00:00:00:0e"),
    // Not in the server map: the CN's first label is compared with the server name.
    ("CAS17", CONTOSO, "1F 5E DD 03 00 00 00 00 00 0B"),
    // A space typed after the issuer: RTM compared the exact string.
    ("CAS18", "CN=ContosoCA, DC=contoso, DC=com ", "1F 5E DD 03 00 00 00 00 00 0F"),
];

fn organisation(dir: &Path) {
    for (name, issuer, serial) in CASES {
        write(
            dir,
            &format!("configs/{name}/web.config"),
            web_config(&im_keys("naocs.contoso.com", issuer, serial)),
        );
    }
    write(dir, "map.csv", "path,server,fqdn\nCAS01/web.config,CAS01,cas01.contoso.com\nCAS07/web.config,CAS07,cas07.contoso.com\n");
    write(dir, "more-certs/junk.cer", "this is not a certificate");
    write(dir, "more-certs/cas01.pfx", [0x30u8, 0x82, 0x01]);
    write(dir, "more-certs/notes.txt", "exported on Monday");
}

fn run(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = dir.join(format!("out{}", extra.len()));
    let output = common::bin()
        .arg("convert")
        .arg(dir.join("configs"))
        .args(["--certs", FIXTURES])
        .arg(dir.join("more-certs"))
        .arg("--server-map")
        .arg(dir.join("map.csv"))
        .args(["--at", "2027-01-01", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    let script = common::read_script(&out.join("Set-OwaInstantMessaging.ps1"));
    (output.status.code().unwrap(), common::report(&out), script)
}

#[test]
fn every_certificate_rule_and_check() {
    let dir = tempfile::tempdir().unwrap();
    organisation(dir.path());
    let (code, r, script) = run(dir.path(), &[]);
    assert_eq!(code, 1);
    let converted = |name: &str, file: &str, expected_codes: &[&str]| {
        let s = server(&r, name);
        assert_eq!(s["status"], "converted", "{name}: {s:#}");
        assert_eq!(s["sp1"]["thumbprint"], thumbprint(file).as_str(), "{name}");
        assert_eq!(codes(s), expected_codes, "{name}");
    };
    converted("CAS01", "cas01.cer", &[]);
    converted("CAS02", "cas02.pem", &[]);
    converted("CAS04", "cas04-future.cer", &["cert-not-yet-valid"]);
    converted("CAS05", "cas05-expiring.cer", &["cert-expiring-soon"]);
    converted("CAS06", "cas06-clientauth.cer", &["cert-eku"]);
    converted("CAS07", "cas07-mail.cer", &["cert-name-mismatch"]);
    converted("CAS09", "cas09-selfsigned.cer", &["cert-self-signed"]);
    converted("CAS10", "cas10-fabrikam.cer", &[]);
    converted("CAS11", "cas11-legacy.cer", &[]);
    converted("CAS12", "cas12-noeku.cer", &[]);
    // These reuse another server's certificate, so its subject names another server too.
    converted(
        "CAS15",
        "cas12-noeku.cer",
        &["serial-byte-order", "cert-name-mismatch"],
    );
    converted(
        "CAS16",
        "cas11-legacy.cer",
        &["issuer-inexact", "cert-name-mismatch"],
    );
    converted("CAS17", "cas07-mail.cer", &["cert-name-mismatch"]);
    converted(
        "CAS18",
        "cas12-noeku.cer",
        &["issuer-inexact", "cert-name-mismatch"],
    );
    let unknown_fqdn = diagnostic(server(&r, "CAS17"), "cert-name-mismatch");
    assert!(
        unknown_fqdn["message"]
            .as_str()
            .unwrap()
            .contains("--server-map"),
        "{unknown_fqdn}"
    );

    // The same certificate in two files is one certificate with two sources.
    let sources = server(&r, "CAS01")["certificate"]["sources"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(sources
        .iter()
        .any(|s| s.as_str().unwrap().ends_with("bundle.pem#1")));
    let mismatch = diagnostic(server(&r, "CAS07"), "cert-name-mismatch");
    let mismatch = mismatch["message"].as_str().unwrap();
    assert!(mismatch.contains("'mail.contoso.com'"), "{mismatch}");
    // The server's FQDN is only a subject alternative name: said, and still a mismatch.
    assert!(
        mismatch.contains("cas07.contoso.com is among its subject alternative names"),
        "{mismatch}"
    );
    assert!(diagnostic(server(&r, "CAS06"), "cert-eku")["message"]
        .as_str()
        .unwrap()
        .contains("Client Authentication"));

    let failed = |name: &str, code: &str| {
        let s = server(&r, name);
        assert_eq!(s["status"], "failed", "{name}");
        assert_eq!(s["sp1"], Value::Null);
        diagnostic(s, code)["message"].as_str().unwrap().to_string()
    };
    assert!(failed("CAS03", "cert-expired").contains("2021-01-01"));
    let ambiguous = failed("CAS08", "cert-ambiguous");
    assert!(
        ambiguous.contains(&thumbprint("cas08-a.cer"))
            && ambiguous.contains(&thumbprint("cas08-b.cer"))
            && ambiguous.contains("Get-ExchangeCertificate on the server"),
        "{ambiguous}"
    );
    let near = failed("CAS13", "cert-not-found");
    assert!(
        near.contains(&thumbprint("cas12-noeku.cer")),
        "a serial one digit away is offered: {near}"
    );
    let other_issuer = failed("CAS14", "cert-not-found");
    assert!(
        other_issuer.contains("same serial, but issued by 'CN=ContosoCA, DC=contoso, DC=com'"),
        "{other_issuer}"
    );
    assert!(
        other_issuer.contains("bundle.pem#1"),
        "candidates say where they came from: {other_issuer}"
    );

    // Every certificate file is accounted for; unreadable ones are named.
    let files: BTreeMap<String, String> = r["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(files["junk.cer"], "unreadable");
    assert_eq!(files["cas01.pfx"], "unreadable");
    assert_eq!(files["notes.txt"], "ignored");
    assert_eq!(files["cas08-b.cer"], "read");
    let top: Vec<&str> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["source-unreadable", "source-unreadable"]);

    // The script changes exactly the converted servers, with the right thumbprints.
    common::assert_powershell_2(&script);
    let sets = common::set_commands(&script);
    assert_eq!(sets.len(), 14);
    assert_eq!(
        sets["CAS10\\owa (Default Web Site)"].1,
        thumbprint("cas10-fabrikam.cer")
    );
    assert!(!sets.contains_key("CAS08\\owa (Default Web Site)"));
}

#[test]
fn strict_fails_every_server_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    organisation(dir.path());
    let (code, r, script) = run(dir.path(), &["--strict"]);
    assert_eq!(code, 1);
    for name in [
        "CAS04", "CAS05", "CAS06", "CAS07", "CAS09", "CAS15", "CAS16",
    ] {
        assert_eq!(server(&r, name)["status"], "failed", "{name}");
    }
    let sets = common::set_commands(&script);
    let names: Vec<&str> = sets.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "CAS01\\owa (Default Web Site)",
            "CAS02\\owa (Default Web Site)",
            "CAS10\\owa (Default Web Site)",
            "CAS11\\owa (Default Web Site)",
            "CAS12\\owa (Default Web Site)"
        ]
    );
}
