//! The hotline commands as operators' scripts run them (names and JSON of the CLI contract).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn minsheng(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("minsheng runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("output")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("minsheng-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn classify_writes_one_json_object_per_line_and_leaves_placeless_requests_to_the_centre() {
    let out = minsheng(
        &["hotline", "classify", "--json"],
        "投诉渝中区解放碑步行街的商铺占道经营，堵住了消防通道\n\n家门口的路灯坏了一个多月没人修\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "blank lines are skipped");
    let categories = [
        "医疗卫生",
        "劳动人社",
        "住房城建",
        "市场监管",
        "交通运输",
        "民生服务",
        "治安管理",
        "城市管理",
        "生态环境",
        "区县服务",
    ];
    let types = ["咨询", "求助", "投诉", "举报", "建议"];
    for line in &lines {
        assert!(
            categories.contains(&line["category"].as_str().unwrap_or("")),
            "{line}"
        );
        assert!(
            types.contains(&line["type"].as_str().unwrap_or("")),
            "{line}"
        );
        let confidence = line["confidence"].as_f64().expect("confidence");
        assert!((0.0..=1.0).contains(&confidence));
    }
    assert_eq!(lines[0]["district_code"], "500103");
    assert_eq!(lines[0]["district"], "渝中区");
    assert_eq!(lines[0]["town"], "解放碑街道");
    assert_eq!(lines[0]["type"], "投诉");
    assert!(
        lines[0]["unit"]
            .as_str()
            .is_some_and(|u| u.starts_with("渝中区"))
    );
    assert!(lines[1]["district_code"].is_null());
    assert!(
        lines[1]["unit"].is_null(),
        "no place, no unit: the centre dispatches"
    );
    assert_eq!(lines[1]["manual_dispatch"], true);
}

#[test]
fn check_names_the_line_of_a_bad_routing_rule() {
    let ok = minsheng(&["hotline", "check"], "");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("routing rules"));
    let dir = temp_dir("routing");
    let bad = dir.join("routing.toml");
    std::fs::write(&bad, "[[rule]]\nsubcategory = \"metro\"\nunit = \"x\"\n\n[[rule]]\nsubcategory = \"nope\"\nunit = \"y\"\n")
        .expect("write");
    let out = minsheng(
        &["hotline", "check", "--routing", bad.to_str().expect("path")],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 5: unknown subcategory \"nope\""),
        "{err}"
    );
}

#[test]
fn the_ranking_of_a_week_is_json_with_the_ten_categories() {
    let dir = temp_dir("ranking");
    let data = dir.to_str().expect("path");
    let out = minsheng(
        &[
            "hotline",
            "ranking",
            "--week",
            "2026-W33",
            "--json",
            "--data-dir",
            data,
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["week"], "2026-W33");
    assert_eq!(v["from"], "2026-08-10");
    assert_eq!(v["to"], "2026-08-16");
    assert_eq!(v["total"], 0);
    assert_eq!(v["categories"].as_array().map(Vec::len), Some(10));
    let xlsx = dir.join("ranking.xlsx");
    let out = minsheng(
        &[
            "hotline",
            "ranking",
            "--week",
            "2026-W33",
            "--xlsx",
            xlsx.to_str().expect("path"),
            "--data-dir",
            data,
        ],
        "",
    );
    assert!(out.status.success());
    let bytes = std::fs::read(&xlsx).expect("xlsx written");
    assert!(bytes.starts_with(b"PK"), "an xlsx is a zip");
    let bad = minsheng(
        &[
            "hotline",
            "ranking",
            "--week",
            "2026-W99",
            "--data-dir",
            data,
        ],
        "",
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("2026-W99"));
}

#[test]
fn eval_reports_calibration_and_retrain_keeps_the_model_without_new_corrections() {
    let out = minsheng(&["hotline", "eval", "--json"], "");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let ece = v["confidence"]["ece"].as_f64().expect("ece");
    assert!(ece <= 0.05, "{v}");
    assert!(v["confidence"]["reviewed"].as_u64().is_some_and(|n| n > 0));
    assert!(v["category"]["macro_f1"].as_f64().is_some_and(|f| f > 0.85));
    let dir = temp_dir("retrain");
    let data = dir.to_str().expect("path");
    let out = minsheng(&["hotline", "retrain", "--json", "--data-dir", data], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(r["activated"], false);
    assert_eq!(r["reason"], "no_new_labels");
    assert!(
        r["before"]["reference"]["category"]["macro_f1"]
            .as_f64()
            .is_some()
    );
    let unsure = minsheng(
        &["hotline", "classify", "--json"],
        "巴南区鱼洞街道有个问题想反映一下\n",
    );
    let line: serde_json::Value = serde_json::from_slice(&unsure.stdout).expect("JSON");
    assert_eq!(line["review"], true, "{line}");
}
