//! Reads `Get-ExchangeCertificate | Export-Clixml` files: PowerShell's CLIXML serialization
//! (MS-PSRP section 2.2.5) of `ExchangeCertificate` or `X509Certificate2` objects.
//!
//! Each top-level `<Obj>` of the `<Objs>` root is one certificate. Its properties are the
//! named elements (`N="..."`) of its `<Props>` (adapted) and `<MS>` (extended, such as the
//! `PSComputerName` of a remote session) children. Only the properties the resolver uses are
//! kept; every other element is skipped with everything inside it.
//!
//! The file comes from another machine and may be hostile: elements are tracked on an
//! explicit stack rather than by recursion, so no nesting depth can overflow the call stack.

use std::io::Read;

use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::Reader;
use time::OffsetDateTime;

use crate::cert::export::rules::{self, Unidentified};
use crate::cert::export::stream::{self, Text, Window};
use crate::cert::export::{ExportedCertificate, Record, RecordError, Records};
use crate::encoding::{self, Decoding};
use crate::walk::ReadError;

mod escape;

use escape::decode_escapes;

/// What an administrator can do about an object that cannot be used.
const EXPORT_AGAIN: &str = "export again with Get-ExchangeCertificate | Export-Clixml";

/// Why a whole file is not an Export-Clixml file that can be read.
#[derive(Debug, thiserror::Error)]
pub enum ClixmlError {
    #[error("not well-formed XML (line {line}): {source}")]
    Xml { line: u64, source: quick_xml::Error },
    /// Well-formed so far, but not what Export-Clixml writes there.
    #[error("{problem} (line {line})")]
    At { line: u64, problem: Structure },
    #[error("there is no <Objs> element: this is not an Export-Clixml file")]
    NoObjs,
    /// The number of elements left open.
    #[error("the file ends inside an element ({0} left open): it is truncated; {EXPORT_AGAIN}")]
    Truncated(usize),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// What is wrong at one place of a file that is not an Export-Clixml file.
#[derive(Debug, thiserror::Error)]
pub enum Structure {
    #[error("a second root element <{0}> after </Objs>")]
    SecondRoot(String),
    #[error("the root element is <{0}>, not <Objs>: this is not an Export-Clixml file")]
    Root(String),
    #[error("text outside the <Objs> element")]
    TextOutside,
    /// Export-Clixml never writes one, and a DTD could define entities this reader does not
    /// expand.
    #[error(
        "the file has a <!DOCTYPE> declaration, which Export-Clixml never writes: this is not \
         an Export-Clixml file"
    )]
    Doctype,
    /// An escape, attribute or character the XML reader refused inside an element.
    #[error("not well-formed XML: {0}")]
    Malformed(Box<dyn std::error::Error + Send + Sync>),
    #[error("{0}")]
    CData(Box<dyn std::error::Error + Send + Sync>),
}

/// Why one object of the file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectProblem {
    #[error(
        "object {index} has a RawData that is not valid base64 ({source}): the file is \
         damaged or was edited; {EXPORT_AGAIN}"
    )]
    RawData {
        index: usize,
        source: base64::DecodeError,
    },
    #[error("object {index} has no RawData and no {}: {EXPORT_AGAIN}", missing_text(.missing))]
    Unidentified { index: usize, missing: Unidentified },
}

fn missing_text(missing: &Unidentified) -> String {
    if missing.all() {
        "Thumbprint/Issuer/SerialNumber".to_string()
    } else {
        missing.names().join(" or ")
    }
}

/// Reads an Export-Clixml file of ExchangeCertificate (or X509Certificate2) objects as it
/// streams, giving `each` one entry per top-level `<Obj>` as soon as it ends: Ok, or a
/// `RecordError` naming the object (origin `"{shown}#object {n}"`, n from 1) and what is
/// wrong. Err when the whole file is not CLIXML (not XML, no `<Objs>` root, not text): the
/// entries given before it are then of no use.
pub fn read_from<R: Read>(
    raw: R,
    shown: &str,
    each: &mut dyn FnMut(Record<ObjectProblem>),
) -> Result<(), ClixmlError> {
    let (text, window) = stream::text(raw, Decoding::Strict, "object", true);
    Parser::new(shown, window, each).run(text)
}

/// [`read_from`] for a file in memory, every entry collected.
pub fn read(bytes: &[u8], shown: &str) -> Result<Records<ObjectProblem>, ClixmlError> {
    let mut records = Vec::new();
    read_from(bytes, shown, &mut |record| records.push(record))?;
    Ok(records)
}

/// Whether the bytes (a file's first ones are enough) look like CLIXML: after decoding, the
/// first element is `<Objs ...>`.
pub fn looks_like(bytes: &[u8]) -> bool {
    encoding::decode_head(bytes).is_ok_and(|(text, _)| looks_like_text(&text))
}

