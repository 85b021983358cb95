//! Reads `Get-ExchangeCertificate | Export-Csv` files (also `Get-ChildItem Cert:\... |
//! Export-Csv`, whose columns have the same names).
//!
//! What such a file looks like:
//! - bytes: ASCII from Windows PowerShell 2.0 (a non-ASCII character is already `?` there and
//!   is kept: the resolver treats it as a wildcard), UTF-8 with or without BOM from newer
//!   versions, UTF-16 LE with BOM when it went through `Out-File`;
//! - an optional `#TYPE ...` line, then a header line of double-quoted column names, then one
//!   line per certificate (a quoted field may hold commas and even line breaks);
//! - collections and byte arrays are written as their type name (`System.Byte[]`), so
//!   `RawData` and `CertificateDomains` are usually empty of information;
//! - dates are `DateTime.ToString()` in the exporting machine's regional format and local
//!   time, with no zone: see `Culture`.

use std::io::{BufRead, Read};

use csv::StringRecord;
use time::OffsetDateTime;

use super::export::rules::{self, Unidentified};
use super::export::stream::{self, Window};
use super::export::{ExportedCertificate, Record, RecordError, Records};
use crate::encoding::{self, Decoding};
use crate::walk::ReadError;

mod culture;

use culture::date_message;
pub use culture::Culture;

/// The columns this reader uses, as `Export-Csv` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Thumbprint,
    Issuer,
    Subject,
    SerialNumber,
    NotBefore,
    NotAfter,
    HasPrivateKey,
    PsComputerName,
    Identity,
    CertificateDomains,
    IsSelfSigned,
    RawData,
}

const COLUMNS: [(Column, &str); 12] = [
    (Column::Thumbprint, "Thumbprint"),
    (Column::Issuer, "Issuer"),
    (Column::Subject, "Subject"),
    (Column::SerialNumber, "SerialNumber"),
    (Column::NotBefore, "NotBefore"),
    (Column::NotAfter, "NotAfter"),
    (Column::HasPrivateKey, "HasPrivateKey"),
    (Column::PsComputerName, "PSComputerName"),
    (Column::Identity, "Identity"),
    (Column::CertificateDomains, "CertificateDomains"),
    (Column::IsSelfSigned, "IsSelfSigned"),
    (Column::RawData, "RawData"),
];

impl Column {
    fn label(self) -> &'static str {
        COLUMNS[self as usize].1
    }
}

/// Where each used column is in the header: found by name, case-insensitive, any order.
#[derive(Debug, Clone, Default)]
struct Columns([Option<usize>; COLUMNS.len()]);

impl Columns {
    fn find(headers: &StringRecord) -> Columns {
        let mut found = Columns::default();
        for (index, header) in headers.iter().enumerate() {
            let header = header.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            let known = COLUMNS.iter().find(|(_, n)| n.eq_ignore_ascii_case(header));
            if let Some((column, _)) = known {
                // The first of two columns with one name wins, as in PowerShell's Import-Csv.
                found.0[*column as usize].get_or_insert(index);
            }
        }
        found
    }

    fn has(&self, column: Column) -> bool {
        self.0[column as usize].is_some()
    }

    /// The trimmed field of `column`; None when the column or the text is absent.
    fn get<'r>(&self, row: &'r StringRecord, column: Column) -> Option<&'r str> {
        let text = row.get(self.0[column as usize]?)?.trim();
        (!text.is_empty()).then_some(text)
    }

    /// Why rows of this header cannot identify a certificate, if they cannot. `typed`: the
    /// #TYPE line names a certificate type, so the columns were selected away.
    fn unusable(&self, typed: bool) -> Option<CsvError> {
        if self.has(Column::RawData) {
            return None;
        }
        let wanted = [Column::Thumbprint, Column::Issuer, Column::SerialNumber];
        let missing: Vec<&'static str> = wanted
            .into_iter()
            .filter(|c| !self.has(*c))
            .map(Column::label)
            .collect();
        if missing.len() == wanted.len() && !typed {
            return Some(CsvError::NotCertificates);
        }
        (!missing.is_empty()).then_some(CsvError::MissingColumns(missing))
    }
}

/// How to make an `Export-Csv` of certificates, for the messages.
const EXPORT: &str = "'Get-ExchangeCertificate | Export-Csv -Path <file>'";

