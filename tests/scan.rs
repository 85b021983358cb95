//! `scan`: what collected web.config files say, without certificates.

mod common;

use common::{codes, diagnostic, im_keys, scan, server, web_config, write};

const ISSUER: &str = "CN=ContosoCA, DC=contoso, DC=com";
const SERIAL: &str = "1F 5E DD 03 00 00 00 00 00 05";

fn clean() -> String {
    web_config(&im_keys("naocs.contoso.com", ISSUER, SERIAL))
}

#[test]
fn every_supported_encoding_reads_the_same_values_and_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = clean();
    write(dir.path(), "CAS01/web.config", &text);
    write(
        dir.path(),
        "CAS02/web.config",
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
    );
    write(
        dir.path(),
        "CAS03/web.config",
        common::utf16le(&text.replace("utf-8", "utf-16").replace('\n', "\r\n")),
    );
    write(
        dir.path(),
        "CAS04/web.config",
        common::utf16be(&text.replace("utf-8", "utf-16")),
    );
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["summary"]["configured"], 4);
    for name in ["CAS01", "CAS02", "CAS03", "CAS04"] {
        let s = server(&r, name);
        assert_eq!(s["status"], "configured", "{name}: {s:#}");
        assert_eq!(s["rtm"]["pool"], "naocs.contoso.com");
        assert_eq!(s["rtm"]["issuer"], ISSUER);
        assert_eq!(s["rtm"]["serial"], SERIAL);
        assert_eq!(s["sp1"], serde_json::Value::Null);
        assert_eq!(s["certificate"], serde_json::Value::Null);
    }
}

#[test]
fn server_names_come_from_folders_file_names_and_the_server_map() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "CAS01/ClientAccess/Owa/web.config", clean());
    write(dir.path(), "loose/cas02.contoso.com.web.config", clean());
    write(dir.path(), "web.config", clean());
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(server(&r, "CAS01")["status"], "configured");
    let cas02 = server(&r, "CAS02");
    assert_eq!(cas02["fqdn"], "cas02.contoso.com");
    let unknown: Vec<&serde_json::Value> = r["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["server"].is_null())
        .collect();
    assert_eq!(
        unknown.len(),
        1,
        "every file appears once, even without a server"
    );
    assert_eq!(unknown[0]["status"], "failed");
    assert_eq!(codes(unknown[0]), ["server-unknown"]);

    let map = write(dir.path(), "../map-for-scan.csv", "path,server,identity,fqdn\nweb.config,CAS09,CAS09\\owa (Intranet),cas09.contoso.com\nweb.config,CAS09,CAS09\\owa (Default Web Site),\n");
    let (code, r) = scan(dir.path(), &["--server-map", map.to_str().unwrap()]);
    assert_eq!(code, 0, "{r:#}");
    let cas09 = server(&r, "CAS09");
    assert_eq!(
        cas09["identities"],
        serde_json::json!(["CAS09\\owa (Default Web Site)", "CAS09\\owa (Intranet)"])
    );
    assert_eq!(cas09["fqdn"], "cas09.contoso.com");
    std::fs::remove_file(map).unwrap();
}

#[test]
fn two_files_for_one_server_both_fail() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "CAS01/web.config", clean());
    write(dir.path(), "more/CAS01.web.config", clean());
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 1);
    let servers = r["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2);
    for (s, other) in servers.iter().zip(["CAS01.web.config", "CAS01/web.config"]) {
        assert_eq!(s["status"], "failed");
        assert_eq!(codes(s), ["duplicate-server"]);
        // Each file's entry names the other file, and the finding is said once per file.
        let message = s["diagnostics"][0]["message"].as_str().unwrap();
        assert!(message.contains(other), "{message}");
    }
    // Across servers, in the report's top-level list (SPEC §7) ...
    assert_eq!(r["diagnostics"][0]["code"], "duplicate-server");
    // ... but the text summary says it once per file, not a third time.
    let output = common::bin().arg("scan").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text.matches("error[duplicate-server]").count(), 2, "{text}");
}

