//! `Get-ExchangeCertificate | ConvertTo-Json` from Windows PowerShell 5.1 (`\/Date(ms)\/`,
//! enums as numbers, `Out-File` UTF-16) or PowerShell 7 (ISO 8601 dates, enums as numbers or
//! text): one object or an array of them.

use std::cell::Cell;
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::export::{rules, stream, ExportedCertificate, Record, RecordError, Records};
use crate::encoding::{self, Decoding};
use crate::walk::ReadError;

/// What an administrator can do about a file or an object that cannot be used.
const EXPORT_AGAIN: &str = "export again with Get-ExchangeCertificate | ConvertTo-Json";

/// Why a whole file is not a `ConvertTo-Json` export that can be read.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("not JSON ({0}); {EXPORT_AGAIN}")]
    NotJson(serde_json::Error),
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl From<serde_json::Error> for JsonError {
    fn from(error: serde_json::Error) -> Self {
        if error.is_io() {
            JsonError::Read(ReadError::from_io(error.into()))
        } else {
            JsonError::NotJson(error)
        }
    }
}

/// Why one object of the file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectProblem {
    #[error("not a certificate object")]
    NotAnObject,
    /// The property and its value, as JSON.
    #[error("{name} {value} is not a date")]
    Date { name: &'static str, value: String },
    #[error("it has no RawData and no Thumbprint/Issuer/SerialNumber: {EXPORT_AGAIN}")]
    Unidentified,
}

/// Whether the bytes (a file's first ones are enough) are a `ConvertTo-Json` of
/// certificates: an object, or an array whose first element is one, with a certificate
/// property (Thumbprint, RawData, SerialNumber) at its top level. Other JSON files that sit
/// in a certificate folder are not exports; broken JSON that names a certificate property is
/// a damaged export, worth a message.
pub fn looks_like(bytes: &[u8]) -> bool {
    encoding::decode_head(bytes).is_ok_and(|(text, _)| looks_like_text(&text, true))
}

/// [`looks_like`] for text already decoded: a whole file's, or (`whole` false) the first
/// part of one, which says no when it ends before its first object says.
pub fn looks_like_text(text: &str, whole: bool) -> bool {
    sniff(text).unwrap_or(whole && names_a_certificate_property(text))
}

/// Whether the first object of `text` has a certificate property; None when the text ends
/// before it says.
fn sniff(text: &str) -> Option<bool> {
    if !text.trim_start().starts_with(['{', '[']) {
        return Some(false);
    }
    let decided = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let result = de::Deserializer::deserialize_any(&mut deserializer, Sniff(&decided));
    if let Some(decision) = decided.get() {
        return Some(decision);
    }
    match result {
        Err(e) if e.is_eof() => None,
        // The first element is not an object.
        Err(e) if e.is_data() => Some(false),
        _ => Some(names_a_certificate_property(text)),
    }
}

/// Broken JSON that names a certificate property is a damaged export, worth a message.
fn names_a_certificate_property(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["\"thumbprint\"", "\"rawdata\""]
        .iter()
        .any(|k| lower.contains(k))
}

/// Reads the first object of a document far enough to say whether it is a certificate,
/// then stops (with an error, the only way out of a serde visitor).
struct Sniff<'c>(&'c Cell<Option<bool>>);

impl Sniff<'_> {
    fn decide<E: de::Error>(&self, decision: bool) -> E {
        self.0.set(Some(decision));
        E::custom("decided")
    }
}

impl<'de> Visitor<'de> for Sniff<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        seq.next_element_seed(FirstElement(self.0))?;
        Err(self.decide(false))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let wanted = ["Thumbprint", "RawData", "SerialNumber"]
                .iter()
                .any(|k| key.eq_ignore_ascii_case(k));
            let value: Option<IgnoredAny> = map.next_value()?;
            if wanted && value.is_some() {
                return Err(self.decide(true));
            }
        }
        Err(self.decide(false))
    }
}

/// The first element of an array, sniffed as an object.
struct FirstElement<'c>(&'c Cell<Option<bool>>);

impl<'de> DeserializeSeed<'de> for FirstElement<'_> {
    type Value = ();

    /// Anything but an object is a type error, which says no.
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(Sniff(self.0))
    }
}