/// Why a whole file is not an `Export-Csv` of certificates that can be read.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("cannot read the header line: {0}")]
    Header(csv::Error),
    #[error(
        "there is no header line (a file from 'Export-Csv' has one, naming the columns, after \
         an optional #TYPE line)"
    )]
    NoHeader,
    /// The columns that name a certificate without RawData, absent from the header.
    #[error(
        "the header line has no {} column (and no RawData), so no row can name a certificate; \
         export again without selecting columns: {EXPORT}",
        .0.join(" or ")
    )]
    MissingColumns(Vec<&'static str>),
    #[error(
        "the header line names no Thumbprint or RawData column: this is not an Export-Csv of \
         certificates; create one with {EXPORT}"
    )]
    NotCertificates,
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// Why one row cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// What the CSV reader said.
    #[error("not a CSV row: {0}")]
    NotCsv(String),
    /// The column, its text, and the name of the culture it was read in.
    #[error("{}", date_message(column, text, culture))]
    Date {
        column: &'static str,
        text: String,
        culture: &'static str,
    },
    #[error(transparent)]
    Excel(ExcelDamage),
    #[error(
        "the row does not name a certificate: {} empty and no RawData in base64; export the \
         certificate again with {EXPORT}",
        .0.names().join(", ")
    )]
    Unidentified(Unidentified),
}

/// Reads an `Export-Csv` export as it streams, giving `each` one entry per data row as soon
/// as it is read: Ok, or a `RecordError` whose origin is `"{shown}#row {n}"`, n being the
/// row's first line in the file (the `#TYPE` line and the header counted). Err when the file
/// as a whole is not an `Export-Csv` of certificates (not text, no header line, a header
/// without the columns that name a certificate): the entries given before it are then of no
/// use.
///
/// Dates are the exporting machine's local time read in `culture`, returned as if UTC: the
/// zone is unknown, so they may be off by up to 14 hours either way (`rules::unzoned`).
pub fn read_from<R: Read>(
    raw: R,
    decoding: Decoding,
    shown: &str,
    culture: &Culture,
    each: &mut dyn FnMut(Record<RowProblem>),
) -> Result<(), CsvError> {
    let (mut text, window) = stream::text(raw, decoding, "row", true);
    let preamble = preamble(&mut text)?.ok_or(CsvError::NoHeader)?;
    let body = std::io::Cursor::new(preamble.header.clone().into_bytes()).chain(text);
    let mut reader = csv_reader(&preamble.header, body);
    let headers = reader.headers().map_err(header_error)?.clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(CsvError::NoHeader);
    }
    let columns = Columns::find(&headers);
    if let Some(error) = columns.unusable(preamble.typed) {
        return Err(error);
    }
    let rows = Rows {
        shown,
        culture,
        columns,
    };
    let mut lines = Lines {
        window,
        body_start: preamble.bytes,
        line: preamble.skipped + 1,
    };
    let mut record = StringRecord::new();
    loop {
        let row = match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => Ok(&record),
            Err(error) if matches!(error.kind(), csv::ErrorKind::Io(_)) => {
                return Err(read_error(error).into())
            }
            Err(error) => Err(error),
        };
        let line = lines.of(match &row {
            Ok(record) => record.position(),
            Err(error) => error.position(),
        });
        each(rows.certificate(row, line));
    }
}

/// [`read_from`] for a file in memory (UTF-8 or UTF-16, as [`encoding::decode`] reads it),
/// every entry collected.
pub fn read(bytes: &[u8], shown: &str, culture: &Culture) -> Result<Records<RowProblem>, CsvError> {
    let mut records = Vec::new();
    read_from(bytes, Decoding::Strict, shown, culture, &mut |record| {
        records.push(record)
    })?;
    Ok(records)
}

