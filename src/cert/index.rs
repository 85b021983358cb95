//! The certificate index: every certificate once (by thumbprint), looked up by serial and
//! then by issuer, with the SPEC §3 rules for what still counts as a match.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::certificate::Certificate;
use super::dn::{DistinguishedName, DnMatch, Issuers};
use super::serial::Serial;
use super::thumbprint::Thumbprint;

/// One place a certificate was seen, and what that place says about it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    /// The file: one copy for every certificate read from it (an export of a whole
    /// organisation has thousands), also for "is this the server's own collected folder".
    pub file: Arc<Path>,
    /// Where in the file, when it holds several (`2`, `certificate 3`, `row 3`): see
    /// [`Source::origin`].
    pub place: Option<Box<str>>,
    /// What the source says of the private key (`None`: it cannot tell, as a .cer).
    pub has_private_key: Option<bool>,
    /// The server the export was taken on (`PSComputerName`).
    pub computer: Option<String>,
    /// The name a serialized store gave it (visible characters only, bounded).
    pub friendly_name: Option<String>,
}

impl Source {
    /// A place in a file that says nothing but the certificate itself.
    pub fn file(file: &Arc<Path>, place: Option<String>) -> Source {
        Source {
            file: Arc::clone(file),
            place: place.map(String::into_boxed_str),
            has_private_key: None,
            computer: None,
            friendly_name: None,
        }
    }

    /// `certs/cas01.cer`, `bundle.pem#2`, `exports/cas.csv#row 3`: the file as the tool
    /// shows paths, and the place in it. Made when asked for, so that the index does not
    /// hold the file's path once per certificate.
    pub fn origin(&self) -> String {
        let shown = crate::paths::shown(&self.file);
        match &self.place {
            Some(place) => format!("{shown}#{place}"),
            None => shown,
        }
    }
}

/// A certificate and every place it was seen.
#[derive(Debug, Clone)]
pub struct Entry {
    pub cert: Certificate,
    pub sources: Vec<Source>,
}

impl Entry {
    /// Another place. A certificate has a few: up to [`Entry::FEW`], room for exactly one
    /// more is made each time, instead of the four a growing `Vec` reserves (a quarter of
    /// the index at 10,000 servers); beyond, it doubles as usual (a certificate shared by
    /// every server of a large organisation is in every server's export).
    fn add(&mut self, source: Source) {
        if self.sources.len() < Self::FEW {
            self.sources.reserve_exact(1);
        }
        self.sources.push(source);
    }

    const FEW: usize = 4;

    /// The first name a serialized store gave it, as the MMC and Get-ExchangeCertificate
    /// show it.
    pub fn friendly_name(&self) -> Option<&str> {
        self.sources.iter().find_map(|s| s.friendly_name.as_deref())
    }

    /// Whether a private key is known to exist (`None`: no source can tell). A source that
    /// holds the key (a PFX) proves it exists; otherwise what exports say.
    pub fn private_key(&self) -> Option<bool> {
        let says = |key: bool| self.sources.iter().any(|s| s.has_private_key == Some(key));
        if says(true) {
            Some(true)
        } else if says(false) {
            Some(false)
        } else {
            None
        }
    }

    /// The origins, for the report and messages.
    pub fn origins(&self) -> Vec<String> {
        self.sources.iter().map(Source::origin).collect()
    }
}

#[derive(Debug, Default)]
pub struct CertIndex {
    /// Shared: a plan's certificate is a view of its entry ([`crate::plan::CertificateView`]).
    entries: Vec<Arc<Entry>>,
    by_thumbprint: HashMap<Thumbprint, usize>,
    by_serial: HashMap<Serial, Vec<usize>>,
    issuers: Issuers,
    /// Entries by subject (lower case), made the first time a renewal is looked for: only a
    /// run with an expired certificate pays for it.
    by_subject: std::sync::OnceLock<HashMap<String, Vec<usize>>>,
}

/// What the administrator wrote, ready to look up.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    /// The issuer string as written (invisible characters removed): RTM compared this.
    pub issuer_text: &'a str,
    pub issuer: &'a DistinguishedName,
    pub serial: &'a Serial,
    /// The same digits in the opposite byte order.
    pub serial_reversed: &'a Serial,
}

/// A certificate found for a query, and how loosely.
#[derive(Debug, Clone, Copy)]
pub struct Found<'i> {
    pub entry: &'i Arc<Entry>,
    /// The issuer matched, but not as the exact string .NET prints (RTM wanted that).
    pub issuer_inexact: bool,
    /// Only the reversed serial matched.
    pub byte_order: bool,
}

/// A near miss, offered when nothing matched.
#[derive(Debug, Clone)]
pub struct Candidate<'i> {
    pub entry: &'i Arc<Entry>,
    pub why: String,
}