#[test]
fn not_configured_and_partial() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        web_config(&im_keys("", "", "")),
    );
    write(dir.path(), "CAS02/web.config", web_config(""));
    write(
        dir.path(),
        "CAS03/web.config",
        web_config(&im_keys("naocs.contoso.com", "", " ")),
    );
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 1);
    // The keys present and empty, as RTM ships them: IM was never set up here.
    let cas01 = server(&r, "CAS01");
    assert_eq!(cas01["status"], "not_configured");
    assert_eq!(diagnostic(cas01, "im-not-configured")["severity"], "info");
    // No key at all: a file that SP1 or an update replaced, said aloud (a warning).
    let cas02 = server(&r, "CAS02");
    assert_eq!(cas02["status"], "not_configured");
    let absent = diagnostic(cas02, "im-keys-absent");
    assert_eq!(absent["severity"], "warning");
    assert!(
        absent["message"]
            .as_str()
            .unwrap()
            .contains("backup of the RTM web.config"),
        "{absent}"
    );
    let cas03 = server(&r, "CAS03");
    assert_eq!(cas03["status"], "failed");
    let partial = diagnostic(cas03, "im-partial");
    assert!(partial["message"]
        .as_str()
        .unwrap()
        .contains("IMCertificateIssuer and IMCertificateSerialNumber missing"));
}

#[test]
fn absent_keys_with_collected_values_tell_migrated_from_lost() {
    let dir = tempfile::tempdir().unwrap();
    let header = "Identity,InstantMessagingEnabled,InstantMessagingType,\
                  InstantMessagingServerName,InstantMessagingCertificateThumbprint,ExternalUrl\r\n";
    write(dir.path(), "CAS01/web.config", web_config(""));
    write(
        dir.path(),
        "CAS01/owa-virtual-directories.csv",
        format!(
            "{header}CAS01\\owa (Default Web Site),True,Ocs,ocs.contoso.com,\
             8210E17393B6E81AD0B3A75DD9161ABE1A93B695,\r\n"
        ),
    );
    write(dir.path(), "CAS02/web.config", web_config(""));
    write(
        dir.path(),
        "CAS02/owa-virtual-directories.csv",
        format!("{header}CAS02\\owa (Default Web Site),True,None,,,\r\n"),
    );
    let (_, r) = scan(dir.path(), &[]);
    let migrated = diagnostic(server(&r, "CAS01"), "im-keys-absent");
    assert_eq!(migrated["severity"], "info");
    assert!(
        migrated["message"]
            .as_str()
            .unwrap()
            .contains("already migrated"),
        "{migrated}"
    );
    let lost = diagnostic(server(&r, "CAS02"), "im-keys-absent");
    assert_eq!(lost["severity"], "warning");
    assert!(lost["message"].as_str().unwrap().contains("lost"), "{lost}");
}

#[test]
fn pool_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        web_config(&im_keys("naocs", ISSUER, SERIAL)),
    );
    write(
        dir.path(),
        "CAS02/web.config",
        web_config(&im_keys("na ocs.contoso.com", ISSUER, SERIAL)),
    );
    write(
        dir.path(),
        "CAS04/web.config",
        web_config(&im_keys("10.1.2.3", ISSUER, SERIAL)),
    );
    write(
        dir.path(),
        "CAS03/web.config",
        web_config(&im_keys(
            "naocs.contoso.com'; Remove-Item C:\\ #",
            ISSUER,
            SERIAL,
        )),
    );
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 1);
    let d = diagnostic(server(&r, "CAS01"), "pool-not-fqdn");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 9);
    assert_eq!(server(&r, "CAS02")["status"], "failed");
    diagnostic(server(&r, "CAS02"), "pool-invalid");
    diagnostic(server(&r, "CAS03"), "pool-invalid");
    let ip = diagnostic(server(&r, "CAS04"), "pool-invalid");
    assert!(
        ip["message"].as_str().unwrap().contains("IP address"),
        "{ip}"
    );

    let (_, r) = scan(dir.path(), &["--domain", "contoso.com"]);
    let cas01 = server(&r, "CAS01");
    assert_eq!(cas01["status"], "configured");
    assert_eq!(diagnostic(cas01, "pool-not-fqdn")["severity"], "warning");
}

