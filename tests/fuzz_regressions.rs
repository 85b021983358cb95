//! Replays the fuzz findings and hand-made hostile inputs on stable, in plain `cargo test`.
//!
//! Every file under `tests/fixtures/fuzz/<target>/` goes through the same function as the
//! fuzz target `<target>` (`fuzz/checks.rs`, shared with `fuzz/fuzz_targets/<target>.rs`), and
//! must return without panicking. The hand-made inputs below are generated in memory (too big
//! or too regular to be worth a file) and also check the outcome, Ok or Err.
//!
//! Adding a finding: `cargo fuzz tmin <target> <crash>`, copy the result to
//! `tests/fixtures/fuzz/<target>/<what-it-is>` and run `cargo test --test fuzz_regressions`.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use owa_im_migrate::cert::exchange_csv::Culture;
use owa_im_migrate::cert::{
    certificate, clixml, exchange_csv, exchange_json, pkcs12, source, DistinguishedName, DnMatch,
    Serial,
};
use owa_im_migrate::config;
use owa_im_migrate::render::powershell;

fn fuzz_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target)
}

fn check_of(target: &str) -> fn(&[u8]) {
    checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .unwrap_or_else(|| panic!("no fuzz target {target}"))
}

/// Saved inputs that have a test of their own below, as `target/file`; the bulk replay
/// passes over them.
const OWN_TEST: &[&str] = &[
    "dn_parse/escaped-trailing-backslash",
    "dn_parse/escaped-backslash-inside",
    "dn_parse/escaped-double-backslash",
    "dn_parse/escaped-quote-then-backslash",
    "dn_parse/quoted-backslash",
    "dn_parse/hex-escaped-backslash",
];

/// Runs one saved input through its target; the panic message if it panicked.
fn replay_file(target: &str, path: &Path) -> Result<(), String> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let check = check_of(target);
    catch_unwind(AssertUnwindSafe(|| check(&data))).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// Every saved input of one target, except those with a test of their own.