/// Reads a `ConvertTo-Json` export as it streams, giving `each` one entry per object (the
/// document's one object, or each element of its array) as soon as it is read. Err when the
/// file is not JSON, or not text: the entries given before it are then of no use.
pub fn read_from<R: Read>(
    raw: R,
    shown: &str,
    each: &mut dyn FnMut(Record<ObjectProblem>),
) -> Result<(), JsonError> {
    let (text, window) = stream::text(raw, Decoding::Strict, "object", false);
    let mut deserializer = serde_json::Deserializer::from_reader(text);
    let mut objects = Objects {
        shown,
        count: 0,
        window,
        each,
    };
    de::Deserializer::deserialize_any(&mut deserializer, &mut objects)?;
    deserializer.end()?;
    Ok(())
}

/// [`read_from`] for a file in memory, every entry collected.
pub fn read(bytes: &[u8], shown: &str) -> Result<Records<ObjectProblem>, JsonError> {
    let mut records = Vec::new();
    read_from(bytes, shown, &mut |record| records.push(record))?;
    Ok(records)
}

/// Hands each top-level object to the reader's caller, one in memory at a time.
struct Objects<'a> {
    shown: &'a str,
    count: usize,
    window: stream::Window,
    each: &'a mut dyn FnMut(Record<ObjectProblem>),
}

impl Objects<'_> {
    fn give(&mut self, value: Value) {
        self.count += 1;
        self.window.new_record();
        let origin = format!("{}#object {}", self.shown, self.count);
        let record = match value {
            Value::Object(map) => record(&map, origin),
            _ => Err(RecordError {
                origin,
                problem: ObjectProblem::NotAnObject,
            }),
        };
        (self.each)(record);
    }

    /// A document that is one scalar: one object that is not a certificate.
    fn scalar<E>(&mut self) -> Result<(), E> {
        self.give(Value::Null);
        Ok(())
    }
}

impl<'de> Visitor<'de> for &mut Objects<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.give(value);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.give(value);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar()
    }
}

fn record(map: &Map<String, Value>, origin: String) -> Record<ObjectProblem> {
    let fail = |problem| RecordError {
        origin: origin.clone(),
        problem,
    };
    let date = |name: &'static str| {
        field(map, name)
            .map(|v| {
                parse_date(v).ok_or_else(|| {
                    fail(ObjectProblem::Date {
                        name,
                        value: v.to_string(),
                    })
                })
            })
            .transpose()
    };
    let record = ExportedCertificate {
        der: field(map, "RawData").and_then(raw_data),
        thumbprint: string(map, "Thumbprint"),
        issuer: string(map, "Issuer"),
        subject: string(map, "Subject"),
        serial: string(map, "SerialNumber"),
        not_before: date("NotBefore")?,
        not_after: date("NotAfter")?,
        has_private_key: field(map, "HasPrivateKey").and_then(boolean),
        computer: rules::computer(
            string(map, "Identity").as_deref(),
            string(map, "PSComputerName").as_deref(),
        ),
        domains: field(map, "CertificateDomains")
            .map(domains)
            .unwrap_or_default(),
        self_signed: field(map, "IsSelfSigned").and_then(boolean),
        origin: origin.clone(),
    };
    if rules::unidentified(&record).is_some() {
        return Err(fail(ObjectProblem::Unidentified));
    }
    Ok(record)
}

/// A property, case-insensitively, looking through PowerShell's `{"value": …}` wrappers.
fn field<'v>(map: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    let value = map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)?;
    match value {
        Value::Null => None,
        Value::Object(inner) => inner.get("value").filter(|v| !v.is_null()).or(Some(value)),
        other => Some(other),
    }
}

fn string(map: &Map<String, Value>, name: &str) -> Option<String> {
    match field(map, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => rules::boolean(s),
        _ => None,
    }
}

/// `[48,130,…]` (5.1) or base64 (PowerShell 7 writes byte arrays so); `System.Byte[]` (what
/// a too-shallow -Depth leaves) is no data.
fn raw_data(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
            .collect(),
        Value::String(s) => rules::base64(s).ok(),
        _ => None,
    }
}

/// Domain names, whether written as strings or as objects (`{"Address": …}`), or as one
/// text.
fn domains(value: &Value) -> Vec<String> {
    let items = match value {
        Value::Array(items) => items,
        Value::String(text) => return rules::domains_text(text),
        _ => return Vec::new(),
    };
    rules::domains(items.iter().filter_map(|item| {
        match item {
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => ["Address", "Domain", "value"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str)),
            _ => None,
        }
    }))
}

