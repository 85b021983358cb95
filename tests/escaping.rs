//! Every input-file value reaches a generated script only through
//! `single_quoted`. These tests check, against a real PowerShell grammar, that
//! the result is always exactly one literal with the original run-time value,
//! however hostile the value is.

mod common;

use common::pwsh::{self, Arg, ArgValue};
use owa_im_migrate::hidden::is_invisible;
use owa_im_migrate::render::powershell::{single_quoted, LiteralError};
use proptest::prelude::*;

/// Material that has special meaning somewhere in PowerShell.
const DANGEROUS: &[&str] = &[
    "'",
    "''",
    "\u{2018}",
    "\u{2019}",
    "\u{201A}",
    "\u{201B}",
    "\"",
    "\u{201C}",
    "\u{201D}",
    "\u{201E}",
    "`",
    "`n",
    "$",
    "$(",
    "$x",
    "${env:PATH}",
    ")",
    "(",
    ";",
    "|",
    "||",
    "&",
    "&&",
    "#",
    "<#",
    "#>",
    "@'",
    "'@",
    "@\"",
    "\"@",
    "{",
    "}",
    "[",
    "]",
    "\\",
    " ",
    "  ",
    "-",
    "--%",
    ":",
    ",",
    ">",
    "2>&1",
    "; Remove-Item -Recurse C:\\",
    "'; Remove-Item -Recurse C:\\; '",
    "\u{2019}; Remove-Item -Recurse C:\\; \u{2018}",
    "CAS01\\owa (Default Web Site)",
    "\u{A0}",
    "\u{2028}",
    "\u{2029}",
    "\u{FEFF}",
    "\u{200B}",
    "\u{202E}",
];

const LETTERS: &[&str] = &[
    "ä", "Ö", "ß", "é", "Ω", "ж", "Я", "中", "文", "ü", "ñ", "İ", "ı", "😀", "ﬁ",
];

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(DANGEROUS).prop_map(str::to_owned),
        4 => "[A-Za-z0-9.\\-_]{1,6}",
        2 => prop::sample::select(LETTERS).prop_map(str::to_owned),
        // Occasionally anything at all, including control characters, so the
        // rejection path is exercised by the same property.
        1 => any::<char>().prop_map(String::from),
    ]
}

fn hostile_value() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat())
}