fn read_error(error: csv::Error) -> ReadError {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => ReadError::from_io(error),
        other => ReadError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

fn header_error(error: csv::Error) -> CsvError {
    if matches!(error.kind(), csv::ErrorKind::Io(_)) {
        CsvError::Read(read_error(error))
    } else {
        CsvError::Header(error)
    }
}

/// Whether the bytes (a file's first ones are enough) look like an `Export-Csv` of
/// certificates: text, an optional `#TYPE` line, then a header line naming Thumbprint, or
/// SerialNumber and Issuer, or RawData. `read` may still refuse it, with a message that says
/// why.
pub fn looks_like(bytes: &[u8]) -> bool {
    encoding::decode_head(bytes).is_ok_and(|(text, _)| looks_like_text(&text))
}

/// [`looks_like`] for text already decoded. A `#TYPE` line that names a certificate type
/// (`Selected.Microsoft.Exchange....ExchangeCertificate` when columns were selected) says so
/// whatever the columns: such a file is an export that cannot be used, said in a message.
pub fn looks_like_text(text: &str) -> bool {
    let (skipped, body) = split_preamble(text);
    if text
        .lines()
        .take(usize::try_from(skipped).unwrap_or(usize::MAX))
        .any(types_certificates)
    {
        return true;
    }
    let header = body.lines().next().unwrap_or_default();
    let mut reader = csv_reader(header, body.as_bytes());
    let Ok(headers) = reader.headers() else {
        return false;
    };
    let columns = Columns::find(headers);
    let has = |column| columns.has(column);
    has(Column::Thumbprint)
        || has(Column::RawData)
        || (has(Column::SerialNumber) && has(Column::Issuer))
}

/// Whether a preamble line is a `#TYPE` line of certificates (`Selected.` ones too).
fn types_certificates(line: &str) -> bool {
    let line = line.trim_start_matches('\u{feff}').trim();
    line.starts_with("#TYPE")
        && (line.ends_with(".ExchangeCertificate") || line.ends_with(".X509Certificate2"))
}

/// Blank lines and `#` lines (`#TYPE ...`) before the header.
fn is_preamble(line: &str) -> bool {
    let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    line.is_empty() || line.starts_with('#')
}

/// Skips the preamble of text in memory: (lines skipped, rest).
fn split_preamble(text: &str) -> (u64, &str) {
    let mut rest = text;
    let mut skipped = 0;
    while !rest.is_empty() {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        if !is_preamble(line) {
            break;
        }
        rest = after;
        skipped += 1;
    }
    (skipped, rest)
}

/// The lines before the header, and the header line itself.
struct Preamble {
    /// Lines skipped, so that row numbers are the file's lines.
    skipped: u64,
    /// Their bytes: where the header line starts.
    bytes: u64,
    header: String,
    /// A `#TYPE` line of certificates was among them.
    typed: bool,
}

/// Reads the preamble of streamed text, up to and including the header line; None when
/// there is no header line.
fn preamble(text: &mut impl BufRead) -> Result<Option<Preamble>, ReadError> {
    let (mut skipped, mut bytes, mut typed) = (0, 0, false);
    loop {
        let mut line = String::new();
        let read = text.read_line(&mut line).map_err(ReadError::from_io)?;
        if read == 0 {
            return Ok(None);
        }
        if !is_preamble(&line) {
            return Ok(Some(Preamble {
                skipped,
                bytes,
                header: line,
                typed,
            }));
        }
        typed |= types_certificates(&line);
        skipped += 1;
        bytes += read as u64;
    }
}

/// A reader for `body`, whose first line is `header`. `Export-Csv -UseCulture` separates
/// with the culture's list separator (`;` in much of Europe), so the separator is the one the
/// header line uses.
fn csv_reader<R: Read>(header: &str, body: R) -> csv::Reader<R> {
    let count = |d: u8| header.bytes().filter(|b| *b == d).count();
    let delimiter = [b';', b'\t']
        .into_iter()
        .find(|d| count(*d) > count(b','))
        .unwrap_or(b',');
    csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body)
}

/// Finds the line of the file where each row starts. The csv crate's own line count is one
/// short after a CRLF (it takes the `\n` of the previous line's end as the row's start), so
/// lines are counted here from the row's byte offset, in the text the window keeps.
struct Lines {
    window: Window,
    /// Where the header line starts in the text: the csv reader's offsets count from there.
    body_start: u64,
    /// The line of the last row, for a row whose position is unknown.
    line: u64,
}

impl Lines {
    fn of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return self.line;
        };
        let start = self
            .window
            .skip_line_ends(self.body_start + position.byte());
        self.line = self.window.line_at(start);
        self.window.advance(start);
        self.window.new_record();
        self.line
    }
}

/// What every row of one file is read with.
struct Rows<'a> {
    shown: &'a str,
    culture: &'a Culture,
    columns: Columns,
}

