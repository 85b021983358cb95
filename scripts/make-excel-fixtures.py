#!/usr/bin/env python3
"""Writes tests/fixtures/sources/excel/: Get-ExchangeCertificate | Export-Csv files as they
look after an administrator opened them in Excel and saved them again as CSV. Excel is not
available to the test suite, so the changes Excel makes are applied here, one by one, to the
exports written by scripts/make-source-fixtures.py (run this again after that script):

  - the list separator of the machine's culture (';' in fr-FR) and no quotes except where
    a field needs them; the '#TYPE' line becomes a row of its own, padded with separators
    to the width of the sheet;
  - dates become Excel dates, written in the short date format plus 'h:mm' or 'hh:mm', on a
    24-hour clock: the seconds are gone;
  - True/False become Excel booleans, written in the culture's words (VRAI/FAUX in fr-FR,
    TRUE/FALSE in en-US);
  - a value of only digits becomes a number: more than 11 digits are written in scientific
    notation with the culture's decimal separator (6,1E+19), and a leading zero is dropped;
  - "CSV (separateur: point-virgule)" is saved in the machine's ANSI code page (1252).

excel-fr.csv   exchange-fr.csv through a French Excel, plus cas24 (whose issuer has a 'u'
               with umlaut, from a UTF-8 export) and a row for a certificate whose all-digit
               serial Excel turned into 6,1E+19.
excel-us.csv   exchange-ps2.csv through an English (United States) Excel, plus a row whose
               serial 0610000005 lost its leading zero.
"""

import csv
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tests" / "fixtures" / "sources"

DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ([AP]M))?$")


def excel_value(text: str, culture: str) -> str:
    booleans = {"fr-FR": ("VRAI", "FAUX"), "en-US": ("TRUE", "FALSE")}[culture]
    if text == "True":
        return booleans[0]
    if text == "False":
        return booleans[1]
    m = DATE.match(text)
    if m:
        a, b, year, hour, minute, _, designator = m.groups()
        hour = int(hour)
        if designator == "PM" and hour != 12:
            hour += 12
        if designator == "AM" and hour == 12:
            hour = 0
        if culture == "fr-FR":
            return f"{int(a):02}/{int(b):02}/{year} {hour:02}:{minute}"
        return f"{int(a)}/{int(b)}/{year} {hour}:{minute}"
    if text.isdigit():
        if len(text) > 11:
            mantissa = f"{int(text):.2E}".replace("E+", "E+")
            digits, exponent = mantissa.split("E")
            digits = digits.rstrip("0").rstrip(".")
            if culture == "fr-FR":
                digits = digits.replace(".", ",")
            return f"{digits}E{exponent[0]}{int(exponent[1:]):02}"
        return str(int(text))
    return text


def through_excel(source: str, culture: str, extra_rows) -> bytes:
    lines = (SOURCES / source).read_text(encoding="ascii").splitlines()
    type_line, body = lines[0], lines[1:]
    rows = extra_rows(list(csv.reader(body)))
    width = len(rows[0])
    delimiter = ";" if culture == "fr-FR" else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_MINIMAL)
    out.write(type_line + delimiter * (width - 1) + "\r\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow([excel_value(field, culture) for field in row])
    return out.getvalue().encode("cp1252")


def column(header, name):
    return header.index(name)


def fr_extra(rows):
    header, first = rows[0], rows[1]
    cas24 = next(r for r in rows if r[column(header, "Subject")] == "CN=cas24.contoso.com")
    cas24 = list(cas24)
    for name in ("Issuer",):
        cas24[column(header, name)] = cas24[column(header, name)].replace("Z?rich", "Zürich")
    lost = list(first)
    lost[column(header, "Subject")] = "CN=cas25.contoso.com"
    lost[column(header, "SerialNumber")] = "61000000050000000005"
    lost[column(header, "Thumbprint")] = "5F0C3B9D2A7E4F61B8C0D1E2F3A4B5C6D7E8F901"
    lost[column(header, "Identity")] = "CAS25\\5F0C3B9D2A7E4F61B8C0D1E2F3A4B5C6D7E8F901"
    rest = [r for r in rows if r[column(header, "Subject")] != "CN=cas24.contoso.com"]
    return rest + [cas24, lost]


def us_extra(rows):
    header, first = rows[0], rows[1]
    lost = list(first)
    lost[column(header, "Subject")] = "CN=cas26.contoso.com"
    lost[column(header, "SerialNumber")] = "0610000005"
    lost[column(header, "Thumbprint")] = "6A1D4C0E3B8F5072C9D1E2F3A4B5C6D7E8F90A1B"
    lost[column(header, "Identity")] = "CAS26\\6A1D4C0E3B8F5072C9D1E2F3A4B5C6D7E8F90A1B"
    return rows + [lost]


def main() -> None:
    dest = SOURCES / "excel"
    dest.mkdir(exist_ok=True)
    for name, source, culture, extra in (
        ("excel-fr.csv", "exchange-fr.csv", "fr-FR", fr_extra),
        ("excel-us.csv", "exchange-ps2.csv", "en-US", us_extra),
    ):
        data = through_excel(source, culture, extra)
        (dest / name).write_bytes(data)
        print(f"{(dest / name).relative_to(ROOT)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
