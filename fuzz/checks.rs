//! What each fuzz target does with one input, shared by `fuzz/fuzz_targets/*.rs` and by
//! `tests/fuzz_regressions.rs` so that a saved input is replayed through exactly the code
//! the fuzzer ran. Every function must return without panicking for any input; the
//! assertions below are properties the project promises (SPEC §9, issue 6).
#![allow(dead_code)]

use owa_im_migrate::cert::exchange_csv::Culture;
use owa_im_migrate::cert::{
    certificate, clixml, exchange_csv, exchange_json, pkcs12, pkcs7, source, sst,
};
use owa_im_migrate::cert::{DistinguishedName, DnMatch, Serial};
use owa_im_migrate::config;
use owa_im_migrate::render::powershell;

/// What one target does with one input: return, or panic on a bug.
pub type Check = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and of its regression
/// folder `tests/fixtures/fuzz/<name>/`.
pub const TARGETS: &[(&str, Check)] = &[
    ("config_reader", config_reader),
    ("dn_parse", dn_parse),
    ("serial", serial),
    ("der", der),
    ("pem", pem),
    ("pkcs12", pkcs12),
    ("pkcs7", pkcs7),
    ("sst", sst),
    ("exchange_csv", exchange_csv),
    ("exchange_json", exchange_json),
    ("clixml", clixml),
    ("ps_literal", ps_literal),
];

/// A web.config as bytes (any encoding the reader recognises).
pub fn config_reader(data: &[u8]) {
    let _ = config::read_bytes(data, "fuzz");
}

/// An issuer as typed. A name that parses must print as a Windows string that parses to
/// the same name and prints the same again.
pub fn dn_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(name) = DistinguishedName::parse(text) else {
        return;
    };
    let windows = name.to_windows_string();
    // .NET prints a backslash in a value bare, so `a\\` and `a\` print alike: a name with
    // one cannot come back exactly, by design of the Windows form. It must still not panic.
    if windows.contains('\\') {
        let _ = DistinguishedName::parse(&windows);
        return;
    }
    let again = match DistinguishedName::parse(&windows) {
        Ok(again) => again,
        Err(e) => panic!("{text:?} parsed, but its Windows form {windows:?} does not: {e}"),
    };
    assert_eq!(
        name.compare(&again),
        DnMatch::Same,
        "{text:?} -> {windows:?} is another name"
    );
    assert_eq!(
        again.to_windows_string(),
        windows,
        "{text:?}: the Windows form is not stable"
    );
}

/// A serial as typed. Both orders agree on validity; normalisation is idempotent.
pub fn serial(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let forward = Serial::parse(text);
    let reversed = Serial::parse_reversed(text);
    assert_eq!(
        forward.is_ok(),
        reversed.is_ok(),
        "{text:?}: parse and parse_reversed disagree"
    );
    if let Ok(s) = forward {
        let hex = s.to_hex();
        assert_eq!(
            Serial::parse(&hex).as_ref(),
            Ok(&s),
            "{text:?}: {hex} is not stable"
        );
    }
}

/// A DER certificate (`.cer`).
pub fn der(data: &[u8]) {
    let _ = certificate::from_der(data);
}

/// A PEM file or bundle.
pub fn pem(data: &[u8]) {
    let _ = source::pem_certificates(data);
}

/// A PFX with one (wrong, for the fixtures) password; the empty one is tried too.
pub fn pkcs12(data: &[u8]) {
    let _ = pkcs12::read(data, &["x".into()]);
}

/// A PKCS#7 chain, DER or BER. Every certificate it gives is one element of the input, and
/// a chain is never read from bytes that are not a PKCS#7 ContentInfo.
pub fn pkcs7(data: &[u8]) {
    let Ok(certificates) = pkcs7::read(data) else {
        return;
    };
    assert!(pkcs7::looks_like(data), "read, but not recognised");
    let total: usize = certificates.iter().map(Vec::len).sum();
    assert!(total <= data.len(), "more certificate bytes than input");
    for der in certificates {
        let _ = certificate::from_der(&der);
    }
}

/// A serialized certificate store. Every certificate is inside the input, named by an
/// element that exists, and its friendly name is visible text of bounded length.
pub fn sst(data: &[u8]) {
    let Ok(certificates) = sst::read(data) else {
        return;
    };
    let mut last = 0;
    for stored in certificates {
        assert!(stored.element > last, "elements in order");
        last = stored.element;
        assert!(
            stored.element * 12 <= data.len(),
            "element {} cannot exist",
            stored.element
        );
        if let Some(name) = &stored.friendly_name {
            assert!(name.chars().count() <= 256 && !name.chars().any(char::is_control));
        }
        let _ = certificate::from_der(&stored.der);
    }
}

/// `Get-ExchangeCertificate | Export-Csv`.
pub fn exchange_csv(data: &[u8]) {
    let _ = exchange_csv::read(data, "fuzz", &Culture::en_us());
}

/// `Get-ExchangeCertificate | ConvertTo-Json`.
pub fn exchange_json(data: &[u8]) {
    let _ = exchange_json::read(data, "fuzz");
}

/// `Get-ExchangeCertificate | Export-Clixml`.
pub fn clixml(data: &[u8]) {
    let _ = clixml::read(data, "fuzz");
}

/// Any value through the escaper: when accepted, one single-quoted literal whose inside,
/// with each doubled quote character undoubled, is the value again.
pub fn ps_literal(data: &[u8]) {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(literal) = powershell::single_quoted(value) else {
        return;
    };
    assert!(
        literal.len() >= 2 && literal.starts_with('\'') && literal.ends_with('\''),
        "{value:?} -> {literal:?} is not one single-quoted literal"
    );
    let inside = &literal[1..literal.len() - 1];
    let mut undoubled = String::with_capacity(inside.len());
    let mut chars = inside.chars();
    while let Some(c) = chars.next() {
        if powershell::is_single_quote(c) {
            // A lone quote character would end the literal early.
            assert_eq!(
                chars.next(),
                Some(c),
                "{value:?} -> {literal:?}: a quote character is not doubled"
            );
        }
        undoubled.push(c);
    }
    assert_eq!(
        undoubled, value,
        "{value:?} -> {literal:?} reads back differently"
    );
}
