//! The grid commands as operators' scripts run them.

use std::process::Command;

fn minsheng(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("minsheng runs")
}

#[test]
fn flisr_isolates_a_cable_fault_and_restores_through_the_tie() {
    let out = minsheng(&[
        "grid",
        "flisr",
        "data/grid/demo-zone.toml",
        "--fault",
        "L3",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["tripped"], serde_json::json!(["QA"]));
    assert_eq!(v["open"], serde_json::json!(["P1-2", "P2-1"]));
    assert_eq!(v["close"], serde_json::json!(["QA", "P2-2"]));
    assert_eq!(v["lost"]["kw"], 2650.0);
    assert_eq!(v["restored_kw"], 2650.0);
    assert_eq!(v["faulted"], serde_json::json!(["L3"]));
    assert_eq!(v["violations"], 0);
    let bad = minsheng(&[
        "grid",
        "flisr",
        "data/grid/demo-zone.toml",
        "--fault",
        "L99",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("L99"));
}

/// The lowest bus voltage of `grid loadflow --json`.
fn lowest_voltage(v: &serde_json::Value) -> f64 {
    v["vm_pu"]
        .as_object()
        .expect("voltages")
        .values()
        .filter_map(serde_json::Value::as_f64)
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn check_and_loadflow_read_pandapower_files() {
    let net = "crates/grid/tests/fixtures/pandapower/cigre_mv.json";
    let out = minsheng(&["grid", "check", net, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["buses"], 15);
    let out = minsheng(&["grid", "loadflow", net, "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let lowest = lowest_voltage(&v);
    // pandapower: 0.922980 pu at bus 11.
    assert!((lowest - 0.922980).abs() < 1e-3, "{lowest}");
    // With its ties closed the network is meshed: refused for fault isolation (radial
    // operation), solved by the load flow.
    let meshed = "crates/grid/tests/fixtures/pandapower/cigre_mv_meshed.json";
    let out = minsheng(&["grid", "check", meshed, "--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("loop"));
    let out = minsheng(&["grid", "loadflow", meshed, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["method"], "newton");
    let lowest = lowest_voltage(&v);
    // pandapower (Newton–Raphson, ties closed): 0.958105 pu at bus 6.
    assert!((lowest - 0.958105).abs() < 1e-4, "{lowest}");
}

#[test]
fn flisr_plans_a_lost_channel_with_a_generator_and_a_second_fault() {
    let out = minsheng(&[
        "grid",
        "flisr",
        "data/grid/demo-zone.toml",
        "--channel",
        "东通道",
        "--generator-kw",
        "1000",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["restored"]["kw"], 650.0, "P2 through the tie");
    assert_eq!(v["generator_point"], "E-P1");
    assert_eq!(v["generator"]["priority_customers"], 1);
    let out = minsheng(&[
        "grid",
        "flisr",
        "data/grid/demo-zone.toml",
        "--fault",
        "L3",
        "--then",
        "L5",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["then"]["tripped"], serde_json::json!(["QB"]));
    let bad = minsheng(&[
        "grid",
        "flisr",
        "data/grid/demo-zone.toml",
        "--channel",
        "北通道",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("北通道"));
}

#[test]
fn n1_prints_the_contract_summary_and_synth_writes_a_valid_network() {
    let out = minsheng(&[
        "grid",
        "n1",
        "data/grid/demo-zone.toml",
        "--json",
        "--common-cause",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for key in [
        "scenarios",
        "load_lost_kw",
        "load_restored_kw",
        "load_unrestorable_kw",
        "restored_share",
        "mean_switch_operations",
        "plan_ms_p50",
        "plan_ms_p99",
        "violations",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["scenarios"], 7);
    assert_eq!(v["violations"], 0);
    assert_eq!(v["restored_share"], 1.0);
    let automated = v["reliability"]["automated"]["saidi_minutes"]
        .as_f64()
        .expect("saidi");
    let manual = v["reliability"]["manual"]["saidi_minutes"]
        .as_f64()
        .expect("saidi");
    assert!(automated < 5.0 && manual > automated, "{v}");
    assert!(v["common_cause"].as_array().is_some_and(|c| c.len() == 5));

    let dir = std::env::temp_dir().join(format!("minsheng-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("synth.toml");
    let path = file.to_str().expect("path");
    let out = minsheng(&[
        "grid", "synth", "--buses", "400", "--seed", "3", "--out", path,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = minsheng(&["grid", "n1", path, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v["buses"].as_u64().is_some_and(|b| b >= 400));
    assert_eq!(v["violations"], 0);
    assert!(v["restored_share"].as_f64().is_some_and(|s| s > 0.5), "{v}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn simulate_prints_a_timeline_that_restores_within_a_second_peer_to_peer() {
    let out = minsheng(&[
        "grid",
        "simulate",
        "data/grid/demo-zone.toml",
        "--fault",
        "L3",
        "--latency-ms",
        "10",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let peer = v["peer"]["restored_ms"].as_f64().expect("restored");
    let central = v["central"]["restored_ms"].as_f64().expect("central");
    assert!(peer < 1000.0 && peer < central, "{v}");
    assert_eq!(v["manual"]["restored_ms"], 46.0 * 60_000.0);
    let timeline = v["peer"]["timeline"].as_array().expect("timeline");
    assert!(timeline.iter().any(|e| {
        e["switch"] == "P2-2"
            && e["what"]
                .as_str()
                .is_some_and(|w| w.contains("supply is back"))
    }));
    let bad = minsheng(&[
        "grid",
        "simulate",
        "data/grid/demo-zone.toml",
        "--fault",
        "L3",
        "--loss",
        "1.5",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

/// A switch that fails and a terminal gone silent widen the isolation: the simulation says what
/// stays dark (1,450 kW and a customer on life support here), not only when the rest is back.
#[test]
fn simulate_says_what_stays_dark_when_a_switch_fails_and_a_terminal_is_silent() {
    let args = [
        "grid",
        "simulate",
        "data/grid/demo-zone.toml",
        "--fault",
        "L3",
        "--failed",
        "P1-2",
        "--silent",
        "P2-1",
    ];
    let out = minsheng(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("still dark    1450 kW, 570 customers, 1 who depend on power for life"),
        "{text}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = minsheng(&json_args);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["not_restored"]["kw"], 1450.0, "{v}");
    assert_eq!(v["not_restored"]["priority_customers"], 1, "{v}");
    assert_eq!(v["restored"]["kw"], 1200.0, "{v}");
}
