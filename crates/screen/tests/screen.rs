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
    let outcome = engine::run(
        &rules,
        &population,
        &feeds(&dir),
        &|_, _| {},
        &engine::Options::default(),
    )
    .expect("run");
    let mut found: HashSet<(String, String)> = HashSet::new();
    for w in &outcome.warnings {
        let household = population.household_id(w.household as usize);
        for (r, _) in &w.hits {
            found.insert((household.to_string(), rules.rules[*r].code.clone()));
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
            .find(|w| population.household_id(w.household as usize) == household)
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
    let outcome = engine::run(
        &rules,
        &population,
        &feeds(&dir),
        &|_, _| {},
        &engine::Options::default(),
    )
    .expect("run");
    let medical_count = &outcome.feeds["medical"];
    assert_eq!(medical_count.rejected, 2);
    let reasons: Vec<&str> = medical_count
        .rejected_lines
        .iter()
        .map(|(_, _, r)| r.as_str())
        .collect();
    assert!(
        reasons[0].contains("18 characters") && reasons[1].contains("check digit"),
        "{reasons:?}"
    );
    assert!(matches!(
        engine::run(
            &rules,
            &population,
            &feeds(&dir),
            &|_, _| {},
            &engine::Options {
                max_rejected: Some(1),
                ..engine::Options::default()
            }
        ),
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
        &engine::Options::default(),
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
        &engine::Options {
            hashed_feeds: vec!["medical".to_string()],
            ..engine::Options::default()
        },
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
            &engine::Options {
                hashed_feeds: vec!["medical".to_string()],
                ..engine::Options::default()
            }
        )
        .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// (household, rules, evidence) of a warning.
type Seen = (String, Vec<usize>, Vec<(String, u64)>);

/// (household, rules, evidence) of every warning, comparable across runs.
fn summary(population: &Population, outcome: &engine::Outcome) -> Vec<Seen> {
    outcome
        .warnings
        .iter()
        .map(|w| {
            (
                population.household_id(w.household as usize).to_string(),
                w.hits.iter().map(|(r, _)| *r).collect(),
                w.evidence.clone(),
            )
        })
        .collect()
}

fn shipped_rules() -> RuleSet {
    RuleSet::from_toml(
        minsheng_screen::SHIPPED_RULES,
        &minsheng_screen::schema_of,
        None,
    )
    .expect("rules")
}

#[test]
fn files_cut_into_small_pieces_give_the_same_run() {
    let dir = city(4_000, 11);
    let rules = shipped_rules();
    let whole = Population::read(&dir.join("population.csv"), &|_| {}, None).expect("whole");
    let cut =
        Population::read_in_pieces(&dir.join("population.csv"), &|_| {}, None, 4096).expect("cut");
    assert!(whole.household_ids().eq(cut.household_ids()));
    assert!(whole.households() > 1_000, "households of the city");
    assert_eq!(whole.person_key, cut.person_key);
    let default = engine::run(
        &rules,
        &whole,
        &feeds(&dir),
        &|_, _| {},
        &engine::Options::default(),
    )
    .expect("run");
    let small = engine::Options {
        piece_bytes: 1000,
        ..engine::Options::default()
    };
    let pieces = engine::run(&rules, &cut, &feeds(&dir), &|_, _| {}, &small).expect("run");
    assert!(!default.warnings.is_empty());
    assert_eq!(summary(&whole, &default), summary(&cut, &pieces));
    for (name, count) in &default.feeds {
        assert_eq!(count.matched, pieces.feeds[name].matched, "{name}");
        assert_eq!(count.rows, pieces.feeds[name].rows, "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gb18030_quoted_rows_over_two_lines_and_xlsx_read_like_plain_csv() {
    let dir = city(3_000, 12);
    let rules = shipped_rules();
    let population =
        Population::read(&dir.join("population.csv"), &|_| {}, None).expect("population");
    let plain = engine::run(
        &rules,
        &population,
        &feeds(&dir),
        &|_, _| {},
        &engine::Options::default(),
    )
    .expect("plain");
    let medical = dir.join("feeds").join("medical.csv");
    let text = std::fs::read_to_string(&medical).expect("read");
    let with_feed = |path: &std::path::Path| {
        let mut list = feeds(&dir);
        for (name, p) in &mut list {
            if name == "medical" {
                *p = path.to_path_buf();
            }
        }
        engine::run(
            &rules,
            &population,
            &list,
            &|_, _| {},
            &engine::Options {
                piece_bytes: 2048,
                ..engine::Options::default()
            },
        )
        .expect("run")
    };
    // GB18030, as a department's Excel saves it.
    let gb = dir.join("medical-gb18030.csv");
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    std::fs::write(&gb, &bytes).expect("write");
    let from_gb = with_feed(&gb);
    assert_eq!(summary(&population, &plain), summary(&population, &from_gb));
    // A hospital name quoted over two lines, then a bad row: its line is the physical line.
    let quoted = dir.join("medical-quoted.csv");
    let lines = text.lines().count() as u64;
    let first_id = text
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("row");
    std::fs::write(
        &quoted,
        format!("{text}{first_id},2020-01-01,10,5,\"区人民\n医院\"\n12345,2026-10-01,100,50,x\n"),
    )
    .expect("write");
    let from_quoted = with_feed(&quoted);
    let counted = &from_quoted.feeds["medical"];
    assert_eq!(counted.rows, plain.feeds["medical"].rows + 2);
    assert_eq!(counted.rejected, 1);
    assert_eq!(
        counted.rejected_lines[0].0,
        lines + 3,
        "{:?}",
        counted.rejected_lines
    );
    assert_eq!(
        summary(&population, &plain),
        summary(&population, &from_quoted)
    );
    // The same rows as an .xlsx workbook (dates as dates, numbers as numbers).
    let xlsx = dir.join("medical.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            let (row, col) = (r as u32, c as u16);
            match (r, c) {
                (0, _) | (_, 0) | (_, 4) => sheet.write_string(row, col, cell),
                (_, 1) => {
                    let date = rust_xlsxwriter::ExcelDateTime::parse_from_str(cell).expect("date");
                    sheet.write_datetime_with_format(row, col, &date, &date_format)
                }
                _ => sheet.write_number(row, col, cell.parse::<f64>().expect("number")),
            }
            .expect("cell");
        }
    }
    workbook.save(&xlsx).expect("save");
    let from_xlsx = with_feed(&xlsx);
    assert_eq!(
        from_xlsx.feeds["medical"].matched,
        plain.feeds["medical"].matched
    );
    assert_eq!(
        summary(&population, &plain),
        summary(&population, &from_xlsx)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_population_out_of_household_order_or_with_a_repeated_person_is_read_right() {
    let dir = city(2_000, 13);
    let path = dir.join("population.csv");
    let text = std::fs::read_to_string(&path).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let ordered = Population::read(&path, &|_| {}, None).expect("ordered");
    // Households interleaved: every other row moved to the end.
    let even = lines.iter().step_by(2);
    let odd = lines.iter().skip(1).step_by(2);
    let shuffled: Vec<&str> = even.chain(odd).copied().collect();
    std::fs::write(&path, format!("{header}\n{}\n", shuffled.join("\n"))).expect("write");
    let interleaved = Population::read_in_pieces(&path, &|_| {}, None, 2048).expect("interleaved");
    assert_eq!(interleaved.persons(), ordered.persons());
    assert_eq!(interleaved.households(), ordered.households());
    let size = |p: &Population, id: &str| {
        let h = p.household_ids().position(|x| x == id).expect("household");
        p.members(h).len()
    };
    for id in ordered.household_ids().take(50) {
        assert_eq!(size(&ordered, id), size(&interleaved, id), "{id}");
    }
    // Households kept together but in reverse order (not sorted): still each one household.
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in &lines {
        let household = line.split(',').nth(2).unwrap_or_default();
        match blocks.last_mut() {
            Some(block) if block[0].split(',').nth(2) == Some(household) => block.push(line),
            _ => blocks.push(vec![line]),
        }
    }
    blocks.reverse();
    let reversed: Vec<&str> = blocks.concat();
    std::fs::write(&path, format!("{header}\n{}\n", reversed.join("\n"))).expect("write");
    let backwards = Population::read_in_pieces(&path, &|_| {}, None, 2048).expect("reversed");
    assert_eq!(backwards.households(), ordered.households());
    assert_eq!(
        backwards.household_id(0),
        ordered.household_id(ordered.households() - 1)
    );
    for id in ordered.household_ids().take(50) {
        assert_eq!(size(&ordered, id), size(&backwards, id), "{id}");
    }
    // A person given twice: the later row is refused with its line, the rest read.
    std::fs::write(
        &path,
        format!("{header}\n{}\n{}\n", lines.join("\n"), lines[0]),
    )
    .expect("write");
    let repeated = Population::read_in_pieces(&path, &|_| {}, None, 2048).expect("repeated");
    assert_eq!(repeated.persons(), ordered.persons());
    assert_eq!(repeated.duplicates, 1);
    assert_eq!(repeated.rejected[0].0, lines.len() as u64 + 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A medical feed of the given data rows (after the schema's header), written to `dir`.
fn medical_feed(dir: &std::path::Path, name: &str, rows: &[String]) -> Vec<(String, PathBuf)> {
    let path = dir.join(name);
    let mut text = String::from("id_number,admission_date,total_cost,self_pay,hospital\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    std::fs::write(&path, text).expect("write");
    vec![("medical".to_string(), path)]
}

/// The first persons' ID numbers of a synthetic city's population file.
fn population_ids(dir: &std::path::Path, n: usize) -> Vec<String> {
    std::fs::read_to_string(dir.join("population.csv"))
        .expect("population")
        .lines()
        .skip(1)
        .take(n)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect()
}

/// Dates and amounts as departments write them read as the plain ones do; a cell that is not
/// empty and cannot be read rejects its row, named by line and column (a ¥50,000 stay written
/// `5万` once vanished as "missing" while its row counted as matched).
#[test]
fn written_dates_and_amounts_are_read_and_an_unreadable_cell_rejects_its_row() {
    let dir = city(2_000, 13);
    let rules = shipped_rules();
    let population =
        Population::read(&dir.join("population.csv"), &|_| {}, None).expect("population");
    let ids = population_ids(&dir, 3);
    let run = |feeds: &[(String, PathBuf)]| {
        engine::run(
            &rules,
            &population,
            feeds,
            &|_, _| {},
            &engine::Options::default(),
        )
        .expect("run")
    };
    let plain = run(&medical_feed(
        &dir,
        "plain.csv",
        &[
            format!("{},2026-10-10,50000,38000,市人民医院", ids[0]),
            format!("{},2026-09-01,1234.5,800,区医院", ids[1]),
        ],
    ));
    let written = run(&medical_feed(
        &dir,
        "written.csv",
        &[
            format!("{},2026年10月10日,5万,3.8万元,市人民医院", ids[0]),
            format!(
                "{},2026-09-01 08:30:00,\"1,234.50\",￥８００,区医院",
                ids[1]
            ),
            format!("{},2026-13-40,100,50,x", ids[2]),
            format!("{},2026-10-10,五万,50,x", ids[2]),
            format!("{},,100,50,x", ids[2]),
        ],
    ));
    // The same households warned by the same rules (the evidence lines differ with the file).
    let hits = |o: &engine::Outcome| -> Vec<_> {
        summary(&population, o)
            .into_iter()
            .map(|(household, rules, _)| (household, rules))
            .collect()
    };
    assert_eq!(hits(&plain), hits(&written));
    assert!(!hits(&plain).is_empty());
    let count = &written.feeds["medical"];
    assert_eq!((count.rows, count.matched, count.rejected), (5, 3, 2));
    let rejected: Vec<(u64, &str)> = count
        .rejected_lines
        .iter()
        .map(|(line, column, _)| (*line, column.as_str()))
        .collect();
    assert_eq!(rejected, vec![(4, "admission_date"), (5, "total_cost")]);
    assert!(
        count.rejected_lines[0].2.contains("入院日期")
            && count.rejected_lines[0].2.contains("2026-13-40"),
        "{:?}",
        count.rejected_lines
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every feed row is counted exactly once: matched, unmatched or rejected, whatever it holds.
#[test]
fn every_feed_row_is_counted_once_as_matched_unmatched_or_rejected() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let dir = city(1_000, 17);
    let rules = shipped_rules();
    let population =
        Population::read(&dir.join("population.csv"), &|_| {}, None).expect("population");
    let ids = population_ids(&dir, 50);
    // (kind, person, text): kind 0 reads, 1 has an unreadable cell, 2 a bad ID number, 3 is
    // nobody of the population.
    let row = (0u8..4, 0usize..50, "[0-9年月日万,./: -]{0,12}");
    let mut runner = TestRunner::new(Config::with_cases(24));
    runner
        .run(&proptest::collection::vec(row, 0..60), |rows| {
            let mut lines = Vec::new();
            let mut expected = [0u64; 3];
            for (kind, person, noise) in &rows {
                let id = &ids[*person];
                match kind {
                    0 => {
                        lines.push(format!(
                            "{id},2026年3月{}日,\"1,200\",3千,x",
                            person % 28 + 1
                        ));
                        expected[0] += 1;
                    }
                    1 => {
                        lines.push(format!("{id},2026-02-30 {noise},100,50,x"));
                        expected[2] += 1;
                    }
                    2 => {
                        lines.push(format!("{}X,2026-01-01,100,50,x", &id[..10]));
                        expected[2] += 1;
                    }
                    _ => {
                        // A valid number of someone born in 1901, whom the city does not hold.
                        lines.push("110101190101010011,2026-01-01,100,50,x".to_string());
                        expected[1] += 1;
                    }
                }
            }
            let feeds = medical_feed(&dir, "random.csv", &lines);
            let outcome = engine::run(
                &rules,
                &population,
                &feeds,
                &|_, _| {},
                &engine::Options::default(),
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let c = &outcome.feeds["medical"];
            prop_assert_eq!(c.rows, rows.len() as u64);
            prop_assert_eq!(c.matched + c.unmatched + c.rejected, c.rows);
            prop_assert_eq!([c.matched, c.unmatched, c.rejected], expected);
            Ok(())
        })
        .expect("every row counted once");
    let _ = std::fs::remove_dir_all(&dir);
}
