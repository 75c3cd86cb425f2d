//! A district's own survey questions (地方调查项目), as a district administrator adds them: in a
//! data file, read by the survey reader, the JSON Schema, models and catalog rules without a
//! code change. This test binary puts its own questions in effect (one set per process, as the
//! command line does).

use minsheng_assess::catalog::Catalog;
use minsheng_assess::model::Model;
use minsheng_assess::questions::Questions;
use minsheng_assess::survey;
use minsheng_assess::synth::SurveyGenerator;
use proptest::prelude::*;
use serde_json::json;

const QUESTIONS: &str = r#"
[[question]]
name = "heating_subsidy"
record = "household"
type = "money"
label_zh = "取暖补贴"
label_en = "Heating subsidy"
district = "500112"

[[question]]
name = "flood_zone"
record = "household"
type = "choice"
label_zh = "洪涝风险区"
label_en = "Flood-risk zone"
choices = [
    { code = "none", zh = "无", en = "none" },
    { code = "low", zh = "低", en = "low" },
    { code = "high", zh = "高", en = "high" },
]

[[question]]
name = "care_hours"
record = "member"
type = "int"
min = 0
max = 168
label_zh = "每周需照护小时数"
label_en = "Care hours needed a week"
"#;

/// The district questions above, in effect for this process.
fn setup() {
    let questions = Questions::from_toml(QUESTIONS).expect("the test's questions are valid");
    // Every test installs the same set; whichever comes first wins.
    let _ = survey::install_questions(questions.clone());
    assert_eq!(survey::questions(), &questions);
}

fn survey_with_answers() -> serde_json::Value {
    json!({
        "schema": 2,
        "household": "H-local",
        "members": [
            {"relation": "self", "age": 81, "local": {"care_hours": 40}},
            {"relation": "spouse", "age": 79, "local": {"care_hours": 10}}
        ],
        "local": {"heating_subsidy": 1200, "flood_zone": "high"},
        "income": {"pensions": 30000}
    })
}

const MODEL: &str = r#"[model]
id = "district-care"
version = "1"
name_zh = "照护需求"
name_en = "Care needs"
survey_schema = 2
veto_conclusion = "none"

[let]
care_hours = "members.sum(m, default(m.local.care_hours, 0))"

[[dimension]]
code = "care"
label_zh = "照护"
label_en = "Care"

[[indicator]]
code = "care_hours"
dimension = "care"
label_zh = "照护时长"
label_en = "Care hours"
value = "care_hours / 56"
weight = 60

[[indicator]]
code = "flood"
dimension = "care"
label_zh = "洪涝风险"
label_en = "Flood risk"
value = "local.flood_zone"
choices = { high = 1.0, low = 0.3 }
weight = 40

[[conclusion]]
code = "high"
label_zh = "高需求"
label_en = "High need"
when = "total >= 50"

[[conclusion]]
code = "none"
label_zh = "无"
label_en = "None"
"#;

#[test]
fn a_model_reads_the_districts_facts_and_scores_them() {
    setup();
    let model = Model::from_toml(MODEL).unwrap_or_else(|e| panic!("model refused: {e:?}"));
    let survey = survey::from_json(&survey_with_answers()).expect("valid survey");
    let scored = model.score(&survey.facts);
    // 50 hours of 56 → 0.893 × 60 = 53.6, plus a high flood risk, 40.
    assert!(
        (scored.total - (50.0 / 56.0 * 60.0 + 40.0)).abs() < 0.1,
        "{}",
        scored.total
    );
    assert_eq!(model.conclusions[scored.conclusion].code, "high");
    assert!(scored.missing.is_empty());

    // Without the answers the model says what it could not see; the survey is no more partial
    // for it (a district's question is a detail, never a gap).
    let mut bare = survey_with_answers();
    bare.as_object_mut().expect("object").remove("local");
    let bare = survey::from_json(&bare).expect("valid survey");
    assert!(
        !bare.not_recorded.iter().any(|p| p.contains("local")),
        "{:?}",
        bare.not_recorded
    );
    let scored = model.score(&bare.facts);
    assert_eq!(
        scored
            .missing
            .iter()
            .map(|m| m.fact.clone())
            .collect::<Vec<_>>(),
        vec!["local".to_string()]
    );
}

#[test]
fn a_model_reading_a_question_nobody_asked_is_refused_at_its_line() {
    setup();
    let source = MODEL.replace("local.flood_zone", "local.flood_risk");
    let errors = Model::from_toml(&source).expect_err("unknown fact");
    let line = source
        .lines()
        .position(|l| l.contains("local.flood_risk"))
        .expect("line")
        + 1;
    assert_eq!(errors[0].line, line, "{errors:?}");
    assert!(errors[0].message.contains("flood_risk"), "{errors:?}");
}

