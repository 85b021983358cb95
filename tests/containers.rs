//! Every certificate file Windows writes: PKCS#7 chains (DER and Base-64), serialized
//! certificate stores, CSV exports that went through Excel, and files that only look like
//! certificate containers. The fixtures are written by real tools (.NET, OpenSSL, Windows
//! Update's own store); see tests/fixtures/sources/README.md.

mod common;

use std::path::{Path, PathBuf};

use common::{im_keys, server, web_config, write};
use serde_json::Value;

const SOURCES: &str = "tests/fixtures/sources";

fn manifest_thumbprint(name: &str) -> String {
    let path = common::root().join(SOURCES).join("manifest.json");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    manifest["certificates"][name]["thumbprint"]
        .as_str()
        .unwrap()
        .to_string()
}

/// CAS21..CAS24 configured with their certificates' issuer and serial, as in tests/sources.rs.
fn organisation(dir: &Path) -> PathBuf {
    let path = common::root().join(SOURCES).join("manifest.json");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for n in 21..=24 {
        let cert = &manifest["certificates"][format!("cas{n}")];
        write(
            dir,
            &format!("collected/CAS{n}/web.config"),
            web_config(&im_keys(
                "naocs.contoso.com",
                cert["windows_issuer"].as_str().unwrap(),
                cert["serial"].as_str().unwrap(),
            )),
        );
    }
    dir.join("collected")
}

/// Runs convert over `configs` with `certs` (relative to the fixtures, or absolute).
fn convert(dir: &Path, configs: &Path, certs: &[&str], extra: &[&str]) -> (i32, Value) {
    let out = dir.join("out");
    let mut cmd = common::bin();
    cmd.arg("convert").arg(configs).arg("--certs");
    for c in certs {
        cmd.arg(common::root().join(SOURCES).join(c));
    }
    let output = cmd
        .args(["--at", "2027-01-01", "--out"])
        .arg(&out)
        .args(extra)
        .env_remove("OWA_IM_MIGRATE_PFX_PASSWORD")
        .output()
        .unwrap();
    (output.status.code().unwrap(), common::report(&out))
}

fn assert_converted(report: &Value, n: u32) {
    let s = server(report, &format!("CAS{n}"));
    assert_eq!(s["status"], "converted", "CAS{n}: {s:#}");
    assert_eq!(
        s["sp1"]["thumbprint"],
        manifest_thumbprint(&format!("cas{n}")),
        "CAS{n}"
    );
}

fn source<'r>(report: &'r Value, file: &str) -> &'r Value {
    report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["file"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("{file} is not in sources: {:#}", report["sources"]))
}

/// The top-level diagnostics about one file, as `severity code message`.
fn said_about(report: &Value, file: &str) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"].as_str().is_some_and(|f| f.ends_with(file)))
        .map(|d| format!("{} {} {}", d["severity"], d["code"], d["message"]))
        .collect()
}

#[test]
fn pkcs7_chains_from_dotnet_and_openssl_are_read_certificate_by_certificate() {
    let cases: &[(&str, &str, usize, &[u32])] = &[
        // .NET X509Certificate2Collection.Export(Pkcs7): ContosoCA, cas21, cas22
        ("chains/dotnet-chain.p7b", "pkcs7", 3, &[21, 22]),
        // openssl crl2pkcs7 -outform DER: ContosoCA, cas23
        ("chains/openssl-chain.p7b", "pkcs7", 2, &[23]),
        // -----BEGIN PKCS7----- with CRLF, as a Microsoft CA offers the chain in Base 64
        ("chains/certnew-base64.p7b", "pem", 2, &[24]),
        // certutil -encode of a chain: the label says CERTIFICATE, the content is PKCS#7
        ("chains/certutil-encoded.p7b", "pem", 2, &[22]),
    ];
    for (file, format, count, converted) in cases {
        let dir = tempfile::tempdir().unwrap();
        let configs = organisation(dir.path());
        let (_, report) = convert(dir.path(), &configs, &[file], &[]);
        let listed = source(&report, file);
        assert_eq!(listed["status"], "read", "{file}: {listed}");
        assert_eq!(listed["format"], *format, "{file}");
        assert_eq!(
            listed["certificates"], *count,
            "{file}: the CA's certificate too"
        );
        for &n in *converted {
            assert_converted(&report, n);
        }
    }
    // Each certificate is named by its place in the chain.
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let (_, report) = convert(dir.path(), &configs, &["chains/dotnet-chain.p7b"], &[]);
    let sources = &server(&report, "CAS22")["certificate"]["sources"];
    assert!(
        sources[0]
            .as_str()
            .unwrap()
            .ends_with("chains/dotnet-chain.p7b#certificate 3"),
        "{sources}"
    );
}