#[test]
fn issuer_and_serial_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        web_config(&im_keys("naocs.contoso.com", "ContosoCA", SERIAL)),
    );
    write(
        dir.path(),
        "CAS02/web.config",
        web_config(&im_keys(
            "naocs.contoso.com",
            ISSUER,
            "1F 5E DD 03 00 00 00 00 00 0G",
        )),
    );
    write(
        dir.path(),
        "CAS03/web.config",
        web_config(&im_keys(
            "naocs.contoso.com",
            ISSUER,
            "\u{200E}1f 5e dd 03 00 00 00 00 00 05\u{200F}",
        )),
    );
    write(
        dir.path(),
        "CAS04/web.config",
        web_config(&im_keys(
            "naocs.contoso.com\u{200B}",
            "CN=ContosoCA,\u{00A0}DC=contoso, DC=com",
            SERIAL,
        )),
    );
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 1);
    let d = diagnostic(server(&r, "CAS01"), "issuer-invalid");
    assert_eq!(d["line"], 10);
    let d = diagnostic(server(&r, "CAS02"), "serial-invalid");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("'G' at position 29"),
        "{d}"
    );
    let cas03 = server(&r, "CAS03");
    assert_eq!(cas03["status"], "configured");
    let d = diagnostic(cas03, "hidden-characters");
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("U+200E LEFT-TO-RIGHT MARK at position 1"));
    assert!(d["message"].as_str().unwrap().contains("U+200F"));
    let cas04 = server(&r, "CAS04");
    assert_eq!(cas04["status"], "configured");
    assert_eq!(codes(cas04), ["hidden-characters", "hidden-characters"]);
}

#[test]
fn duplicate_keys_last_wins_and_port_number_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}\n    <add key=\"imPOOLname\" value=\"naocs.contoso.com\" />\n    <add key=\"IMPortNumber\" value=\"5075\" />",
        im_keys("old.contoso.com", ISSUER, SERIAL)
    );
    write(dir.path(), "CAS01/web.config", web_config(&body));
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 0);
    let s = server(&r, "CAS01");
    assert_eq!(s["rtm"]["pool"], "naocs.contoso.com");
    assert_eq!(diagnostic(s, "duplicate-key")["line"], 9);
    let port = diagnostic(s, "im-port-number");
    assert_eq!(port["line"], 13);
    assert!(port["message"].as_str().unwrap().contains("5075"));

    let (code, r) = scan(dir.path(), &["--strict"]);
    assert_eq!(code, 1, "--strict turns the warnings into errors");
    assert_eq!(server(&r, "CAS01")["status"], "failed");
    assert_eq!(
        diagnostic(server(&r, "CAS01"), "duplicate-key")["severity"],
        "error"
    );
}

#[test]
fn malformed_xml_names_line_and_column_and_other_files_go_on() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        clean().replace(
            "<add key=\"ProxyRequestTimeout\" value=\"90\" />",
            "<add key=\"ProxyRequestTimeout\" value=\"90\" >",
        ),
    );
    write(dir.path(), "CAS02/web.config", clean());
    write(dir.path(), "CAS03/web.config", b"\xFF\xFEbroken");
    write(dir.path(), "CAS04/web.config", "");
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 1);
    let d = diagnostic(server(&r, "CAS01"), "xml-malformed");
    assert_eq!(d["line"], 13, "{d}");
    assert!(d["column"].as_u64().unwrap() > 1);
    assert_eq!(server(&r, "CAS02")["status"], "configured");
    assert_eq!(server(&r, "CAS03")["status"], "failed");
    assert_eq!(server(&r, "CAS04")["status"], "failed");
    diagnostic(server(&r, "CAS04"), "source-unreadable");
}

