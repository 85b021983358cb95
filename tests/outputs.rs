//! Every built-in output for the example organisation: snapshots, a real PowerShell grammar,
//! PowerShell 2.0 only where Exchange 2010 runs it, and a self-contained, well-formed plan.

mod common;

use std::path::{Path, PathBuf};

use common::{bin, read_script};

/// The example with its server map (sites, Internet-facing servers) and every output.
fn convert_all(out: &Path) {
    common::convert_example()
        .args(["--server-map", "examples/contoso/server-map.csv"])
        .args([
            "--with",
            "per-server",
            "--with",
            "plan",
            "--with",
            "exchange2013",
            "--with",
            "sp2-cross-site",
        ])
        .arg("--out")
        .arg(out)
        .assert()
        .code(1);
}

fn files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_output_is_written_and_matches_its_reviewed_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    convert_all(&out);
    let names: Vec<String> = files(&out)
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "CHANGE-PLAN.html",
            "CHANGE-PLAN.md",
            "Set-OwaCrossSiteRedirect.ps1",
            "Set-OwaInstantMessaging-CAS01.ps1",
            "Set-OwaInstantMessaging-CAS02.ps1",
            "Set-OwaInstantMessaging-CAS05.ps1",
            "Set-OwaInstantMessaging-Exchange2013.ps1",
            "Set-OwaInstantMessaging.ps1",
            "Undo-OwaInstantMessaging.ps1",
            "report.json",
        ]
    );
    for name in ["CHANGE-PLAN.html", "CHANGE-PLAN.md"] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        insta::assert_snapshot!(name, text);
    }
    for name in [
        "Set-OwaCrossSiteRedirect.ps1",
        "Set-OwaInstantMessaging-Exchange2013.ps1",
        "Set-OwaInstantMessaging-CAS01.ps1",
    ] {
        let text = read_script(&out.join(name)).replace("\r\n", "\n");
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn every_script_parses_and_the_2010_ones_use_powershell_2_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    convert_all(&out);
    for file in files(&out)
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "ps1"))
    {
        let script = read_script(file);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("Exchange2013") {
            common::pwsh::assert_parses(&script);
        } else {
            common::assert_powershell_2(&script);
        }
        // Every occurrence found must be guarded; a script may have none of some.
        common::assert_changes_guarded(&script);
    }
}

#[test]
fn per_server_scripts_each_change_exactly_their_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    convert_all(&out);
    let all = common::set_commands(&read_script(&out.join("Set-OwaInstantMessaging.ps1")));
    for server in ["CAS01", "CAS02", "CAS05"] {
        let script = read_script(&out.join(format!("Set-OwaInstantMessaging-{server}.ps1")));
        let sets = common::set_commands(&script);
        let identity = format!("{server}\\owa (Default Web Site)");
        assert_eq!(sets.keys().collect::<Vec<_>>(), [&identity], "{server}");
        assert_eq!(
            sets[&identity], all[&identity],
            "the same values as the whole-organisation script"
        );
    }
}

#[test]
fn the_html_plan_is_well_formed_and_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m");
    convert_all(&out);
    let html = std::fs::read_to_string(out.join("CHANGE-PLAN.html")).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..40.min(html.len())]
    );
    let mut reader = quick_xml::Reader::from_str(&html);
    let mut depth = 0i32;
    let mut roots = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                if depth == 0 {
                    roots += 1;
                    assert_eq!(e.name().as_ref(), b"html");
                }
                depth += 1;
            }
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.error_position()),
        }
    }
    assert_eq!((depth, roots), (0, 1));
    let lower = html.to_lowercase();
    for external in [
        "http:",
        "https:",
        "src=\"//",
        "href=\"//",
        "url(",
        "<script",
        "<link",
        "@import",
    ] {
        assert!(
            !lower.contains(external),
            "the plan refers to something outside it: {external}"
        );
    }
    for server in ["CAS01", "CAS02", "CAS05"] {
        assert!(html.contains(server), "{server} missing from the plan");
    }
}

