//! Department feeds: a schema file says what the columns are; a CSV (UTF-8 or GB18030, detected)
//! or an `.xlsx` workbook is read row by row with its line number, never held whole in memory.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use serde::Deserialize;

use crate::ScreenError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Text,
    Number,
    /// A date `YYYY-MM-DD` (or the schema's format), read as days since 1970-01-01.
    Date,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ColumnType,
    #[serde(default)]
    pub label_zh: String,
}

/// A feed schema (`data/feeds/NAME.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSchema {
    pub name: String,
    pub label_zh: String,
    /// The column holding the ID number (or its keyed hash, with `hashed = true`).
    pub id_column: String,
    #[serde(default)]
    pub hashed: bool,
    #[serde(default = "comma")]
    pub delimiter: String,
    #[serde(default = "yes")]
    pub header: bool,
    /// `auto` (UTF-8 if it is, else GB18030), `utf-8` or `gb18030`.
    #[serde(default = "auto")]
    pub encoding: String,
    #[serde(rename = "column")]
    pub columns: Vec<Column>,
}

fn comma() -> String {
    ",".into()
}
fn yes() -> bool {
    true
}
fn auto() -> String {
    "auto".into()
}

impl FeedSchema {
    pub fn from_toml(name: &str, text: &str) -> Result<FeedSchema, ScreenError> {
        let schema: FeedSchema = toml::from_str(text).map_err(|e| {
            let (line, column) =
                minsheng_assess::model::line_column(text, e.span().map_or(0, |s| s.start));
            ScreenError::File(format!(
                "{name}:{line}:{column}: {}",
                e.message().trim_end()
            ))
        })?;
        if !schema.columns.iter().any(|c| c.name == schema.id_column) {
            return Err(ScreenError::File(format!(
                "{name}: the ID column '{}' is not one of the columns",
                schema.id_column
            )));
        }
        if schema.delimiter.len() != 1 {
            return Err(ScreenError::File(format!(
                "{name}: the delimiter is one character"
            )));
        }
        Ok(schema)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// The shipped schemas of the typical feeds.
pub const SHIPPED: &[(&str, &str)] = &[
    ("medical", include_str!("../../../data/feeds/medical.toml")),
    (
        "disability",
        include_str!("../../../data/feeds/disability.toml"),
    ),
    (
        "unemployment",
        include_str!("../../../data/feeds/unemployment.toml"),
    ),
    ("deaths", include_str!("../../../data/feeds/deaths.toml")),
    ("school", include_str!("../../../data/feeds/school.toml")),
    (
        "utilities",
        include_str!("../../../data/feeds/utilities.toml"),
    ),
    ("assets", include_str!("../../../data/feeds/assets.toml")),
    (
        "assistance",
        include_str!("../../../data/feeds/assistance.toml"),
    ),
];

pub fn shipped(name: &str) -> Option<Result<FeedSchema, ScreenError>> {
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| FeedSchema::from_toml(&format!("data/feeds/{n}.toml"), text))
}

/// Whether the start of a file is UTF-8 (a character cut at the end is fine).
fn looks_utf8(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// A CSV reader over a file, transcoding as it reads.
pub type CsvReader = csv::Reader<Box<dyn Read + Send>>;

/// Opens a feed file as a CSV reader, transcoding GB18030 to UTF-8 when needed; says whether it
/// did.
pub fn open(path: &Path, schema: &FeedSchema) -> Result<(CsvReader, bool), ScreenError> {
    let mut file =
        File::open(path).map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?;
    let mut head = vec![0u8; 64 * 1024];
    let n = file
        .read(&mut head)
        .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?;
    head.truncate(n);
    file.seek(SeekFrom::Start(0))
        .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?;
    let gb18030 = match schema.encoding.as_str() {
        "gb18030" => true,
        "utf-8" | "utf8" => false,
        _ => !looks_utf8(&head),
    };
    let reader: Box<dyn Read + Send> = if gb18030 {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding_rs::GB18030))
                .build(BufReader::with_capacity(1 << 20, file)),
        )
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    };
    let reader = csv::ReaderBuilder::new()
        .delimiter(schema.delimiter.as_bytes()[0])
        .has_headers(schema.header)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(reader);
    Ok((reader, gb18030))
}

