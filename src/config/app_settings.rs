//! The `<configuration><appSettings>` semantics of .NET, for the keys this tool cares about.
//!
//! .NET builds appSettings as a `NameValueCollection`: `<add>` sets a key (the last one
//! wins), `<remove>` deletes one, `<clear/>` deletes all, and keys compare
//! case-insensitively. Only the root `appSettings` counts: the one inside a `<location>`
//! applies to a sub-path of OWA, not to the application the IM settings are read by.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::diag::{Code, Diagnostic};

/// The appSettings keys RTM used for IM, and the one (`IMPortNumber`) with no SP1 equivalent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImKey {
    PoolName,
    CertificateIssuer,
    CertificateSerialNumber,
    PortNumber,
}

impl ImKey {
    pub const ALL: [ImKey; 4] = [
        ImKey::PoolName,
        ImKey::CertificateIssuer,
        ImKey::CertificateSerialNumber,
        ImKey::PortNumber,
    ];

    /// The key as RTM documented it.
    pub fn name(self) -> &'static str {
        match self {
            ImKey::PoolName => "IMPoolName",
            ImKey::CertificateIssuer => "IMCertificateIssuer",
            ImKey::CertificateSerialNumber => "IMCertificateSerialNumber",
            ImKey::PortNumber => "IMPortNumber",
        }
    }

    /// The key of an entry as written. Almost every key of a web.config is not one of ours
    /// and has nothing to decode: it is compared as written, without being decoded first.
    fn of_entry(raw: &[u8]) -> Result<Option<ImKey>, String> {
        if needs_decoding(raw) {
            Ok(Self::from_bytes(decode(raw, "key")?.as_bytes()))
        } else {
            Ok(Self::from_bytes(raw))
        }
    }

    fn from_bytes(key: &[u8]) -> Option<ImKey> {
        ImKey::ALL
            .into_iter()
            .find(|k| k.name().as_bytes().eq_ignore_ascii_case(key))
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// A value as the file gives it, with the line of the `<add>` that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub line: u32,
}

/// What one web.config says about IM, after .NET's rules are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImSettings {
    values: [Option<Setting>; 4],
    /// `duplicate-key` warnings found while reading.
    pub diagnostics: Vec<Diagnostic>,
    /// One of the three RTM keys was added, even if a later `<remove>` or `<clear/>` took it
    /// out: the file is not one SP1 setup replaced.
    pub added: bool,
    /// The application's `<appSettings>` takes values from another file too, which .NET
    /// reads and this reader does not.
    pub external: Option<External>,
}

/// `<appSettings file="...">` (its values read over the section's) or
/// `<appSettings configSource="...">` (the section is that file): .NET configuration reads
/// the other file, relative to the web.config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// `file` or `configSource`.
    pub attribute: &'static str,
    pub file: String,
    pub line: u32,
}

impl ImSettings {
    pub fn get(&self, key: ImKey) -> Option<&Setting> {
        self.values[key.slot()].as_ref()
    }

    /// A value given instead of the file's (`--corrections`).
    pub fn set(&mut self, key: ImKey, setting: Setting) {
        self.values[key.slot()] = Some(setting);
    }
}

/// Why a file could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

/// Reads the IM keys from the text of a web.config. `file` names it in diagnostics.
pub fn read(text: &str, file: &str) -> Result<ImSettings, Malformed> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut lines = LineCounter::new(text);
    let mut state = State::new(file);
    // The open elements, as much as the appSettings rules need, with where each began and
    // the length of its name (for the message if one is never closed).
    let mut stack: Vec<(Open, usize, usize)> = Vec::new();
    let mut root_seen = false;
    loop {
        let start = position(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = position(reader.error_position());
                return Err(lines.malformed(at, e.to_string()));
            }
        };
        if let Some(why) = misplaced(&event, stack.is_empty()) {
            return Err(lines.malformed(start, why.into()));
        }
        match event {
            Event::Start(tag) => {
                element(&tag, &stack, &mut root_seen, &mut state, &mut lines, start)?;
                stack.push((
                    Open::of(&tag, stack.len()),
                    start,
                    tag.name().as_ref().len(),
                ));
            }
            Event::Empty(tag) => {
                element(&tag, &stack, &mut root_seen, &mut state, &mut lines, start)?;
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(lines.malformed(
            text.len(),
            "there is no <configuration> element: this is not a web.config".into(),
        ));
    }
    if let Some(&(_, opened, name_len)) = stack.last() {
        return Err(never_closed(text, &mut lines, opened, name_len));
    }
    Ok(state.finish())
}

