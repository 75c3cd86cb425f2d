//! District questions (地方调查项目): facts a district adds to the household survey in a data
//! file (`data/survey/questions.toml`, or the file named by `--survey-questions`), without a
//! code change. Each question is a fact of the household (`local.NAME`) or of every member
//! (`m.local.NAME`); the reader, the JSON Schema, the web form, the API and the expression
//! checker of models and catalog rules all take them from the survey's table, which is built
//! once per process from the questions in effect.
//!
//! The file gets the checks a model gets: every mistake with its line and column, nothing
//! half-loaded. A district question left out of a survey is a detail not recorded, never a gap
//! that makes the survey partial: surveys written elsewhere, or before the question was added,
//! were never asked it.

use std::collections::BTreeSet;

use serde::Deserialize;
use toml::Spanned;

use crate::model::{ModelError, line_column};

/// The questions shipped with minsheng (compiled in, so a fresh install has them).
pub const SHIPPED_QUESTIONS: &str = include_str!("../../../data/survey/questions.toml");

/// The most questions a district may add to one record: a form, not a registry.
pub const MAX_QUESTIONS: usize = 60;

/// Whose fact a question is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Household,
    Member,
}

/// A question's type and its bounds.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionKind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Number {
        min: f64,
        max: f64,
    },
    /// Yuan, 0 to 1e9.
    Money,
    /// (code, zh, en) of each answer.
    Choice(Vec<(String, String, String)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub name: String,
    pub subject: Subject,
    pub kind: QuestionKind,
    pub zh: String,
    pub en: String,
    /// The district (region code) that asks it; `None`: the whole city.
    pub district: Option<String>,
}

/// A checked set of district questions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Questions {
    pub questions: Vec<Question>,
}

impl Questions {
    /// The questions of one record, in file order.
    pub fn of(&self, subject: Subject) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(move |q| q.subject == subject)
    }

    /// The shipped questions (checked by the tests, so this cannot fail in a release).
    pub fn shipped() -> Result<Questions, Vec<ModelError>> {
        Questions::from_toml(SHIPPED_QUESTIONS)
    }

    /// Reads and checks a questions file; every mistake with its line and column.
    pub fn from_toml(src: &str) -> Result<Questions, Vec<ModelError>> {
        let mut errors = Vec::new();
        let mut at = |offset: usize, message: String| {
            let (line, column) = line_column(src, offset);
            errors.push(ModelError {
                line,
                column,
                message,
            });
        };
        let file: File = match toml::from_str(src) {
            Ok(file) => file,
            Err(e) => {
                at(
                    e.span().map_or(0, |s| s.start),
                    e.message().trim_end().to_string(),
                );
                return Err(errors);
            }
        };
        let mut questions = Vec::new();
        let mut seen: BTreeSet<(bool, String)> = BTreeSet::new();
        for def in file.questions {
            let name_at = def.name.span().start;
            let name = def.name.get_ref().clone();
            let subject = *def.record.get_ref();
            if !valid_name(&name) {
                at(
                    name_at,
                    format!(
                        "question name {name:?}: lower-case letters, digits and _, starting with a letter, at most 40"
                    ),
                );
            } else if RESERVED.contains(&name.as_str()) {
                at(
                    name_at,
                    format!("question name {name:?} is a word of the rule language"),
                );
            } else if !seen.insert((subject == Subject::Member, name.clone())) {
                at(
                    name_at,
                    format!("question {name:?} is defined twice for the same record"),
                );
            }
            for (label, text) in [("zh", &def.zh), ("en", &def.en)] {
                let length = text.get_ref().trim().chars().count();
                if length == 0 || length > 80 {
                    at(
                        text.span().start,
                        format!("label_{label}: 1 to 80 characters"),
                    );
                }
            }
            if let Some(district) = &def.district {
                let code = district.get_ref();
                if !(matches!(code.len(), 6 | 9 | 12) && code.bytes().all(|b| b.is_ascii_digit())) {
                    at(
                        district.span().start,
                        format!("district {code:?}: a region code of 6, 9 or 12 digits"),
                    );
                }
            }
            let type_at = def.kind.span().start;
            let bounds = (def.min.as_ref(), def.max.as_ref());
            let kind = match def.kind.get_ref().as_str() {
                "bool" | "money" => {
                    if let Some(bound) = def.min.as_ref().or(def.max.as_ref()) {
                        at(
                            bound.span().start,
                            format!(
                                "a question of type {} has no min or max",
                                def.kind.get_ref()
                            ),
                        );
                    }
                    if def.kind.get_ref() == "bool" {
                        QuestionKind::Bool
                    } else {
                        QuestionKind::Money
                    }
                }
                "int" | "number" => match bounds {
                    (Some(min), Some(max)) => {
                        let (low, high) = (*min.get_ref(), *max.get_ref());
                        let whole = def.kind.get_ref() == "int";
                        if !low.is_finite() || !high.is_finite() || low >= high {
                            at(
                                min.span().start,
                                format!("min {low} must be below max {high}"),
                            );
                        } else if whole && (low.fract() != 0.0 || high.fract() != 0.0) {
                            at(
                                min.span().start,
                                "an int question's min and max are whole numbers".to_string(),
                            );
                        } else if low.abs() > 1e12 || high.abs() > 1e12 {
                            at(min.span().start, "min and max within ±1e12".to_string());
                        }
                        if whole {
                            QuestionKind::Int {
                                min: low as i64,
                                max: high as i64,
                            }
                        } else {
                            QuestionKind::Number {
                                min: low,
                                max: high,
                            }
                        }
                    }
                    _ => {
                        at(
                            type_at,
                            format!(
                                "a question of type {} needs min and max",
                                def.kind.get_ref()
                            ),
                        );
                        QuestionKind::Bool
                    }
                },
                "choice" => {
                    let mut codes = BTreeSet::new();
                    let mut answers = Vec::new();
                    for choice in &def.choices {
                        let code = choice.code.get_ref();
                        if !valid_name(code) {
                            at(
                                choice.code.span().start,
                                format!("answer code {code:?}: lower-case letters, digits and _"),
                            );
                        } else if !codes.insert(code.clone()) {
                            at(
                                choice.code.span().start,
                                format!("answer code {code:?} is given twice"),
                            );
                        }
                        if choice.zh.trim().is_empty() || choice.en.trim().is_empty() {
                            at(
                                choice.code.span().start,
                                format!("answer {code:?} needs zh and en labels"),
                            );
                        }
                        answers.push((code.clone(), choice.zh.clone(), choice.en.clone()));
                    }
                    if answers.len() < 2 {
                        at(
                            type_at,
                            "a choice question needs at least 2 answers".to_string(),
                        );
                    }
                    QuestionKind::Choice(answers)
                }
                other => {
                    at(
                        type_at,
                        format!("type {other:?}: one of bool, int, number, money, choice"),
                    );
                    QuestionKind::Bool
                }
            };
            if !matches!(kind, QuestionKind::Choice(_)) && !def.choices.is_empty() {
                at(type_at, "only a choice question has choices".to_string());
            }
            questions.push(Question {
                name,
                subject,
                kind,
                zh: def.zh.get_ref().trim().to_string(),
                en: def.en.get_ref().trim().to_string(),
                district: def.district.map(Spanned::into_inner),
            });
        }
        let questions = Questions { questions };
        for subject in [Subject::Household, Subject::Member] {
            if questions.of(subject).count() > MAX_QUESTIONS {
                at(0, format!("at most {MAX_QUESTIONS} questions per record"));
            }
        }
        if errors.is_empty() {
            Ok(questions)
        } else {
            errors.sort_by_key(|e| (e.line, e.column));
            Err(errors)
        }
    }
}

