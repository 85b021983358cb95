//! The regional formats `Export-Csv` writes dates in: `DateTime.ToString()`, the exporting
//! machine's ShortDatePattern and LongTimePattern, in its local time, without a zone.

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use crate::cert::export::rules;

/// How the short date pattern orders its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    /// `M/d/yyyy`
    Mdy,
    /// `dd/MM/yyyy`
    Dmy,
    /// `yyyy/MM/dd`
    Ymd,
}

/// The regional format the exporting machine wrote dates in. `Export-Csv` writes
/// `DateTime.ToString()`: the culture's ShortDatePattern, a space, its LongTimePattern, in
/// local time without a zone.
///
/// Dates are parsed by hand because .NET culture patterns are not in any crate. Day, month
/// and hour are accepted with or without a leading zero (Windows and ICU differ there), but
/// the date separator, the part order, a 4-digit year and the 12/24-hour clock must be the
/// culture's, so an export read with the wrong culture fails instead of being misread
/// whenever the text allows it (`01/02/2030` remains ambiguous between en-US and en-GB).
/// Patterns a user customised in Regional Settings are not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Culture {
    name: &'static str,
    order: DateOrder,
    date_separator: char,
    /// Italian Windows versions before 7 wrote `H.mm.ss`, later ones `HH:mm:ss`.
    time_separators: &'static [char],
    /// The AM and PM designators of a 12-hour LongTimePattern (`h:mm:ss tt`); None for a
    /// 24-hour one.
    designators: Option<(&'static str, &'static str)>,
}

const COLON: &[char] = &[':'];
const AM_PM: Option<(&str, &str)> = Some(("AM", "PM"));

const fn culture(
    name: &'static str,
    order: DateOrder,
    date_separator: char,
    time_separators: &'static [char],
    designators: Option<(&'static str, &'static str)>,
) -> Culture {
    Culture {
        name,
        order,
        date_separator,
        time_separators,
        designators,
    }
}

/// ShortDatePattern + LongTimePattern of each supported culture, as Windows (NLS) has them.
/// Where PowerShell 7 (ICU data) differs, it is in zero padding or in the space before AM/PM,
/// both accepted.
const CULTURES: &[Culture] = &[
    // M/d/yyyy h:mm:ss tt
    culture("en-US", DateOrder::Mdy, '/', COLON, AM_PM),
    // dd/MM/yyyy HH:mm:ss
    culture("en-GB", DateOrder::Dmy, '/', COLON, None),
    // d/MM/yyyy h:mm:ss tt
    culture("en-AU", DateOrder::Dmy, '/', COLON, AM_PM),
    // dd/MM/yyyy HH:mm:ss
    culture("fr-FR", DateOrder::Dmy, '/', COLON, None),
    // dd.MM.yyyy HH:mm:ss
    culture("de-DE", DateOrder::Dmy, '.', COLON, None),
    culture("de-AT", DateOrder::Dmy, '.', COLON, None),
    culture("de-CH", DateOrder::Dmy, '.', COLON, None),
    // dd/MM/yyyy H:mm:ss
    culture("es-ES", DateOrder::Dmy, '/', COLON, None),
    // dd/MM/yyyy HH:mm:ss (H.mm.ss before Windows 7)
    culture("it-IT", DateOrder::Dmy, '/', &[':', '.'], None),
    // d-M-yyyy H:mm:ss (ICU: dd-MM-yyyy HH:mm:ss)
    culture("nl-NL", DateOrder::Dmy, '-', COLON, None),
    // yyyy/MM/dd H:mm:ss
    culture("ja-JP", DateOrder::Ymd, '/', COLON, None),
    // yyyy/M/d H:mm:ss
    culture("zh-CN", DateOrder::Ymd, '/', COLON, None),
    // yyyy-MM-dd HH:mm:ss
    culture("sv-SE", DateOrder::Ymd, '-', COLON, None),
    // dd/MM/yyyy HH:mm:ss
    culture("pt-BR", DateOrder::Dmy, '/', COLON, None),
    // dd.MM.yyyy H:mm:ss
    culture("ru-RU", DateOrder::Dmy, '.', COLON, None),
    // MM/dd/yyyy HH:mm:ss
    culture("invariant", DateOrder::Mdy, '/', COLON, None),
];

/// The names of `CULTURES`, in the same order.
const CULTURE_NAMES: &[&str] = &[
    "en-US",
    "en-GB",
    "en-AU",
    "fr-FR",
    "de-DE",
    "de-AT",
    "de-CH",
    "es-ES",
    "it-IT",
    "nl-NL",
    "ja-JP",
    "zh-CN",
    "sv-SE",
    "pt-BR",
    "ru-RU",
    "invariant",
];

