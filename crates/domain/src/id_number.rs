//! Resident identity numbers (公民身份号码) under GB 11643-1999.
//!
//! An [`IdNumber`] can only be built by [`IdNumber::parse`], so once you hold one it is valid:
//! 18 characters, a plausible region prefix, a real birth date and a correct check digit.
//! Legacy 15-digit numbers are upgraded (century `19` inserted, check digit computed);
//! full-width digits and a lower-case `x` are normalised.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Why a text is not a valid ID number. Each variant says what is wrong in a way a clerk can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("ID number is empty")]
    Empty,
    #[error("ID number has {0} characters; it must have 18 (or 15 for a legacy number)")]
    Length(usize),
    #[error("ID number has an invalid character '{ch}' at position {position}")]
    BadCharacter { ch: char, position: usize },
    #[error("ID number starts with region code {0}, which is not a Chinese province code")]
    Region(String),
    #[error("ID number has an impossible birth date {0}")]
    BirthDate(String),
    #[error("ID number has a birth date {0} in the future")]
    BirthDateInFuture(String),
    #[error("ID number has a bad check digit: expected {expected}, got {got}")]
    CheckDigit { expected: char, got: char },
}

impl IdNumberError {
    /// What is wrong, as a sentence of the catalog (said in the reader's language).
    pub fn message(&self) -> minsheng_i18n::Message {
        use minsheng_i18n::msg;
        match self {
            IdNumberError::Empty => msg!("id-empty"),
            IdNumberError::Length(n) => msg!("id-length", n = n),
            IdNumberError::BadCharacter { ch, position } => {
                msg!("id-bad-character", ch = ch, position = position)
            }
            IdNumberError::Region(code) => msg!("id-region", code = code),
            IdNumberError::BirthDate(date) => msg!("id-birth-date", date = date),
            IdNumberError::BirthDateInFuture(date) => msg!("id-birth-future", date = date),
            IdNumberError::CheckDigit { expected, got } => {
                msg!("id-check-digit", expected = expected, got = got)
            }
        }
    }
}

/// Sex as encoded in the 17th digit (odd = male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn label_zh(self) -> &'static str {
        minsheng_i18n::word(minsheng_i18n::Lang::Zh, "sex", self.code())
    }
}

/// A validated 18-character ID number in canonical form (ASCII digits, upper-case `X`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// GB/T 2260 province-level codes (the first two digits of any ID number).
const PROVINCE_CODES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// The check digit for the first 17 digits (ISO 7064 MOD 11-2).
pub fn check_digit(first17: &[u8; 17]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn normalise_char(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        'x' | 'ｘ' | 'Ｘ' => 'X',
        _ => c,
    }
}