/// Words of the rule language a fact cannot be called (`local.in` would not parse).
const RESERVED: &[&str] = &["in", "true", "false", "null", "params", "local"];

fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 40
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

// ---- the file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default, rename = "question")]
    questions: Vec<QuestionDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionDef {
    name: Spanned<String>,
    record: Spanned<Subject>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    #[serde(rename = "label_zh")]
    zh: Spanned<String>,
    #[serde(rename = "label_en")]
    en: Spanned<String>,
    district: Option<Spanned<String>>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    #[serde(default)]
    choices: Vec<ChoiceDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceDef {
    code: Spanned<String>,
    zh: String,
    en: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_questions_are_valid() {
        let questions = Questions::shipped().expect("shipped questions");
        assert!(questions.of(Subject::Household).count() >= 1);
        assert!(questions.of(Subject::Member).count() >= 1);
    }

    #[test]
    fn every_mistake_is_reported_with_its_line() {
        let src = r#"
[[question]]
name = "Heating"
record = "household"
type = "int"
label_zh = "取暖"
label_en = "Heating"

[[question]]
name = "kind"
record = "member"
type = "choice"
label_zh = ""
label_en = "Kind"
choices = [{ code = "a", zh = "甲", en = "A" }, { code = "a", zh = "乙", en = "B" }]
"#;
        let errors = Questions::from_toml(src).expect_err("invalid");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 5, 13, 15], "{errors:?}");
        assert!(errors[0].message.contains("Heating"));
        assert!(errors[1].message.contains("min and max"));
        assert!(errors[3].message.contains("twice"));
    }

    #[test]
    fn unknown_keys_and_types_are_refused() {
        let unknown = "[[question]]\nname = \"a\"\nrecord = \"household\"\ntype = \"bool\"\nlabel_zh = \"甲\"\nlabel_en = \"A\"\ncolour = 1\n";
        let errors = Questions::from_toml(unknown).expect_err("unknown key");
        assert_eq!(errors[0].line, 7, "{errors:?}");
        let record = "[[question]]\nname = \"a\"\nrecord = \"street\"\ntype = \"bool\"\nlabel_zh = \"甲\"\nlabel_en = \"A\"\n";
        let errors = Questions::from_toml(record).expect_err("unknown record");
        assert_eq!(errors[0].line, 3, "{errors:?}");
        let twice = "[[question]]\nname = \"a\"\nrecord = \"household\"\ntype = \"bool\"\nlabel_zh = \"甲\"\nlabel_en = \"A\"\n[[question]]\nname = \"a\"\nrecord = \"member\"\ntype = \"money\"\nlabel_zh = \"乙\"\nlabel_en = \"B\"\n";
        // The same name for the household and for members is two facts, not a clash.
        assert_eq!(
            Questions::from_toml(twice).expect("valid").questions.len(),
            2
        );
    }

    proptest::proptest! {
        /// Mangled question files: the loader never panics, and what it accepts is checked.
        #[test]
        fn the_loader_is_total(cut in 0usize..2500, insert in "[\\[\\]=\"a-z0-9 .,{}\n]{0,6}") {
            let mut source = SHIPPED_QUESTIONS.to_string();
            let at = cut.min(source.len());
            if source.is_char_boundary(at) {
                source.insert_str(at, &insert);
                if let Ok(questions) = Questions::from_toml(&source) {
                    proptest::prop_assert!(questions.questions.iter().all(|q| valid_name(&q.name)));
                }
            }
        }
    }

    #[test]
    fn no_file_is_no_questions() {
        assert_eq!(
            Questions::from_toml("").expect("empty"),
            Questions::default()
        );
    }
}