fn first_control(value: &str) -> Option<(usize, char)> {
    value
        .chars()
        .enumerate()
        .find(|(_, c)| matches!(*c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}') || is_invisible(*c))
}

/// The error `single_quoted` gives for the first character it refuses.
fn refusal(index: usize, c: char) -> LiteralError {
    let (codepoint, position) = (u32::from(c), index + 1);
    if c.is_control() {
        LiteralError::ControlCharacter {
            codepoint,
            position,
        }
    } else {
        LiteralError::InvisibleCharacter {
            codepoint,
            position,
        }
    }
}

/// Whether a reviewer reading the script sees every character of the literal: no control,
/// no bidirectional control, no separator, nothing of zero width.
fn all_visible(literal: &str) -> bool {
    literal.chars().all(|c| !c.is_control() && !is_invisible(c))
}

/// The full check for a value that `single_quoted` accepted.
fn assert_round_trips(value: &str, literal: &str) {
    assert_eq!(
        pwsh::as_single_literal(literal).as_deref(),
        Some(value),
        "literal {literal:?} is not exactly one literal with the original value"
    );
    let script = format!(
        "Set-OwaVirtualDirectory -Identity {literal} -InstantMessagingServerName {literal}\n"
    );
    pwsh::assert_parses(&script);
    let commands = pwsh::commands_named(&script, "Set-OwaVirtualDirectory");
    assert_eq!(commands.len(), 1, "{script}");
    let expected = ArgValue::Literal(value.to_owned());
    assert_eq!(commands[0].param("-Identity"), Some(&expected), "{script}");
    assert_eq!(
        commands[0].param("-InstantMessagingServerName"),
        Some(&expected),
        "{script}"
    );
    // Nothing leaked out of the literals as an extra argument or command.
    assert_eq!(commands[0].args.len(), 4, "{script}");
    assert_eq!(pwsh::all_commands(&script).len(), 1, "{script}");
}

fn check(value: &str) {
    match single_quoted(value) {
        Ok(literal) => assert_round_trips(value, &literal),
        Err(err) => panic!("{value:?} rejected: {err}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_value_is_one_literal_or_rejected(value in hostile_value()) {
        match (single_quoted(&value), first_control(&value)) {
            (Ok(literal), None) => assert_round_trips(&value, &literal),
            (Err(err), Some((index, c))) => prop_assert_eq!(err, refusal(index, c)),
            (Ok(literal), Some(_)) => {
                prop_assert!(false, "control or invisible character accepted: {:?}", literal)
            }
            (Err(err), None) => prop_assert!(false, "{:?} rejected: {}", value, err),
        }
    }

    /// Any string either becomes a literal whose every character is visible, or is refused.
    #[test]
    fn arbitrary_unicode_is_one_visible_literal_or_rejected(value in any::<String>()) {
        match single_quoted(&value) {
            Ok(literal) => {
                prop_assert!(first_control(&value).is_none());
                prop_assert!(all_visible(&literal), "{:?}", literal);
                prop_assert_eq!(pwsh::as_single_literal(&literal), Some(value));
            }
            Err(_) => prop_assert!(first_control(&value).is_some()),
        }
    }
}

#[test]
fn apostrophe_in_name() {
    assert_eq!(single_quoted("O'Brien").unwrap(), "'O''Brien'");
    check("O'Brien");
}

#[test]
fn each_unicode_single_quote_alone_and_at_the_edges() {
    for q in ['\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'] {
        check(&q.to_string());
        check(&format!("{q}start"));
        check(&format!("end{q}"));
        check(&format!("{q}{q}{q}"));
        check(&format!("'{q}'{q}"));
    }
}

#[test]
fn breaking_out_with_an_apostrophe() {
    check("x'; Remove-Item -Recurse C:\\; 'y");
    check("'");
    check("''");
    check("'''");
}

#[test]
fn breaking_out_with_a_typographic_quote() {
    check("x\u{2019}; Remove-Item -Recurse C:\\; \u{2018}y");
    check("CAS01\u{2019} -InstantMessagingEnabled $false #");
}

#[test]
fn expansion_syntax_stays_text() {
    check("$(Remove-Item -Recurse C:\\)");
    check("$env:USERNAME ${x} $true");
    check("`$x `n `' `\u{2019}");
    check("\"$(Get-Date)\"");
}

#[test]
fn statement_and_pipeline_separators_stay_text() {
    check("a; b | c & d && e || f");
    check("a > b 2>&1");
    check("--% stop parsing");
}

#[test]
fn comment_and_here_string_markers_stay_text() {
    check("# not a comment");
    check("<# not a block comment #>");
    check("@'");
    check("'@");
    check("@\"\n".trim_end());
    check("@' x '@");
}

#[test]
fn braces_brackets_and_backslashes() {
    check("{ Remove-Item C:\\ }");
    check("[System.IO.File]::Delete('C:\\x')");
    check("CAS01\\owa (Default Web Site)");
    check("\\\\server\\share\\");
}

#[test]
fn unicode_double_quotes_are_kept_and_invisible_characters_refused() {
    check("\u{201C}quoted\u{201D} \u{201E}low\u{201C}");
    // Trojan Source: a right-to-left override or an isolate reorders the line a reviewer
    // reads; a line or paragraph separator breaks it in some editors.
    for (value, codepoint, position) in [
        ("line\u{2028}sep", 0x2028, 5),
        ("para\u{2029}", 0x2029, 5),
        ("CAS01\u{202E}lmth.exe", 0x202E, 6),
        ("\u{2066}x", 0x2066, 1),
        ("nbsp\u{A0}zwsp", 0xA0, 5),
        ("zwsp\u{200B}", 0x200B, 5),
        ("bom\u{FEFF}", 0xFEFF, 4),
    ] {
        assert_eq!(
            single_quoted(value),
            Err(LiteralError::InvisibleCharacter {
                codepoint,
                position
            }),
            "{value:?}"
        );
    }
}

#[test]
fn empty_and_whitespace_values() {
    check("");
    check(" ");
    check("   leading and trailing   ");
}

#[test]
fn non_ascii_letters() {
    check("Zürich Ωmega Москва 東京 😀");
}

#[test]
fn control_characters_are_rejected_with_position() {
    let cases = [
        ("a\nb", 0x0A, 2),
        ("\r", 0x0D, 1),
        ("tab\there", 0x09, 4),
        ("nul\u{0}", 0x00, 4),
        ("del\u{7F}", 0x7F, 4),
        ("c1\u{85}", 0x85, 3),
        ("c1\u{9F}", 0x9F, 3),
        ("\u{1B}[31m", 0x1B, 1),
        ("ä\u{1F}", 0x1F, 2),
    ];
    for (value, codepoint, position) in cases {
        assert_eq!(
            single_quoted(value),
            Err(LiteralError::ControlCharacter {
                codepoint,
                position
            }),
            "{value:?}"
        );
    }
}

#[test]
fn newline_breakout_is_rejected() {
    let err = single_quoted("CAS01'\nRemove-Item -Recurse C:\\\n'").unwrap_err();
    assert_eq!(
        err.to_string(),
        "contains control character U+000A at position 7; remove it from the input file"
    );
}

// The harness itself: these prove the checks above can fail.

#[test]
fn harness_rejects_broken_scripts() {
    for broken in ["if ($x { }", "Set-X -A 'unterminated", "$v = 'a' 'b'"] {
        let errors = pwsh::parse(broken).expect_err(broken);
        assert!(!errors.is_empty());
        assert!(
            errors.iter().all(|e| e.split(':').count() >= 3),
            "{errors:?}"
        );
    }
}

#[test]
#[should_panic(expected = "script does not parse")]
fn harness_assert_parses_panics_on_error() {
    pwsh::assert_parses("if ($x { }");
}

#[test]
fn harness_reports_error_positions() {
    let errors = pwsh::parse("Get-Date\n$v = 'a' 'b'\n").unwrap_err();
    assert!(errors.iter().any(|e| e.starts_with("2:")), "{errors:?}");
}

#[test]
fn harness_reads_back_parameters() {
    let script = "Set-OwaVirtualDirectory -Identity 'CAS01\\owa (Default Web Site)' \
                  -InstantMessagingEnabled $true -InstantMessagingType OCS \
                  -InstantMessagingServerName:'ocs''01' -Other \"x$y\" -Sub $(Get-Date)\n\
                  iisreset 'CAS01' /noforce\n";
    pwsh::assert_parses(script);
    let set = pwsh::commands_named(script, "set-owavirtualdirectory");
    assert_eq!(set.len(), 1);
    let set = &set[0];
    assert_eq!(set.name, "Set-OwaVirtualDirectory");
    assert_eq!(set.line, 1);
    assert_eq!(
        set.param("-Identity"),
        Some(&ArgValue::Literal("CAS01\\owa (Default Web Site)".into()))
    );
    assert_eq!(
        set.param("-instantmessagingenabled"),
        Some(&ArgValue::Variable("$true".into()))
    );
    assert_eq!(
        set.param("InstantMessagingType"),
        Some(&ArgValue::Bare("OCS".into()))
    );
    assert_eq!(
        set.param("-InstantMessagingServerName"),
        Some(&ArgValue::Literal("ocs'01".into()))
    );
    assert_eq!(
        set.param("-Other"),
        Some(&ArgValue::Other("\"x$y\"".into()))
    );
    assert_eq!(
        set.param("-Sub"),
        Some(&ArgValue::Other("$(Get-Date)".into()))
    );
    assert_eq!(set.param("-Missing"), None);

    let iis = pwsh::commands_named(script, "IISRESET");
    assert_eq!(iis.len(), 1);
    assert_eq!(iis[0].line, 2);
    assert_eq!(
        iis[0].args,
        vec![
            Arg::Value(ArgValue::Literal("CAS01".into())),
            Arg::Value(ArgValue::Bare("/noforce".into())),
        ]
    );
}

#[test]
fn harness_finds_nested_commands() {
    let script = "\
function Update-Owa {
    foreach ($server in $servers) {
        try {
            if ($PSCmdlet.ShouldProcess('x', 'y')) { Set-X -A 'one' }
            & { Set-X -A 'two' }
            $r = $(Set-X -A 'three')
            Get-Item | Set-X -A 'four'
        } catch { }
    }
}
";
    pwsh::assert_parses(script);
    let found: Vec<_> = pwsh::commands_named(script, "set-x")
        .iter()
        .map(|c| (c.line, c.param("-A").cloned()))
        .collect();
    assert_eq!(
        found,
        vec![
            (4, Some(ArgValue::Literal("one".into()))),
            (5, Some(ArgValue::Literal("two".into()))),
            (6, Some(ArgValue::Literal("three".into()))),
            (7, Some(ArgValue::Literal("four".into()))),
        ]
    );
}

#[test]
fn harness_decodes_doubled_unicode_quotes() {
    let script = "Set-X -A 'a\u{2019}\u{2019}b''c'\n";
    pwsh::assert_parses(script);
    assert_eq!(
        pwsh::commands_named(script, "Set-X")[0].param("-A"),
        Some(&ArgValue::Literal("a\u{2019}b'c".into()))
    );
}

#[test]
fn harness_refuses_literals_powershell_would_end_early() {
    // The grammar accepts these, but PowerShell would end the string at the
    // unpaired U+2019, so they must not count as a literal.
    let script = "Set-X -A 'a\u{2019}; Remove-Item C:\\'\n";
    let set = pwsh::commands_named(script, "Set-X");
    assert!(
        matches!(set[0].param("-A"), Some(ArgValue::Other(_))),
        "{set:?}"
    );
    assert_eq!(pwsh::as_single_literal("'a\u{2019}b'"), None);
    assert_eq!(pwsh::as_single_literal("'a\u{2019}'"), None);
}

#[test]
fn harness_single_literal_requires_exactly_one_literal() {
    assert_eq!(pwsh::as_single_literal("'it''s'"), Some("it's".into()));
    assert_eq!(pwsh::as_single_literal("''"), Some(String::new()));
    assert_eq!(pwsh::as_single_literal("'a' 'b'"), None);
    assert_eq!(pwsh::as_single_literal("'a'+'b'"), None);
    assert_eq!(pwsh::as_single_literal("'a'; 'b'"), None);
    assert_eq!(pwsh::as_single_literal("'a' # c"), None);
    assert_eq!(pwsh::as_single_literal(" 'a'"), None);
    assert_eq!(pwsh::as_single_literal("\"a\""), None);
    assert_eq!(pwsh::as_single_literal("a"), None);
    assert_eq!(pwsh::as_single_literal("'a''"), None);
    assert_eq!(pwsh::as_single_literal("@'\na\n'@"), None);
    assert_eq!(pwsh::as_single_literal("\u{2018}a\u{2019}"), None);
}

#[test]
fn harness_bare_words_that_would_expand_are_not_bare() {
    let script = "Set-X -A foo$x -B a`b -C OCS\n";
    let set = &pwsh::commands_named(script, "Set-X")[0];
    assert_eq!(set.param("-A"), Some(&ArgValue::Other("foo$x".into())));
    assert_eq!(set.param("-B"), Some(&ArgValue::Other("a`b".into())));
    assert_eq!(set.param("-C"), Some(&ArgValue::Bare("OCS".into())));
}

#[test]
fn harness_handles_crlf_scripts() {
    let script = "Set-ExecutionPolicy RemoteSigned -Scope Process\r\n\
                  Set-X -A 'O''Brien'\r\n\
                  if ($x) {\r\n    Set-X -A '\u{201B}\u{201B}'\r\n}\r\n";
    pwsh::assert_parses(script);
    let found: Vec<_> = pwsh::commands_named(script, "Set-X")
        .iter()
        .map(|c| (c.line, c.param("-A").cloned()))
        .collect();
    assert_eq!(
        found,
        vec![
            (2, Some(ArgValue::Literal("O'Brien".into()))),
            (4, Some(ArgValue::Literal("\u{201B}".into()))),
        ]
    );
}