/// `/Date(1736899200000)/` (Windows PowerShell 5.1) or ISO 8601 (PowerShell 7), by the
/// shared date rules.
fn parse_date(value: &Value) -> Option<OffsetDateTime> {
    let text = value.as_str()?;
    rules::json_date(text).or_else(|| rules::iso_8601(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(json: &str) -> Result<ExportedCertificate, RecordError<ObjectProblem>> {
        read(json.as_bytes(), "x.json").unwrap().remove(0)
    }

    #[test]
    fn windows_powershell_5_1_form() {
        let r = one(r#"{"Thumbprint":"7B30","Issuer":"CN=ContosoCA, DC=contoso, DC=com","SerialNumber":"1F5E",
            "NotAfter":"\/Date(1894665600000)\/","NotBefore":"\/Date(1736899200000)\/","Services":24,
            "HasPrivateKey":true,"RawData":[48,3,2,1,5],"PSComputerName":"CAS01"}"#)
        .unwrap();
        assert_eq!(r.not_after.map(|t| t.unix_timestamp()), Some(1_894_665_600));
        assert_eq!(
            r.not_before.map(|t| t.unix_timestamp()),
            Some(1_736_899_200)
        );
        assert_eq!(r.der, Some(vec![48, 3, 2, 1, 5]));
        assert_eq!(r.has_private_key, Some(true));
        assert_eq!(r.computer.as_deref(), Some("CAS01"));
        assert_eq!(r.origin, "x.json#object 1");
    }

    #[test]
    fn powershell_7_form_and_wrappers() {
        let r = one(r#"[{"Thumbprint":"7B30","Issuer":"CN=x","SerialNumber":"05",
            "NotAfter":"2030-01-15T01:00:00+01:00","NotBefore":{"value":"2025-01-15T00:00:00","DisplayHint":2},
            "Services":"IIS, SMTP","HasPrivateKey":"False","Identity":"CAS02\\7B30",
            "CertificateDomains":[{"Address":"cas02.contoso.com"},"mail.contoso.com"],"RawData":"System.Byte[]"}]"#)
        .unwrap();
        assert_eq!(r.not_after.map(|t| t.unix_timestamp()), Some(1_894_665_600));
        assert_eq!(
            r.not_before.map(|t| t.unix_timestamp()),
            Some(1_736_899_200)
        );
        assert_eq!(r.has_private_key, Some(false));
        assert_eq!(r.computer.as_deref(), Some("CAS02"));
        assert_eq!(r.domains, ["cas02.contoso.com", "mail.contoso.com"]);
        assert_eq!(r.der, None);
        // From a remote session, PSComputerName names the session's host for every object.
        let r = one(
            r#"{"RawData":"MAMCAQU=","PSComputerName":"cas21.contoso.com","Identity":"CAS23\\AB"}"#,
        )
        .unwrap();
        assert_eq!(r.computer.as_deref(), Some("CAS23"));
    }

    #[test]
    fn base64_raw_data_and_utf16() {
        let json = "{\"RawData\":\"MAMCAQU=\"}";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(json.encode_utf16().flat_map(u16::to_le_bytes));
        let r = read(&bytes, "x.json").unwrap().remove(0).unwrap();
        assert_eq!(r.der, Some(vec![48, 3, 2, 1, 5]));
    }

    #[test]
    fn unusable_objects_are_errors_named_by_position() {
        let records = read(
            br#"[{"Thumbprint":"7B30"},{"RawData":[1]},{"NotAfter":"31/01/2030"},3]"#,
            "x.json",
        )
        .unwrap();
        assert!(records[0]
            .as_ref()
            .unwrap_err()
            .problem
            .to_string()
            .contains("no RawData"));
        assert!(records[1].is_ok());
        assert!(records[2]
            .as_ref()
            .unwrap_err()
            .problem
            .to_string()
            .contains("NotAfter"));
        assert_eq!(records[3].as_ref().unwrap_err().origin, "x.json#object 4");
        assert!(read(b"{nope", "x.json").is_err());
    }

    #[test]
    fn looks_like_json() {
        assert!(looks_like(b"  [\r\n {\"Thumbprint\": \"x\"}]"));
        assert!(!looks_like(b"{\"cas01.cer\": {\"serial\": \"1F\"}}"));
        assert!(!looks_like(b"#TYPE x"));
    }
}