#[test]
fn a_pkcs7_file_that_is_not_a_chain_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let (code, report) = convert(
        dir.path(),
        &configs,
        &["chains/not-a-chain.p7b", "cas21.cer"],
        &[],
    );
    assert_eq!(source(&report, "not-a-chain.p7b")["status"], "unreadable");
    let said = said_about(&report, "not-a-chain.p7b");
    assert!(
        said.iter()
            .any(|d| d.contains("error") && d.contains("enveloped data")),
        "{said:#?}"
    );
    assert_converted(&report, 21);
    assert_eq!(code, 1, "the servers whose certificate is missing fail");
}

#[test]
fn a_serialized_store_written_by_windows_is_read_element_by_element() {
    // Windows Update's list of distrusted certificates (disallowedcert.sst), as Microsoft
    // publishes it: 71 certificates, each after its SHA-1 hash property.
    let store = "../stores/windows-update-disallowedcert.sst";
    let dir = tempfile::tempdir().unwrap();
    // Element 4 is "Microsoft Genuine Windows Phone Public Preview CA01", serial
    // 6103D252000000000006; a server that names its issuer with one digit off is told
    // where the nearest certificate is.
    write(
        dir.path(),
        "collected/PHONE01/web.config",
        web_config(&im_keys(
            "ocs.contoso.com",
            "CN=Microsoft Windows Phone PCA, O=Microsoft Corporation, L=Redmond, S=Washington, C=US",
            "6103D252000000000007",
        )),
    );
    let (_, report) = convert(dir.path(), &dir.path().join("collected"), &[store], &[]);
    let listed = source(&report, "windows-update-disallowedcert.sst");
    assert_eq!(listed["format"], "sst");
    assert_eq!(listed["status"], "read");
    assert_eq!(listed["certificates"], 71);
    let phone = server(&report, "PHONE01");
    let not_found = common::diagnostic(phone, "cert-not-found")["message"]
        .as_str()
        .unwrap();
    assert!(
        not_found.contains("windows-update-disallowedcert.sst#element 4")
            && not_found.contains("E38A2B7663B86796436D8DF5898D9FAA6835B238"),
        "{not_found}"
    );

    // The exact serial resolves, from the store's fourth element.
    let output = common::bin()
        .args([
            "resolve",
            "--issuer",
            "CN=Microsoft Windows Phone PCA, O=Microsoft Corporation, L=Redmond, S=Washington, C=US",
            "--serial",
            "6103D252000000000006",
            "--at",
            "2012-01-01",
            "--certs",
        ])
        .arg(common::root().join(SOURCES).join(store))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stdout.trim(),
        "E38A2B7663B86796436D8DF5898D9FAA6835B238",
        "{stderr}"
    );
    assert!(stderr.contains("#element 4"), "{stderr}");
}

#[test]
fn a_stores_key_provider_and_friendly_name_are_used() {
    // .NET's test data: a store Windows saved with a key-provider property before CN=MyName.
    let output = common::bin()
        .args([
            "resolve",
            "--issuer",
            "CN=MyName",
            "--serial",
            "D5B5BC1C458A558845BFF51CB4DFF31C",
            "--at",
            "2010-06-01",
            "--certs",
        ])
        .arg(
            common::root()
                .join(SOURCES)
                .join("../stores/dotnet-testdata-keyprovinfo.sst"),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "71CB4E2B02738AD44F8B382C93BD17BA665F9914",
        "{stderr}"
    );
    assert!(stderr.contains("private key: exists"), "{stderr}");

    // The store built from the Contoso certificates: cas21 with its key and a friendly name,
    // ContosoCA, cas22 without a key.
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let (_, report) = convert(dir.path(), &configs, &["stores/contoso-store.sst"], &[]);
    assert_eq!(source(&report, "contoso-store.sst")["certificates"], 3);
    assert_converted(&report, 21);
    assert_converted(&report, 22);
    let cas21 = &server(&report, "CAS21")["certificate"];
    assert_eq!(cas21["private_key"], true, "{cas21:#}");
    assert_eq!(cas21["friendly_name"], "CAS21 Exchange 2010");
    assert!(
        cas21["sources"][0]
            .as_str()
            .unwrap()
            .ends_with("contoso-store.sst#element 4"),
        "{cas21:#}"
    );
    let cas22 = &server(&report, "CAS22")["certificate"];
    assert_eq!(
        cas22["private_key"],
        Value::Null,
        "no key property proves nothing"
    );
    assert_eq!(cas22["friendly_name"], "CAS22 OWA");
}

