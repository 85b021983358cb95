//! A CLI that feels native: completions and a man page from the one definition, colour only
//! for a person at a terminal.

mod common;

use common::bin;

const SUBCOMMANDS: &[&str] = &[
    "convert",
    "scan",
    "resolve",
    "templates",
    "collect-script",
    "completions",
    "man",
];

#[test]
fn completions_for_every_shell_know_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = bin().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let text = String::from_utf8(output.stdout).unwrap();
        for sub in SUBCOMMANDS {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
        for option in ["certs", "server-map", "csv-culture", "dump-context"] {
            assert!(text.contains(option), "{shell} completions lack {option}");
        }
    }
}

#[test]
fn the_man_page_documents_every_subcommand() {
    let output = bin().arg("man").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH owa-im-migrate"),
        "{}",
        &text[..200.min(text.len())]
    );
    // One page: every command is a section of it, and no page that is not installed
    // (owa-im-migrate-convert(1)) is referred to.
    for sub in SUBCOMMANDS {
        assert!(
            text.contains(&format!(".SS \"owa-im-migrate {sub}\"")),
            "no section for {sub}"
        );
    }
    // The values of an option, as --help lists them: every output --with takes.
    assert!(
        text.contains(
            "[possible values: per\\-server, plan, exchange2013, sp2\\-cross\\-site, verify]"
        ),
        "{text}"
    );
    assert!(
        !text.contains("owa\\-im\\-migrate\\-convert"),
        "refers to another page"
    );
    for section in ["\"EXIT STATUS\"", "ENVIRONMENT", "EXAMPLES"] {
        assert!(
            text.contains(&format!(".SH {section}")),
            "no {section} section"
        );
    }
    for name in [
        "OWA_IM_MIGRATE_PFX_PASSWORD",
        "SOURCE_DATE_EPOCH",
        "NO_COLOR",
        "130",
    ] {
        assert!(text.contains(name), "{name} is not documented");
    }
}

#[test]
fn help_has_worked_examples() {
    let output = bin().arg("--help").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Examples:"));
    assert!(text.contains("collect-script --out"));
    assert!(text.contains("--server-map collected/server-map.csv"));
    // No line of the examples is wider than a terminal: they are never wrapped mid-command.
    let examples = &text[text.find("Examples:").unwrap()..];
    for line in examples.lines() {
        assert!(line.chars().count() < 80, "{line:?} would wrap");
    }
    // convert's usage names the --out it requires.
    let output = bin().args(["convert", "--help"]).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let usage = text.lines().find(|l| l.starts_with("Usage:")).unwrap();
    assert!(usage.contains("--out <DIR>"), "{usage}");
}

#[test]
fn piped_output_has_no_colour() {
    let output = bin()
        .args(["scan", "examples/contoso/configs"])
        .output()
        .unwrap();
    assert!(
        !output.stdout.contains(&0x1b),
        "escape codes in piped output"
    );
}

#[test]
fn a_terminal_gets_colour_unless_no_color_is_set() {
    // `script` (util-linux) gives the program a pseudo-terminal, as a person's shell would.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("util-linux script is not installed; the terminal case is covered by report unit tests only");
        return;
    }
    let binary = assert_cmd::cargo::cargo_bin("owa-im-migrate");
    let run = |no_color: Option<&str>| {
        let mut cmd = std::process::Command::new("script");
        cmd.args([
            "-qec",
            &format!("{} scan examples/contoso/configs", binary.display()),
            "/dev/null",
        ])
        .current_dir(common::root())
        .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        cmd.output().unwrap().stdout
    };
    assert!(run(None).contains(&0x1b), "no colour on a terminal");
    assert!(!run(Some("1")).contains(&0x1b), "colour despite NO_COLOR");
}