impl Rows<'_> {
    fn certificate(&self, row: Result<&StringRecord, csv::Error>, line: u64) -> Record<RowProblem> {
        let origin = format!("{}#row {line}", self.shown);
        let fields = row.map_err(|e| RowProblem::NotCsv(e.to_string()));
        match fields.and_then(|row| self.fields(row, &origin)) {
            Ok(certificate) => Ok(certificate),
            Err(problem) => Err(RecordError { origin, problem }),
        }
    }

    fn fields(&self, row: &StringRecord, origin: &str) -> Result<ExportedCertificate, RowProblem> {
        let get = |column| self.columns.get(row, column);
        let text = |column| get(column).map(str::to_string);
        let certificate = ExportedCertificate {
            origin: origin.to_string(),
            der: get(Column::RawData).and_then(der_of),
            thumbprint: text(Column::Thumbprint),
            issuer: text(Column::Issuer),
            subject: text(Column::Subject),
            serial: text(Column::SerialNumber),
            not_before: self.date(row, Column::NotBefore)?,
            not_after: self.date(row, Column::NotAfter)?,
            has_private_key: get(Column::HasPrivateKey).and_then(rules::boolean_or_excel),
            computer: rules::computer(get(Column::Identity), get(Column::PsComputerName)),
            domains: get(Column::CertificateDomains)
                .map(rules::domains_text)
                .unwrap_or_default(),
            self_signed: get(Column::IsSelfSigned).and_then(rules::boolean_or_excel),
        };
        if certificate.der.is_none() {
            for column in [Column::Thumbprint, Column::SerialNumber] {
                if let Some(damage) = get(column).and_then(|text| excel_damage(column, text)) {
                    return Err(RowProblem::Excel(damage));
                }
            }
        }
        match rules::unidentified(&certificate) {
            Some(missing) => Err(RowProblem::Unidentified(missing)),
            None => Ok(certificate),
        }
    }

    /// A date in the exporting machine's local time, taken as UTC (its zone is unknown).
    fn date(
        &self,
        row: &StringRecord,
        column: Column,
    ) -> Result<Option<OffsetDateTime>, RowProblem> {
        let Some(text) = self.columns.get(row, column) else {
            return Ok(None);
        };
        match self.culture.parse(text) {
            Some(local) => Ok(Some(rules::unzoned(local))),
            None => Err(RowProblem::Date {
                column: column.label(),
                text: text.to_string(),
                culture: self.culture.name(),
            }),
        }
    }
}

/// What Excel did to a thumbprint or serial made only of digits, when the file was opened
/// and saved again in Excel: a number of more than 11 digits is written in scientific
/// notation (`6.1E+19`, `6,1E+19` in cultures with a decimal comma) with at most 15
/// significant digits (Microsoft: "Long numbers are displayed incorrectly in Excel"; Excel's
/// General number format). That cannot be undone, so the row is refused with a message that
/// says so. A shorter number keeps its digits and loses only its leading zeros, which a
/// serial (an unsigned number, SPEC §3) does not need: that one is read as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcelDamage {
    column: Column,
    /// The value, at most 60 characters of it.
    text: String,
}

impl std::fmt::Display for ExcelDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} '{}' is a number in scientific notation: Excel made it of a value of only \
             digits and kept 15 of them at most; the file went through Excel, and the value \
             cannot be recovered. Export the certificates again ({EXPORT}) and give that file \
             as written (to look at one in Excel, use Data > From Text/CSV and set the column \
             to Text)",
            self.column.label(),
            self.text
        )
    }
}

impl std::error::Error for ExcelDamage {}

fn excel_damage(column: Column, text: &str) -> Option<ExcelDamage> {
    let scientific = {
        let (mantissa, exponent) = text.split_once(['E', 'e']).unwrap_or((text, ""));
        let exponent = exponent.strip_prefix(['+', '-']);
        let mut mantissa = mantissa.splitn(2, ['.', ',']);
        let whole = mantissa.next().unwrap_or("");
        let fraction = mantissa.next().unwrap_or("0");
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        exponent.is_some_and(all_digits)
            && whole.len() == 1
            && all_digits(whole)
            && all_digits(fraction)
    };
    scientific.then(|| ExcelDamage {
        column,
        text: text.chars().take(60).collect(),
    })
}

/// `RawData`: usually the type name `System.Byte[]`; base64 (or PEM) of a DER certificate
/// when a calculated property wrote it. Anything else is ignored: only a DER SEQUENCE that
/// fills the bytes exactly (a certificate's outer shape) is taken, so that some other column
/// text that happens to be base64 is not taken for one.
fn der_of(text: &str) -> Option<Vec<u8>> {
    rules::base64(text)
        .ok()
        .filter(|der| crate::der::is_sequence(der))
}

#[cfg(test)]
mod tests {
    use super::culture::tests::{culture, en_us};
    use super::*;
    use time::macros::datetime;

