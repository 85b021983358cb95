//! The hot parts of a run, one by one: reading a 30 KB web.config, parsing and comparing
//! distinguished names, looking certificates up, rendering the change script. The whole
//! organisation is measured by scripts/bench-org.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use owa_im_migrate::cert::{certificate, CertIndex, DistinguishedName, Query, Serial};
use owa_im_migrate::render::{ChangeTemplate, Renderer};

/// The example's CAS01 web.config, padded with realistic appSettings to about 30 KB.
fn web_config_30kb() -> Vec<u8> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/contoso/configs/CAS01/web.config"
    ))
    .expect("the example organisation is in the repository");
    let text = text.trim_start_matches('\u{feff}');
    let mut padding = String::new();
    let mut i = 0;
    while text.len() + padding.len() < 30 * 1024 {
        padding.push_str(&format!("    <add key=\"ContosoSetting{i}\" value=\"value {i} of a long-lived deployment\" />\r\n"));
        i += 1;
    }
    text.replacen("<appSettings>", &format!("<appSettings>\r\n{padding}"), 1)
        .into_bytes()
}

fn reader(c: &mut Criterion) {
    let bytes = web_config_30kb();
    c.bench_function("read a 30 KB web.config", |b| {
        b.iter(|| owa_im_migrate::config::read_bytes(black_box(&bytes), "web.config"))
    });
}

fn dn(c: &mut Criterion) {
    let written = "DC = com, DC = contoso, CN = ContosoCA";
    let cert = DistinguishedName::parse("CN=ContosoCA, DC=contoso, DC=com").expect("valid");
    c.bench_function("parse a DN", |b| {
        b.iter(|| DistinguishedName::parse(black_box(written)))
    });
    let parsed = DistinguishedName::parse(written).expect("valid");
    c.bench_function("compare DNs (reversed)", |b| {
        b.iter(|| black_box(&parsed).compare(black_box(&cert)))
    });
}

/// An index of the fixture certificates, with many look-ups that hit and miss.
fn lookup(c: &mut Criterion) {
    let mut index = CertIndex::default();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/certs");
    for entry in std::fs::read_dir(dir).expect("fixtures").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "cer") {
            let der = std::fs::read(&path).expect("readable");
            if let Ok(cert) = certificate::from_der(&der) {
                index.insert(
                    cert,
                    owa_im_migrate::cert::index::Source::file(&path.as_path().into(), None),
                );
            }
        }
    }
    let issuer_text = "CN=ContosoCA, DC=contoso, DC=com";
    let issuer = DistinguishedName::parse(issuer_text).expect("valid");
    let (hit, hit_reversed) =
        Serial::parse_both_orders("1F 5E DD 03 00 00 00 00 00 05").expect("valid");
    let (miss, miss_reversed) =
        Serial::parse_both_orders("1F 5E DD 03 00 00 00 00 00 1F").expect("valid");
    c.bench_function("look up a certificate (hit)", |b| {
        b.iter(|| {
            let query = Query {
                issuer_text,
                issuer: &issuer,
                serial: &hit,
                serial_reversed: &hit_reversed,
            };
            index.lookup(black_box(&query)).is_found()
        })
    });
    c.bench_function("look up a certificate (miss, with candidates)", |b| {
        b.iter(|| {
            let query = Query {
                issuer_text,
                issuer: &issuer,
                serial: &miss,
                serial_reversed: &miss_reversed,
            };
            index.lookup(black_box(&query)).is_found()
        })
    });
}

/// The change script for 500 servers (the example's three, repeated).
fn render(c: &mut Criterion) {
    let options = owa_im_migrate::ConvertOptions {
        inputs: owa_im_migrate::Inputs {
            configs: vec![concat!(env!("CARGO_MANIFEST_DIR"), "/examples/contoso/configs").into()],
            progress: false,
            server_map: None,
            corrections: None,
            settings: owa_im_migrate::plan::Settings {
                domain: None,
                at: time::macros::datetime!(2026-11-24 0:00 UTC),
                strict: false,
            },
        },
        certs: vec![concat!(env!("CARGO_MANIFEST_DIR"), "/examples/contoso/certs").into()],
        csv_culture: owa_im_migrate::cert::exchange_csv::Culture::en_us(),
        out: std::path::PathBuf::new(),
        extras: Vec::new(),
        at_given: true,
        force: false,
        template: None,
        replace: Vec::new(),
        generated: None,
    };
    let mut context = owa_im_migrate::prepare(&options)
        .and_then(|prepared| prepared.context())
        .expect("the example converts");
    let servers = context["servers"].as_array().cloned().unwrap_or_default();
    let many: Vec<serde_json::Value> = servers.iter().cycle().take(500).cloned().collect();
    context["servers"] = serde_json::Value::Array(many);
    let renderer = Renderer::new(&ChangeTemplate::Builtin("sp1")).expect("built-ins compile");
    let data = owa_im_migrate::render::Data::new(context).expect("no control characters");
    c.bench_function("render the change script for 500 servers", |b| {
        b.iter(|| renderer.render("sp1", black_box(&data)))
    });
}

/// Reading the certificate sources of each format, one file at a time, as `--certs` does:
/// recognising the file by its content, then reading it (DER, PEM, the exports, and the
/// PKCS#7 chain and serialized store).
fn sources(c: &mut Criterion) {
    use owa_im_migrate::cert::source::{self, Reading};
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let cases = [
        ("DER", "sources/cas21.cer"),
        ("PEM bundle", "certs/bundle.pem"),
        ("Export-Csv", "sources/exchange-ps2.csv"),
        ("ConvertTo-Json", "sources/exchange-ps7.json"),
        ("Export-Clixml", "sources/exchange.clixml"),
        ("PKCS#7", "sources/chains/dotnet-chain.p7b"),
        (
            "serialized store",
            "stores/windows-update-disallowedcert.sst",
        ),
    ];
    let reading = Reading::default();
    for (name, file) in cases {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        c.bench_function(&format!("read a certificate source: {name}"), |b| {
            b.iter(|| {
                let found = source::find(std::slice::from_ref(&path)).expect("the fixture");
                source::read(found, &reading)
            })
        });
    }
}

criterion_group!(benches, reader, dn, lookup, render, sources);
criterion_main!(benches);