impl IdNumber {
    /// Parses and validates, with `today` bounding the birth date (pass the current date).
    pub fn parse_on(input: &str, today: Date) -> Result<Self, IdNumberError> {
        let chars: Vec<char> = input.trim().chars().map(normalise_char).collect();
        if chars.is_empty() {
            return Err(IdNumberError::Empty);
        }
        let digits_then_check = |n: usize| -> Result<(), IdNumberError> {
            for (i, c) in chars.iter().enumerate() {
                let ok = c.is_ascii_digit() || (i == n - 1 && n == 18 && *c == 'X');
                if !ok {
                    return Err(IdNumberError::BadCharacter {
                        ch: *c,
                        position: i + 1,
                    });
                }
            }
            Ok(())
        };
        let mut first17 = [0u8; 17];
        let given_check = match chars.len() {
            18 => {
                digits_then_check(18)?;
                for (slot, c) in first17.iter_mut().zip(&chars) {
                    *slot = (*c as u8) - b'0';
                }
                Some(chars[17])
            }
            15 => {
                digits_then_check(15)?;
                // Legacy numbers: 6 region digits, 6 birth digits (YYMMDD, 19xx), 3 sequence digits.
                let mut upgraded = Vec::with_capacity(17);
                upgraded.extend_from_slice(&chars[..6]);
                upgraded.extend(['1', '9']);
                upgraded.extend_from_slice(&chars[6..15]);
                for (slot, c) in first17.iter_mut().zip(&upgraded) {
                    *slot = (*c as u8) - b'0';
                }
                None
            }
            n => return Err(IdNumberError::Length(n)),
        };
        let province = first17[0] * 10 + first17[1];
        if !PROVINCE_CODES.contains(&province) {
            return Err(IdNumberError::Region(
                first17[..6].iter().map(|d| (b'0' + d) as char).collect(),
            ));
        }
        let number = |range: std::ops::Range<usize>| -> u32 {
            first17[range]
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(*d))
        };
        let (year, month, day) = (number(6..10), number(10..12), number(12..14));
        let birth_text = format!("{year:04}-{month:02}-{day:02}");
        let birth = u8::try_from(month)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .and_then(|m| {
                let day = u8::try_from(day).ok()?;
                Date::from_calendar_date(i32::try_from(year).ok()?, m, day).ok()
            })
            .filter(|_| year >= 1880)
            .ok_or_else(|| IdNumberError::BirthDate(birth_text.clone()))?;
        if birth > today {
            return Err(IdNumberError::BirthDateInFuture(birth_text));
        }
        let expected = check_digit(&first17);
        if let Some(got) = given_check
            && got != expected
        {
            return Err(IdNumberError::CheckDigit { expected, got });
        }
        let mut canonical: String = first17.iter().map(|d| (b'0' + d) as char).collect();
        canonical.push(expected);
        Ok(IdNumber(canonical))
    }

    /// Parses against today's date in China (UTC+8).
    pub fn parse(input: &str) -> Result<Self, IdNumberError> {
        Self::parse_on(input, crate::time_util::today_in_china())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit household-registration region the number was issued in.
    pub fn region_prefix(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> Date {
        let n = |r: std::ops::Range<usize>| self.0[r].parse::<u32>().unwrap_or(1);
        let month = Month::try_from(n(10..12) as u8).unwrap_or(Month::January);
        Date::from_calendar_date(n(6..10) as i32, month, n(12..14) as u8).unwrap_or(Date::MIN)
    }

    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes()[16] - b'0';
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The masked form shown wherever the full number is not needed: `500101********123X`.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Masks any stored ID number text: the first six and last four characters stay.
pub fn mask_id_number(full: &str) -> String {
    let chars: Vec<char> = full.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..6].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 10));
    out.extend(&chars[chars.len() - 4..]);
    out
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug never prints the full number, so a stray `{:?}` in a log leaks nothing.
impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 29);

    fn with_check(first17: &str) -> String {
        let mut d = [0u8; 17];
        for (slot, c) in d.iter_mut().zip(first17.bytes()) {
            *slot = c - b'0';
        }
        format!("{first17}{}", check_digit(&d))
    }

    #[test]
    fn accepts_a_valid_number_and_derives_sex_and_birth() {
        let text = with_check("50010319800101123");
        let id = IdNumber::parse_on(&text, TODAY).expect("valid");
        assert_eq!(id.as_str(), text);
        assert_eq!(id.birth_date(), date!(1980 - 01 - 01));
        assert_eq!(id.sex(), Sex::Male);
        assert_eq!(id.region_prefix(), "500103");
    }

    #[test]
    fn known_published_example_is_valid() {
        // The worked example of GB 11643-1999's check digit.
        assert!(IdNumber::parse_on("11010519491231002X", TODAY).is_ok());
        assert_eq!(
            IdNumber::parse_on("11010519491231002X", TODAY).map(|i| i.sex()),
            Ok(Sex::Female)
        );
    }

    #[test]
    fn bad_check_digit_names_expected_and_got() {
        let err = IdNumber::parse_on("110105194912310023", TODAY).expect_err("bad check");
        assert_eq!(
            err,
            IdNumberError::CheckDigit {
                expected: 'X',
                got: '3'
            }
        );
        assert_eq!(
            err.to_string(),
            "ID number has a bad check digit: expected X, got 3"
        );
    }

    #[test]
    fn impossible_and_future_dates_are_refused() {
        let feb30 = with_check("50010319800230123");
        assert_eq!(
            IdNumber::parse_on(&feb30, TODAY),
            Err(IdNumberError::BirthDate("1980-02-30".into()))
        );
        let future = with_check("50010320300101123");
        assert!(matches!(
            IdNumber::parse_on(&future, TODAY),
            Err(IdNumberError::BirthDateInFuture(_))
        ));
    }

    #[test]
    fn full_width_and_lower_case_x_are_normalised() {
        let id =
            IdNumber::parse_on("１１０１０５１９４９１２３１００２ｘ", TODAY).expect("normalised");
        assert_eq!(id.as_str(), "11010519491231002X");
        let id = IdNumber::parse_on(" 11010519491231002x ", TODAY).expect("normalised");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn legacy_fifteen_digit_numbers_are_upgraded() {
        let id = IdNumber::parse_on("110105491231002", TODAY).expect("legacy");
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn wrong_length_character_and_region_are_named() {
        assert_eq!(
            IdNumber::parse_on("1234", TODAY),
            Err(IdNumberError::Length(4))
        );
        assert_eq!(
            IdNumber::parse_on("5001031980010112A4", TODAY),
            Err(IdNumberError::BadCharacter {
                ch: 'A',
                position: 17
            })
        );
        assert!(matches!(
            IdNumber::parse_on(&with_check("99010319800101123"), TODAY),
            Err(IdNumberError::Region(_))
        ));
    }

    #[test]
    fn masking_keeps_six_and_four() {
        assert_eq!(mask_id_number("50010119800101123X"), "500101********123X");
        let id = IdNumber::parse_on("11010519491231002X", TODAY).expect("valid");
        assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,30}") {
            let _ = IdNumber::parse_on(&s, TODAY);
        }

        #[test]
        fn every_generated_valid_number_round_trips(
            province in prop::sample::select(PROVINCE_CODES.to_vec()),
            rest in 0u32..10_000,
            days in 0i64..40_000,
            seq in 0u32..1000,
        ) {
            let birth = date!(1900 - 01 - 01) + time::Duration::days(days);
            prop_assume!(birth <= TODAY);
            let first17 = format!("{province:02}{rest:04}{:04}{:02}{:02}{seq:03}",
                birth.year(), birth.month() as u8, birth.day());
            let text = with_check(&first17);
            let id = IdNumber::parse_on(&text, TODAY).expect("generated number is valid");
            prop_assert_eq!(id.as_str(), text.as_str());
            prop_assert_eq!(id.birth_date(), birth);
            // Changing the check character always breaks validation.
            let mut wrong = text.clone();
            let last = wrong.pop().unwrap_or('0');
            let other = if last == '1' { '2' } else { '1' };
            wrong.push(other);
            let is_check_digit_error = matches!(
                IdNumber::parse_on(&wrong, TODAY),
                Err(IdNumberError::CheckDigit { .. })
            );
            prop_assert!(is_check_digit_error);
        }
    }
}