#[test]
fn hostile_values_stay_text_in_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = "CN=ContosoCA, DC=contoso, DC=com";
    let config = common::web_config(&common::im_keys(
        "naocs.contoso.com",
        issuer,
        "1F 5E DD 03 00 00 00 00 00 05",
    ))
    .replace(
        "<add key=\"LogonFormat\" value=\"FullDomain\" />",
        "<add key=\"IMPortNumber\" value=\"&lt;script&gt;alert(1)&lt;/script&gt; | `x` *y*\" />",
    );
    common::write(dir.path(), "c/CAS01/web.config", config);
    let out = dir.path().join("m");
    bin()
        .arg("convert")
        .arg(dir.path().join("c"))
        .args([
            "--certs",
            "examples/contoso/certs",
            "--at",
            "2026-11-24",
            "--with",
            "plan",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let html = std::fs::read_to_string(out.join("CHANGE-PLAN.html")).unwrap();
    let md = std::fs::read_to_string(out.join("CHANGE-PLAN.md")).unwrap();
    for text in [&html, &md] {
        assert!(!text.contains("<script>"), "a value became markup");
    }
}

#[test]
fn dump_context_prints_the_documented_model_and_writes_nothing() {
    let output = common::convert_example()
        .args([
            "--server-map",
            "examples/contoso/server-map.csv",
            "--dump-context",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let context: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(context["context_version"], 2);
    assert_eq!(context["servers"][0]["server"], "CAS01");
    assert_eq!(context["servers"][0]["internet_facing"], true);
    assert_eq!(context["pools"][0]["hosts"][0]["fqdn"], "cas01.contoso.com");
    // Every field the README documents is in the context.
    let readme = std::fs::read_to_string(common::root().join("templates/README.md")).unwrap();
    for field in [
        "context_version",
        "generated",
        "counts",
        "servers",
        "skipped",
        "pools",
        "issuers",
    ] {
        assert!(context.get(field).is_some(), "{field}");
        assert!(
            readme.contains(&format!("`{field}")),
            "{field} undocumented"
        );
    }
    for field in context["servers"][0].as_object().unwrap().keys() {
        assert!(
            readme.contains(&format!("servers[].{field}")),
            "servers[].{field} undocumented"
        );
    }
}

#[test]
fn templates_list_names_every_output() {
    let output = bin().args(["templates", "list"]).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    for name in [
        "sp1",
        "undo",
        "plan-md",
        "plan-html",
        "exchange2013",
        "sp2-cross-site",
        "header",
        "common",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} not listed:\n{text}"
        );
    }
}

/// A large organisation's outputs are rendered with the servers' entries made one at a time
/// (`render::Streams`); what every built-in writes so is exactly what it writes from the
/// whole context, as a user's template gets it.
#[test]
fn streamed_rendering_writes_what_the_whole_context_writes() {
    use owa_im_migrate::render::{self, ChangeTemplate, Data, Renderer, Streams};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = owa_im_migrate::ConvertOptions {
        inputs: owa_im_migrate::Inputs {
            configs: vec![root.join("examples/contoso/configs")],
            progress: false,
            server_map: Some(root.join("examples/contoso/server-map.csv")),
            corrections: None,
            settings: owa_im_migrate::plan::Settings {
                domain: None,
                at: time::macros::datetime!(2026-11-24 0:00 UTC),
                strict: false,
            },
        },
        certs: vec![root.join("examples/contoso/certs")],
        csv_culture: owa_im_migrate::cert::exchange_csv::Culture::en_us(),
        out: PathBuf::new(),
        extras: vec![render::Extra::Verify],
        at_given: true,
        force: false,
        template: None,
        replace: Vec::new(),
        generated: None,
    };
    let prepared = owa_im_migrate::prepare(&options).unwrap();
    let streams = Streams::new(&prepared.report.servers);
    let streamed = Data::new(prepared.streamed_context(&streams).unwrap()).unwrap();
    let whole = Data::new(prepared.context().unwrap()).unwrap();
    assert!(
        whole.value()["servers"]
            .as_array()
            .is_some_and(|s| s.len() > 1)
            && whole.value()["all_servers"]
                .as_array()
                .is_some_and(|s| s.len() > 1),
        "the example has several servers in both lists"
    );
    assert!(
        whole.value()["skipped"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
            && whole.value()["pools"][0]["hosts"]
                .as_array()
                .is_some_and(|h| h.len() > 1),
        "the example skips servers, and its pool has several hosts"
    );
    for list in ["servers", "all_servers", "skipped"] {
        assert!(
            streamed.value()[list].is_object(),
            "the streamed context holds no entry of {list}"
        );
    }
    assert!(
        streamed.value()["pools"][0]["hosts"].is_object(),
        "the streamed context holds no authorized host"
    );
    let renderer = Renderer::new(&ChangeTemplate::Builtin("sp1")).unwrap();
    for builtin in render::BUILTINS.iter().filter(|b| b.output.is_some()) {
        if builtin.name == "collect" {
            continue;
        }
        let mut ours = Vec::new();
        renderer
            .render_to(builtin.name, &streamed, &streams, &mut ours)
            .unwrap();
        let theirs = renderer.render(builtin.name, &whole).unwrap();
        assert!(
            ours == theirs,
            "{}: the streamed render differs from the whole context's",
            builtin.name
        );
    }
}
