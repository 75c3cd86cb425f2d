//! Administrative region codes (行政区划代码): GB/T 2260 for provinces, cities and districts,
//! extended by the statistics bureau's 9-digit town and 12-digit village codes.
//!
//! Every code is held as its 12-digit form (`500113` is `500113000000`), so a region's whole
//! subtree is one numeric range. That is what lets the store apply area scope inside SQL with
//! an indexed `BETWEEN`.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("region code is empty")]
    Empty,
    #[error("region code '{0}' must contain only digits")]
    NotDigits(String),
    #[error("region code '{0}' has {1} digits; expected 2, 4, 6, 9 or 12")]
    Length(String, usize),
    #[error("region code '{0}' has a zero part above its own level")]
    Gap(String),
}

impl RegionCodeError {
    /// What is wrong, as a sentence of the catalog (said in the reader's language).
    pub fn message(&self) -> minsheng_i18n::Message {
        use minsheng_i18n::msg;
        match self {
            RegionCodeError::Empty => msg!("region-code-empty"),
            RegionCodeError::NotDigits(code) => msg!("region-code-digits", code = code),
            RegionCodeError::Length(code, n) => msg!("region-code-length", code = code, n = n),
            RegionCodeError::Gap(code) => msg!("region-code-gap", code = code),
        }
    }
}

/// The level of a region in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    Province,
    City,
    District,
    Town,
    Community,
}

impl RegionLevel {
    pub fn code(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::District => "district",
            RegionLevel::Town => "town",
            RegionLevel::Community => "community",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "province" => RegionLevel::Province,
            "city" => RegionLevel::City,
            "district" => RegionLevel::District,
            "town" => RegionLevel::Town,
            "community" | "village" => RegionLevel::Community,
            _ => return None,
        })
    }

    /// How many leading digits are significant at this level.
    pub fn digits(self) -> u32 {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::District => 6,
            RegionLevel::Town => 9,
            RegionLevel::Community => 12,
        }
    }

    pub fn label_zh(self) -> &'static str {
        minsheng_i18n::word(minsheng_i18n::Lang::Zh, "region_level", self.code())
    }
}

/// A region code in its 12-digit numeric form.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(i64);

const FULL_DIGITS: u32 = 12;