#[test]
fn files_that_only_look_like_certificates_are_named_and_the_rest_stay_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let certs = dir.path().join("certs");
    for file in [
        "other/cas21.key",
        "other/cas21.req",
        "other/contoso.crl",
        "cas21.cer",
    ] {
        let from = common::root().join(SOURCES).join(file);
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        write(&certs, name, std::fs::read(from).unwrap());
    }
    write(&certs, "notes.txt", "renewed cas21 in March\r\n");
    write(
        &certs,
        "0-readme.txt",
        "0 certificates renewed this year\r\n",
    );
    // Cut short in copying: said whatever the file is called, and never read.
    let whole = std::fs::read(common::root().join(SOURCES).join("cas21.cer")).unwrap();
    write(&certs, "cas21-copy.bin", &whole[..whole.len() / 2]);
    write(&certs, "cas21-copy.cer", &whole[..whole.len() / 2]);
    // A DER structure, but no certificate, under a certificate's name.
    write(&certs, "not-a-cert.cer", [0x30, 0x03, 0x02, 0x01, 0x05]);
    write(&certs, "CAS21/web.config", web_config(""));
    write(
        &certs,
        "server-map.csv",
        "path,server\r\nCAS21/web.config,CAS21\r\n",
    );
    let (_, report) = convert(dir.path(), &configs, &[certs.to_str().unwrap()], &[]);
    assert_converted(&report, 21);
    for (file, words) in [
        ("cas21.key", "a private key"),
        ("cas21.req", "a certificate request"),
        ("contoso.crl", "a certificate revocation list"),
    ] {
        let listed = source(&report, file);
        assert_eq!(listed["status"], "ignored", "{file}");
        let said = said_about(&report, file);
        assert!(
            said.iter()
                .any(|d| d.starts_with("\"warning\" \"source-unreadable\"")
                    && d.contains(words)
                    && d.contains("PKCS #7 chains (.p7b)")),
            "{file}: {said:#?}"
        );
    }
    for (file, severity) in [("cas21-copy.bin", "warning"), ("cas21-copy.cer", "error")] {
        let said = said_about(&report, file);
        assert!(
            said.iter().any(
                |d| d.starts_with(&format!("\"{severity}\" \"source-unreadable\""))
                    && d.contains("cut short")
            ),
            "{file}: {said:#?}"
        );
    }
    let said = said_about(&report, "not-a-cert.cer");
    assert!(
        said.iter()
            .any(|d| d.starts_with("\"error\" \"source-unreadable\"")
                && d.contains("not an X.509 certificate: damaged")
                && d.contains("export the certificate again")),
        "{said:#?}"
    );
    for file in ["notes.txt", "0-readme.txt", "web.config", "server-map.csv"] {
        assert_eq!(source(&report, file)["status"], "ignored", "{file}");
        assert!(said_about(&report, file).is_empty(), "{file} stays quiet");
    }
}

#[test]
fn a_csv_that_went_through_excel_is_read_where_its_values_survived() {
    // A French Excel: ';', dates without seconds, VRAI/FAUX, Windows-1252, and a serial of
    // only digits that became 6,1E+19.
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let (_, report) = convert(
        dir.path(),
        &configs,
        &["excel/excel-fr.csv"],
        &["--csv-culture", "fr-FR"],
    );
    for n in [21, 22, 24] {
        assert_converted(&report, n);
    }
    assert_eq!(
        server(&report, "CAS21")["certificate"]["private_key"],
        true,
        "VRAI is True"
    );
    assert!(common::codes(server(&report, "CAS24")).contains(&"issuer-inexact".to_string()));
    let said = said_about(&report, "excel-fr.csv");
    assert!(
        said.iter()
            .any(|d| d.contains("warning") && d.contains("ANSI code page")),
        "{said:#?}"
    );
    assert!(
        said.iter().any(|d| d.contains("error")
            && d.contains("row 7: SerialNumber '6,1E+19'")
            && d.contains("Excel")
            && d.contains("Export-Csv")),
        "{said:#?}"
    );

    // An English Excel: ',', `1/15/2030 1:00` on a 24-hour clock, TRUE/FALSE, and a serial
    // whose leading zero was dropped: the same number, so the row is read.
    let dir = tempfile::tempdir().unwrap();
    let configs = organisation(dir.path());
    let (_, report) = convert(dir.path(), &configs, &["excel/excel-us.csv"], &[]);
    for n in [21, 22, 24] {
        assert_converted(&report, n);
    }
    let said = said_about(&report, "excel-us.csv");
    assert!(!said.iter().any(|d| d.contains("610000005")), "{said:#?}");
    let found = common::bin()
        .args(["resolve", "--issuer", "CN=ContosoCA, DC=contoso, DC=com"])
        .args([
            "--serial",
            "06 10 00 00 05",
            "--at",
            "2027-01-01",
            "--certs",
        ])
        .arg(common::root().join(SOURCES).join("excel/excel-us.csv"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&found.stdout).trim(),
        "6A1D4C0E3B8F5072C9D1E2F3A4B5C6D7E8F90A1B",
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
}