impl Default for Culture {
    fn default() -> Self {
        Culture::en_us()
    }
}

impl Culture {
    /// The default: `1/15/2025 1:00:00 AM`.
    pub fn en_us() -> Culture {
        CULTURES[0].clone()
    }

    /// `--csv-culture NAME`, case-insensitive (`en_us` is taken as `en-US`). None for a
    /// culture not in `supported()`.
    pub fn from_name(name: &str) -> Option<Culture> {
        let wanted = name.trim().replace('_', "-");
        CULTURES
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&wanted))
            .cloned()
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The names `from_name` accepts, for the error message of a wrong `--csv-culture`.
    pub fn supported() -> &'static [&'static str] {
        CULTURE_NAMES
    }

    /// Parses a date as this culture writes it; also accepts ISO 8601 (`2030-01-31T13:45:30`,
    /// with an optional fraction and `Z` or `+02:00`), which some exports have. An ISO date
    /// with a zone is returned in UTC; every other date is the exporting machine's local time.
    pub fn parse(&self, text: &str) -> Option<PrimitiveDateTime> {
        let text = text.trim();
        self.parse_local(text).or_else(|| parse_iso(text))
    }

    /// `ShortDatePattern LongTimePattern`, nothing else.
    fn parse_local(&self, text: &str) -> Option<PrimitiveDateTime> {
        let (date, time) = text.split_once(char::is_whitespace)?;
        let date = self.parse_date(date)?;
        let time = self.parse_time(time.trim())?;
        Some(PrimitiveDateTime::new(date, time))
    }

    fn parse_date(&self, text: &str) -> Option<Date> {
        let [a, b, c] = three(text.split(self.date_separator))?;
        let (year, month, day) = match self.order {
            DateOrder::Mdy => (c, a, b),
            DateOrder::Dmy => (c, b, a),
            DateOrder::Ymd => (a, b, c),
        };
        if year.len() != 4 {
            return None;
        }
        let year = i32::from(digits(year, 4)?);
        let month = Month::try_from(number(month)?).ok()?;
        Date::from_calendar_date(year, month, number(day)?).ok()
    }

    fn parse_time(&self, text: &str) -> Option<Time> {
        let designated = self
            .designators
            .and_then(|(am, pm)| split_designator(text, am, pm));
        let (clock, pm) = match (self.designators, designated) {
            (None, _) => (text, None),
            (Some(_), Some((clock, is_pm))) => (clock, Some(is_pm)),
            // Excel writes a date and time cell as `h:mm`, on a 24-hour clock, whatever the
            // culture's LongTimePattern.
            (Some(_), None) => (text, None),
        };
        let parts: Vec<&str> = clock.split(|c| self.time_separators.contains(&c)).collect();
        let (hour, minute, second) = match parts.as_slice() {
            [hour, minute, second] => (*hour, *minute, number(second)?),
            // Excel keeps hours and minutes only: the seconds are gone, and 0 is as close as
            // anything (the DER's dates win wherever it is there).
            [hour, minute] => (*hour, *minute, 0),
            _ => return None,
        };
        let hour = number(hour)?;
        let hour = match pm {
            None => (hour <= 23).then_some(hour)?,
            Some(is_pm) => twelve_hour(hour, is_pm)?,
        };
        // A three-part time without the culture's designator is not this culture's.
        if pm.is_none() && self.designators.is_some() && parts.len() == 3 {
            return None;
        }
        Time::from_hms(hour, number(minute)?, second).ok()
    }
}

/// Exactly three parts.
fn three<'a>(mut parts: impl Iterator<Item = &'a str>) -> Option<[&'a str; 3]> {
    let found = [parts.next()?, parts.next()?, parts.next()?];
    parts.next().is_none().then_some(found)
}

/// 1 to `max_digits` ASCII digits.
fn digits(text: &str, max_digits: usize) -> Option<u16> {
    let digits_only = text.bytes().all(|b| b.is_ascii_digit());
    if text.is_empty() || text.len() > max_digits || !digits_only {
        return None;
    }
    text.parse().ok()
}

/// 1 or 2 ASCII digits: a day, month, hour, minute or second.
fn number(text: &str) -> Option<u8> {
    digits(text, 2).and_then(|n| u8::try_from(n).ok())
}

/// `1:00:00 PM` -> (`1:00:00`, true). The separator before the designator may be a space, a
/// no-break space (ICU writes U+202F), or the `?` an ASCII export made of one.
fn split_designator<'a>(text: &'a str, am: &str, pm: &str) -> Option<(&'a str, bool)> {
    [(am, false), (pm, true)]
        .into_iter()
        .find_map(|(designator, is_pm)| {
            let start = text.len().checked_sub(designator.len())?;
            let tail = text.get(start..)?;
            if !tail.eq_ignore_ascii_case(designator) {
                return None;
            }
            let clock = text.get(..start)?;
            Some((
                clock.trim_end_matches(|c: char| c.is_whitespace() || c == '?'),
                is_pm,
            ))
        })
}

