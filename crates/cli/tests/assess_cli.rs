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