#[derive(Debug)]
pub enum Lookup<'i> {
    Found(Found<'i>),
    Ambiguous(Vec<Found<'i>>),
    NotFound(Vec<Candidate<'i>>),
}

impl Lookup<'_> {
    pub fn is_found(&self) -> bool {
        matches!(self, Lookup::Found(_))
    }
}

fn issuer_match(query: &Query<'_>, cert: &Certificate) -> DnMatch {
    if cert.issuer_wildcards {
        query.issuer.compare_pattern(&cert.issuer)
    } else {
        query.issuer.compare(&cert.issuer)
    }
}

/// How many near misses a `cert-not-found` message lists.
const MAX_CANDIDATES: usize = 3;
/// Hex edits within which a serial under the same issuer is offered as a near miss.
const NEAR_SERIAL: usize = 3;

impl CertIndex {
    /// Adds a certificate; one seen before (same thumbprint) gains a source, and its
    /// fields are re-read from the DER when only an export's text described it so far.
    pub fn insert(&mut self, mut cert: Certificate, source: Source) {
        self.by_subject = std::sync::OnceLock::new();
        self.issuers.share(&mut cert.issuer_text, &mut cert.issuer);
        if let Some(&i) = self.by_thumbprint.get(&cert.thumbprint) {
            if cert.from_der && !self.entries[i].cert.from_der {
                self.reindex_serial(i, &cert.serial);
                self.entry_mut(i).cert = cert;
            }
            // Every source is another place: a file named twice is read once
            // (`source::find`), and each place in a file has its own origin.
            self.entry_mut(i).add(source);
            return;
        }
        let i = self.entries.len();
        self.by_thumbprint.insert(cert.thumbprint, i);
        self.by_serial
            .entry(cert.serial.clone())
            .or_default()
            .push(i);
        self.entries.push(Arc::new(Entry {
            cert,
            sources: vec![source],
        }));
    }

    /// An entry while the index is built. Nothing shares it yet (a plan takes its view once
    /// every certificate is read), so nothing is copied.
    fn entry_mut(&mut self, i: usize) -> &mut Entry {
        Arc::make_mut(&mut self.entries[i])
    }

    /// Whether the index has this certificate already and would keep it as it is (a
    /// certificate read from DER replaces one known only from an export's text).
    pub fn holds(&self, cert: &Certificate) -> bool {
        self.by_thumbprint
            .get(&cert.thumbprint)
            .is_some_and(|&i| self.entries[i].cert.from_der || !cert.from_der)
    }

    /// Another place of a certificate the index holds ([`CertIndex::holds`]).
    pub fn add_source(&mut self, thumbprint: &Thumbprint, source: Source) {
        if let Some(&i) = self.by_thumbprint.get(thumbprint) {
            self.entry_mut(i).add(source);
        }
    }

    fn reindex_serial(&mut self, i: usize, serial: &Serial) {
        let old = &self.entries[i].cert.serial;
        if old == serial {
            return;
        }
        if let Some(list) = self.by_serial.get_mut(old) {
            list.retain(|&j| j != i);
        }
        self.by_serial.entry(serial.clone()).or_default().push(i);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The renewal of an expired certificate (SPEC §8): another certificate with the same
    /// subject that expires later and is valid at `at`; of several, the one that expires
    /// last.
    pub fn renewal(&self, cert: &Certificate, at: time::OffsetDateTime) -> Option<&Arc<Entry>> {
        let by_subject = self.by_subject.get_or_init(|| {
            let mut by_subject: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, entry) in self.entries.iter().enumerate() {
                by_subject
                    .entry(entry.cert.subject_text.to_lowercase())
                    .or_default()
                    .push(i);
            }
            by_subject
        });
        by_subject
            .get(&cert.subject_text.to_lowercase())?
            .iter()
            .map(|&i| &self.entries[i])
            .filter(|e| e.cert.thumbprint != cert.thumbprint)
            .filter(|e| e.cert.not_after > cert.not_after)
            .filter(|e| e.cert.not_before <= at && at < e.cert.not_after)
            .max_by(|a, b| {
                a.cert
                    .not_after
                    .cmp(&b.cert.not_after)
                    .then_with(|| b.cert.thumbprint.cmp(&a.cert.thumbprint))
            })
    }

    pub fn lookup(&self, query: &Query<'_>) -> Lookup<'_> {
        let mut found = self.matches(query, query.serial, false);
        if found.is_empty() && query.serial_reversed != query.serial {
            found = self.matches(query, query.serial_reversed, true);
        }
        match found.len() {
            0 => Lookup::NotFound(self.candidates(query)),
            1 => Lookup::Found(found[0]),
            _ => Lookup::Ambiguous(found),
        }
    }

    fn matches(&self, query: &Query<'_>, serial: &Serial, byte_order: bool) -> Vec<Found<'_>> {
        let Some(indices) = self.by_serial.get(serial) else {
            return Vec::new();
        };
        indices
            .iter()
            .map(|&i| &self.entries[i])
            .filter_map(|entry| match issuer_match(query, &entry.cert) {
                DnMatch::Different => None,
                how => Some(Found {
                    entry,
                    // A `?` of an ASCII export hides which character was there: not exact.
                    issuer_inexact: how == DnMatch::Reversed
                        || entry.cert.issuer_wildcards
                        || query.issuer_text != &*entry.cert.issuer_text,
                    byte_order,
                }),
            })
            .collect()
    }

    /// The same serial under another issuer first, then the same issuer with a similar serial.
    fn candidates(&self, query: &Query<'_>) -> Vec<Candidate<'_>> {
        let mut out: Vec<Candidate<'_>> = Vec::new();
        for serial in [query.serial, query.serial_reversed] {
            for &i in self.by_serial.get(serial).into_iter().flatten() {
                let entry = &self.entries[i];
                if !out.iter().any(|c| std::ptr::eq(c.entry, entry)) {
                    out.push(Candidate {
                        entry,
                        why: format!("same serial, but issued by '{}'", entry.cert.issuer_text),
                    });
                }
            }
        }
        let mut near: Vec<(usize, &Arc<Entry>)> = self
            .entries
            .iter()
            .filter(|e| issuer_match(query, &e.cert) != DnMatch::Different)
            .filter_map(|e| Some((e.cert.serial.distance(query.serial, NEAR_SERIAL)?, e)))
            .collect();
        near.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.cert.serial.cmp(&b.1.cert.serial))
        });
        out.extend(near.into_iter().map(|(d, entry)| Candidate {
            entry,
            why: format!(
                "same issuer, serial {} differs in {d} digit{}",
                entry.cert.serial,
                if d == 1 { "" } else { "s" }
            ),
        }));
        out.truncate(MAX_CANDIDATES);
        out
    }
}