    /// Lines joined with CRLF, as Windows writes them.
    fn crlf(lines: &[&str]) -> Vec<u8> {
        let mut text = lines.join("\r\n");
        text.push_str("\r\n");
        text.into_bytes()
    }

    fn ok(records: &Records<RowProblem>, index: usize) -> &ExportedCertificate {
        match &records[index] {
            Ok(certificate) => certificate,
            Err(e) => panic!("row {index} failed: {e:?}"),
        }
    }

    const PS2_HEADER: &str = "\"AccessRules\",\"CertificateDomains\",\"HasPrivateKey\",\
        \"IsSelfSigned\",\"Issuer\",\"NotAfter\",\"NotBefore\",\"PublicKeySize\",\"RootCAType\",\
        \"SerialNumber\",\"Services\",\"Status\",\"Subject\",\"Thumbprint\",\"FriendlyName\",\
        \"RawData\",\"Identity\"";

    fn ps2_row(issuer: &str, not_after: &str, serial: &str, services: &str) -> String {
        format!(
            "\"System.Security.AccessControl.CryptoKeyAccessRule[]\",\
             \"Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.SmtpDomainWithSubdomains]\",\
             \"True\",\"False\",\"{issuer}\",\"{not_after}\",\"1/15/2025 1:00:00 AM\",\"2048\",\
             \"Registry\",\"{serial}\",\"{services}\",\"Valid\",\"CN=mail.contoso.com, O=M?nchen\",\
             \"7B30E0F3A2C4D5E6F708192A3B4C5D6E7F809102\",\"\",\"System.Byte[]\",\
             \"CAS01\\7B30E0F3A2C4D5E6F708192A3B4C5D6E7F809102\""
        )
    }

    /// An export whose columns were selected (`Select-Object Subject, Issuer`) is still an
    /// export of certificates by its #TYPE line: recognised, then refused with a message,
    /// not passed over in silence. A CSV with no such line and none of the columns is not.
    #[test]
    fn a_typed_export_with_columns_selected_is_recognised_and_refused() {
        let text = "#TYPE Selected.Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate\r\n\
                    \"Subject\",\"NotAfter\"\r\n\"CN=cas01\",\"1/1/2030 1:00:00 AM\"\r\n";
        assert!(looks_like_text(text));
        let Err(refused) = read(text.as_bytes(), "selected.csv", &Culture::default()) else {
            panic!("read");
        };
        assert!(
            refused.to_string().contains("without selecting columns"),
            "{refused}"
        );
        assert!(!looks_like_text(
            "path,server\r\nCAS01/web.config,CAS01\r\n"
        ));
    }

    #[test]
    fn what_excel_destroyed_is_refused_and_said() {
        let damage = |column, text| excel_damage(column, text).map(|d| d.to_string());
        for text in ["6.1E+19", "6,1E+19", "1.23457E+39", "1E+11"] {
            let message = damage(Column::SerialNumber, text).unwrap();
            assert!(
                message.contains("Excel") && message.contains(text),
                "{message}"
            );
        }
        assert!(damage(Column::Thumbprint, "1,23457E+39").is_some());
        // Hex that only looks like a number, values Excel left alone, and a serial that
        // lost only its leading zero (the same number) are kept.
        for text in [
            "610000005",
            "1E55",
            "4A0000000000000000000021",
            "0610000005",
            "E1+2",
            "1.E+5",
        ] {
            assert_eq!(damage(Column::SerialNumber, text), None, "{text}");
        }
        assert_eq!(damage(Column::Thumbprint, "610000005"), None);
    }

    #[test]
    fn column_table_matches_its_enum() {
        for (index, (column, _)) in COLUMNS.iter().enumerate() {
            assert_eq!(*column as usize, index);
        }
    }