/// What .NET refuses in a configuration file: a DOCTYPE anywhere, text or CDATA outside the
/// root element (`at_top`).
fn misplaced(event: &Event<'_>, at_top: bool) -> Option<&'static str> {
    match event {
        Event::DocType(_) => Some(
            "the file has a <!DOCTYPE> declaration, which .NET configuration files may not \
             have; remove it",
        ),
        Event::Text(text) if at_top && !is_blank(text) => {
            Some("text outside the <configuration> element")
        }
        Event::CData(_) if at_top => Some("CDATA outside the <configuration> element"),
        _ => None,
    }
}

/// An element's start (`<x>` or `<x/>`) at offset `start`: its attributes well-formed, the
/// root the only one, and an appSettings entry applied.
fn element(
    tag: &BytesStart<'_>,
    stack: &[(Open, usize, usize)],
    root_seen: &mut bool,
    state: &mut State<'_>,
    lines: &mut LineCounter<'_>,
    start: usize,
) -> Result<(), Malformed> {
    let entry = check_attributes(tag).map_err(|m| lines.malformed(start, m))?;
    if stack.is_empty() {
        check_root(&element_name(tag), root_seen).map_err(|m| lines.malformed(start, m))?;
    }
    let own_section = matches!(
        stack,
        [(Open::Configuration, ..)] | [(Open::Configuration, ..), (Open::SelfLocation, ..)]
    );
    if own_section && tag.name().as_ref() == b"appSettings" {
        // .NET refuses a section given twice in one element ("Sections must only appear once
        // per config file"): OWA would not have started at all, IM or not.
        let parent = stack.last().map_or(0, |&(_, opened, _)| opened);
        if state.sections.contains(&parent) {
            return Err(lines.malformed(
                start,
                "a second <appSettings> in the same element, which .NET refuses (sections must \
                 only appear once); merge the two into one"
                    .into(),
            ));
        }
        state.sections.push(parent);
        for name in ["file", "configSource"] {
            let file = attribute(tag, name).map_err(|m| lines.malformed(start, m))?;
            if let Some(file) = file.filter(|f| !f.trim().is_empty()) {
                state.external = Some(External {
                    attribute: name,
                    file: file.trim().to_string(),
                    line: lines.line_at(start),
                });
            }
        }
    }
    if is_app_settings_child(stack) {
        let line = lines.line_at(start);
        state
            .apply(tag, entry, line)
            .map_err(|m| lines.malformed(start, m))?;
    }
    Ok(())
}

/// The element whose `<` is at offset `opened` is still open at the end of the file.
fn never_closed(
    text: &str,
    lines: &mut LineCounter<'_>,
    opened: usize,
    name_len: usize,
) -> Malformed {
    // The name follows the `<`.
    let name = text
        .get(opened + 1..opened + 1 + name_len)
        .unwrap_or_default();
    let line = lines.line_at(opened);
    Malformed {
        message: format!("element <{name}> opened on line {line} is never closed"),
        line: lines.line_at(text.len()),
        column: 1,
    }
}

fn is_self_location(tag: &BytesStart<'_>) -> bool {
    match attribute(tag, "path") {
        Ok(Some(path)) => matches!(path.trim(), "" | "."),
        Ok(None) => true,
        Err(_) => false,
    }
}

/// One root element, and it is `<configuration>`: anything else is not a .NET config file.
fn check_root(name: &str, root_seen: &mut bool) -> Result<(), String> {
    if *root_seen {
        return Err(format!(
            "a second root element <{name}> after </configuration>"
        ));
    }
    if name != "configuration" {
        return Err(format!(
            "the root element is <{name}>, not <configuration>: this is not a web.config"
        ));
    }
    *root_seen = true;
    Ok(())
}

fn is_blank(text: &quick_xml::events::BytesText<'_>) -> bool {
    text.iter().all(u8::is_ascii_whitespace)
}

fn position(offset: u64) -> usize {
    usize::try_from(offset).unwrap_or(usize::MAX)
}

fn element_name(tag: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(tag.name().as_ref()).into_owned()
}

/// An open element, as far as the appSettings rules care. Recorded without copying its name:
/// a 30 KB web.config opens hundreds of elements and the rules need three of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Configuration,
    AppSettings,
    /// A `<location>` right under the root that applies to the application itself.
    SelfLocation,
    Other,
}

impl Open {
    /// `depth`: how many elements are open around it.
    fn of(tag: &BytesStart<'_>, depth: usize) -> Open {
        match tag.name().as_ref() {
            b"configuration" => Open::Configuration,
            b"appSettings" => Open::AppSettings,
            b"location" if depth == 1 && is_self_location(tag) => Open::SelfLocation,
            _ => Open::Other,
        }
    }
}