#[test]
fn pools_must_agree_per_site_or_across_the_organisation() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        web_config(&im_keys("paris-ocs.contoso.com", ISSUER, SERIAL)),
    );
    write(
        dir.path(),
        "CAS02/web.config",
        web_config(&im_keys("PARIS-OCS.contoso.com", ISSUER, SERIAL)),
    );
    write(
        dir.path(),
        "CAS03/web.config",
        web_config(&im_keys("lyon-ocs.contoso.com", ISSUER, SERIAL)),
    );
    let (_, r) = scan(dir.path(), &[]);
    let top = r["diagnostics"].as_array().unwrap();
    assert_eq!(top.len(), 1, "{top:#?}");
    assert_eq!(top[0]["code"], "pool-inconsistent");
    let message = top[0]["message"].as_str().unwrap();
    assert!(
        message.contains("lyon-ocs.contoso.com (CAS03)"),
        "{message}"
    );
    assert!(message.contains("give a site column"), "{message}");

    let map = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(map.path(), "path,server,site\nCAS01/web.config,CAS01,Paris\nCAS02/web.config,CAS02,Paris\nCAS03/web.config,CAS03,Lyon\n").unwrap();
    let (code, r) = scan(dir.path(), &["--server-map", map.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        r["diagnostics"],
        serde_json::json!([]),
        "one pool per site is fine"
    );
    // Within a site the map names, a site column is not what to add.
    // AD site names do not differ by case: PARIS is Paris.
    std::fs::write(map.path(), "path,server,site\nCAS01/web.config,CAS01,Paris\nCAS02/web.config,CAS02,Paris\nCAS03/web.config,CAS03,PARIS\n").unwrap();
    let (_, r) = scan(dir.path(), &["--server-map", map.path().to_str().unwrap()]);
    let message = r["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("'Paris'")
            && message.contains("its own array or site")
            && !message.contains("give a site column"),
        "{message}"
    );

    // --strict: a disagreement fails every server involved, so the script changes none.
    let (code, r) = scan(dir.path(), &["--strict"]);
    assert_eq!(code, 1);
    for name in ["CAS01", "CAS02", "CAS03"] {
        let s = server(&r, name);
        assert_eq!(s["status"], "failed", "{name}");
        assert_eq!(diagnostic(s, "pool-inconsistent")["severity"], "error");
    }
}

#[test]
fn the_same_folder_named_twice_is_read_once() {
    let (code, r) = {
        let output = common::bin()
            .args([
                "scan",
                "examples/contoso/configs",
                "./examples/contoso/configs/",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        (
            output.status.code(),
            serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap(),
        )
    };
    assert_eq!(code, Some(1), "only CAS04's own mistake fails");
    assert_eq!(r["summary"]["configs"], 5);
}

#[test]
fn a_server_map_row_that_matches_nothing_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "configs/CAS01/web.config", clean());
    let map = write(
        dir.path(),
        "map.csv",
        "path,server,fqdn\nC:\\owa-im\\collected\\CAS01\\web.config,CAS01,cas01.contoso.com\n",
    );
    let (code, r) = scan(
        &dir.path().join("configs"),
        &["--server-map", map.to_str().unwrap()],
    );
    // The map was read: the row is a mistake in it, a warning of its own kind, which fails
    // nothing (and --strict makes it an error, as any warning).
    assert_eq!(code, 0);
    let top = &r["diagnostics"][0];
    assert_eq!(top["code"], "map-row-unused");
    assert_eq!(top["severity"], "warning");
    assert_eq!(top["line"], 2);
    let message = top["message"].as_str().unwrap();
    assert!(message.contains("server map row not used"), "{top}");
    // The path as the map writes it, not as it is compared.
    assert!(
        message.contains("'C:\\owa-im\\collected\\CAS01\\web.config'"),
        "{top}"
    );
}

