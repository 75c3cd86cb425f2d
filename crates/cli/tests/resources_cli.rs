//! The social-resources commands as operators' scripts run them.

use std::process::{Command, Output};

fn minsheng(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .args(args)
        .output()
        .expect("minsheng runs")
}

#[test]
fn the_demo_figures_count_its_delivery_and_appeal_and_nothing_is_closed_early() {
    let dir = std::env::temp_dir().join(format!("minsheng-cli-resources-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.to_str().expect("path");
    let out = minsheng(&[
        "demo",
        "--households",
        "150",
        "--no-serve",
        "--data-dir",
        data,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = minsheng(&["resources", "figures", "--json", "--data-dir", data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    // The demo's one delivery: two grain-and-oil packs from a company, ¥336.
    assert_eq!(f["delivered_yuan"], 336.0);
    assert_eq!(f["delivered"][0][0], "company");
    assert_eq!(f["by_district"][0][1], "巴南区");
    assert_eq!(
        (f["appeals"].as_i64(), f["appeals_open"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(f["appeals_received_yuan"], 8000.0);
    assert_eq!(f["volunteer_visits"], 3);
    // The demo appeal ends in a month: nothing is due.
    let out = minsheng(&["resources", "close-due", "--json", "--data-dir", data]);
    assert!(out.status.success());
    let closed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(closed["closed"].as_array().map(Vec::len), Some(0));
    let bad = minsheng(&[
        "resources",
        "figures",
        "--region",
        "not-a-code",
        "--data-dir",
        data,
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--region"));
    let _ = std::fs::remove_dir_all(&dir);
}