/// The application's own appSettings: under the root, or under a `<location>` that names the
/// application itself (`path="."` or no path).
fn is_app_settings_child(stack: &[(Open, usize, usize)]) -> bool {
    matches!(
        stack,
        [(Open::Configuration, ..), (Open::AppSettings, ..)]
            | [
                (Open::Configuration, ..),
                (Open::SelfLocation, ..),
                (Open::AppSettings, ..)
            ]
    )
}

/// Applies `<add>`, `<remove>` and `<clear>` in document order.
struct State<'f> {
    file: &'f str,
    values: [Option<Setting>; 4],
    /// Lines of the `<add>`s of each key since its last `<remove>` or `<clear>`.
    adds: [Vec<u32>; 4],
    diagnostics: Vec<Diagnostic>,
    added: bool,
    external: Option<External>,
    /// Where the elements that hold an application's `<appSettings>` begin: one each.
    sections: Vec<usize>,
}

impl<'f> State<'f> {
    fn new(file: &'f str) -> Self {
        State {
            file,
            values: Default::default(),
            adds: Default::default(),
            diagnostics: Vec::new(),
            added: false,
            external: None,
            sections: Vec::new(),
        }
    }

    /// An appSettings entry, with the `key` and `value` its attributes' check found.
    fn apply(&mut self, tag: &BytesStart<'_>, entry: Entry<'_>, line: u32) -> Result<(), String> {
        match tag.name().as_ref() {
            b"add" => {
                if let Some(key) = entry.key.map(ImKey::of_entry).transpose()?.flatten() {
                    let value = entry.value.map(|raw| decode(raw, "value")).transpose()?;
                    let value = value.unwrap_or_default().into_owned();
                    self.adds[key.slot()].push(line);
                    self.values[key.slot()] = Some(Setting { value, line });
                    self.added |= key != ImKey::PortNumber;
                }
            }
            b"remove" => {
                if let Some(key) = entry.key.map(ImKey::of_entry).transpose()?.flatten() {
                    self.values[key.slot()] = None;
                    self.adds[key.slot()].clear();
                }
            }
            b"clear" => {
                self.values = Default::default();
                self.adds = Default::default();
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> ImSettings {
        for key in ImKey::ALL {
            let lines = &self.adds[key.slot()];
            if let [first, .., last] = lines.as_slice() {
                let earlier: Vec<String> = lines[..lines.len() - 1]
                    .iter()
                    .map(u32::to_string)
                    .collect();
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateKey,
                        format!(
                            "{} is added {} times (lines {}); the last one, on line {last}, wins as \
                             in .NET, and is the value used; if another one{} is the right value, \
                             give it in --corrections (the collected file stays as it is)",
                            key.name(),
                            lines.len(),
                            lines.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
                            if earlier.len() > 1 { " of the earlier ones" } else { "" },
                        ),
                    )
                    .in_file(self.file)
                    .at_line(*first),
                );
            }
        }
        ImSettings {
            values: self.values,
            diagnostics: self.diagnostics,
            added: self.added,
            external: self.external,
        }
    }
}

/// Well-formedness of every attribute: quick-xml checks them only when they are read, and
/// .NET refuses a file with a broken one anywhere. A name given twice is found with a set:
/// quick-xml's own check compares each attribute with every earlier one, which is quadratic
/// in the attributes of one element (a hostile file of one element with 200,000 of them
/// would take minutes).
///
/// Almost every element has a few attributes: those are compared on the stack, and a set is
/// made only for an element with more.
///
/// A file's tags are scanned by [`attribute_names`] first; quick-xml's iterator, which is a
/// third of the time of reading a 300 KB file, runs only for a tag that scan refuses, to
/// say what is wrong in quick-xml's words.
///
/// In the same pass, the `key` and `value` attributes are kept, for an appSettings entry.
fn check_attributes<'t>(tag: &'t BytesStart<'_>) -> Result<Entry<'t>, String> {
    let mut names = Names::default();
    let mut entry = Entry::default();
    let scanned = RawAttributes::of(tag).try_for_each(|attr| {
        let (name, value) = attr?;
        match name {
            b"key" => entry.key = Some(value),
            b"value" => entry.value = Some(value),
            _ => {}
        }
        names.add(name)
    });
    match scanned {
        Ok(()) => Ok(entry),
        Err(()) => explain_attributes(tag).map(|()| entry),
    }
}

/// The `key` and `value` attributes of a tag as written (between the quotes).
#[derive(Debug, Default, Clone, Copy)]
struct Entry<'t> {
    key: Option<&'t [u8]>,
    value: Option<&'t [u8]>,
}