#[test]
fn a_misspelt_server_map_column_is_named_with_the_one_meant() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "configs/CAS01/web.config", clean());
    let map = write(
        dir.path(),
        "map.csv",
        "path,server,FQDN_name,internet-facing\nCAS01/web.config,CAS01,cas01.contoso.com,yes\n",
    );
    let (_, r) = scan(
        &dir.path().join("configs"),
        &["--server-map", map.to_str().unwrap()],
    );
    let said: Vec<&str> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    for (column, meant) in [
        ("fqdn_name", "fqdn"),
        ("internet-facing", "internet_facing"),
    ] {
        assert!(
            said.iter()
                .any(|m| m.contains(&format!("column '{column}'"))
                    && m.contains(&format!("did you mean '{meant}'"))),
            "{column}: {said:#?}"
        );
    }
}

#[test]
fn a_file_named_on_its_own_takes_the_server_from_its_folder_but_not_from_owa() {
    let dir = tempfile::tempdir().unwrap();
    let collected = write(dir.path(), "collected/CAS01/web.config", clean());
    let (code, r) = scan(&collected, &[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(server(&r, "CAS01")["status"], "configured");
    // Read in place on a server: OWA's own folder is not a server name.
    let in_place = write(
        dir.path(),
        "Exchange Server/V14/ClientAccess/Owa/web.config",
        clean(),
    );
    let (code, r) = scan(&in_place, &[]);
    assert_eq!(code, 1);
    let message = r["servers"][0]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("--server-map") && !message.contains("put it in a folder"),
        "{message}"
    );
}

#[test]
fn a_file_directly_in_the_folder_given_is_told_to_give_the_folder_above() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "collected/CAS01/web.config", clean());
    let (code, r) = scan(&dir.path().join("collected/CAS01"), &[]);
    assert_eq!(code, 1, "{r:#}");
    let message = r["servers"][0]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("give the folder above it") && message.contains("--server-map"),
        "{message}"
    );
}

#[test]
fn a_folder_that_is_no_server_name_says_which_character_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "collected/CAS\u{2019}01/web.config", clean());
    let (code, r) = scan(&dir.path().join("collected"), &[]);
    assert_eq!(code, 1);
    let message = r["servers"][0]["diagnostics"][0]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("contains U+2019 (\u{2019})") && message.contains("--server-map"),
        "{message}"
    );
    assert!(!message.contains("\\u{"), "{message}");
}

/// SPEC §3: a pasted no-break space is removed from the pool, in which no space can belong,
/// with the warning; in the issuer it reads as the space it stood for.
#[test]
fn a_no_break_space_in_the_pool_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        web_config(&im_keys(
            "naocs\u{00A0}.contoso.com\u{00A0}",
            "CN=ContosoCA,\u{00A0}DC=contoso, DC=com",
            SERIAL,
        )),
    );
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{r:#}");
    let cas01 = server(&r, "CAS01");
    assert_eq!(cas01["status"], "configured", "{cas01:#}");
    assert_eq!(
        codes(cas01),
        ["hidden-characters", "hidden-characters"],
        "{cas01:#}"
    );
}