/// [`looks_like`] for text already decoded: reads no further than its first element.
pub fn looks_like_text(text: &str) -> bool {
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(tag) | Event::Empty(tag)) => {
                return tag.local_name().as_ref() == b"Objs"
            }
            Ok(Event::Text(text)) if is_blank(&text) => {}
            Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_)) => {}
            _ => return false,
        }
    }
}

/// Why an element is on the stack, which decides what its children and text mean.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    /// `<Objs>`, the root.
    Root,
    /// A top-level `<Obj>`: one certificate.
    Certificate,
    /// `<Props>` or `<MS>` of a certificate: its properties.
    Members,
    /// A scalar property of a certificate (`<S N="Thumbprint">`); its text is collected.
    Scalar {
        name: String,
        kind: Kind,
    },
    /// A property of a certificate that is itself an object (`<Obj N="CertificateDomains">`).
    Nested {
        name: String,
    },
    /// The `<ToString>` of a nested property object.
    NestedToString,
    /// The `<LST>` or `<IE>` of a nested property object (a collection).
    List,
    /// A `<S>` item of such a collection.
    ListString,
    /// An `<Obj>` item of such a collection, and its `<ToString>`.
    ListObj,
    ListObjToString,
    /// Anything else, skipped with everything inside it.
    Skip,
}

impl Role {
    /// The roles whose text is the value being read.
    fn collects_text(&self) -> bool {
        matches!(
            self,
            Role::Scalar { .. } | Role::NestedToString | Role::ListString | Role::ListObjToString
        )
    }
}

/// The primitive types (MS-PSRP 2.2.5.1) a wanted property can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Bool,
    DateTime,
    Bytes,
}

impl Kind {
    fn of(element: &[u8]) -> Option<Kind> {
        match element {
            b"S" => Some(Kind::String),
            b"B" => Some(Kind::Bool),
            b"DT" => Some(Kind::DateTime),
            b"BA" => Some(Kind::Bytes),
            _ => None,
        }
    }
}

/// A property value as read, before it is given to a field.
#[derive(Debug)]
enum Value {
    Text(String),
    Bool(bool),
    Date(OffsetDateTime),
    /// Base64 text, decoded when the object ends so that a bad one names its object.
    Bytes(String),
    Object(NestedValue),
    /// A boolean or date whose text does not parse: the field stays empty.
    Unreadable,
}

/// What a nested property object says about itself.
#[derive(Debug, Default)]
struct NestedValue {
    to_string: Option<String>,
    items: Vec<String>,
}

/// The fields of one certificate object, filled property by property.
#[derive(Debug)]
struct Builder {
    index: usize,
    cert: ExportedCertificate,
    raw_data: Option<String>,
    ps_computer_name: Option<String>,
    identity: Option<String>,
    domains_seen: bool,
}

impl Builder {
    fn new(index: usize, origin: String) -> Self {
        Builder {
            index,
            cert: ExportedCertificate {
                origin,
                ..ExportedCertificate::default()
            },
            raw_data: None,
            ps_computer_name: None,
            identity: None,
            domains_seen: false,
        }
    }

    /// Gives a property to its field. PowerShell property names compare case-insensitively;
    /// when a name appears twice (in `<Props>` and `<MS>`), the first value is kept.
    fn apply(&mut self, name: &str, value: Value) {
        let cert = &mut self.cert;
        match (name.to_ascii_lowercase().as_str(), value) {
            ("rawdata", Value::Bytes(text)) => set(&mut self.raw_data, text),
            ("thumbprint", Value::Text(text)) => set(&mut cert.thumbprint, text),
            ("issuer", Value::Text(text)) => set(&mut cert.issuer, text),
            ("subject", Value::Text(text)) => set(&mut cert.subject, text),
            ("serialnumber", Value::Text(text)) => set(&mut cert.serial, text),
            ("notbefore", Value::Date(date)) => set(&mut cert.not_before, date),
            ("notafter", Value::Date(date)) => set(&mut cert.not_after, date),
            ("hasprivatekey", Value::Bool(b)) => set(&mut cert.has_private_key, b),
            ("isselfsigned", Value::Bool(b)) => set(&mut cert.self_signed, b),
            ("pscomputername", Value::Text(text)) => set(&mut self.ps_computer_name, text),
            ("identity", value) => {
                if let Some(text) = text_of(value) {
                    set(&mut self.identity, text);
                }
            }
            ("certificatedomains", value) => self.domains(value),
            _ => {}
        }
    }

    fn domains(&mut self, value: Value) {
        if self.domains_seen {
            return;
        }
        self.cert.domains = match value {
            Value::Object(nested) => rules::domains(nested.items),
            Value::Text(text) => rules::domains_text(&text),
            _ => return,
        };
        self.domains_seen = true;
    }