/// The names of a tag's attributes so far, to find one given twice.
#[derive(Default)]
struct Names<'t> {
    few: [&'t [u8]; Names::FEW],
    count: usize,
    many: Option<std::collections::HashSet<&'t [u8]>>,
}

impl<'t> Names<'t> {
    const FEW: usize = 16;

    /// `Err` when the name was given before.
    fn add(&mut self, name: &'t [u8]) -> Result<(), ()> {
        let repeated = match &mut self.many {
            Some(seen) => !seen.insert(name),
            None if self.count < Names::FEW => {
                let repeated = self.few[..self.count].contains(&name);
                self.few[self.count] = name;
                self.count += 1;
                repeated
            }
            None => {
                let mut seen: std::collections::HashSet<&[u8]> = self.few.iter().copied().collect();
                let repeated = !seen.insert(name);
                self.many = Some(seen);
                repeated
            }
        };
        if repeated {
            Err(())
        } else {
            Ok(())
        }
    }
}

/// A tag's attributes, each its name and its value as written (between the quotes); an
/// `Err` ends them when the text is not attributes.
///
/// The grammar is exactly the one quick-xml's attribute iterator reads
/// (`IterState::next`, quick-xml 0.37), so a tag is refused here if and only if quick-xml
/// refuses it: white space is space, tab, CR and LF; a name runs from its first character
/// (whatever that is) to `=` or white space; `=` may have white space around it; the value
/// is quoted with `"` or `'`; the next attribute may follow the closing quote directly.
/// Written by hand because it is that iterator without its bookkeeping, which was a third
/// of the time of reading a 300 KB web.config: `memchr` finds the closing quote, which is
/// most of the bytes.
struct RawAttributes<'t> {
    text: &'t [u8],
    at: usize,
}

impl<'t> RawAttributes<'t> {
    fn of(tag: &'t BytesStart<'_>) -> Self {
        RawAttributes {
            text: tag.attributes_raw(),
            at: 0,
        }
    }

    fn skip_space(&self, from: usize) -> usize {
        self.text[from..]
            .iter()
            .position(|b| !is_space(*b))
            .map_or(self.text.len(), |n| from + n)
    }

    fn attribute(&mut self) -> Option<(&'t [u8], &'t [u8])> {
        let text = self.text;
        let start = self.at;
        let mut i = start
            + 1
            + text[start + 1..]
                .iter()
                .position(|&b| b == b'=' || is_space(b))
                .unwrap_or(text.len() - start - 1);
        let name = &text[start..i];
        i = self.skip_space(i);
        if text.get(i) != Some(&b'=') {
            return None;
        }
        i = self.skip_space(i + 1);
        let quote = *text.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        let value_start = i + 1;
        let value_end = value_start + memchr::memchr(quote, &text[value_start..])?;
        self.at = value_end + 1;
        Some((name, &text[value_start..value_end]))
    }
}

impl<'t> Iterator for RawAttributes<'t> {
    type Item = Result<(&'t [u8], &'t [u8]), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        self.at = self.skip_space(self.at);
        if self.at == self.text.len() {
            return None;
        }
        let attribute = self.attribute().ok_or(());
        if attribute.is_err() {
            self.at = self.text.len();
        }
        Some(attribute)
    }
}

/// XML white space, as quick-xml reads it.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// Why quick-xml refuses a tag's attributes, or which name is given twice.
fn explain_attributes(tag: &BytesStart<'_>) -> Result<(), String> {
    let mut names = Names::default();
    for attr in unchecked(tag) {
        let attr = attr.map_err(|e| format!("bad attribute in <{}>: {e}", element_name(tag)))?;
        let name = attr.key.into_inner();
        if names.add(name).is_err() {
            return Err(format!(
                "bad attribute in <{}>: '{}' is given twice",
                element_name(tag),
                crate::hidden::printable(&String::from_utf8_lossy(name))
            ));
        }
    }
    Ok(())
}

/// The attributes of a tag without quick-xml's duplicate check: every tag has been through
/// [`check_attributes`] first.
fn unchecked<'t>(tag: &'t BytesStart<'_>) -> quick_xml::events::attributes::Attributes<'t> {
    let mut attributes = tag.attributes();
    attributes.with_checks(false);
    attributes
}

