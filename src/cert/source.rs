//! Certificate files named by `--certs`: PEM (bundles, text around the blocks) and DER,
//! alone or in folders, recognised by their content rather than their extension.

use std::path::{Path, PathBuf};

use serde::Serialize;
use x509_parser::pem::Pem;

use super::certificate::{self, Certificate};
use crate::diag::{Code, Diagnostic};
use crate::Error;

/// One file read from `--certs`, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    pub file: String,
    /// `pem`, `der`, or `unknown`.
    pub format: &'static str,
    pub certificates: usize,
    /// `read`, `unreadable`, or `ignored` (not certificate material, e.g. a README).
    pub status: &'static str,
}

/// Everything read from the `--certs` arguments.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Each certificate with the file (and block) it came from.
    pub certificates: Vec<(Certificate, String)>,
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Extensions that promise certificate material: a file with one of them that holds none is
/// an error, while other files in a certificate folder are only listed as ignored.
const CERT_EXTENSIONS: &[&str] = &["cer", "crt", "der", "pem", "cert", "p7b", "pfx", "p12"];

/// Reads every `--certs` path. A path that does not exist stops the run (SPEC §4).
pub fn load(paths: &[PathBuf]) -> Result<Loaded, Error> {
    let mut loaded = Loaded::default();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Input {
            path: path.clone(),
            what: "certificate file or folder",
            source,
        })?;
        if meta.is_file() {
            read_file(path, &mut loaded);
            continue;
        }
        let (files, walked) = crate::walk::files(path);
        loaded.diagnostics.extend(walked);
        for file in files {
            read_file(&file, &mut loaded);
        }
    }
    Ok(loaded)
}

fn read_file(path: &Path, loaded: &mut Loaded) {
    let shown = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return unreadable(
                loaded,
                &shown,
                "unknown",
                format!("cannot read the file: {e}"),
            );
        }
    };
    let result = if contains(&bytes, b"-----BEGIN ") {
        ("pem", read_pem(&bytes, &shown))
    } else if let Some(reason) = unsupported_container(path) {
        return unreadable(loaded, &shown, "unknown", reason.into());
    } else if bytes.first() == Some(&0x30) {
        match certificate::from_der(&bytes) {
            Ok(cert) => ("der", Ok(vec![(cert, shown.clone())])),
            Err(reason) if has_cert_extension(path) => ("der", Err(reason)),
            // Some other binary file that happens to start like DER: not certificate material.
            Err(_) => return ignored(loaded, shown),
        }
    } else if has_cert_extension(path) {
        let reason = if bytes.is_empty() {
            "the file is empty"
        } else {
            "neither PEM nor DER: export it again as DER encoded binary X.509 (.cer) or \
             Base-64 encoded X.509 (.cer)"
        };
        return unreadable(loaded, &shown, "unknown", reason.into());
    } else {
        return ignored(loaded, shown);
    };
    match result {
        (format, Ok(certs)) => {
            loaded.files.push(SourceFile {
                file: shown,
                format,
                certificates: certs.len(),
                status: "read",
            });
            loaded.certificates.extend(certs);
        }
        (format, Err(reason)) => unreadable(loaded, &shown, format, reason),
    }
}

fn ignored(loaded: &mut Loaded, shown: String) {
    loaded.files.push(SourceFile {
        file: shown,
        format: "unknown",
        certificates: 0,
        status: "ignored",
    });
}

/// Containers this version does not open, with what to do instead.
fn unsupported_container(path: &Path) -> Option<&'static str> {
    match extension(path).as_str() {
        "pfx" | "p12" => Some(
            "PKCS#12 (.pfx/.p12) files are not read yet; export the certificate without its \
             private key as DER (.cer) or Base-64 (PEM) and name that file instead",
        ),
        "p7b" | "p7c" => Some(
            "PKCS#7 (.p7b) bundles are not read yet; export each certificate as DER (.cer) or \
             Base-64 (PEM) and name those files instead",
        ),
        _ => None,
    }
}

fn unreadable(loaded: &mut Loaded, shown: &str, format: &'static str, reason: String) {
    loaded.files.push(SourceFile {
        file: shown.to_string(),
        format,
        certificates: 0,
        status: "unreadable",
    });
    loaded.diagnostics.push(
        Diagnostic::new(
            Code::SourceUnreadable,
            format!("certificate source skipped: {reason}"),
        )
        .in_file(shown),
    );
}

/// Every CERTIFICATE block of a PEM file; other blocks (keys, requests) are passed over.
/// A damaged block makes the whole file unreadable, so that a bundle is never half-used
/// without anyone noticing.
fn read_pem(bytes: &[u8], shown: &str) -> Result<Vec<(Certificate, String)>, String> {
    let mut certs = Vec::new();
    for (i, block) in Pem::iter_from_buffer(bytes).enumerate() {
        let block = block.map_err(|e| format!("PEM block {} is damaged ({e})", i + 1))?;
        if !matches!(
            block.label.as_str(),
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
        ) {
            continue;
        }
        let cert = certificate::from_der(&block.contents)
            .map_err(|e| format!("PEM block {}: {e}", i + 1))?;
        let origin = format!("{shown}#{}", i + 1);
        certs.push((cert, origin));
    }
    if certs.is_empty() {
        return Err("the PEM file has no CERTIFICATE block".into());
    }
    // A single-certificate file is named by the file alone.
    if let [(_, origin)] = certs.as_mut_slice() {
        *origin = shown.to_string();
    }
    Ok(certs)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn has_cert_extension(path: &Path) -> bool {
    CERT_EXTENSIONS.contains(&extension(path).as_str())
}