/// Days since 1970-01-01 of a date as departments write it: `2026-10-10`, `2026/10/10`,
/// `2026.10.10`, `20261010`, `2026-1-5`, `2026年10月10日` (or 号), full-width digits, with or without
/// a time after it (`2026-10-10 08:30:00`, `2026-10-10T08:30`). `None` for anything else and for
/// a date that does not exist (`2026-13-40`). The common `YYYY-MM-DD` is read without allocating
/// (it runs once per row).
pub fn parse_days(text: &[u8]) -> Option<i32> {
    let t = text.trim_ascii();
    let digits = |s: &[u8]| -> Option<i32> {
        (!s.is_empty() && s.len() <= 4).then_some(())?;
        s.iter().try_fold(0i32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + i32::from(b - b'0'))
        })
    };
    match t.len() {
        10 if (t[4] == b'-' || t[4] == b'/') && t[7] == t[4] => {
            return civil_days(digits(&t[0..4])?, digits(&t[5..7])?, digits(&t[8..10])?);
        }
        8 if t.iter().all(u8::is_ascii_digit) => {
            return civil_days(digits(&t[0..4])?, digits(&t[4..6])?, digits(&t[6..8])?);
        }
        _ => {}
    }
    let text = normalise(std::str::from_utf8(t).ok()?);
    let text = text.trim();
    // A time after the date: a space or `T`, then digits and `:` (seconds, fractions, a zone).
    let date = match text.find([' ', 'T']) {
        Some(at) => {
            let time = text[at + 1..].trim();
            let readable = time.contains(':')
                && time
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | 'Z'));
            if !readable {
                return None;
            }
            &text[..at]
        }
        None => text,
    };
    let parts: Vec<&str> = if let Some(rest) = date.strip_suffix('日').or(date.strip_suffix('号'))
    {
        let (year, rest) = rest.split_once('年')?;
        let (month, day) = rest.split_once('月')?;
        vec![year, month, day]
    } else {
        let separator = date.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
        date.split(separator).collect()
    };
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    let short = |s: &str| (1..=2).contains(&s.len());
    if year.len() != 4 || !short(month) || !short(day) {
        return None;
    }
    civil_days(
        digits(year.as_bytes())?,
        digits(month.as_bytes())?,
        digits(day.as_bytes())?,
    )
}

/// Full-width digits, points, commas, signs and separators as their ASCII forms.
fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '，' => ',',
            '－' | '—' | '−' => '-',
            '＋' => '+',
            '／' => '/',
            '：' => ':',
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// A number cell (`-12`, `854`, `3416.50`): plain decimals are read digit by digit (it runs once
/// per row), anything else by `parse_written_number`.
pub fn parse_number(text: &[u8]) -> Option<f64> {
    let t = text.trim_ascii();
    let (negative, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    let mut whole: u64 = 0;
    let mut scale: u32 = 0;
    let mut seen_point = false;
    let mut count = 0;
    let mut plain = !digits.is_empty();
    for b in digits {
        match b {
            b'0'..=b'9' if count < 15 => {
                whole = whole * 10 + u64::from(b - b'0');
                count += 1;
                scale += u32::from(seen_point);
            }
            b'.' if !seen_point => seen_point = true,
            _ => {
                plain = false;
                break;
            }
        }
    }
    if plain && count > 0 {
        // Both are exact in f64 (under 2^53 and 10^15), so the quotient is correctly rounded,
        // as the standard parser's result is.
        const POW10: [f64; 16] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        ];
        let value = whole as f64 / POW10[scale as usize];
        return Some(if negative { -value } else { value });
    }
    parse_written_number(std::str::from_utf8(t).ok()?)
}

/// A number as departments write it: `3,416.50`, `￥3416.5`, `5万`, `1.2万元`, `3千`, full-width
/// digits, an exponent. Thousands separators must group by three (`1,5` is refused, not read as
/// 15 or 1.5); infinities and NaN are refused.
fn parse_written_number(text: &str) -> Option<f64> {
    let text = normalise(text);
    let mut t = text.trim();
    t = t
        .strip_prefix('¥')
        .or_else(|| t.strip_prefix('￥'))
        .unwrap_or(t)
        .trim_start();
    t = t.strip_suffix('元').unwrap_or(t).trim_end();
    let (t, times) = match t.chars().last() {
        Some('万') => (&t[..t.len() - '万'.len_utf8()], 1e4),
        Some('千') => (&t[..t.len() - '千'.len_utf8()], 1e3),
        Some('亿') => (&t[..t.len() - '亿'.len_utf8()], 1e8),
        _ => (t, 1.0),
    };
    let t = t.trim();
    let plain: String = if t.contains(',') {
        let (sign, body) = match t.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", t),
        };
        let (whole, fraction) = match body.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (body, None),
        };
        let groups: Vec<&str> = whole.split(',').collect();
        let grouped = (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
        if !grouped {
            return None;
        }
        let mut plain = format!("{sign}{}", groups.concat());
        if let Some(fraction) = fraction {
            plain.push('.');
            plain.push_str(fraction);
        }
        plain
    } else {
        t.to_string()
    };
    let looks_numeric = plain
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !looks_numeric {
        return None;
    }
    let value = plain.parse::<f64>().ok()? * times;
    value.is_finite().then_some(value)
}