/// One attribute, normalised and with entities decoded as an XML parser (and so .NET) does;
/// `Ok(None)` when absent. Borrowed from the file's text when there is nothing to decode,
/// as for almost every key and value.
fn attribute<'t>(tag: &'t BytesStart<'_>, name: &str) -> Result<Option<Cow<'t, str>>, String> {
    for attr in RawAttributes::of(tag) {
        // Every tag's attributes were checked first (`check_attributes`).
        let (key, value) = attr.map_err(|()| explain_attributes(tag).err().unwrap_or_default())?;
        if key == name.as_bytes() {
            return decode(value, name).map(Some);
        }
    }
    Ok(None)
}

/// An attribute's value as written, read as XML reads it: a line break or tab typed inside
/// it is a space, entities are decoded. Borrowed from the file's text when there is nothing
/// to decode, as for almost every key and value.
fn decode<'t>(raw: &'t [u8], name: &str) -> Result<Cow<'t, str>, String> {
    let text =
        std::str::from_utf8(raw).map_err(|e| format!("attribute '{name}' is not text: {e}"))?;
    if !needs_decoding(raw) {
        return Ok(Cow::Borrowed(text));
    }
    // XML 1.0 §3.3.3: a line break or tab typed inside a value reads as a space, while a
    // character reference (&#10;) stays what it says. quick-xml leaves this to us.
    let normalised = text.replace("\r\n", " ").replace(['\r', '\n', '\t'], " ");
    let value = quick_xml::escape::unescape(&normalised)
        .map_err(|e| format!("bad value of attribute '{name}': {e}"))?;
    Ok(Cow::Owned(value.into_owned()))
}

/// Whether an attribute's value as written differs from what XML reads: an entity, or a line
/// break or tab that reads as a space.
fn needs_decoding(raw: &[u8]) -> bool {
    raw.iter()
        .any(|b| matches!(b, b'\r' | b'\n' | b'\t' | b'&'))
}