/// 12-hour clock to 24: `12:05 AM` is 00:05, `12:05 PM` is 12:05.
fn twelve_hour(hour: u8, is_pm: bool) -> Option<u8> {
    if !(1..=12).contains(&hour) {
        return None;
    }
    Some(hour % 12 + if is_pm { 12 } else { 0 })
}

/// ISO 8601 as .NET writes it with `s`, `u` or `o`, in UTC: a zone, when given, is applied.
fn parse_iso(text: &str) -> Option<PrimitiveDateTime> {
    let utc = rules::iso_8601(text)?.checked_to_offset(UtcOffset::UTC)?;
    Some(PrimitiveDateTime::new(utc.date(), utc.time()))
}

/// Says which culture was assumed, and which supported ones would read the text.
pub(super) fn date_message(column: &str, text: &str, culture: &str) -> String {
    let readers: Vec<&str> = CULTURES
        .iter()
        .filter(|c| c.name != culture && c.parse_local(text).is_some())
        .map(|c| c.name)
        .collect();
    let supported = CULTURE_NAMES.join(", ");
    let advice = match readers.first() {
        Some(first) => format!(
            "name it with --csv-culture {first} (the date reads as {}; supported: {supported})",
            readers.join(", ")
        ),
        None => format!(
            "name it with --csv-culture NAME (supported: {supported}), or export the dates as \
             ISO 8601"
        ),
    };
    // The text is from another machine: no control characters, no screenful in the report.
    let text: String = text
        .chars()
        .take(60)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    format!(
        "{column} '{text}' is not a date in the {culture} format; if the export was made on a machine \
         with another regional format, {advice}",
    )
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use time::macros::datetime;

    pub(in crate::cert::exchange_csv) fn en_us() -> Culture {
        Culture::en_us()
    }

    pub(in crate::cert::exchange_csv) fn culture(name: &str) -> Culture {
        Culture::from_name(name).expect("a supported culture")
    }

    #[test]
    fn en_us_twelve_hour_clock() {
        let c = en_us();
        assert_eq!(
            c.parse("1/15/2025 1:00:00 AM"),
            Some(datetime!(2025-01-15 01:00:00))
        );
        assert_eq!(
            c.parse("1/15/2025 12:30:05 AM"),
            Some(datetime!(2025-01-15 00:30:05))
        );
        assert_eq!(
            c.parse("1/15/2025 12:30:05 PM"),
            Some(datetime!(2025-01-15 12:30:05))
        );
        assert_eq!(
            c.parse("12/31/2025 11:59:59 PM"),
            Some(datetime!(2025-12-31 23:59:59))
        );
        assert_eq!(
            c.parse("01/05/2025 01:02:03 pm"),
            Some(datetime!(2025-01-05 13:02:03))
        );
        // ICU's narrow no-break space, and the `?` an ASCII export makes of it.
        assert_eq!(
            c.parse("1/15/2025 1:00:00\u{202f}PM"),
            Some(datetime!(2025-01-15 13:00))
        );
        assert_eq!(
            c.parse("1/15/2025 1:00:00?PM"),
            Some(datetime!(2025-01-15 13:00))
        );
        for wrong in [
            "1/15/2025 13:00:00",
            "1/15/2025 13:00:00 PM",
            "1/15/2025 0:30:00 AM",
            "31/01/2030 00:00:00",
            "1/15/25 1:00:00 AM",
            "1.15.2025 1:00:00 AM",
            "2/30/2025 1:00:00 AM",
            "1/15/2025",
            "",
        ] {
            assert_eq!(c.parse(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn excel_dates_have_no_seconds_and_a_24_hour_clock() {
        let expected = Some(datetime!(2030-01-31 13:45));
        assert_eq!(culture("fr-FR").parse("31/01/2030 13:45"), expected);
        assert_eq!(en_us().parse("1/31/2030 13:45"), expected);
        assert_eq!(en_us().parse("1/31/2030 1:45 PM"), expected);
        assert_eq!(culture("de-DE").parse("31.01.2030 13:45"), expected);
        // A time with seconds but no AM/PM is not en-US's, with or without Excel.
        assert_eq!(en_us().parse("1/31/2030 13:45:30"), None);
        assert_eq!(culture("fr-FR").parse("31/01/2030 13"), None);
    }

    #[test]
    fn day_first_cultures() {
        let expected = Some(datetime!(2030-01-31 13:45:30));
        for name in ["fr-FR", "en-GB", "es-ES", "it-IT", "pt-BR"] {
            assert_eq!(
                culture(name).parse("31/01/2030 13:45:30"),
                expected,
                "{name}"
            );
        }
        assert_eq!(culture("fr-FR").parse("01/31/2030 13:45:30"), None);
        assert_eq!(culture("fr-FR").parse("31/01/2030 1:45:30 PM"), None);
        assert_eq!(
            culture("es-ES").parse("05/01/2030 9:05:00"),
            Some(datetime!(2030-01-05 9:05))
        );
        assert_eq!(culture("it-IT").parse("31/01/2030 13.45.30"), expected);
        assert_eq!(culture("nl-NL").parse("31-1-2030 13:45:30"), expected);
        assert_eq!(culture("en-AU").parse("31/01/2030 1:45:30 PM"), expected);
    }

    #[test]
    fn dotted_cultures() {
        let expected = Some(datetime!(2030-01-31 13:45:30));
        assert_eq!(culture("de-DE").parse("31.01.2030 13:45:30"), expected);
        assert_eq!(culture("ru-RU").parse("31.01.2030 13:45:30"), expected);
        assert_eq!(
            culture("de-DE").parse("01.02.2030 07:00:00"),
            Some(datetime!(2030-02-01 7:00))
        );
        assert_eq!(culture("de-DE").parse("31/01/2030 13:45:30"), None);
    }

    #[test]
    fn year_first_cultures() {
        let expected = Some(datetime!(2030-01-31 09:05:00));
        assert_eq!(culture("ja-JP").parse("2030/01/31 9:05:00"), expected);
        assert_eq!(culture("zh-CN").parse("2030/1/31 9:05:00"), expected);
        assert_eq!(culture("sv-SE").parse("2030-01-31 09:05:00"), expected);
        assert_eq!(culture("ja-JP").parse("31/01/2030 9:05:00"), None);
        assert_eq!(culture("invariant").parse("01/31/2030 09:05:00"), expected);
    }

    #[test]
    fn iso_8601_in_every_culture() {
        for name in ["en-US", "fr-FR", "de-DE", "ja-JP"] {
            let c = culture(name);
            assert_eq!(
                c.parse("2030-01-31T13:45:30"),
                Some(datetime!(2030-01-31 13:45:30))
            );
            assert_eq!(
                c.parse("2030-01-31 13:45:30Z"),
                Some(datetime!(2030-01-31 13:45:30))
            );
            assert_eq!(
                c.parse("2030-01-31T13:45:30.1234567Z"),
                Some(datetime!(2030-01-31 13:45:30.1234567))
            );
            // A zone, when the export has one, is applied.
            assert_eq!(
                c.parse("2030-01-31T13:45:30.0000000+02:00"),
                Some(datetime!(2030-01-31 11:45:30))
            );
            assert_eq!(
                c.parse("2030-01-31T23:00:00-05:30"),
                Some(datetime!(2030-02-01 4:30))
            );
        }
        assert_eq!(en_us().parse("2030-01-31T25:00:00"), None);
        assert_eq!(en_us().parse("2030-01-31T13:45:30+2:00"), None);
    }

    #[test]
    fn culture_names() {
        assert_eq!(Culture::from_name("EN-us"), Some(en_us()));
        assert_eq!(
            Culture::from_name(" fr_fr ").map(|c| c.name().to_string()),
            Some("fr-FR".into())
        );
        assert_eq!(
            Culture::from_name("Invariant").map(|c| c.name().to_string()),
            Some("invariant".into())
        );
        assert_eq!(Culture::from_name("xx-XX"), None);
        assert_eq!(Culture::default(), en_us());
        let names: Vec<&str> = CULTURES.iter().map(|c| c.name).collect();
        assert_eq!(names, Culture::supported());
        for name in Culture::supported() {
            assert_eq!(Culture::from_name(name).map(|c| c.name), Some(*name));
        }
    }

    #[test]
    fn odd_dates_do_not_panic() {
        let inputs = [
            "\u{fc}/\u{fc}/\u{fc}\u{fc}\u{fc}\u{fc} \u{fc}:\u{fc}:\u{fc} \u{fc}M",
            "1/1/2030 1:00:00 \u{5348}\u{5f8c}",
            "9999-12-31T23:59:59-14:00",
            "-0001-01-01T00:00:00+14:00",
            "+",
            "Z",
            "T",
            "::",
            "//  ",
            "1/1/2030 \u{202f}",
            "1/1/10000 1:00:00 AM",
        ];
        for culture in CULTURES {
            for input in inputs {
                let _ = culture.parse(input);
            }
        }
    }
}