/// Days since 1970-01-01 of a calendar date, or `None` for a date that does not exist (the
/// days-from-civil algorithm of H. Hinnant: plain arithmetic, as it runs once per row).
fn civil_days(year: i32, month: i32, day: i32) -> Option<i32> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let length = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=length).contains(&day) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// Days since 1970-01-01 of a date.
pub fn days_of(date: time::Date) -> i32 {
    date.to_julian_day() - 2_440_588
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn numbers_agree_with_the_standard_parser(text in "[ -]?[0-9]{0,17}(\\.[0-9]{0,8})?[ ]?|[0-9eE.+-]{0,8}") {
            let expected = std::str::from_utf8(text.as_bytes().trim_ascii())
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .filter(|v| v.is_finite());
            let got = parse_number(text.as_bytes());
            prop_assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{}", text);
        }

        /// However a department writes an amount (grouped, full-width, with ¥, 元, 万 or 千),
        /// it reads as the amount; anything else is refused, never read as something else.
        #[test]
        fn written_amounts_read_as_their_value(cents in 0u64..100_000_000_000, style in 0u8..6) {
            let yuan = cents / 100;
            let grouped = {
                let digits = yuan.to_string();
                let mut out = String::new();
                for (i, c) in digits.chars().enumerate() {
                    if i > 0 && (digits.len() - i) % 3 == 0 {
                        out.push(',');
                    }
                    out.push(c);
                }
                out
            };
            let (text, expected) = match style {
                0 => (format!("{grouped}.{:02}", cents % 100), cents as f64 / 100.0),
                1 => (format!("￥{grouped}元"), yuan as f64),
                2 => (format!("{}万", yuan as f64 / 1e4), yuan as f64),
                3 => (format!("{}千元", yuan as f64 / 1e3), yuan as f64),
                4 => (
                    yuan.to_string().chars().map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c)).collect(),
                    yuan as f64,
                ),
                _ => (format!("¥ {yuan}"), yuan as f64),
            };
            let got = parse_number(text.as_bytes());
            prop_assert!(got.is_some_and(|v| (v - expected).abs() <= expected.abs() * 1e-12 + 1e-9), "{} read as {:?}", text, got);
        }

        #[test]
        fn anything_read_as_a_number_is_finite(text in "\\PC{0,12}") {
            if let Some(v) = parse_number(text.as_bytes()) {
                prop_assert!(v.is_finite(), "{}", text);
            }
        }

        /// However the date is written, it reads as the same day; impossible dates never read.
        #[test]
        fn written_dates_read_as_their_day(y in 1900i32..2100, m in 1i32..13, d in 1i32..29, style in 0u8..7) {
            let expected = civil_days(y, m, d);
            let full = |s: String| -> String {
                s.chars().map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c) } else { c }).collect()
            };
            let text = match style {
                0 => format!("{y}/{m}/{d}"),
                1 => format!("{y}.{m:02}.{d:02}"),
                2 => format!("{y}年{m}月{d}日"),
                3 => format!("{y}-{m:02}-{d:02} 08:30:00"),
                4 => format!("{y}-{m:02}-{d:02}T08:30"),
                5 => full(format!("{y}年{m}月{d}号")),
                _ => format!("{y}{m:02}{d:02}"),
            };
            prop_assert_eq!(parse_days(text.as_bytes()), expected, "{}", text);
        }

        #[test]
        fn dates_agree_with_the_time_crate(y in 1900i32..2100, m in 0i32..14, d in 0i32..33) {
            let expected = u8::try_from(m)
                .ok()
                .and_then(|m| time::Month::try_from(m).ok())
                .and_then(|month| time::Date::from_calendar_date(y, month, d as u8).ok())
                .map(days_of);
            prop_assert_eq!(civil_days(y, m, d), expected);
            let text = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(parse_days(text.as_bytes()), expected);
        }
    }

    #[test]
    fn what_departments_send_is_read_or_refused_never_guessed() {
        let day = |text: &str| parse_days(text.as_bytes());
        assert_eq!(day("2026-10-10 08:30:00"), day("2026-10-10"));
        assert_eq!(day("2026年10月10日"), day("2026-10-10"));
        assert!(day("2026-10-10").is_some());
        for bad in [
            "2026-13-40",
            "2026-02-30",
            "10/10/2026",
            "2026-10-10 下午",
            "2026年13月1日",
            "昨天",
            "2026-10",
        ] {
            assert_eq!(day(bad), None, "{bad}");
        }
        let number = |text: &str| parse_number(text.as_bytes());
        assert_eq!(number("5万"), Some(50_000.0));
        assert_eq!(number("1.2万元"), Some(12_000.0));
        assert_eq!(number("3,416.50"), Some(3_416.5));
        assert_eq!(number("￥3416.5"), Some(3_416.5));
        assert_eq!(number("３４１６"), Some(3_416.0));
        for bad in [
            "1,5",
            "12,34,567",
            "五万",
            "about 5",
            "inf",
            "NaN",
            "5万万",
            "--5",
        ] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }
}