fn replay_all(target: &str) {
    let dir = fuzz_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no input", dir.display());
    let mut failures = Vec::new();
    for path in &files {
        let name = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
        if OWN_TEST.contains(&name.as_str()) {
            continue;
        }
        let started = Instant::now();
        let outcome = replay_file(target, path);
        let took = started.elapsed();
        if let Err(message) = outcome {
            failures.push(format!("{name}: panicked: {message}"));
        } else if took > Duration::from_secs(60) {
            failures.push(format!("{name}: took {took:?}, a hang"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One saved input, for the inputs listed in [`OWN_TEST`].
#[allow(dead_code)]
fn replay_one(target: &str, file: &str) {
    assert!(OWN_TEST.contains(&format!("{target}/{file}").as_str()));
    if let Err(message) = replay_file(target, &fuzz_dir(target).join(file)) {
        panic!("{target}/{file}: panicked: {message}");
    }
}

/// Runs a hand-made input and returns what the check returned; a run that takes a minute
/// is a hang (a quadratic or unbounded step), not a slow machine. Speed itself is measured
/// in the benchmarks, never asserted here.
fn quick<T>(what: &str, run: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = run();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(60),
        "{what} took {took:?}: a hang"
    );
    result
}

fn fixture(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// --- saved inputs, one test per target ------------------------------------------------

#[test]
fn saved_config_reader_inputs() {
    replay_all("config_reader");
}

#[test]
fn saved_dn_parse_inputs() {
    replay_all("dn_parse");
}

#[test]
fn saved_serial_inputs() {
    replay_all("serial");
}

#[test]
fn saved_der_inputs() {
    replay_all("der");
}

#[test]
fn saved_pem_inputs() {
    replay_all("pem");
}

#[test]
fn saved_pkcs12_inputs() {
    replay_all("pkcs12");
}

#[test]
fn saved_pkcs7_inputs() {
    replay_all("pkcs7");
}

#[test]
fn saved_sst_inputs() {
    replay_all("sst");
}

#[test]
fn saved_exchange_csv_inputs() {
    replay_all("exchange_csv");
}

#[test]
fn saved_exchange_json_inputs() {
    replay_all("exchange_json");
}

#[test]
fn saved_clixml_inputs() {
    replay_all("clixml");
}

#[test]
fn saved_ps_literal_inputs() {
    replay_all("ps_literal");
}

#[test]
fn every_target_has_a_folder_and_every_folder_a_target() {
    for (target, _) in checks::TARGETS {
        assert!(
            fuzz_dir(target).is_dir(),
            "tests/fixtures/fuzz/{target}/ is missing"
        );
    }
    for entry in std::fs::read_dir(fuzz_dir("")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            checks::TARGETS.iter().any(|(target, _)| *target == name),
            "tests/fixtures/fuzz/{name}/ is no fuzz target"
        );
    }
    for own in OWN_TEST {
        let (target, file) = own.split_once('/').unwrap();
        assert!(fuzz_dir(target).join(file).is_file(), "{own} is missing");
    }
}

// --- saved inputs of open bugs ----------------------------------------------------------

#[test]

fn dn_parse_escaped_trailing_backslash_round_trips() {
    replay_one("dn_parse", "escaped-trailing-backslash");
}

#[test]

fn dn_parse_escaped_backslash_inside_round_trips() {
    replay_one("dn_parse", "escaped-backslash-inside");
}

#[test]

fn dn_parse_escaped_double_backslash_round_trips() {
    replay_one("dn_parse", "escaped-double-backslash");
}

#[test]

fn dn_parse_escaped_quote_then_backslash_round_trips() {
    replay_one("dn_parse", "escaped-quote-then-backslash");
}

#[test]

fn dn_parse_quoted_backslash_round_trips() {
    // Found by cargo fuzz (minimised): S="\<U+0007>"
    replay_one("dn_parse", "quoted-backslash");
}

#[test]

fn dn_parse_hex_escaped_backslash_round_trips() {
    replay_one("dn_parse", "hex-escaped-backslash");
}

// --- hand-made hostile inputs ------------------------------------------------------------

const CONFIG_HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n";

#[test]
fn config_reader_deep_nesting() {
    let depth = 100_000;
    let mut xml = String::from(CONFIG_HEAD);
    xml.push_str(&"<system.web>".repeat(depth));
    xml.push_str(&"</system.web>".repeat(depth));
    xml.push_str("\n</configuration>\n");
    let read = quick("100,000 nested elements", || {
        config::read_bytes(xml.as_bytes(), "web.config")
    });
    assert!(read.is_ok(), "{read:?}");
    checks::config_reader(xml.as_bytes());

    // The same, never closed: one diagnostic naming the innermost element.
    let mut open = String::from(CONFIG_HEAD);
    open.push_str(&"<appSettings>".repeat(depth));
    let err = quick("100,000 unclosed elements", || {
        config::read_bytes(open.as_bytes(), "web.config")
    })
    .unwrap_err();
    assert!(err.message.contains("never closed"), "{}", err.message);
}

#[test]
fn config_reader_refuses_entity_declarations() {
    let mut xml = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [\n");
    xml.push_str("<!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_string()
        } else {
            format!("lol{}", level - 1)
        };
        xml.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">\n",
            format!("&{previous};").repeat(10)
        ));
    }
    xml.push_str("]>\n<configuration><appSettings>");
    xml.push_str("<add key=\"IMPoolName\" value=\"&lol9;\"/></appSettings></configuration>\n");
    let err = quick("billion laughs", || {
        config::read_bytes(xml.as_bytes(), "web.config")
    })
    .unwrap_err();
    assert!(err.message.contains("DOCTYPE"), "{}", err.message);
}

#[test]
fn config_reader_undefined_entity_and_huge_values() {
    let xml = format!(
        "{CONFIG_HEAD}<appSettings><add key=\"IMPoolName\" value=\"&lol9;\"/></appSettings>\
         </configuration>"
    );
    // Whatever the verdict on an undefined entity, no panic.
    checks::config_reader(xml.as_bytes());

    // A 4 MB value and 50,000 attributes: read, not refused.
    let big = "p".repeat(4 << 20);
    let xml = format!(
        "{CONFIG_HEAD}<appSettings><add key=\"IMPoolName\" value=\"{big}\"/></appSettings>\
         </configuration>"
    );
    let read = quick("a 4 MB value", || {
        config::read_bytes(xml.as_bytes(), "web.config")
    });
    assert_eq!(
        read.unwrap()
            .get(config::ImKey::PoolName)
            .map(|s| s.value.len()),
        Some(big.len())
    );
    let attributes: String = (0..50_000).map(|i| format!(" a{i}=\"x\"")).collect();
    let xml = format!("{CONFIG_HEAD}<system.web{attributes}/></configuration>");
    checks::config_reader(xml.as_bytes());
}

#[test]
fn config_reader_broken_encodings() {
    for bytes in [
        &b""[..],
        b"\xFF\xFE",
        b"\xFF\xFE<\0c",        // odd UTF-16 length
        b"\xFF\xFE\x00\xD8<\0", // unpaired surrogate
        b"<\0c\0o\0",           // BOM-less UTF-16, no root
        b"\xEF\xBB\xBF\xC3",    // truncated UTF-8
        b"\xEF\xBB\xBF",        // a BOM and nothing else
        b"<configuration>\xFF</configuration>",
    ] {
        let read = quick("broken encoding", || {
            config::read_bytes(bytes, "web.config")
        });
        assert!(read.is_err(), "{bytes:?}: {read:?}");
    }
}

#[test]
fn dn_parse_hundred_thousand_rdns() {
    let text = vec!["DC=contoso"; 100_000].join(", ");
    let name = quick("100,000 RDNs", || DistinguishedName::parse(&text)).unwrap();
    assert_eq!(name.rdns().len(), 100_000);
    let text = vec!["DC=contoso"; 10_000].join(", ");
    quick("round trip of 10,000 RDNs", || {
        checks::dn_parse(text.as_bytes())
    });

    let avas = vec!["OU=Contoso"; 50_000].join(" + ");
    let name = quick("50,000 AVAs in one RDN", || DistinguishedName::parse(&avas)).unwrap();
    assert_eq!(name.rdns()[0].avas().len(), 50_000);
    let slash = "/DC=com".repeat(100_000);
    let name = quick("100,000 slash RDNs", || DistinguishedName::parse(&slash)).unwrap();
    assert_eq!(name.compare(&name), DnMatch::Same);
}

#[test]
fn dn_parse_hostile_values() {
    let unterminated = format!("CN=\"{}", "a".repeat(1 << 20));
    let cases: Vec<(String, bool)> = vec![
        (unterminated, false),
        (format!("CN={}", "\\FF".repeat(100_000)), false), // hex escapes that are not UTF-8
        (format!("CN={}", "\\C3\\BC".repeat(100_000)), true),
        (format!("CN=#{}", "0".repeat(1 << 20)), false),
        ("CN=#0c84ffffffff".to_string(), false), // a BER length far beyond the input
        ("CN=#0c8100".to_string(), true),
        (format!("CN={}", " ".repeat(1 << 20)), true),
        (",".repeat(100_000), false),
        ("\u{0}".repeat(10_000), false),
        (format!("OID.{}=x", "1.".repeat(50_000) + "1"), true),
        ("CN=a\\".to_string(), true), // a trailing backslash is itself
        ("/".to_string(), false),
        ("CN=\"\"\"\"".to_string(), true),
    ];
    for (text, ok) in cases {
        let shown: String = text.chars().take(40).collect();
        let parsed = quick(&shown, || DistinguishedName::parse(&text));
        assert_eq!(parsed.is_ok(), ok, "{shown:?}…: {parsed:?}");
        quick(&shown, || checks::dn_parse(text.as_bytes()));
    }
}

#[test]
fn serial_a_megabyte_of_hex() {
    let hex = "A5".repeat(1 << 19);
    let serial = quick("1 MB of hex", || Serial::parse(&hex)).unwrap();
    assert_eq!(serial.to_hex().len(), 1 << 20);
    let reversed = quick("1 MB of hex reversed", || Serial::parse_reversed(&hex)).unwrap();
    assert_eq!(reversed, serial);
    quick("1 MB of hex, checked", || checks::serial(hex.as_bytes()));

    let spaced = "1F ".repeat(300_000);
    assert!(quick("spaced", || Serial::parse(&spaced)).is_ok());
    let zeros = "0".repeat(1 << 20);
    assert_eq!(
        quick("zeros", || Serial::parse(&zeros)).unwrap().to_hex(),
        "00"
    );
    quick("zeros, checked", || checks::serial(zeros.as_bytes()));
    let separators = " :-\t".repeat(250_000);
    assert!(quick("separators", || Serial::parse(&separators)).is_err());
    let late = format!("{}G", "0".repeat(1 << 20));
    assert!(quick("a bad digit at the end", || Serial::parse(&late)).is_err());
    for text in ["0x", "0X", "\u{FF10}", "ß", "0x0x1", "٣"] {
        checks::serial(text.as_bytes());
    }
}

#[test]
fn der_truncations_and_garbage() {
    let cert = fixture("tests/fixtures/sources/cas21.cer");
    assert!(certificate::from_der(&cert).is_ok());
    quick("every truncation of a certificate", || {
        for len in 0..cert.len() {
            assert!(certificate::from_der(&cert[..len]).is_err(), "{len} bytes");
        }
    });
    // Trailing bytes after a whole certificate.
    let mut longer = cert.clone();
    longer.extend_from_slice(&[0; 16]);
    checks::der(&longer);
    // Deeply nested SEQUENCEs, indefinite and definite lengths, and a length beyond the input.
    let nested: Vec<u8> = [0x30, 0x80].repeat(50_000);
    assert!(quick("nested indefinite", || certificate::from_der(&nested)).is_err());
    let mut definite = Vec::new();
    for _ in 0..10_000 {
        let mut outer = vec![0x30, 0x83];
        outer.extend_from_slice(&(definite.len() as u32).to_be_bytes()[1..]);
        outer.extend_from_slice(&definite);
        definite = outer;
    }
    assert!(quick("nested definite", || certificate::from_der(&definite)).is_err());
    for bytes in [
        &[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF][..],
        &[0x30, 0x89],
        &[0x30],
        &[],
    ] {
        assert!(certificate::from_der(bytes).is_err(), "{bytes:?}");
    }
}

#[test]
fn pem_hostile_blocks() {
    let good = fixture("tests/fixtures/certs/cas02.pem");
    assert!(source::pem_certificates(&good).is_ok());
    let unterminated = b"-----BEGIN CERTIFICATE-----\nMIIB\n".to_vec();
    let big_garbage = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        "QUFB\n".repeat(200_000)
    );
    let empty_blocks = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".repeat(10_000);
    let keys_only = "-----BEGIN PRIVATE KEY-----\nQUFB\n-----END PRIVATE KEY-----\n".repeat(10_000);
    let mismatched = "-----BEGIN CERTIFICATE-----\nQUFB\n-----END PRIVATE KEY-----\n";
    let label = format!("-----BEGIN {}-----\n", "A".repeat(1 << 20));
    let cases: Vec<&[u8]> = vec![
        b"",
        &unterminated,
        big_garbage.as_bytes(),
        empty_blocks.as_bytes(),
        keys_only.as_bytes(),
        mismatched.as_bytes(),
        label.as_bytes(),
        b"\xFF\xFE-----BEGIN CERTIFICATE-----",
    ];
    for bytes in cases {
        let read = quick("hostile PEM", || source::pem_certificates(bytes));
        assert!(read.is_err(), "{:?}", &bytes[..bytes.len().min(40)]);
    }
    // The good certificate followed by a damaged block: the whole file is refused.
    let mut half = good.clone();
    half.extend_from_slice(&unterminated);
    checks::pem(&half);
}

#[test]
fn pkcs12_hostile_archives() {
    let good = fixture("tests/fixtures/sources/cas23-nokey.pfx");
    // Wrong password for the fixture (its password is in the fixtures' README).
    assert!(matches!(
        pkcs12::read(&good, &["x".into()]),
        Err(pkcs12::Pkcs12Error::WrongPassword)
    ));
    quick("truncations of a PFX", || {
        for len in (0..good.len()).step_by(7) {
            assert!(
                pkcs12::read(&good[..len], &["x".into()]).is_err(),
                "{len} bytes"
            );
        }
    });
    let nested: Vec<u8> = [0x30, 0x80].repeat(50_000);
    assert!(quick("nested", || pkcs12::read(&nested, &[])).is_err());
    for bytes in [
        &b""[..],
        b"\x30\x84\xff\xff\xff\xff\x02\x01\x03",
        b"\x30\x03\x02\x01\x03",
    ] {
        assert!(pkcs12::read(bytes, &["x".into()]).is_err(), "{bytes:?}");
    }
}

#[test]
fn exchange_csv_ten_megabyte_line() {
    let line = "A".repeat(10 << 20);
    let read = quick("a 10 MB line", || {
        exchange_csv::read(line.as_bytes(), "certs.csv", &Culture::en_us())
    });
    assert!(read.is_err());
    // A good header and one 10 MB row: one record (its thumbprint is judged when it is used).
    let file = format!(
        "\"Thumbprint\",\"Issuer\",\"SerialNumber\"\r\n\"{line}\",\"CN=ContosoCA\",\"01\"\r\n"
    );
    let records = quick("a 10 MB row", || {
        exchange_csv::read(file.as_bytes(), "certs.csv", &Culture::en_us())
    })
    .unwrap();
    assert_eq!(records.len(), 1);
}

#[test]
fn exchange_csv_hostile_shapes() {
    let unterminated = format!("\"Thumbprint\",\"Issuer\"\r\n\"{}", "x\r\n".repeat(300_000));
    let columns: String = (0..100_000).map(|i| format!("C{i},")).collect::<String>() + "Thumbprint";
    let rows = format!("Thumbprint\r\n{}", "\r\n,\r\n".repeat(100_000));
    let type_lines = "#TYPE x\r\n".repeat(100_000);
    for text in [unterminated, columns, rows, type_lines] {
        quick("hostile CSV", || checks::exchange_csv(text.as_bytes()));
    }
    for bytes in [
        &b""[..],
        b"\xFF\xFE",
        b"\xFF\xFEa",
        b"\xEF\xBB\xBF",
        b"#TYPE x",
        b"\r\n\r\n",
    ] {
        let read = exchange_csv::read(bytes, "certs.csv", &Culture::en_us());
        assert!(read.is_err(), "{bytes:?}: {read:?}");
    }
    for culture in Culture::supported() {
        let culture = Culture::from_name(culture).unwrap();
        let file =
            "Thumbprint,NotAfter,NotBefore\r\nAB,99/99/99999 99:99:99 PM,\u{FF11}/1/2025\r\n";
        let _ = exchange_csv::read(file.as_bytes(), "certs.csv", &culture);
    }
}

#[test]
fn exchange_json_hostile_shapes() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(quick("100,000 nested arrays", || exchange_json::read(
        deep.as_bytes(),
        "c.json"
    ))
    .is_err());
    let deep_objects = "{\"RawData\":".repeat(100_000);
    assert!(exchange_json::read(deep_objects.as_bytes(), "c.json").is_err());
    let many = format!("[{}{{}}]", "{},".repeat(100_000));
    let records = quick("100,000 objects", || {
        exchange_json::read(many.as_bytes(), "c.json")
    })
    .unwrap();
    assert_eq!(records.len(), 100_001);
    let big = format!(
        "{{\"Thumbprint\":\"{}\",\"RawData\":[{}1]}}",
        "A".repeat(10 << 20),
        "256,".repeat(1000)
    );
    let records = quick("a 10 MB string", || {
        exchange_json::read(big.as_bytes(), "c.json")
    })
    .unwrap();
    assert!(records[0].is_err());
    for text in [
        "{\"NotAfter\":\"\\/Date(99999999999999999999)\\/\"}",
        "{\"NotAfter\":\"\\/Date(-9223372036854775808)\\/\"}",
        "{\"NotAfter\":\"\\/Date(9223372036854775807+9999)\\/\"}",
        "{\"RawData\":\"\"}",
        "{\"RawData\":[-1,1e999]}",
        "1e999999",
        "\"\\ud800\"",
    ] {
        quick(text, || checks::exchange_json(text.as_bytes()));
    }
    assert!(exchange_json::read(b"", "c.json").is_err());
}