    #[test]
    fn ascii_export_with_type_line() {
        let row1 = ps2_row(
            "CN=ContosoCA, DC=contoso, DC=com",
            "1/15/2027 1:00:00 PM",
            "1F5EDD03000000000005",
            "IMAP, POP, IIS, SMTP",
        );
        let row2 = ps2_row(
            "CN=mail.contoso.com",
            "1/15/2030 12:00:00 AM",
            "  6A2B  ",
            "12",
        );
        let bytes = crlf(&[
            "#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate",
            PS2_HEADER,
            &row1,
            &row2,
        ]);
        assert!(looks_like(&bytes));
        let records = read(&bytes, "exports/cas01.csv", &en_us()).unwrap();
        assert_eq!(records.len(), 2);
        let first = ok(&records, 0);
        assert_eq!(first.origin, "exports/cas01.csv#row 3");
        assert_eq!(
            first.issuer.as_deref(),
            Some("CN=ContosoCA, DC=contoso, DC=com")
        );
        assert_eq!(
            first.subject.as_deref(),
            Some("CN=mail.contoso.com, O=M?nchen")
        );
        assert_eq!(first.serial.as_deref(), Some("1F5EDD03000000000005"));
        assert_eq!(
            first.thumbprint.as_deref(),
            Some("7B30E0F3A2C4D5E6F708192A3B4C5D6E7F809102")
        );
        assert_eq!(first.not_after, Some(datetime!(2027-01-15 13:00 UTC)));
        assert_eq!(first.not_before, Some(datetime!(2025-01-15 1:00 UTC)));
        assert_eq!(first.has_private_key, Some(true));
        assert_eq!(first.self_signed, Some(false));
        assert_eq!(first.computer.as_deref(), Some("CAS01"));
        assert_eq!(first.domains, Vec::<String>::new());
        assert_eq!(first.der, None);
        let second = ok(&records, 1);
        assert_eq!(second.origin, "exports/cas01.csv#row 4");
        assert_eq!(second.serial.as_deref(), Some("6A2B"));
        assert_eq!(second.not_after, Some(datetime!(2030-01-15 0:00 UTC)));
    }