/// Byte offset -> line (and column) without rescanning: offsets only grow while reading,
/// so each byte of the file is counted once.
struct LineCounter<'t> {
    text: &'t str,
    offset: usize,
    line: u32,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines =
            crate::encoding::count_line_feeds(&self.text.as_bytes()[self.offset..offset]);
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.offset = offset;
        self.line
    }

    fn malformed(&mut self, offset: usize, message: String) -> Malformed {
        let offset = offset.min(self.text.len());
        let line = self.line_at(offset);
        let line_start = self.text.as_bytes()[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        Malformed {
            message,
            line,
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(app_settings: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <appSettings>\n{app_settings}\n  </appSettings>\n</configuration>\n"
        )
    }

    fn value(settings: &ImSettings, key: ImKey) -> Option<(&str, u32)> {
        settings.get(key).map(|s| (s.value.as_str(), s.line))
    }

    #[test]
    fn an_attribute_given_twice_is_found_among_few_and_among_many() {
        let attributes = |n: usize| -> String { (0..n).map(|i| format!(" a{i}=\"x\"")).collect() };
        for (n, twice) in [(2, 1), (16, 15), (17, 3), (40, 39)] {
            let element = format!("<add{} a{twice}=\"again\" />", attributes(n));
            let Err(e) = read(&config(&element), "web.config") else {
                panic!("{n} attributes: a{twice} given twice was accepted");
            };
            assert!(
                e.message.contains(&format!("'a{twice}' is given twice")),
                "{}",
                e.message
            );
            let element = format!("<add{} />", attributes(n + 1));
            assert!(
                read(&config(&element), "web.config").is_ok(),
                "{n} distinct"
            );
        }
    }

    #[test]
    fn reads_the_three_keys_with_lines() {
        let text = config(
            "    <add key=\"IMPoolName\" value=\"naocs.contoso.com\" />\n    <add key=\"IMCertificateIssuer\" value=\"CN=ContosoCA, DC=contoso, DC=com\" />\n    <add key=\"IMCertificateSerialNumber\" value=\"1F 5E\" />",
        );
        let s = read(&text, "w").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), Some(("naocs.contoso.com", 4)));
        assert_eq!(
            value(&s, ImKey::CertificateIssuer),
            Some(("CN=ContosoCA, DC=contoso, DC=com", 5))
        );
        assert_eq!(
            value(&s, ImKey::CertificateSerialNumber),
            Some(("1F 5E", 6))
        );
        assert_eq!(value(&s, ImKey::PortNumber), None);
        assert!(s.diagnostics.is_empty());
    }

    #[test]
    fn last_add_wins_and_is_reported_as_duplicate() {
        let text = config("<add key=\"IMPoolName\" value=\"old\" />\n<add key=\"impoolname\" value=\"new.contoso.com\" />");
        let s = read(&text, "CAS01/web.config").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), Some(("new.contoso.com", 5)));
        assert_eq!(s.diagnostics.len(), 1);
        let d = &s.diagnostics[0];
        assert_eq!(d.code, Code::DuplicateKey);
        assert_eq!(d.line, Some(4));
        assert!(d.message.contains("lines 4, 5"), "{}", d.message);
    }

    #[test]
    fn a_key_is_read_as_xml_reads_it() {
        // A character reference in a key is the character; a typed tab is a space, so that
        // key is another one; a bad entity is refused even in a key that is not ours.
        let text = config(
            "<add key=\"&#73;MPoolName\" value=\"a.contoso.com\" />\n<add key=\"IMPortNumber\t\" value=\"5075\" />\n<remove key=\"IMCertificate&#x49;ssuer\" />",
        );
        let s = read(&text, "w").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), Some(("a.contoso.com", 4)));
        assert_eq!(value(&s, ImKey::PortNumber), None);
        let text = config(
            "<add key=\"IMCertificateIssuer\" value=\"CN=x\" />\n<remove key=\"IMCertificate&#x49;ssuer\" />",
        );
        assert_eq!(
            value(&read(&text, "w").unwrap(), ImKey::CertificateIssuer),
            None
        );
        let Err(e) = read(&config("<add key=\"Other&bad;\" value=\"1\" />"), "w") else {
            panic!("a key with an unknown entity was accepted");
        };
        assert!(e.message.contains("attribute 'key'"), "{}", e.message);
    }

    #[test]
    fn remove_and_clear() {
        let text = config(
            "<add key=\"IMPoolName\" value=\"a.contoso.com\" />\n<remove key=\"IMPOOLNAME\" />\n<add key=\"IMPortNumber\" value=\"5075\" />\n<clear />\n<add key=\"IMCertificateIssuer\" value=\"CN=x\" />",
        );
        let s = read(&text, "w").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), None);
        assert_eq!(value(&s, ImKey::PortNumber), None);
        assert_eq!(value(&s, ImKey::CertificateIssuer), Some(("CN=x", 8)));
        // add, remove, add is deliberate, not a duplicate.
        let text = config("<add key=\"IMPoolName\" value=\"a\" />\n<remove key=\"IMPoolName\" />\n<add key=\"IMPoolName\" value=\"b\" />");
        let s = read(&text, "w").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), Some(("b", 6)));
        assert!(s.diagnostics.is_empty());
        // Added, then cleared: no value, but the keys were in the file.
        let s = read(
            &config("<add key=\"IMPoolName\" value=\"a\" />\n<clear />"),
            "w",
        )
        .unwrap();
        assert_eq!(value(&s, ImKey::PoolName), None);
        assert!(s.added);
        let s = read(&config("<add key=\"IMPortNumber\" value=\"5075\" />"), "w").unwrap();
        assert!(!s.added, "IMPortNumber is no RTM key of the three");
    }

    #[test]
    fn entities_are_decoded_and_comments_ignored() {
        let text = config(
            "<!-- <add key=\"IMPoolName\" value=\"commented.contoso.com\" /> -->\n<add key=\"IMCertificateIssuer\" value=\"CN=Contoso &amp; Fabrikam CA, O=&quot;A, B&quot;, C=&#85;S\" />",
        );
        let s = read(&text, "w").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), None);
        assert_eq!(
            value(&s, ImKey::CertificateIssuer).map(|v| v.0),
            Some("CN=Contoso & Fabrikam CA, O=\"A, B\", C=US")
        );
    }

    #[test]
    fn only_the_root_app_settings_count() {
        let text = "<configuration>\n<location path=\"x\"><appSettings><add key=\"IMPoolName\" value=\"loc\" /></appSettings></location>\n<appSettings><add key=\"IMPoolName\" value=\"root.contoso.com\"></add></appSettings>\n<system.web><appSettings><add key=\"IMPoolName\" value=\"deep\" /></appSettings></system.web>\n</configuration>";
        let s = read(text, "w").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), Some(("root.contoso.com", 3)));
    }

    #[test]
    fn a_location_for_the_application_itself_counts() {
        for location in [
            "<location path=\".\">",
            "<location>",
            "<location path=\"\" inheritInChildApplications=\"false\">",
        ] {
            let text = format!("<configuration>\n{location}<appSettings>\n<add key=\"IMPoolName\" value=\"self.contoso.com\" /></appSettings></location>\n</configuration>");
            let s = read(&text, "w").unwrap();
            assert_eq!(
                value(&s, ImKey::PoolName),
                Some(("self.contoso.com", 3)),
                "{location}"
            );
        }
    }

    #[test]
    fn typed_line_breaks_in_values_read_as_spaces_but_references_stay() {
        let text =
            config("<add key=\"IMCertificateSerialNumber\" value=\"1F 5E\r\n\tDD&#10;03\" />");
        let s = read(&text, "w").unwrap();
        assert_eq!(
            value(&s, ImKey::CertificateSerialNumber).map(|v| v.0),
            Some("1F 5E  DD\n03")
        );
    }

    #[test]
    fn other_keys_and_missing_values() {
        let text = config("<add key=\"LogonFormat\" value=\"x\" />\n<add key=\"IMPoolName\" />");
        let s = read(&text, "w").unwrap();
        assert_eq!(value(&s, ImKey::PoolName), Some(("", 5)));
    }

    #[test]
    fn malformed_xml_gives_line_and_column() {
        let text = "<configuration>\n  <appSettings>\n    <add key=\"IMPoolName\" value=\"x\" </add>\n  </appSettings>\n</configuration>";
        let err = read(text, "w").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        assert!(err.column > 1, "{err:?}");
    }

    #[test]
    fn mismatched_and_unclosed_elements() {
        let err = read("<configuration>\n<appSettings>\n</configuration>", "w").unwrap_err();
        assert_eq!(err.line, 3, "{err:?}");
        let err = read("<configuration>\n<appSettings>\n", "w").unwrap_err();
        assert!(
            err.message.contains("<appSettings> opened on line 2"),
            "{err:?}"
        );
        for (text, named) in [
            (
                "<configuration>\n<location path=\".\">\n<appSettings/>",
                "<location> opened on line 2",
            ),
            (
                "<configuration>\r\n<system.webServer>\r\n<x:handlers\u{a0}y>",
                "<x:handlers\u{a0}y> opened on line 3",
            ),
            (
                "<configuration\n  a=\"1\">",
                "<configuration> opened on line 1",
            ),
        ] {
            let err = read(text, "w").unwrap_err();
            assert!(err.message.contains(named), "{text:?}: {err:?}");
        }
    }

    #[test]
    fn the_root_must_be_one_configuration_element() {
        for text in [
            "",
            "   \n",
            "<!-- only a comment -->",
            "<appSettings><add key=\"IMPoolName\" value=\"x\" /></appSettings>",
            "<configuration/><configuration/>",
            "junk<configuration/>",
            "<configuration/>junk",
        ] {
            assert!(read(text, "w").is_err(), "{text:?} was accepted");
        }
        assert!(read(
            "<?xml version=\"1.0\"?>\n<!-- c -->\n<configuration/>\n",
            "w"
        )
        .is_ok());
    }

    #[test]
    fn doctype_is_refused() {
        let text = "<!DOCTYPE configuration [<!ENTITY a \"aaaa\">]>\n<configuration/>";
        let err = read(text, "w").unwrap_err();
        assert!(err.message.contains("DOCTYPE"));
        assert_eq!(err.line, 1);
    }

    #[test]
    fn a_second_app_settings_in_one_element_is_refused_as_dotnet_refuses_it() {
        let text = config("<add key=\"IMPoolName\" value=\"a.contoso.com\" />").replace(
            "</configuration>",
            "<appSettings><clear /></appSettings>\n</configuration>",
        );
        let err = read(&text, "w").unwrap_err();
        assert!(
            err.message.contains("a second <appSettings>"),
            "{}",
            err.message
        );
        // One in the root and one in a <location> of the application are one each.
        let text = config("<add key=\"IMPoolName\" value=\"a.contoso.com\" />").replace(
            "</configuration>",
            "<location path=\".\"><appSettings /></location>\n</configuration>",
        );
        assert!(read(&text, "w").is_ok());
    }

    #[test]
    fn unknown_entity_is_malformed() {
        let text = config("<add key=\"IMPoolName\" value=\"&bogus;\" />");
        let err = read(&text, "w").unwrap_err();
        assert_eq!(err.line, 4, "{err:?}");
    }

    /// A value as an administrator may have typed it: printable text, markup characters,
    /// typed line breaks and tabs, and references.
    #[derive(Debug, Clone)]
    enum Piece {
        Text(String),
        /// `&amp;`, `&lt;`, `&quot;`, `&apos;`, `&gt;`: the character itself.
        Entity(&'static str, char),
        /// `&#10;` or `&#x9;`: the character, not a space.
        Reference(String, char),
        /// A line break or tab typed in the file: a space. (A lone CR is left out: before an
        /// LF piece it would make one CRLF, one space.)
        Typed(&'static str),
    }

    fn piece() -> impl proptest::strategy::Strategy<Value = Piece> {
        use proptest::prelude::*;
        prop_oneof![
            4 => "[ !#-%'-;=?-~\u{a0}\u{e9}\u{200e}\u{4e2d}]{1,12}".prop_map(Piece::Text),
            1 => prop::sample::select(vec![
                ("&amp;", '&'),
                ("&lt;", '<'),
                ("&gt;", '>'),
                ("&quot;", '"'),
                ("&apos;", '\''),
            ])
            .prop_map(|(e, c)| Piece::Entity(e, c)),
            1 => prop::sample::select(vec![
                ("&#10;", '\n'),
                ("&#x9;", '\t'),
                ("&#13;", '\r'),
                ("&#x41;", 'A'),
            ])
            .prop_map(|(r, c)| Piece::Reference(r.to_string(), c)),
            1 => prop::sample::select(vec!["\r\n", "\n", "\t"]).prop_map(Piece::Typed),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Borrowed or decoded, a value reads as XML 1.0 says it reads.
        #[test]
        fn values_read_as_xml_defines_them(pieces in proptest::collection::vec(piece(), 0..8)) {
            let mut written = String::new();
            let mut expected = String::new();
            for piece in &pieces {
                match piece {
                    Piece::Text(text) => {
                        written.push_str(text);
                        expected.push_str(text);
                    }
                    Piece::Entity(entity, c) => {
                        written.push_str(entity);
                        expected.push(*c);
                    }
                    Piece::Reference(reference, c) => {
                        written.push_str(reference);
                        expected.push(*c);
                    }
                    Piece::Typed(typed) => {
                        written.push_str(typed);
                        expected.push(' ');
                    }
                }
            }
            let text = config(&format!("<add key=\"IMCertificateIssuer\" value=\"{written}\" />"));
            let read = read(&text, "w").unwrap();
            proptest::prop_assert_eq!(
                value(&read, ImKey::CertificateIssuer).map(|v| v.0),
                Some(expected.as_str())
            );
        }

        /// The hand-written scan refuses a tag's attributes exactly when quick-xml's iterator
        /// does (a syntax error, or a name given twice): short strings of the characters
        /// that matter, in every order.
        #[test]
        fn the_attribute_scan_refuses_what_quick_xml_refuses(
            text in "[ \t\r\nab=\"'<>&/]{0,20}",
        ) {
            let tag = BytesStart::from_content(format!("x{text}"), 1);
            proptest::prop_assert_eq!(scan(&tag), quick_xml_reads(&tag), "{:?}", text);
        }
    }

    #[test]
    fn the_attribute_scan_reads_the_forms_quick_xml_reads() {
        for (text, ok) in [
            ("", true),
            (" a=\"1\" b='2'", true),
            (" a = \"1\"\tb\r\n=\n'2' ", true),
            (" a=\"1\"b=\"2\"", true),
            (" =\"1\"", false),
            (" a", false),
            (" a b=\"1\"", false),
            (" a=1", false),
            (" a=\"1", false),
            (" a=\"1\" a='2'", false),
            (" a=", false),
        ] {
            let tag = BytesStart::from_content(format!("x{text}"), 1);
            assert_eq!(scan(&tag).is_some(), ok, "{text:?}");
            assert_eq!(scan(&tag), quick_xml_reads(&tag), "{text:?}");
        }
    }

    type Attributes = Vec<(Vec<u8>, Vec<u8>)>;

    /// The names and values the hand-written scan reads, `None` when it refuses the tag.
    fn scan(tag: &BytesStart<'_>) -> Option<Attributes> {
        let mut names = Names::default();
        let mut read = Vec::new();
        RawAttributes::of(tag)
            .try_for_each(|attr| {
                let (name, value) = attr?;
                read.push((name.to_vec(), value.to_vec()));
                names.add(name)
            })
            .ok()
            .map(|()| read)
    }

    /// What quick-xml's own iterator reads, `None` when it refuses the tag.
    fn quick_xml_reads(tag: &BytesStart<'_>) -> Option<Attributes> {
        explain_attributes(tag).ok()?;
        unchecked(tag)
            .map(|a| a.map(|a| (a.key.into_inner().to_vec(), a.value.into_owned())))
            .collect::<Result<_, _>>()
            .ok()
    }
}