#[test]
fn clixml_deep_nesting() {
    let depth = 100_000;
    let deep = format!(
        "<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">{}{}</Objs>",
        "<Obj><Props>".repeat(depth),
        "</Props></Obj>".repeat(depth)
    );
    quick("100,000 nested objects", || checks::clixml(deep.as_bytes()));
    let unclosed = format!("<Objs>{}", "<Obj><MS>".repeat(depth));
    let read = quick("100,000 unclosed objects", || {
        clixml::read(unclosed.as_bytes(), "c.clixml")
    });
    assert!(read.is_err(), "{:?}", read.map(|r| r.len()));
    let many = format!("<Objs>{}</Objs>", "<Obj/>".repeat(depth));
    let records = quick("100,000 empty objects", || {
        clixml::read(many.as_bytes(), "c.clixml")
    })
    .unwrap();
    assert_eq!(records.len(), depth);
    assert!(records.iter().all(Result::is_err));
}

#[test]
fn clixml_hostile_values() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE Objs [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><Objs><Obj><Props><S N=\"Thumbprint\">&b;</S></Props></Obj></Objs>";
    quick("entity declarations", || checks::clixml(laughs.as_bytes()));
    let big_base64 = format!(
        "<Objs><Obj><Props><BA N=\"RawData\">{}</BA></Props></Obj></Objs>",
        "QUFB".repeat(1 << 20)
    );
    // Decoded here; that the bytes are no certificate is found when the record is used.
    let records = quick("4 MB of RawData", || {
        clixml::read(big_base64.as_bytes(), "c.clixml")
    })
    .unwrap();
    assert_eq!(records.len(), 1);
    let escapes = format!(
        "<Objs><Obj><Props><S N=\"Subject\">{}_x</S><S N=\"Thumbprint\">_xD800__xFFFFFFFF_</S></Props></Obj></Objs>",
        "_x005F_".repeat(100_000)
    );
    quick("escapes", || checks::clixml(escapes.as_bytes()));
    for text in [
        "<Objs><Obj><Props><DT N=\"NotAfter\">9999-99-99T99:99:99</DT><I32 N=\"Services\">-99999999999</I32></Props></Obj></Objs>",
        "<Objs><Obj><Props><Obj N=\"Services\"><I32>2147483648</I32><LST><S>IIS</S></LST></Obj></Props></Obj></Objs>",
        "<Objs><Obj RefId=\"0\"/><Ref RefId=\"0\"/><Ref RefId=\"0\"/></Objs>",
        "<Objs></Obj>",
        "<Objs/>",
        "<Objs>",
    ] {
        quick(text, || checks::clixml(text.as_bytes()));
    }
    assert!(clixml::read(b"", "c.clixml").is_err());
    assert!(clixml::read(b"<Other/>", "c.clixml").is_err());
}

#[test]
fn ps_literal_hostile_values() {
    let quotes = "'\u{2018}\u{2019}\u{201A}\u{201B}".repeat(100_000);
    let literal = quick("500,000 quote characters", || {
        powershell::single_quoted(&quotes)
    })
    .unwrap();
    assert_eq!(literal.chars().count(), 2 * quotes.chars().count() + 2);
    quick("quotes, checked", || checks::ps_literal(quotes.as_bytes()));
    let late = format!("{}\u{9F}", "x".repeat(1 << 20));
    assert!(matches!(
        powershell::single_quoted(&late),
        Err(powershell::LiteralError::ControlCharacter { codepoint: 0x9F, position }) if position == (1 << 20) + 1
    ));
    for value in [
        "",
        "'",
        "''",
        "\u{2019}'",
        "'\u{2019}",
        "@'\n'@",
        "\u{FEFF}'",
        "\u{202E}'\u{2066}",
    ] {
        checks::ps_literal(value.as_bytes());
    }
}
