//! A synthetic city screened end to end: every planted case found, no near miss raised, bad rows
//! counted and listed, the rule checker naming places.

use std::collections::HashSet;
use std::path::PathBuf;

use minsheng_screen::engine;
use minsheng_screen::population::Population;
use minsheng_screen::rules::RuleSet;

fn city(persons: u64, seed: u64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "minsheng-city-{}-{persons}-{seed}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    minsheng_screen::synth::write_city(&dir, persons, seed, &|_| {}).expect("synth");
    dir
}

fn pairs(path: &std::path::Path) -> HashSet<(String, String)> {
    std::fs::read_to_string(path)
        .expect("csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(h, r)| (h.to_string(), r.to_string()))
        .collect()
}

fn feeds(dir: &std::path::Path) -> Vec<(String, PathBuf)> {
    [
        "medical",
        "disability",
        "unemployment",
        "deaths",
        "school",
        "utilities",
        "assets",
        "assistance",
    ]
    .iter()
    .map(|n| (n.to_string(), dir.join("feeds").join(format!("{n}.csv"))))
    .collect()
}

#[test]
fn every_planted_case_is_found_and_no_near_miss_is_raised() {
    let dir = city(60_000, 7);
    let rules = RuleSet::from_toml(
        minsheng_screen::SHIPPED_RULES,
        &minsheng_screen::schema_of,
        None,
    )
    .expect("rules");
    let population =
        Population::read(&dir.join("population.csv"), &|_| {}, None).expect("population");
    assert_eq!(population.rejected_count, 0);
    let outcome =
        engine::run(&rules, &population, &feeds(&dir), &|_, _| {}, None, &[]).expect("run");
    let mut found: HashSet<(String, String)> = HashSet::new();
    for w in &outcome.warnings {
        let household = &population.household_id[w.household as usize];
        for (r, _) in &w.hits {
            found.insert((household.clone(), rules.rules[*r].code.clone()));
        }
    }
    let planted = pairs(&dir.join("planted.csv"));
    assert!(
        planted.len() >= 8,
        "the city has planted cases: {}",
        planted.len()
    );
    let missed: Vec<_> = planted.difference(&found).collect();
    assert!(missed.is_empty(), "planted cases not found: {missed:?}");
    let near = pairs(&dir.join("near_misses.csv"));
    let raised: Vec<_> = near.intersection(&found).collect();
    assert!(raised.is_empty(), "near misses raised: {raised:?}");
    // Evidence: a planted medical case shows its rows.
    if let Some((household, _)) = planted.iter().find(|(_, r)| r == "medical_burden") {
        let warning = outcome
            .warnings
            .iter()
            .find(|w| &population.household_id[w.household as usize] == household)
            .expect("warned");
        assert!(warning.evidence.iter().any(|(feed, _)| feed == "medical"));
        assert!(
            warning
                .hits
                .iter()
                .any(|(_, text)| text.contains("医疗自付"))
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_rows_are_counted_and_listed_and_a_threshold_stops_the_run() {
    let dir = city(3_000, 9);
    let medical = dir.join("feeds").join("medical.csv");
    let mut text = std::fs::read_to_string(&medical).expect("read");
    text.push_str(
        "12345,2026-10-01,100,50,x\n\u{FF11}\u{FF11}0105194912310021,2026-10-01,100,50,x\n",
    );
    std::fs::write(&medical, text).expect("write");
    let rules = RuleSet::from_toml(
        minsheng_screen::SHIPPED_RULES,
        &minsheng_screen::schema_of,
        None,
    )
    .expect("rules");
    let population =
        Population::read(&dir.join("population.csv"), &|_| {}, None).expect("population");
    let outcome =
        engine::run(&rules, &population, &feeds(&dir), &|_, _| {}, None, &[]).expect("run");
    let medical_count = &outcome.feeds["medical"];
    assert_eq!(medical_count.rejected, 2);
    let reasons: Vec<&str> = medical_count
        .rejected_lines
        .iter()
        .map(|(_, r)| r.as_str())
        .collect();
    assert!(
        reasons[0].contains("18 characters") && reasons[1].contains("check digit"),
        "{reasons:?}"
    );
    assert!(matches!(
        engine::run(&rules, &population, &feeds(&dir), &|_, _| {}, Some(1), &[]),
        Err(minsheng_screen::ScreenError::TooManyRejected { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rule_mistakes_are_named_with_their_place() {
    let broken = minsheng_screen::SHIPPED_RULES
        .replacen("value = \"self_pay\"", "value = \"self_paid\"", 1)
        .replacen("feed = \"deaths\"", "feed = \"funerals\"", 1)
        .replacen("severity = \"low\"", "severity = \"urgent\"", 1);
    let errors: Vec<String> = match RuleSet::from_toml(&broken, &minsheng_screen::schema_of, None) {
        Ok(_) => panic!("broken rules load"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    };
    assert!(
        errors
            .iter()
            .any(|e| e.contains("medical has no field") || e.contains("unknown name 'self_paid'")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("no feed schema 'funerals'")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("severity is high, medium or low")),
        "{errors:?}"
    );
}

#[test]
fn a_feed_of_keyed_hashes_matches_like_the_plain_one() {
    use minsheng_screen::idkey::{Hasher, pack};
    let dir = city(20_000, 11);
    let key = b"district and department secret";
    // The department hashes its ID column with the shared key before sending.
    let plain = std::fs::read_to_string(dir.join("feeds").join("medical.csv")).expect("read");
    let hasher = Hasher::new(key);
    let mut hashed = String::new();
    for (i, line) in plain.lines().enumerate() {
        if i == 0 {
            hashed.push_str(line);
        } else {
            let (id, rest) = line.split_once(',').expect("row");
            hashed.push_str(&format!(
                "{},{rest}",
                hasher.hex(pack(id.as_bytes()).expect("valid"))
            ));
        }
        hashed.push('\n');
    }
    let hashed_path = dir.join("feeds").join("medical-hashed.csv");
    std::fs::write(&hashed_path, hashed).expect("write");
    let rules = RuleSet::from_toml(
        minsheng_screen::SHIPPED_RULES,
        &minsheng_screen::schema_of,
        None,
    )
    .expect("rules");
    let plain_population =
        Population::read(&dir.join("population.csv"), &|_| {}, None).expect("population");
    let plain_run = engine::run(
        &rules,
        &plain_population,
        &feeds(&dir),
        &|_, _| {},
        None,
        &[],
    )
    .expect("plain");
    let keyed_population =
        Population::read(&dir.join("population.csv"), &|_| {}, Some(Hasher::new(key)))
            .expect("population");
    let mut keyed_feeds = feeds(&dir);
    for (name, path) in &mut keyed_feeds {
        if name == "medical" {
            *path = hashed_path.clone();
        }
    }
    let keyed_run = engine::run(
        &rules,
        &keyed_population,
        &keyed_feeds,
        &|_, _| {},
        None,
        &["medical".to_string()],
    )
    .expect("keyed");
    assert_eq!(
        plain_run.feeds["medical"].matched,
        keyed_run.feeds["medical"].matched
    );
    let households =
        |o: &engine::Outcome| o.warnings.iter().map(|w| w.household).collect::<Vec<_>>();
    assert_eq!(households(&plain_run), households(&keyed_run));
    // Without the key, a hashed feed is refused, not silently unmatched.
    assert!(
        engine::run(
            &rules,
            &plain_population,
            &keyed_feeds,
            &|_, _| {},
            None,
            &["medical".to_string()]
        )
        .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
