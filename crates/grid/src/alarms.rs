//! Station monitoring rules (data, `data/grid/alarm-rules.toml`): readings from inspection robots
//! and sensors in switching stations and distribution rooms (temperature, humidity, smoke, ozone,
//! the air conditioner's state) raise alarms when a value passes a threshold, rises too fast, or
//! stops coming (a sensor gone silent). Pure: the app stores readings and alarms.

use serde::Deserialize;

/// What a sensor measures, and its unit.
pub const KINDS: [(&str, &str); 5] = [
    ("temperature", "°C"),
    ("humidity", "%RH"),
    ("smoke", "0/1"),
    ("ozone", "mg/m³"),
    ("air_conditioner", "0 off / 1 on"),
];

pub const SEVERITIES: [&str; 3] = ["minor", "major", "critical"];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// The sensor kind it watches (`*` for every kind: only with `silent_minutes`).
    pub kind: String,
    pub severity: String,
    /// What the alarm says, in Chinese (stored with the alarm).
    pub message: String,
    /// What the alarm says, in English (pages in English show it).
    #[serde(default)]
    pub message_en: String,
    /// Raised when a reading is above this.
    #[serde(default)]
    pub above: Option<f64>,
    /// Raised when a reading is below this.
    #[serde(default)]
    pub below: Option<f64>,
    /// Raised when the value rose by at least this much per minute, measured against the
    /// earliest reading within `within_minutes`.
    #[serde(default)]
    pub rise_per_minute: Option<f64>,
    #[serde(default)]
    pub within_minutes: Option<f64>,
    /// Raised when no reading came for this long.
    #[serde(default)]
    pub silent_minutes: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "rule")]
    rules: Vec<Rule>,
}

/// A reading: when (ms since the epoch) and the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: i64,
    pub value: f64,
}

impl Rule {
    pub fn watches(&self, kind: &str) -> bool {
        self.kind == kind || self.kind == "*"
    }

    pub fn is_silence(&self) -> bool {
        self.silent_minutes.is_some()
    }

    /// How far back the rule needs earlier readings, ms (0: the new reading alone).
    pub fn window_ms(&self) -> i64 {
        self.within_minutes.map_or(0, |m| (m * 60_000.0) as i64)
    }

    /// Whether a new reading, with the earlier ones within the window (oldest first), breaks
    /// the rule.
    pub fn breaks(&self, reading: Reading, earlier: &[Reading]) -> bool {
        if self.above.is_some_and(|a| reading.value > a) {
            return true;
        }
        if self.below.is_some_and(|b| reading.value < b) {
            return true;
        }
        if let (Some(rate), Some(first)) = (self.rise_per_minute, earlier.first()) {
            let minutes = (reading.at - first.at) as f64 / 60_000.0;
            if minutes > 0.0 && (reading.value - first.value) / minutes >= rate {
                return true;
            }
        }
        false
    }

    /// Whether a sensor last heard at `last_at` is silent at `now` (ms).
    pub fn silent(&self, last_at: i64, now: i64) -> bool {
        self.silent_minutes
            .is_some_and(|m| (now - last_at) as f64 > m * 60_000.0)
    }
}

/// Reads and checks a rule file; every error names its line or its rule.
pub fn read(text: &str) -> Result<Vec<Rule>, Vec<String>> {
    let file: File = toml::from_str(text).map_err(|e| vec![crate::toml_error(text, &e)])?;
    let mut errors = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for r in &file.rules {
        let mut bad = |m: String| errors.push(format!("rule {}: {m}", r.id));
        if !ids.insert(r.id.as_str()) {
            bad("the id is used twice".into());
        }
        if r.kind != "*" && !KINDS.iter().any(|(k, _)| *k == r.kind) {
            bad(format!(
                "kind {:?} is not one of {}",
                r.kind,
                KINDS.map(|(k, _)| k).join(", ")
            ));
        }
        if !SEVERITIES.contains(&r.severity.as_str()) {
            bad(format!("severity must be one of {}", SEVERITIES.join(", ")));
        }
        let conditions = [
            r.above.is_some() || r.below.is_some(),
            r.rise_per_minute.is_some(),
            r.silent_minutes.is_some(),
        ];
        if conditions.iter().filter(|c| **c).count() != 1 {
            bad("give one condition: above/below, rise_per_minute (with within_minutes), or silent_minutes".into());
        }
        if r.rise_per_minute.is_some() != r.within_minutes.is_some() {
            bad("rise_per_minute and within_minutes go together".into());
        }
        if r.kind == "*" && r.silent_minutes.is_none() {
            bad("kind \"*\" is only for silent_minutes".into());
        }
        let numbers = [
            r.above,
            r.below,
            r.rise_per_minute,
            r.within_minutes,
            r.silent_minutes,
        ];
        if numbers.iter().flatten().any(|x| !x.is_finite()) {
            bad("numbers must be finite".into());
        }
        if [r.within_minutes, r.silent_minutes]
            .iter()
            .flatten()
            .any(|m| *m <= 0.0)
        {
            bad("minutes must be positive".into());
        }
        if r.message.trim().is_empty() {
            bad("a message is needed".into());
        }
    }
    if errors.is_empty() {
        Ok(file.rules)
    } else {
        Err(errors)
    }
}

/// The rules shipped with minsheng (`data/grid/alarm-rules.toml`).
pub const SHIPPED: &str = include_str!("../../../data/grid/alarm-rules.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<Rule> {
        read(SHIPPED).expect("the shipped rules check")
    }

    fn rule(id: &str) -> Rule {
        rules()
            .into_iter()
            .find(|r| r.id == id)
            .expect("rule present")
    }

    #[test]
    fn thresholds_rates_and_silence_each_raise() {
        let hot = rule("temperature-high");
        assert!(hot.breaks(Reading { at: 0, value: 45.0 }, &[]));
        assert!(!hot.breaks(Reading { at: 0, value: 30.0 }, &[]));
        let rise = rule("temperature-rise");
        let earlier = [Reading { at: 0, value: 25.0 }];
        assert!(rise.breaks(
            Reading {
                at: 5 * 60_000,
                value: 33.0
            },
            &earlier
        ));
        assert!(!rise.breaks(
            Reading {
                at: 5 * 60_000,
                value: 26.0
            },
            &earlier
        ));
        let silent = rule("sensor-silent");
        assert!(silent.watches("humidity"));
        assert!(silent.silent(0, 20 * 60_000));
        assert!(!silent.silent(0, 60_000));
        assert!(rule("smoke").breaks(Reading { at: 0, value: 1.0 }, &[]));
        assert!(rule("air-conditioner-off").breaks(Reading { at: 0, value: 0.0 }, &[]));
    }

    #[test]
    fn bad_rule_files_are_refused_with_the_line_or_rule() {
        let errors = read(
            "[[rule]]\nid = \"x\"\nkind = \"temperature\"\nseverity = \"major\"\nmessage = \"m\"\n",
        )
        .expect_err("no condition");
        assert!(
            errors[0].contains("rule x: give one condition"),
            "{errors:?}"
        );
        let errors = read("[[rule]]\nid = 3\n").expect_err("type");
        assert!(errors[0].starts_with("line 2"), "{errors:?}");
        let errors = read("[[rule]]\nid = \"y\"\nkind = \"noise\"\nseverity = \"loud\"\nmessage = \"m\"\nabove = 1.0\n")
            .expect_err("kind and severity");
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_without_panicking(text in "\\PC{0,300}") {
            let _ = read(&text);
        }
    }
}