/// `count` copies of one server's web.config, `CAS000/web.config` and so on, under `dir`.
fn many_configs(dir: &std::path::Path, count: usize) {
    let config = common::web_config(&common::im_keys(
        "naocs.contoso.com",
        "CN=ContosoCA, DC=contoso, DC=com",
        "61 0E 0A 00 00 00 00 00 00 21",
    ));
    for n in 0..count {
        common::write(dir, &format!("CAS{n:03}/web.config"), &config);
    }
}

#[test]
fn a_long_run_shows_progress_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    many_configs(dir.path(), 250);
    let binary = assert_cmd::cargo::cargo_bin("owa-im-migrate");
    let scan = |extra: &str| format!("{} scan {} {extra}", binary.display(), dir.path().display());
    let Some((_, seen)) = at_a_terminal(&scan(""), "") else {
        return;
    };
    assert!(
        seen.contains("/250 web.config files"),
        "no progress bar on a terminal: {seen:?}"
    );
    assert!(
        seen.contains("250 web.config files:"),
        "no summary: {seen:?}"
    );
    let (_, quiet) = at_a_terminal(&scan("--quiet"), "").expect("script is installed");
    assert!(
        !quiet.contains("web.config files"),
        "--quiet still drew: {quiet:?}"
    );
    let piped = bin().arg("scan").arg(dir.path()).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&piped.stderr).contains("web.config files"),
        "a progress bar on a pipe"
    );
}

/// Runs `command` on a pseudo-terminal (util-linux `script`), as a person's shell would,
/// typing `typed` at it: the exit status (`None` if it had to be stopped after a minute,
/// waiting for input that never came) and everything the terminal showed. `None` when
/// `script` is not installed.
fn at_a_terminal(command: &str, typed: &str) -> Option<(Option<i32>, String)> {
    use std::io::{Read, Write};
    use std::process::Stdio;
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skipped(
            "a run at a terminal",
            "util-linux script is not installed; the terminal case is not checked here",
        );
        return None;
    }
    let mut child = std::process::Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(common::root())
        .env_remove("OWA_IM_MIGRATE_PFX_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let _ = stdout.read_to_end(&mut seen);
        String::from_utf8_lossy(&seen).into_owned()
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(stdin);
    Some((status, reader.join().unwrap()))
}

#[test]
fn no_password_is_asked_for_a_run_that_cannot_start() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("owa-im-migrate");
    let command = format!(
        "{} convert {} --certs tests/fixtures/sources/cas22-aes.pfx --out {}",
        binary.display(),
        empty.path().display(),
        out.path().join("m").display()
    );
    let Some((status, seen)) = at_a_terminal(&command, "") else {
        return;
    };
    assert_eq!(status, Some(2), "{seen:?}");
    assert!(!seen.contains("Password"), "asked anyway: {seen:?}");
    assert!(seen.contains("web.config"), "no reason given: {seen:?}");
}

#[test]
fn the_password_prompt_and_the_progress_bar_share_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    many_configs(&dir.path().join("configs"), 250);
    let out = dir.path().join("m");
    let binary = assert_cmd::cargo::cargo_bin("owa-im-migrate");
    let command = format!(
        "{} convert {} --certs tests/fixtures/sources/cas22-aes.pfx --out {} --at 2026-11-24",
        binary.display(),
        dir.path().join("configs").display(),
        out.display()
    );
    let Some((status, seen)) = at_a_terminal(&command, "Contoso!2010\n") else {
        return;
    };
    assert_eq!(status, Some(1), "{seen:?}");
    assert!(
        seen.contains("Password for the PKCS#12 files"),
        "no prompt: {seen:?}"
    );
    assert!(seen.contains("/250 web.config files"), "no bar: {seen:?}");
    // (The typed password may show: the terminal echoes input typed ahead of the prompt,
    // before the prompt turns echo off.)
    let report = common::report(&out);
    let source = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["file"].as_str().unwrap_or("").ends_with("cas22-aes.pfx"))
        .expect("the PFX is in the report");
    assert_eq!(source["status"], "read", "the typed password was not used");
}