    /// The certificate, or why it cannot identify one: without the DER bytes, the resolver
    /// needs the thumbprint and the issuer and serial number to find it.
    fn finish(self) -> Record<ObjectProblem> {
        let Builder {
            index, mut cert, ..
        } = self;
        // The Identity (`CAS22\<thumbprint>`) names the server the certificate is on;
        // PSComputerName only names the host of the remote session that ran the export.
        cert.computer = rules::computer(self.identity.as_deref(), self.ps_computer_name.as_deref());
        let problem = match self.raw_data {
            Some(text) => match rules::base64(&text) {
                Ok(der) => {
                    cert.der = Some(der);
                    return Ok(cert);
                }
                Err(source) => ObjectProblem::RawData { index, source },
            },
            None => match rules::unidentified(&cert) {
                None => return Ok(cert),
                Some(missing) => ObjectProblem::Unidentified { index, missing },
            },
        };
        Err(RecordError {
            origin: cert.origin,
            problem,
        })
    }
}

/// Keeps the first value a field is given.
fn set<T>(field: &mut Option<T>, value: T) {
    if field.is_none() {
        *field = Some(value);
    }
}

/// A string property, or the string form of an object property.
fn text_of(value: Value) -> Option<String> {
    match value {
        Value::Text(text) => Some(text),
        Value::Object(nested) => nested.to_string,
        _ => None,
    }
}

/// The state of one pass over the document.
struct Parser<'a> {
    shown: &'a str,
    window: Window,
    stack: Vec<Role>,
    /// The text of the innermost element whose role collects text.
    text: String,
    root_closed: bool,
    objects: usize,
    current: Option<Builder>,
    nested: NestedValue,
    item: Option<String>,
    each: &'a mut dyn FnMut(Record<ObjectProblem>),
}

impl<'a> Parser<'a> {
    fn new(shown: &'a str, window: Window, each: &'a mut dyn FnMut(Record<ObjectProblem>)) -> Self {
        Parser {
            shown,
            window,
            stack: Vec::new(),
            text: String::new(),
            root_closed: false,
            objects: 0,
            current: None,
            nested: NestedValue::default(),
            item: None,
            each,
        }
    }

