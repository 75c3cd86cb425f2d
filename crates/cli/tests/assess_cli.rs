//! `minsheng assess` as an officer or a script reads it: each recommended item with its
//! deadline in working days, whether it is on the emergency path and the facts its rule read;
//! with `--explain`, what would change the conclusion.

use std::process::{Command, Output};

fn minsheng(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("minsheng runs")
}

#[test]
fn recommendations_carry_their_deadline_path_and_facts_and_explain_says_what_would_change() {
    let dir = std::env::temp_dir().join(format!("minsheng-assess-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let surveys = dir.join("surveys.jsonl");
    let out = minsheng(&[
        "synth",
        "surveys",
        "--households",
        "200",
        "--seed",
        "3",
        "--out",
        surveys.to_str().expect("path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = surveys.to_str().expect("path");
    let out = minsheng(&[
        "assess",
        "--model",
        "cq-7d82",
        "--input",
        input,
        "--json",
        "--recommend",
        "--explain",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 200);
    let items: Vec<&serde_json::Value> = lines
        .iter()
        .flat_map(|l| l["recommendations"].as_array().expect("recommendations"))
        .collect();
    assert!(!items.is_empty(), "some household is recommended help");
    for item in &items {
        let days = item["deadline_days"].as_u64().expect("deadline_days");
        assert!((1..=365).contains(&days), "{item}");
        assert!(item["emergency"].is_boolean(), "{item}");
        assert!(
            item["rule"].as_str().is_some_and(|r| !r.is_empty()),
            "{item}"
        );
        assert!(item["evidence"].is_object(), "{item}");
        assert!(
            item["label"].is_string() && item["reason"].is_string(),
            "{item}"
        );
    }
    assert!(lines.iter().all(|l| l["changes"].is_array()));
    assert!(
        lines
            .iter()
            .any(|l| l["changes"].as_array().is_some_and(|c| !c.is_empty())),
        "some conclusion could change"
    );
    // The same for a person at the terminal.
    let out = minsheng(&[
        "assess",
        "--model",
        "cq-7d82",
        "--input",
        input,
        "--recommend",
        "--explain",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("working days") && text.contains("because"),
        "{text}"
    );
    assert!(text.contains("would become"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A district adds questions in a file (issue 19.5): `survey questions` checks it, the schema and
/// the survey checker take it up, and a model reading the new fact checks only with the file in
/// effect. A file with a mistake stops every command, at its line and column.
#[test]
fn a_districts_questions_file_extends_the_survey_without_a_code_change() {
    let dir = std::env::temp_dir().join(format!("minsheng-questions-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let questions = dir.join("questions.toml");
    std::fs::write(
        &questions,
        "[[question]]\nname = \"heating_subsidy\"\nrecord = \"household\"\ntype = \"money\"\nlabel_zh = \"取暖补贴\"\nlabel_en = \"Heating subsidy\"\ndistrict = \"500112\"\n",
    )
    .expect("write");
    let q = questions.to_str().expect("path");

    let listed = minsheng(&["survey", "questions", q, "--json"]);
    assert!(listed.status.success(), "{listed:?}");
    let line: serde_json::Value =
        serde_json::from_slice(listed.stdout.split(|b| *b == b'\n').next().expect("a line"))
            .expect("json");
    assert_eq!(line["path"], "local.heating_subsidy");
    assert_eq!(line["type"], "money");

    let schema = minsheng(&["--survey-questions", q, "survey", "schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).expect("schema");
    assert_eq!(
        schema["properties"]["local"]["properties"]["heating_subsidy"]["type"],
        "number"
    );
    assert!(
        schema["properties"]["members"]["items"]["properties"]
            .get("local")
            .is_none(),
        "this file asks nothing of members"
    );

    let surveys = dir.join("surveys.jsonl");
    std::fs::write(
        &surveys,
        "{\"schema\": 2, \"household\": \"H1\", \"members\": [{\"relation\": \"self\", \"age\": 70}], \"local\": {\"heating_subsidy\": 900}}\n{\"schema\": 2, \"household\": \"H2\", \"members\": [{\"relation\": \"self\", \"age\": 70}], \"local\": {\"heating_subsidy\": \"much\"}}\n",
    )
    .expect("write");
    let checked = minsheng(&[
        "--survey-questions",
        q,
        "survey",
        "check",
        surveys.to_str().expect("path"),
    ]);
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(!checked.status.success());
    assert!(
        stderr.contains("surveys.jsonl:2: local.heating_subsidy"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&checked.stdout).contains("1 valid, 1 invalid"));

    let model = dir.join("model.toml");
    std::fs::write(
        &model,
        "[model]\nid = \"heat\"\nversion = \"1\"\nname_zh = \"取暖\"\nname_en = \"Heating\"\nsurvey_schema = 2\nveto_conclusion = \"none\"\n\n[[dimension]]\ncode = \"d\"\nlabel_zh = \"维\"\nlabel_en = \"D\"\n\n[[indicator]]\ncode = \"no_subsidy\"\ndimension = \"d\"\nlabel_zh = \"无补贴\"\nlabel_en = \"No subsidy\"\nvalue = \"local.heating_subsidy == 0\"\nweight = 100\n\n[[conclusion]]\ncode = \"none\"\nlabel_zh = \"无\"\nlabel_en = \"None\"\n",
    )
    .expect("write");
    let m = model.to_str().expect("path");
    let with_file = minsheng(&["--survey-questions", q, "model", "check", m]);
    assert!(with_file.status.success(), "{with_file:?}");
    let without = minsheng(&["model", "check", m]);
    assert!(!without.status.success());
    assert!(
        String::from_utf8_lossy(&without.stderr).contains("model.toml:19:"),
        "{without:?}"
    );

    std::fs::write(
        &questions,
        "[[question]]\nname = \"heating_subsidy\"\nrecord = \"household\"\ntype = \"int\"\nlabel_zh = \"取暖补贴\"\nlabel_en = \"Heating subsidy\"\n",
    )
    .expect("write");
    let broken = minsheng(&["--survey-questions", q, "survey", "schema"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&broken.stderr)
            .contains("questions.toml:4:8: a question of type int needs min and max"),
        "{broken:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
