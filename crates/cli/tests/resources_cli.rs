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

/// The registry is its owner's alone: the data directory 0700, the database and its journal
/// files 0600, also when they were left wider by an earlier version (issue 16, item 11).
#[cfg(unix)]
#[test]
fn the_database_files_are_their_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("minsheng-cli-modes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data = dir.to_str().expect("path");
    let mode = |name: &str| {
        std::fs::metadata(dir.join(name))
            .expect("file")
            .permissions()
            .mode()
            & 0o777
    };
    let out = minsheng(&["migrate", "--data-dir", data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(""), 0o700, "the data directory");
    assert_eq!(mode("minsheng.sqlite"), 0o600);
    // A file left world-readable is narrowed at the next start.
    std::fs::set_permissions(
        dir.join("minsheng.sqlite"),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    let out = minsheng(&[
        "demo",
        "--households",
        "30",
        "--no-serve",
        "--data-dir",
        data,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().to_string();
        assert_eq!(mode(&name), 0o600, "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