    fn run<R: Read>(mut self, text: Text<R>) -> Result<(), ClixmlError> {
        let mut reader = Reader::from_reader(text);
        reader.config_mut().check_end_names = true;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let start = reader.buffer_position();
            self.window.advance(start);
            let event = match reader.read_event_into(&mut buf) {
                Ok(event) => event,
                Err(quick_xml::Error::Io(e)) => return Err(ReadError::from_io_ref(&e).into()),
                Err(source) => {
                    let line = self.window.line_at(reader.error_position());
                    return Err(ClixmlError::Xml { line, source });
                }
            };
            let line = self.window.line_at(start);
            let at = |problem| ClixmlError::At { line, problem };
            match event {
                Event::Eof => return self.finish(),
                event => self.event(event).map_err(at)?,
            }
        }
    }

    fn event(&mut self, event: Event<'_>) -> Result<(), Structure> {
        match event {
            Event::Start(tag) => self.start(&tag)?,
            Event::Empty(tag) => {
                self.start(&tag)?;
                self.end();
            }
            Event::End(_) => self.end(),
            Event::Text(content) => self.on_text(&content)?,
            Event::CData(data) => {
                let data = data.decode().map_err(|e| Structure::CData(Box::new(e)))?;
                self.append(&data)?;
            }
            Event::DocType(_) => return Err(Structure::Doctype),
            Event::Eof | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<(), ClixmlError> {
        if !self.root_closed && self.stack.is_empty() {
            return Err(ClixmlError::NoObjs);
        }
        if !self.stack.is_empty() {
            return Err(ClixmlError::Truncated(self.stack.len()));
        }
        Ok(())
    }

    fn start(&mut self, tag: &BytesStart<'_>) -> Result<(), Structure> {
        let local = tag.local_name();
        let element = local.as_ref();
        let role = match self.stack.last() {
            None => self.root_role(element)?,
            Some(parent) => child_role(parent, element, tag)?,
        };
        match role {
            Role::Certificate => {
                self.objects += 1;
                self.window.new_record();
                let origin = format!("{}#object {}", self.shown, self.objects);
                self.current = Some(Builder::new(self.objects, origin));
            }
            Role::Nested { .. } => self.nested = NestedValue::default(),
            Role::ListObj => self.item = None,
            _ => {}
        }
        if role.collects_text() {
            self.text.clear();
        }
        self.stack.push(role);
        Ok(())
    }

    /// The one root element must be `<Objs>`: anything else is some other XML file.
    fn root_role(&self, element: &[u8]) -> Result<Role, Structure> {
        let name = String::from_utf8_lossy(element).into_owned();
        if self.root_closed {
            return Err(Structure::SecondRoot(name));
        }
        if element != b"Objs" {
            return Err(Structure::Root(name));
        }
        Ok(Role::Root)
    }

    fn end(&mut self) {
        let Some(role) = self.stack.pop() else {
            return;
        };
        // Only an element that collects text owns the buffer: the end of a skipped element
        // inside a value (`<S>a<x/>b</S>`) must not drop what was collected so far.
        let text = if role.collects_text() {
            std::mem::take(&mut self.text)
        } else {
            String::new()
        };
        match role {
            Role::Root => self.root_closed = true,
            Role::Certificate => {
                if let Some(builder) = self.current.take() {
                    self.window.new_record();
                    (self.each)(builder.finish());
                }
            }
            Role::Scalar { name, kind } => self.property(&name, scalar(kind, text)),
            Role::Nested { name } => {
                let nested = std::mem::take(&mut self.nested);
                self.property(&name, Value::Object(nested));
            }
            Role::NestedToString => set(&mut self.nested.to_string, decode_escapes(&text)),
            Role::ListString => self.nested.items.push(decode_escapes(&text)),
            Role::ListObj => {
                if let Some(item) = self.item.take() {
                    self.nested.items.push(item);
                }
            }
            Role::ListObjToString => set(&mut self.item, decode_escapes(&text)),
            Role::Members | Role::List | Role::Skip => {}
        }
    }

    fn property(&mut self, name: &str, value: Value) {
        if let Some(builder) = self.current.as_mut() {
            builder.apply(name, value);
        }
    }

    fn on_text(&mut self, content: &BytesText<'_>) -> Result<(), Structure> {
        if self.stack.is_empty() {
            if is_blank(content) {
                return Ok(());
            }
            return Err(Structure::TextOutside);
        }
        if !self.collecting() {
            return Ok(());
        }
        let text = content
            .unescape()
            .map_err(|e| Structure::Malformed(Box::new(e)))?;
        self.append(&text)
    }

    fn append(&mut self, text: &str) -> Result<(), Structure> {
        if self.stack.is_empty() && !text.trim().is_empty() {
            return Err(Structure::TextOutside);
        }
        if self.collecting() {
            self.text.push_str(text);
        }
        Ok(())
    }

    fn collecting(&self) -> bool {
        self.stack.last().is_some_and(Role::collects_text)
    }
}

/// What a child element means, given its parent's role. Only the shapes Export-Clixml writes
/// for the wanted properties are followed; everything else is skipped.
fn child_role(parent: &Role, element: &[u8], tag: &BytesStart<'_>) -> Result<Role, Structure> {
    let role = match (parent, element) {
        (Role::Root, b"Obj") => Role::Certificate,
        (Role::Certificate, b"Props" | b"MS") => Role::Members,
        (Role::Members, _) => return member_role(element, tag),
        (Role::Nested { .. }, b"ToString") => Role::NestedToString,
        (Role::Nested { .. }, b"LST" | b"IE") => Role::List,
        (Role::List, b"S") => Role::ListString,
        (Role::List, b"Obj") => Role::ListObj,
        (Role::ListObj, b"ToString") => Role::ListObjToString,
        _ => Role::Skip,
    };
    Ok(role)
}

/// A named property of a certificate: a nested object or a primitive value. `<Nil>`,
/// `<Ref>` (a repeat of an earlier object) and unnamed elements carry nothing wanted.
fn member_role(element: &[u8], tag: &BytesStart<'_>) -> Result<Role, Structure> {
    let Some(name) = property_name(tag)? else {
        return Ok(Role::Skip);
    };
    if element == b"Obj" {
        return Ok(Role::Nested { name });
    }
    Ok(match Kind::of(element) {
        Some(kind) => Role::Scalar { name, kind },
        None => Role::Skip,
    })
}

/// The `N` attribute, XML-unescaped and then `_xHHHH_`-decoded (MS-PSRP 2.2.5.3.1).
fn property_name(tag: &BytesStart<'_>) -> Result<Option<String>, Structure> {
    let malformed = |e: Box<dyn std::error::Error + Send + Sync>| Structure::Malformed(e);
    let attribute = tag
        .try_get_attribute("N")
        .map_err(|e| malformed(Box::new(e)))?;
    let Some(attribute) = attribute else {
        return Ok(None);
    };
    let raw = std::str::from_utf8(&attribute.value).map_err(|e| malformed(Box::new(e)))?;
    let value = quick_xml::escape::unescape(raw).map_err(|e| malformed(Box::new(e)))?;
    Ok(Some(decode_escapes(&value)))
}

/// The value of a primitive element, from its text.
fn scalar(kind: Kind, text: String) -> Value {
    let trimmed = text.trim();
    match kind {
        Kind::String => Value::Text(decode_escapes(&text)),
        Kind::Bytes => Value::Bytes(text),
        Kind::Bool => rules::xml_boolean(trimmed).map_or(Value::Unreadable, Value::Bool),
        // xs:dateTime, as `XmlConvert.ToString(value, RoundtripKind)` writes it.
        Kind::DateTime => rules::iso_8601(trimmed).map_or(Value::Unreadable, Value::Date),
    }
}

fn is_blank(text: &BytesText<'_>) -> bool {
    text.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const HEADER: &str =
        r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">"#;

    fn objs(body: &str) -> String {
        format!("{HEADER}{body}</Objs>")
    }

    fn object(props: &str) -> String {
        format!(r#"<Obj RefId="0"><Props>{props}</Props></Obj>"#)
    }

    fn der_base64() -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode([0x30, 0x82, 0x01, 0x0A, 0xFF])
    }

    fn read_one(xml: &str) -> Result<ExportedCertificate, RecordError<ObjectProblem>> {
        let records = read(xml.as_bytes(), "cas01.xml").expect("a CLIXML file");
        assert_eq!(records.len(), 1, "{records:?}");
        records.into_iter().next().expect("one record")
    }

    fn utf16le_bom(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    /// An ExchangeCertificate as a remote Exchange Management Shell exports it.
    fn full_export() -> String {
        let body = format!(
            r#"
  <Obj RefId="0">
    <TN RefId="0">
      <T>Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate</T>
      <T>Deserialized.System.Security.Cryptography.X509Certificates.X509Certificate2</T>
      <T>Deserialized.System.Object</T>
    </TN>
    <ToString>[Subject]
  CN=mail.contoso.com</ToString>
    <Props>
      <Obj N="CertificateDomains" RefId="1">
        <TN RefId="1"><T>Deserialized.Microsoft.Exchange.Data.MultiValuedProperty`1</T></TN>
        <LST><S>mail.contoso.com</S><S>autodiscover.contoso.com</S></LST>
      </Obj>
      <B N="HasPrivateKey">true</B>
      <S N="Identity">CAS01\7B30E0F3A1</S>
      <B N="IsSelfSigned">false</B>
      <S N="Issuer">CN=ContosoCA, DC=contoso, DC=com</S>
      <DT N="NotAfter">2030-01-15T01:00:00+01:00</DT>
      <DT N="NotBefore">2020-01-15T07:30:00.1234567-05:00</DT>
      <BA N="RawData">{raw}</BA>
      <S N="SerialNumber">1F5EDD03000000000005</S>
      <Obj N="Services" RefId="2">
        <TN RefId="2"><T>Deserialized.Microsoft.Exchange.Data.AllowedServices</T><T>Deserialized.System.Enum</T></TN>
        <ToString>IIS, SMTP</ToString>
        <I32>24</I32>
      </Obj>
      <S N="Subject">CN=mail.contoso.com, OU=IT, O=Contoso</S>
      <S N="Thumbprint">7B30E0F3A1</S>
      <Nil N="FriendlyName" />
    </Props>
    <MS>
      <S N="PSComputerName">cas01.contoso.com</S>
      <G N="RunspaceId">5a1e3f0e-8d1c-4b0f-9d6e-2b6f3c1a0e11</G>
      <B N="PSShowComputerName">false</B>
    </MS>
  </Obj>
"#,
            raw = der_base64()
        );
        format!("<?xml version=\"1.0\"?>\r\n{}", objs(&body))
    }

    fn expected_full() -> ExportedCertificate {
        ExportedCertificate {
            origin: "cas01.xml#object 1".into(),
            der: Some(vec![0x30, 0x82, 0x01, 0x0A, 0xFF]),
            thumbprint: Some("7B30E0F3A1".into()),
            issuer: Some("CN=ContosoCA, DC=contoso, DC=com".into()),
            subject: Some("CN=mail.contoso.com, OU=IT, O=Contoso".into()),
            serial: Some("1F5EDD03000000000005".into()),
            not_before: Some(datetime!(2020-01-15 07:30:00.1234567 -05:00)),
            not_after: Some(datetime!(2030-01-15 01:00:00 +01:00)),
            has_private_key: Some(true),
            computer: Some("CAS01".into()),
            domains: vec!["mail.contoso.com".into(), "autodiscover.contoso.com".into()],
            self_signed: Some(false),
        }
    }

    #[test]
    fn full_object_with_props_and_member_set() {
        let cert = read_one(&full_export()).expect("a usable object");
        assert_eq!(cert, expected_full());
        // The offset is kept, not converted.
        assert_eq!(cert.not_after.map(|d| d.offset().whole_hours()), Some(1));
    }

    #[test]
    fn utf16_le_with_bom_reads_the_same() {
        let records = read(&utf16le_bom(&full_export()), "cas01.xml").expect("CLIXML");
        assert_eq!(records, vec![Ok(expected_full())]);
        let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
        utf8_bom.extend(full_export().bytes());
        assert_eq!(
            read(&utf8_bom, "cas01.xml").unwrap(),
            vec![Ok(expected_full())]
        );
    }

    #[test]
    fn raw_data_only_object() {
        let xml = objs(&object(&format!(
            r#"<BA N="RawData">{}</BA>"#,
            der_base64()
        )));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(
            cert,
            ExportedCertificate {
                origin: "cas01.xml#object 1".into(),
                der: Some(vec![0x30, 0x82, 0x01, 0x0A, 0xFF]),
                ..ExportedCertificate::default()
            }
        );
    }

    #[test]
    fn raw_data_wrapped_over_lines_still_decodes() {
        let wrapped = "MIIB\r\n  Cv8=";
        let xml = objs(&object(&format!(r#"<BA N="RawData">{wrapped}</BA>"#)));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.der, Some(vec![0x30, 0x82, 0x01, 0x0A, 0xFF]));
    }

    #[test]
    fn identification_fields_without_raw_data_are_enough() {
        let xml = objs(&object(
            r#"<S N="Thumbprint">AB12</S><S N="Issuer">CN=CA</S><S N="SerialNumber">01</S>
               <S N="Identity">CAS02\AB12</S>"#,
        ));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.der, None);
        assert_eq!(cert.thumbprint.as_deref(), Some("AB12"));
        // Without PSComputerName, the server comes from the Identity.
        assert_eq!(cert.computer.as_deref(), Some("CAS02"));
    }

    #[test]
    fn escapes_are_decoded_after_entities() {
        let xml = objs(&object(
            r#"<S N="Subject">CN=a_x000D__x000A_b &amp; _x005F_x0020_ _x005f_</S>
               <S N="Thumb_x0070_rint">AB_x0009_12</S>
               <S N="Issuer">CN=_xD83D__xDE00_ &#x41;</S>
               <S N="SerialNumber">keep _x12_ _xD800_ _xDE00_ _x00G1_ _x0041 end_</S>"#,
        ));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.subject.as_deref(), Some("CN=a\r\nb & _x0020_ _"));
        assert_eq!(cert.thumbprint.as_deref(), Some("AB\t12"));
        assert_eq!(cert.issuer.as_deref(), Some("CN=\u{1F600} A"));
        assert_eq!(
            cert.serial.as_deref(),
            Some("keep _x12_ _xD800_ _xDE00_ _x00G1_ _x0041 end_")
        );
    }

    #[test]
    fn text_around_comments_and_stray_elements_is_kept() {
        let xml = objs(&object(
            r#"<S N="Thumbprint">A<!-- c -->B<x/>C<y>skipped</y>D<![CDATA[&E]]></S>
               <S N="Issuer">CN=CA</S><S N="SerialNumber">01</S>"#,
        ));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.thumbprint.as_deref(), Some("ABCD&E"));
    }

    #[test]
    fn nil_values_leave_fields_empty() {
        let xml = objs(&object(&format!(
            r#"<BA N="RawData">{}</BA><Nil N="Subject" /><Nil N="HasPrivateKey"></Nil>
               <Nil N="NotAfter"/><Nil N="Services"/><Nil N="CertificateDomains"/>"#,
            der_base64()
        )));
        let cert = read_one(&xml).expect("usable");
        assert_eq!((cert.subject, cert.has_private_key), (None, None));
        assert_eq!(cert.not_after, None);
        assert!(cert.domains.is_empty());
    }

    #[test]
    fn nil_raw_data_falls_back_to_identification() {
        let xml = objs(&object(r#"<Nil N="RawData"/><S N="Thumbprint">AB</S>"#));
        let err = read_one(&xml).expect_err("unusable");
        assert!(
            err.problem
                .to_string()
                .contains("no RawData and no Issuer or SerialNumber"),
            "{err:?}"
        );
    }

    #[test]
    fn refs_are_ignored() {
        let xml = objs(&format!(
            r#"{}<Ref RefId="0" />"#,
            object(&format!(
                r#"<BA N="RawData">{}</BA><Ref N="Services" RefId="7" />
                   <Obj N="CertificateDomains"><LST><Ref RefId="3"/><S>a.contoso.com</S></LST></Obj>"#,
                der_base64()
            ))
        ));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.domains, vec!["a.contoso.com".to_string()]);
    }

    #[test]
    fn domains_as_objects_with_to_string() {
        let xml = objs(&object(&format!(
            r#"<BA N="RawData">{}</BA>
               <Obj N="CertificateDomains" RefId="1"><TN RefId="1"><T>L</T></TN>
                 <ToString>mail.contoso.com autodiscover.contoso.com</ToString>
                 <IE>
                   <Obj RefId="2"><TN RefId="2"><T>SmtpDomainWithSubdomains</T></TN>
                     <ToString>mail.contoso.com</ToString>
                     <Props><S N="Domain">ignored</S><B N="IncludeSubDomains">false</B></Props>
                   </Obj>
                   <Obj RefId="3"><TNRef RefId="2" /><ToString>*.contoso.com</ToString></Obj>
                 </IE>
               </Obj>"#,
            der_base64()
        )));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.domains, vec!["mail.contoso.com", "*.contoso.com"]);
    }

    #[test]
    fn nested_objects_are_not_certificates() {
        // A nested object with its own RawData, and an object in a list, must not count.
        let xml = objs(&format!(
            r#"<Obj RefId="0"><TN RefId="0"><T>X</T></TN>
                 <Props>
                   <Obj N="PrivateKey" RefId="1"><Props><BA N="RawData">{raw}</BA>
                     <S N="Thumbprint">NESTED</S><Obj N="Inner"><Props/></Obj></Props></Obj>
                   <Obj N="Extensions"><LST><Obj><Props><S N="Issuer">NESTED</S></Props></Obj></LST></Obj>
                   <S N="Thumbprint">OUTER</S>
                 </Props>
                 <LST><Obj><Props><BA N="RawData">{raw}</BA></Props></Obj></LST>
               </Obj>"#,
            raw = der_base64()
        ));
        let err = read_one(&xml).expect_err("the outer object has no RawData");
        assert_eq!(err.origin, "cas01.xml#object 1");
        assert!(
            err.problem.to_string().contains("object 1 has no RawData"),
            "{err:?}"
        );
    }

    #[test]
    fn second_object_broken_first_still_usable() {
        let first = object(&format!(r#"<BA N="RawData">{}</BA>"#, der_base64()));
        let second = r#"<Obj RefId="1"><Props><S N="Subject">CN=x</S></Props></Obj>"#;
        let records = read(
            objs(&format!("{first}{second}")).as_bytes(),
            "exports/cas01.xml",
        )
        .expect("CLIXML");
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[0].as_ref().map(|c| c.origin.as_str()),
            Ok("exports/cas01.xml#object 1")
        );
        let err = records[1].as_ref().expect_err("broken");
        assert_eq!(err.origin, "exports/cas01.xml#object 2");
        assert_eq!(
            err.problem.to_string(),
            "object 2 has no RawData and no Thumbprint/Issuer/SerialNumber: export again with \
             Get-ExchangeCertificate | Export-Clixml"
        );
    }

    #[test]
    fn broken_base64_is_a_record_error() {
        let xml = objs(&object(
            r#"<BA N="RawData">MIIB!!not base64</BA><S N="Thumbprint">AB</S>
               <S N="Issuer">CN=CA</S><S N="SerialNumber">01</S>"#,
        ));
        let err = read_one(&xml).expect_err("broken");
        assert!(err
            .problem
            .to_string()
            .starts_with("object 1 has a RawData that is not valid base64"));
        assert!(err.problem.to_string().ends_with(EXPORT_AGAIN), "{err:?}");
    }

    #[test]
    fn unreadable_scalars_leave_fields_empty() {
        let xml = objs(&object(&format!(
            r#"<BA N="RawData">{}</BA><B N="HasPrivateKey">maybe</B>
               <DT N="NotAfter">2030-01-15T01:00:00</DT><DT N="NotBefore">yesterday</DT>
               <DT N="NotBefore">2020-01-15T00:00:00Z</DT><I32 N="Services">x</I32>"#,
            der_base64()
        )));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.has_private_key, None);
        // No offset: the exporting machine's local time, read as UTC as in the other formats.
        assert_eq!(cert.not_after, Some(datetime!(2030-01-15 01:00:00 UTC)));
        assert_eq!(cert.not_before, Some(datetime!(2020-01-15 00:00:00 UTC)));
    }

    #[test]
    fn dates_without_an_offset_are_read_as_utc() {
        let xml = objs(&object(
            r#"<S N="Thumbprint">AB</S><S N="Issuer">CN=CA</S><S N="SerialNumber">01</S>
               <DT N="NotBefore">2025-01-15T00:00:00</DT><DT N="NotAfter">2030-01-15T00:00:00.5</DT>"#,
        ));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.not_before, Some(datetime!(2025-01-15 00:00:00 UTC)));
        assert_eq!(cert.not_after, Some(datetime!(2030-01-15 00:00:00.5 UTC)));
    }

    #[test]
    fn member_set_only_object_from_select_object() {
        let xml = objs(
            r#"<Obj RefId="0"><TN RefId="0"><T>Selected.X</T></TN><MS>
                 <S N="Thumbprint">AB</S><S N="Issuer">CN=CA</S><S N="SerialNumber">01</S>
                 <S N="PSComputerName">  </S><S N="Identity">EX01\AB</S>
                 <Obj N="CertificateDomains"><LST><S>a</S><S></S></LST></Obj>
               </MS></Obj>"#,
        );
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.computer.as_deref(), Some("EX01"));
        assert_eq!(cert.domains, vec!["a"]);
    }

    #[test]
    fn a_long_utf16_file_is_read_object_by_object_and_errors_name_their_line() {
        let one = format!(
            "\r\n{}",
            object(&format!(r#"<BA N="RawData">{}</BA>"#, der_base64()))
        );
        let many = one.repeat(3_000);
        let records = read(&utf16le_bom(&objs(&many)), "x.xml").expect("CLIXML");
        assert_eq!(records.len(), 3_000);
        assert_eq!(
            records[2_999].as_ref().map(|c| c.origin.as_str()),
            Ok("x.xml#object 3000")
        );
        let broken = format!("{HEADER}{many}\r\n<Obj><Props></Obj>");
        let err = read(&utf16le_bom(&broken), "x.xml").expect_err("malformed");
        assert!(err.to_string().contains("(line 3002)"), "{err}");
        let stray = format!("{HEADER}{many}</Objs>\r\nx");
        let err = read(&utf16le_bom(&stray), "x.xml").expect_err("text after the root");
        // Named by where the text starts: the line end after </Objs>.
        assert_eq!(
            err.to_string(),
            "text outside the <Objs> element (line 3001)"
        );
    }

    #[test]
    fn empty_root_has_no_records() {
        assert_eq!(read(objs("").as_bytes(), "x.xml").unwrap(), vec![]);
        let empty =
            r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04" />"#;
        assert_eq!(read(empty.as_bytes(), "x.xml").unwrap(), vec![]);
    }

    #[test]
    fn top_level_primitives_are_not_objects() {
        let xml = objs(&format!(
            r#"<S>hello</S>{}<I32>3</I32>"#,
            object(&format!(r#"<BA N="RawData">{}</BA>"#, der_base64()))
        ));
        let cert = read_one(&xml).expect("usable");
        assert_eq!(cert.origin, "cas01.xml#object 1");
    }

    #[test]
    fn not_clixml_is_refused() {
        let cases: [&[u8]; 9] = [
            b"",
            b"Thumbprint,Subject\r\nAB,CN=x\r\n",
            b"[{\"Thumbprint\": \"AB\"}]",
            b"<configuration><appSettings/></configuration>",
            b"<Objs><Obj></Objs>",
            b"<Objs><Obj>",
            b"<Objs/><Objs/>",
            b"<!DOCTYPE Objs [<!ENTITY x \"y\">]><Objs/>",
            b"<Objs><Obj><Props><S N=\"Subject\">&bogus;</S></Props></Obj></Objs>",
        ];
        for bytes in cases {
            let result = read(bytes, "x.xml");
            assert!(
                result.is_err(),
                "{:?}: {result:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert_eq!(
            read(b"<configuration/>", "x.xml").unwrap_err().to_string(),
            "the root element is <configuration>, not <Objs>: this is not an Export-Clixml \
             file (line 1)"
        );
        let err = read(b"\xFF\xFE<\x00A", "x.xml").expect_err("odd UTF-16");
        assert!(err.to_string().contains("UTF-16 LE"), "{err}");
        let err = read(b"just text", "x.xml").expect_err("text");
        assert!(err.to_string().contains("<Objs>"), "{err}");
    }

    #[test]
    fn looks_like_recognises_clixml_only() {
        assert!(looks_like(full_export().as_bytes()));
        assert!(looks_like(&utf16le_bom(&full_export())));
        assert!(looks_like(b"<!-- x --><Objs/>"));
        assert!(!looks_like(b"<configuration/>"));
        assert!(!looks_like(b"Thumbprint,Subject\r\n"));
        assert!(!looks_like(b"{\"a\": 1}"));
        assert!(!looks_like(b""));
        assert!(!looks_like(b"\xFF\xFE<"));
    }

    /// Runs `read` on a thread with a small stack: a reader that recursed per level would
    /// overflow it long before 10,000 levels.
    fn read_on_small_stack(xml: String) -> Result<Records<ObjectProblem>, ClixmlError> {
        std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || read(xml.as_bytes(), "deep.xml"))
            .expect("a thread")
            .join()
            .expect("no overflow")
    }

    #[test]
    fn deeply_nested_objects_do_not_overflow() {
        let depth = 10_000;
        let deep = format!("{}{}", "<Obj>".repeat(depth), "</Obj>".repeat(depth));
        let identity = format!(r#"<Obj N="Identity">{deep}<ToString>CAS01\AB</ToString></Obj>"#);
        let xml = objs(&format!(
            "{}{deep}",
            object(&format!(
                r#"<BA N="RawData">{}</BA>{identity}{deep}"#,
                der_base64()
            ))
        ));
        let records = read_on_small_stack(xml).expect("CLIXML");
        // The deep top-level nest is one (broken) object: nested Obj never count.
        assert_eq!(records.len(), 2);
        let cert = records[0].as_ref().expect("usable");
        assert_eq!(cert.computer.as_deref(), Some("CAS01"));
        assert!(records[1].is_err());
        let unclosed = objs(&"<Obj>".repeat(depth));
        assert!(read_on_small_stack(unclosed).is_err());
    }
}
