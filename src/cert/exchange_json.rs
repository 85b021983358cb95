//! `Get-ExchangeCertificate | ConvertTo-Json` from Windows PowerShell 5.1 (`\/Date(ms)\/`,
//! enums as numbers, `Out-File` UTF-16) or PowerShell 7 (ISO 8601 dates, enums as numbers or
//! text): one object or an array of them.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::export::{rules, ExportedCertificate, RecordError, Records};
use crate::encoding;

/// Whether the bytes are a `ConvertTo-Json` of certificates: an object, or an array whose
/// first object, with a certificate property at its top level. Other JSON files that sit in
/// a certificate folder are not exports.
pub fn looks_like(bytes: &[u8]) -> bool {
    encoding::decode(bytes).is_ok_and(|(text, _)| looks_like_text(&text))
}

/// [`looks_like`] for a file already decoded.
pub fn looks_like_text(text: &str) -> bool {
    if !text.trim_start().starts_with(['{', '[']) {
        return false;
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        // Broken JSON that names a certificate property is a damaged export, worth a message.
        let lower = text.to_ascii_lowercase();
        return ["\"thumbprint\"", "\"rawdata\""]
            .iter()
            .any(|k| lower.contains(k));
    };
    let first = match &value {
        Value::Array(items) => items.first(),
        object => Some(object),
    };
    first.and_then(Value::as_object).is_some_and(|map| {
        ["Thumbprint", "RawData", "SerialNumber"]
            .iter()
            .any(|k| field(map, k).is_some())
    })
}

/// Err when the file is not JSON at all; otherwise one entry per object.
pub fn read(bytes: &[u8], shown: &str) -> Result<Records, String> {
    let (text, _) = encoding::decode(bytes).map_err(|e| e.to_string())?;
    read_text(&text, shown)
}

/// [`read`] for a file already decoded.
pub fn read_text(text: &str, shown: &str) -> Result<Records, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!("not JSON ({e}); export again with Get-ExchangeCertificate | ConvertTo-Json")
    })?;
    let objects = match value {
        Value::Array(items) => items,
        single => vec![single],
    };
    Ok(objects
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let origin = format!("{shown}#object {}", i + 1);
            match item {
                Value::Object(map) => record(map, origin),
                _ => Err(RecordError {
                    origin,
                    message: "not a certificate object".into(),
                }),
            }
        })
        .collect())
}

fn record(map: &Map<String, Value>, origin: String) -> Result<ExportedCertificate, RecordError> {
    let fail = |message: String| RecordError {
        origin: origin.clone(),
        message,
    };
    let date = |name: &str| {
        field(map, name)
            .map(|v| parse_date(v).ok_or_else(|| fail(format!("{name} {v} is not a date"))))
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
        return Err(fail(
            "it has no RawData and no Thumbprint/Issuer/SerialNumber: export again with \
             Get-ExchangeCertificate | ConvertTo-Json"
                .into(),
        ));
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

    fn one(json: &str) -> Result<ExportedCertificate, RecordError> {
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
            .message
            .contains("no RawData"));
        assert!(records[1].is_ok());
        assert!(records[2]
            .as_ref()
            .unwrap_err()
            .message
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
