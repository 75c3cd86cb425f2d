//! A model's calibration set: survey fixtures with the band of scores and the conclusion each
//! must land in, and why (`expect.toml` in a directory of survey JSON files). `minsheng model
//! check MODEL --fixtures DIR` scores them and names every one outside its band; CI runs it on
//! the shipped model so a change of weights or scale cannot move a known case silently.

use serde::Deserialize;

use crate::model::Model;
use crate::survey;

/// The expectations file of a calibration directory.
pub const EXPECTATIONS: &str = "expect.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "case", default)]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// A survey JSON file beside `expect.toml`.
    file: String,
    /// The lowest and highest score it may get.
    score: (f64, f64),
    /// The conclusion code it must reach (any, when left out).
    conclusion: Option<String>,
    /// Why it belongs there: the case's facts as an officer would read them.
    why: String,
}

/// How one fixture did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub file: String,
    pub score: f64,
    pub raw_points: f64,
    pub band: (f64, f64),
    pub conclusion: String,
    pub expected_conclusion: Option<String>,
    pub why: String,
    /// What is wrong, if anything.
    pub problem: Option<String>,
}

/// Scores every fixture of a calibration set with `model`: `text` is its `expect.toml`, `read`
/// gives a fixture's JSON by file name (the caller does the IO). Errors: the expectations
/// cannot be read (with the line).
pub fn check(
    model: &Model,
    text: &str,
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<Vec<Outcome>, String> {
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        format!("{EXPECTATIONS}:{line}: {}", e.message().trim_end())
    })?;
    if file.cases.is_empty() {
        return Err(format!("{EXPECTATIONS}: no [[case]]"));
    }
    let mut outcomes = Vec::with_capacity(file.cases.len());
    for case in file.cases {
        let mut outcome = Outcome {
            file: case.file.clone(),
            score: 0.0,
            raw_points: 0.0,
            band: case.score,
            conclusion: String::new(),
            expected_conclusion: case.conclusion.clone(),
            why: case.why.clone(),
            problem: None,
        };
        let survey = read(&case.file).and_then(|json| {
            survey::read(&json).map_err(|errors| {
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        });
        match survey {
            Err(e) => outcome.problem = Some(format!("{}: {e}", case.file)),
            Ok(s) => {
                let scored = model.score(&s.facts);
                outcome.score = (scored.total * 100.0).round() / 100.0;
                outcome.raw_points = (model.raw_points(&scored) * 100.0).round() / 100.0;
                outcome.conclusion = model.conclusions[scored.conclusion].code.clone();
                let (low, high) = case.score;
                let mut problems = Vec::new();
                if !(low..=high).contains(&outcome.score) {
                    problems.push(format!("score {:.2} outside {low}–{high}", outcome.score));
                }
                if let Some(want) = &case.conclusion
                    && *want != outcome.conclusion
                {
                    problems.push(format!(
                        "conclusion {} where {want} is expected",
                        outcome.conclusion
                    ));
                }
                if model
                    .conclusion_index(case.conclusion.as_deref().unwrap_or(&outcome.conclusion))
                    .is_none()
                {
                    problems.push("the expected conclusion is not one of the model's".into());
                }
                if !problems.is_empty() {
                    outcome.problem = Some(problems.join("; "));
                }
            }
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shipped::shipped_model;

    use std::path::{Path, PathBuf};

    fn shipped_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/calibration/cq-7d82")
    }

    fn check_dir(model: &Model, dir: &Path) -> Result<Vec<Outcome>, String> {
        let text = std::fs::read_to_string(dir.join(EXPECTATIONS)).map_err(|e| e.to_string())?;
        check(model, &text, |file| {
            std::fs::read_to_string(dir.join(file)).map_err(|e| e.to_string())
        })
    }

    #[test]
    fn the_shipped_model_lands_every_calibration_case_in_its_band() {
        let model = shipped_model("cq-7d82").expect("shipped").expect("valid");
        let outcomes = check_dir(&model, &shipped_dir()).expect("reads");
        assert!(outcomes.len() >= 6);
        let wrong: Vec<_> = outcomes.iter().filter(|o| o.problem.is_some()).collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        let dialysis = outcomes
            .iter()
            .find(|o| o.file == "dialysis-father.json")
            .expect("the seed's case");
        assert!((70.0..80.0).contains(&dialysis.score), "{dialysis:?}");
    }

    #[test]
    fn a_case_outside_its_band_is_named() {
        let dir = std::env::temp_dir().join(format!("minsheng-calibration-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::copy(
            shipped_dir().join("two-earners.json"),
            dir.join("two-earners.json"),
        )
        .expect("copy");
        std::fs::write(
            dir.join(EXPECTATIONS),
            "[[case]]\nfile = \"two-earners.json\"\nscore = [60, 100]\nconclusion = \"income_poverty\"\nwhy = \"wrong on purpose\"\n",
        )
        .expect("write");
        let model = shipped_model("cq-7d82").expect("shipped").expect("valid");
        let outcomes = check_dir(&model, &dir).expect("reads");
        let problem = outcomes[0].problem.as_deref().expect("named");
        assert!(problem.contains("outside 60–100"), "{problem}");
        assert!(problem.contains("income_poverty"), "{problem}");
        std::fs::write(dir.join(EXPECTATIONS), "[[case]]\nfile = 3\n").expect("write");
        let e = check_dir(&model, &dir).expect_err("bad file");
        assert!(e.contains("expect.toml:2"), "{e}");
    }
}