impl RegionCode {
    /// Parses 2, 4, 6, 9 or 12 digits; a 12-digit code may be the padded form of a higher level.
    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(RegionCodeError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::NotDigits(s.to_string()));
        }
        if ![2, 4, 6, 9, 12].contains(&s.len()) {
            return Err(RegionCodeError::Length(s.to_string(), s.len()));
        }
        let value: i64 = s
            .parse::<i64>()
            .map_err(|_| RegionCodeError::NotDigits(s.to_string()))?;
        let code = RegionCode(value * 10i64.pow(FULL_DIGITS - s.len() as u32));
        code.check_no_gap(s)?;
        Ok(code)
    }

    /// Builds from the stored 12-digit integer (the database's form).
    pub fn from_i64(value: i64) -> Option<Self> {
        if (100_000_000_000..1_000_000_000_000).contains(&value) {
            Some(RegionCode(value))
        } else {
            None
        }
    }

    fn check_no_gap(self, original: &str) -> Result<(), RegionCodeError> {
        // Once a part is zero every lower part must be zero too (500100 is fine, 500001 is not).
        let level = self.level();
        let mut seen_zero = false;
        for l in [RegionLevel::City, RegionLevel::District, RegionLevel::Town] {
            if l >= level {
                break;
            }
            let part = self.part(l);
            if part == 0 {
                seen_zero = true;
            } else if seen_zero {
                return Err(RegionCodeError::Gap(original.to_string()));
            }
        }
        Ok(())
    }

    fn part(self, level: RegionLevel) -> i64 {
        let (digits, width) = match level {
            RegionLevel::Province => (2, 2),
            RegionLevel::City => (4, 2),
            RegionLevel::District => (6, 2),
            RegionLevel::Town => (9, 3),
            RegionLevel::Community => (12, 3),
        };
        (self.0 / 10i64.pow(FULL_DIGITS - digits)) % 10i64.pow(width)
    }

    pub fn as_i64(self) -> i64 {
        self.0
    }

    /// The deepest level whose part is non-zero.
    pub fn level(self) -> RegionLevel {
        if self.part(RegionLevel::Community) != 0 {
            RegionLevel::Community
        } else if self.part(RegionLevel::Town) != 0 {
            RegionLevel::Town
        } else if self.part(RegionLevel::District) != 0 {
            RegionLevel::District
        } else if self.part(RegionLevel::City) != 0 {
            RegionLevel::City
        } else {
            RegionLevel::Province
        }
    }

    /// The code in its usual short form (`500113`, `500113001`).
    pub fn short(self) -> String {
        let digits = self.level().digits();
        format!("{:012}", self.0)[..digits as usize].to_string()
    }

    /// The inclusive numeric range of this region's subtree (itself included).
    pub fn subtree(self) -> (i64, i64) {
        let span = 10i64.pow(FULL_DIGITS - self.level().digits());
        (self.0, self.0 + span - 1)
    }

    pub fn contains(self, other: RegionCode) -> bool {
        let (lo, hi) = self.subtree();
        (lo..=hi).contains(&other.0)
    }

    /// The code one level up from the numbering (GB/T 2260 districts skip the city level in
    /// Chongqing's tree, which the region table records; this is only the numeric parent).
    pub fn numeric_parent(self) -> Option<RegionCode> {
        let level = self.level();
        let parent_digits = match level {
            RegionLevel::Province => return None,
            RegionLevel::City => 2,
            RegionLevel::District => 4,
            RegionLevel::Town => 6,
            RegionLevel::Community => 9,
        };
        let span = 10i64.pow(FULL_DIGITS - parent_digits);
        Some(RegionCode(self.0 / span * span))
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.short())
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(value: RegionCode) -> Self {
        value.short()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_and_short_forms() {
        let cases = [
            ("50", RegionLevel::Province, "50"),
            ("5001", RegionLevel::City, "5001"),
            ("500113", RegionLevel::District, "500113"),
            ("500113001", RegionLevel::Town, "500113001"),
            ("500113001002", RegionLevel::Community, "500113001002"),
            ("500113000000", RegionLevel::District, "500113"),
        ];
        for (input, level, short) in cases {
            let code = RegionCode::parse(input).expect(input);
            assert_eq!(code.level(), level, "{input}");
            assert_eq!(code.short(), short, "{input}");
        }
    }

    #[test]
    fn subtree_is_a_numeric_range() {
        let district = RegionCode::parse("500113").expect("district");
        let town = RegionCode::parse("500113001").expect("town");
        let other = RegionCode::parse("500114001").expect("other town");
        assert!(district.contains(town));
        assert!(!district.contains(other));
        assert_eq!(district.subtree(), (500113000000, 500113999999));
        assert_eq!(town.subtree(), (500113001000, 500113001999));
    }

    #[test]
    fn bad_codes_are_named() {
        assert!(matches!(
            RegionCode::parse("50a"),
            Err(RegionCodeError::NotDigits(_))
        ));
        assert!(matches!(
            RegionCode::parse("50011"),
            Err(RegionCodeError::Length(_, 5))
        ));
        assert!(matches!(
            RegionCode::parse("500001001"),
            Err(RegionCodeError::Gap(_))
        ));
        assert!(matches!(RegionCode::parse(""), Err(RegionCodeError::Empty)));
    }

    #[test]
    fn parents() {
        let village = RegionCode::parse("500113001002").expect("village");
        assert_eq!(
            village.numeric_parent().map(|c| c.short()),
            Some("500113001".into())
        );
    }

    proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC{0,16}") {
            let _ = RegionCode::parse(&s);
        }

        #[test]
        fn digits_parse_and_round_trip(p in 11i64..=82, c in 1i64..=99, d in 1i64..=99, t in 1i64..=999, v in 1i64..=999) {
            let text = format!("{p:02}{c:02}{d:02}{t:03}{v:03}");
            let code = RegionCode::parse(&text).expect("valid");
            prop_assert_eq!(code.short(), text.clone());
            let parent = code.numeric_parent().expect("has parent");
            prop_assert!(parent.contains(code));
            let back = RegionCode::from_i64(code.as_i64()).expect("in range");
            prop_assert_eq!(back, code);
            for cut in [2usize, 4, 6, 9] {
                let ancestor = RegionCode::parse(&text[..cut]).expect("prefix");
                prop_assert!(ancestor.contains(code));
            }
        }
    }
}