/// A row of the server map that cannot be used fails the server it names: the defaults it
/// would get instead (its name from the folder, `owa (Default Web Site)`) could change a
/// virtual directory the map did not name. The other servers go on.
#[test]
fn a_server_whose_map_row_is_not_used_fails_instead_of_taking_defaults() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "configs/CAS01/web.config", clean());
    write(dir.path(), "configs/CAS02/web.config", clean());
    let map = write(
        dir.path(),
        "map.csv",
        "path,server,identity\nCAS01/web.config,CAS01,\nCAS02/web.config,CAS02,\"CAS02\\owa (Tab\there)\"\n",
    );
    let (code, r) = scan(
        &dir.path().join("configs"),
        &["--server-map", map.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(server(&r, "CAS01")["status"], "configured");
    let cas02 = server(&r, "CAS02");
    assert_eq!(cas02["status"], "failed", "{cas02:#}");
    let said = diagnostic(cas02, "source-unreadable");
    let message = said["message"].as_str().unwrap();
    assert!(
        message.contains("map.csv line 3") && message.contains("not changed"),
        "{message}"
    );
}

/// im-partial says where the missing value is found again, for the value that is missing:
/// the pool is no certificate's, and the collected file stays as it is (--corrections).
#[test]
fn im_partial_says_where_the_missing_value_is() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        web_config(&im_keys("", ISSUER, SERIAL)),
    );
    write(
        dir.path(),
        "CAS02/web.config",
        web_config(&im_keys("naocs.contoso.com", ISSUER, "")),
    );
    let (_, r) = scan(dir.path(), &[]);
    let pool = diagnostic(server(&r, "CAS01"), "im-partial")["message"]
        .as_str()
        .unwrap();
    assert!(
        pool.contains("Front End pool") && !pool.contains("Get-ExchangeCertificate"),
        "{pool}"
    );
    let serial = diagnostic(server(&r, "CAS02"), "im-partial")["message"]
        .as_str()
        .unwrap();
    assert!(
        serial.contains("Get-ExchangeCertificate")
            && !serial.contains("Front End pool")
            && serial.contains("--corrections"),
        "{serial}"
    );
}

/// Keys added and then cleared are not "absent from the file", as a file SP1 setup replaced
/// would have them: as .NET reads it there is no IM, which im-not-configured says alone.
#[test]
fn keys_cleared_after_they_are_added_are_not_said_to_be_absent() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "CAS01/web.config",
        web_config(&format!(
            "{}\n    <clear />",
            im_keys("naocs.contoso.com", ISSUER, SERIAL)
        )),
    );
    let (code, r) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{r:#}");
    let cas01 = server(&r, "CAS01");
    assert_eq!(cas01["status"], "not_configured");
    assert_eq!(codes(cas01), ["im-not-configured"], "{cas01:#}");
}

/// .NET reads `<appSettings file="...">` over the section and `configSource` instead of it;
/// this tool reads neither, so a server whose values may be there fails, saying which file
/// and what to do, unless --corrections gives all three values.
#[test]
fn app_settings_from_another_file_are_said_and_fail_the_server_unless_corrected() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "configs/CAS01/web.config",
        web_config(&im_keys("naocs.contoso.com", ISSUER, SERIAL))
            .replace("<appSettings>\n", "<appSettings file=\"im.config\">\n"),
    );
    write(
        dir.path(),
        "configs/CAS02/web.config",
        "<configuration>\n  <appSettings configSource=\"appSettings.config\" />\n</configuration>\n",
    );
    let corrections = write(
        dir.path(),
        "corrections.csv",
        format!(
            "server,key,value,by,why\n\
             CAS02,IMPoolName,naocs.contoso.com,J. Doe,from appSettings.config\n\
             CAS02,IMCertificateIssuer,\"{ISSUER}\",J. Doe,from appSettings.config\n\
             CAS02,IMCertificateSerialNumber,{SERIAL},J. Doe,from appSettings.config\n"
        ),
    );
    let (code, r) = scan(&dir.path().join("configs"), &[]);
    assert_eq!(code, 1);
    for (name, file) in [
        ("CAS01", "'im.config' (file=)"),
        ("CAS02", "'appSettings.config' (configSource=)"),
    ] {
        let s = server(&r, name);
        assert_eq!(s["status"], "failed", "{s:#}");
        let said = diagnostic(s, "source-unreadable");
        assert_eq!(said["severity"], "error");
        assert!(said["message"].as_str().unwrap().contains(file), "{said:#}");
    }
    let (_, r) = scan(
        &dir.path().join("configs"),
        &["--corrections", corrections.to_str().unwrap()],
    );
    let cas02 = server(&r, "CAS02");
    assert_eq!(cas02["status"], "configured", "{cas02:#}");
    assert_eq!(
        diagnostic(cas02, "source-unreadable")["severity"],
        "warning"
    );
}