    #[test]
    fn utf8_bom_without_type_line_any_column_order() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(crlf(&[
            "\"PSComputerName\",\"runspaceid\",\"notafter\",\"SERIALNUMBER\",\"Services\",\"issuer\",\"THUMBPRINT\",\"CertificateDomains\",\"Identity\"",
            "\"cas02.contoso.com\",\"8d1b\",\"2/1/2030 3:04:05 PM\",\"01\",\"24\",\"CN=Z\u{fc}rich CA, O=Contoso\",\"AB CD\",\"mail.contoso.com autodiscover.contoso.com\",\"CAS01\\AB\"",
        ]));
        let records = read(&bytes, "cas02.csv", &en_us()).unwrap();
        let row = ok(&records, 0);
        assert_eq!(row.origin, "cas02.csv#row 2");
        // The Identity's server, not the remote session's host.
        assert_eq!(row.computer.as_deref(), Some("CAS01"));
        assert_eq!(row.issuer.as_deref(), Some("CN=Z\u{fc}rich CA, O=Contoso"));
        assert_eq!(row.thumbprint.as_deref(), Some("AB CD"));
        assert_eq!(row.not_after, Some(datetime!(2030-02-01 15:04:05 UTC)));
        assert_eq!(row.not_before, None);
        assert_eq!(
            row.domains,
            ["mail.contoso.com", "autodiscover.contoso.com"]
        );
    }

    #[test]
    fn utf16_le_with_bom() {
        let text = String::from_utf8(crlf(&[
            "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate",
            "\"Thumbprint\",\"Issuer\",\"SerialNumber\",\"NotAfter\",\"CertificateDomains\"",
            "\"0A1B\",\"CN=\u{6771}\u{4eac} CA\",\"0C\",\"2030/01/31 9:05:00\",\"System.Collections.Generic.List`1[System.String]\"",
        ]))
        .unwrap();
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(looks_like(&bytes));
        let records = read(&bytes, "tokyo.csv", &culture("ja-JP")).unwrap();
        let row = ok(&records, 0);
        assert_eq!(row.origin, "tokyo.csv#row 3");
        assert_eq!(row.issuer.as_deref(), Some("CN=\u{6771}\u{4eac} CA"));
        assert_eq!(row.not_after, Some(datetime!(2030-01-31 9:05 UTC)));
        assert!(row.domains.is_empty());
    }

    #[test]
    fn bad_date_is_one_row_error_with_culture_hint() {
        let bytes = crlf(&[
            "#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate",
            "\"Thumbprint\",\"Issuer\",\"SerialNumber\",\"NotAfter\"",
            "\"AA\",\"CN=CA, DC=contoso, DC=com\",\"01\",\"1/30/2030 1:00:00 AM\"",
            "\"BB\",\"CN=CA, DC=contoso, DC=com\",\"02\",\"31/01/2030 00:00:00\"",
            "\"CC\",\"CN=CA, DC=contoso, DC=com\",\"03\",\"12/31/2030 11:00:00 PM\"",
        ]);
        let records = read(&bytes, "x.csv", &en_us()).unwrap();
        assert_eq!(records.len(), 3);
        assert!(records[0].is_ok() && records[2].is_ok());
        let error = records[1].as_ref().unwrap_err();
        assert_eq!(error.origin, "x.csv#row 4");
        let message = error.problem.to_string();
        assert!(
            message.starts_with(
                "NotAfter '31/01/2030 00:00:00' is not a date in the en-US format; if the \
                 export was made on a machine with another regional format, name it with \
                 --csv-culture en-GB (the date reads as en-GB, fr-FR, es-ES, it-IT, pt-BR; \
                 supported: en-US, en-GB,"
            ),
            "{message}"
        );
        assert!(message.contains("fr-FR"), "{message}");
        assert!(message.contains("supported: en-US, en-GB"), "{message}");
        // No supported culture reads it: the advice is generic.
        let message = date_message("NotBefore", "Jan 31 2030\u{1b}[2J", "en-US");
        assert!(
            message.starts_with("NotBefore 'Jan 31 2030?[2J' is not"),
            "{message}"
        );
        assert!(
            message.contains("--csv-culture NAME (supported: "),
            "{message}"
        );
    }

    #[test]
    fn rows_must_name_a_certificate() {
        let der = [0x30, 0x03, 0x02, 0x01, 0x05];
        let bytes = crlf(&[
            "\"Thumbprint\",\"Issuer\",\"SerialNumber\",\"RawData\"",
            "\"AA\",\"CN=CA\",\"\",\"System.Byte[]\"",
            "\"\",\"\",\"\",\"MAMCAQU=\"",
            "\"AA\",\"CN=CA\",\"01\",\"bm90IGEgY2VydGlmaWNhdGU=\"",
        ]);
        let records = read(&bytes, "x.csv", &en_us()).unwrap();
        let error = records[0].as_ref().unwrap_err();
        assert_eq!(error.origin, "x.csv#row 2");
        let message = error.problem.to_string();
        assert!(
            message.contains("SerialNumber empty and no RawData"),
            "{message}"
        );
        assert_eq!(ok(&records, 1).der.as_deref(), Some(&der[..]));
        assert_eq!(ok(&records, 2).der, None);
    }

    #[test]
    fn raw_data_forms() {
        assert_eq!(der_of("System.Byte[]"), None);
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend([0u8; 128]);
        let pem_body = "MIGAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\
                        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n\
                        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        assert_eq!(der_of(pem_body).as_deref(), Some(&long[..]));
        let pem = format!("-----BEGIN CERTIFICATE-----\n{pem_body}\n-----END CERTIFICATE-----");
        assert_eq!(der_of(&pem).as_deref(), Some(&long[..]));
        assert_eq!(der_of("MAMCAQ=="), None);
        assert_eq!(der_of("MAMCAQU"), None);
        assert_eq!(der_of(""), None);
    }

    #[test]
    fn quoted_line_breaks_and_semicolons() {
        let bytes = crlf(&[
            "#TYPE System.Security.Cryptography.X509Certificates.X509Certificate2",
            "\"Thumbprint\";\"Issuer\";\"SerialNumber\";\"NotAfter\";\"FriendlyName\"",
            "\"AA\";\"CN=CA, O=\"\"Contoso; Ltd\"\"\";\"01\";\"31.01.2030 13:45:30\";\"two\r\nlines\"",
            "\"BB\";\"CN=CA\";\"02\";\"\";\"\"",
        ]);
        let records = read(&bytes, "x.csv", &culture("de-DE")).unwrap();
        let first = ok(&records, 0);
        assert_eq!(first.origin, "x.csv#row 3");
        assert_eq!(first.issuer.as_deref(), Some("CN=CA, O=\"Contoso; Ltd\""));
        assert_eq!(first.not_after, Some(datetime!(2030-01-31 13:45:30 UTC)));
        assert_eq!(ok(&records, 1).origin, "x.csv#row 5");
    }

    #[test]
    fn rows_of_a_long_file_are_named_by_their_lines() {
        // More than the transcoder's and the reader's buffers, with quoted line breaks, blank
        // lines and UTF-16, so that the window on the text is cut and compacted on the way.
        let mut lines = vec![
            "#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate"
                .to_string(),
            "".to_string(),
            "\"Thumbprint\",\"Issuer\",\"SerialNumber\",\"NotAfter\",\"FriendlyName\"".to_string(),
        ];
        for n in 0..3_000 {
            lines.push(format!(
                "\"AA\",\"CN=CA\",\"{n:04}\",\"1/15/2030 1:00:00 AM\",\"two\r\nlines\""
            ));
            if n % 1_000 == 0 {
                lines.push(String::new());
            }
        }
        lines.push("\"BB\",\"CN=CA\",\"01\",\"31/01/2030 00:00:00\",\"\"".to_string());
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let text = String::from_utf8(crlf(&lines)).unwrap();
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let records = read(&bytes, "x.csv", &en_us()).unwrap();
        assert_eq!(records.len(), 3_001);
        assert_eq!(ok(&records, 0).origin, "x.csv#row 4");
        assert_eq!(ok(&records, 1).origin, "x.csv#row 7");
        // 3,000 rows of two lines, three blank lines, three lines before the first row.
        let last = records[3_000].as_ref().unwrap_err();
        assert_eq!(last.origin, format!("x.csv#row {}", 3 + 6_000 + 3 + 1));
    }

    #[test]
    fn files_that_are_not_certificate_exports() {
        let refused = |bytes: &[u8]| read(bytes, "x.csv", &en_us()).unwrap_err().to_string();
        assert!(refused(b"").contains("empty"));
        let only_type =
            b"#TYPE Microsoft.Exchange.Management.SystemConfigurationTasks.ExchangeCertificate\r\n";
        assert!(refused(only_type).contains("no header line"));
        let other = crlf(&["\"Name\",\"Path\"", "\"a\",\"b\""]);
        assert!(refused(&other).contains("no Thumbprint or RawData"));
        let partial = crlf(&["\"Thumbprint\",\"NotAfter\"", "\"AA\",\"\""]);
        let message = refused(&partial);
        assert!(
            message.contains("no Issuer or SerialNumber column"),
            "{message}"
        );
        assert!(read(b"\xFF\xFEA", "x.csv", &en_us()).is_err());
        assert!(read(b"\"Thumbprint\"\xC3", "x.csv", &en_us()).is_err());
        let header_only = crlf(&["\"Thumbprint\",\"Issuer\",\"SerialNumber\""]);
        assert_eq!(read(&header_only, "x.csv", &en_us()).unwrap(), Vec::new());
    }

    #[test]
    fn recognises_exports() {
        assert!(looks_like(&crlf(&["\"SerialNumber\",\"Issuer\""])));
        assert!(looks_like(&crlf(&["", "#TYPE X", "\"thumbprint\""])));
        assert!(!looks_like(&crlf(&["\"SerialNumber\",\"Subject\""])));
        assert!(!looks_like(b"{\"Thumbprint\": \"AA\"}"));
        assert!(!looks_like(b"<Objs Version=\"1.1.0.1\"><Obj/></Objs>"));
        assert!(!looks_like(b"\x30\x82\x01\x0a\x02\x82"));
        assert!(!looks_like(b""));
    }

    #[test]
    fn identity() {
        let bytes = crlf(&[
            "\"Thumbprint\",\"Issuer\",\"SerialNumber\",\"Services\",\"Identity\",\"PSComputerName\"",
            "\"AA\",\"CN=CA\",\"01\",\"8\",\"CAS01\\AA\",\"\"",
            "\"AA\",\"CN=CA\",\"01\",\"\",\"AA\",\"\"",
        ]);
        let records = read(&bytes, "x.csv", &en_us()).unwrap();
        assert_eq!(ok(&records, 0).computer.as_deref(), Some("CAS01"));
        assert_eq!(ok(&records, 1).computer, None);
    }

    #[test]
    fn odd_input_does_not_panic() {
        let _ = read(b"\"Thumbprint\"\r\n\"a\",\"b\",\"c\"\r\n\"", "x", &en_us());
        let _ = looks_like(b"\"Thumbprint\r\n");
    }

    #[test]
    fn random_input_does_not_panic() {
        let alphabet: Vec<char> = "0123456789/.-: \"\r\n,;#APMTZ+=\u{fc}\u{202f}?"
            .chars()
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..1000 {
            let length = (next() % 40) as usize;
            let text: String = (0..length)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            for name in Culture::supported() {
                let _ = culture(name).parse(&text);
            }
            let file = format!("\"Thumbprint\",\"Issuer\",\"SerialNumber\",\"NotAfter\"\r\n{text}");
            let _ = read(file.as_bytes(), "x.csv", &en_us());
            let _ = looks_like(text.as_bytes());
        }
    }
}