#[test]
fn catalog_rules_read_the_districts_facts() {
    setup();
    let shipped = include_str!("../../../data/catalog/assistance.toml");
    let rule = "when = \"members.all(m, m.age >= params.elderly_age) && (poor || at_risk || !social.weekly_contact)\"";
    assert!(shipped.contains(rule), "the rule this test extends moved");
    let extended = shipped.replace(
        rule,
        "when = \"members.all(m, m.age >= params.elderly_age) && (poor || at_risk || !social.weekly_contact || members.exists(m, default(m.local.care_hours, 0) >= 21))\"",
    );
    let catalog = Catalog::from_toml(&extended).unwrap_or_else(|e| panic!("refused: {e:?}"));
    let survey = survey::from_json(&survey_with_answers()).expect("valid survey");
    let facts = minsheng_assess::catalog::AssessmentFacts {
        score: 0.0,
        conclusion: "normal".into(),
    };
    let recommended = catalog.recommend(&survey.facts, &facts);
    assert!(
        recommended
            .items
            .iter()
            .any(|r| r.item == "social_work_mutual_aid_elderly"),
        "{recommended:?}"
    );
    let wrong = shipped.replace(rule, "when = \"local.heating > 0\"");
    let errors = Catalog::from_toml(&wrong).expect_err("unknown fact");
    assert!(errors[0].message.contains("heating"), "{errors:?}");
}

#[test]
fn the_reader_checks_the_districts_facts_like_its_own() {
    setup();
    let mut survey = survey_with_answers();
    survey["members"][0]["local"]["care_hours"] = json!(200);
    survey["local"]["flood_zone"] = json!("severe");
    survey["local"]["relapse_monitoring"] = json!(true);
    let errors = survey::from_json(&survey).expect_err("invalid");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "members[0].local.care_hours",
            "local.relapse_monitoring",
            "local.flood_zone"
        ],
        "{errors:?}"
    );
    // Round trip, and the fast reader agrees with the full one.
    let read = survey::from_json(&survey_with_answers()).expect("valid");
    assert_eq!(survey::from_json(&survey::to_json(&read)), Ok(read.clone()));
    assert_eq!(
        survey::read(&survey_with_answers().to_string()),
        Ok(read.clone())
    );
    assert_eq!(
        survey::path_label("members[1].local.care_hours", true).as_deref(),
        Some("家庭成员 2 · 地方调查项目 · 每周需照护小时数")
    );
    assert_eq!(survey::value_label("local.flood_zone", "high", true), "高");
}

#[test]
fn the_json_schema_has_the_districts_questions() {
    setup();
    let schema = survey::json_schema();
    let local = &schema["properties"]["local"];
    assert_eq!(local["properties"]["heating_subsidy"]["type"], "number");
    assert_eq!(
        local["properties"]["flood_zone"]["enum"],
        json!(["none", "low", "high"])
    );
    let member_local = &schema["properties"]["members"]["items"]["properties"]["local"];
    assert_eq!(member_local["properties"]["care_hours"]["maximum"], 168);
    assert_eq!(local["additionalProperties"], false);
}

proptest! {
    /// Surveys with district answers: the fast and the full reader agree, and the answers
    /// survive a round trip.
    #[test]
    fn district_answers_read_the_same_on_both_paths(
        seed in 0u64..500,
        hours in proptest::option::of(0i64..=168),
        subsidy in proptest::option::of(0u32..100_000),
        zone in proptest::option::of(prop_oneof![Just("none"), Just("low"), Just("high")]),
    ) {
        setup();
        let mut survey = SurveyGenerator::new(seed).next_survey("500112001001");
        let mut local = serde_json::Map::new();
        if let Some(subsidy) = subsidy {
            local.insert("heating_subsidy".into(), json!(subsidy));
        }
        if let Some(zone) = zone {
            local.insert("flood_zone".into(), json!(zone));
        }
        survey["local"] = serde_json::Value::Object(local);
        if let Some(hours) = hours {
            survey["members"][0]["local"] = json!({"care_hours": hours});
        }
        let full = survey::from_json(&survey).expect("valid");
        prop_assert_eq!(survey::read(&survey.to_string()), Ok(full.clone()));
        prop_assert_eq!(survey::from_json(&survey::to_json(&full)), Ok(full));
    }
}
