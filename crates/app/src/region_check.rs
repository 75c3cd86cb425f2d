//! `minsheng regions check`: validates region files without a database, as a rule-set checker.

use std::collections::{HashMap, HashSet};

use minsheng_domain::{RegionCode, RegionLevel};

use crate::import::read_table;

/// What a set of region files holds, or every problem found in it (`file:line: message`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionSummary {
    pub by_level: Vec<(String, usize)>,
    pub zones: usize,
    pub zone_towns: usize,
}

/// Checks region tree files (`code,name,parent_code,level`) and zone files
/// (`zone_code,zone_name,town_code`) together, in order: parents must come first.
pub fn check_region_files(files: &[(String, Vec<u8>)]) -> Result<RegionSummary, Vec<String>> {
    let mut errors = Vec::new();
    let mut known: HashMap<i64, RegionLevel> = HashMap::new();
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    let mut zones: HashSet<i64> = HashSet::new();
    let mut zone_towns = 0;
    for (name, bytes) in files {
        let table = match read_table(name, bytes) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let col = |h: &str| table.headers.iter().position(|x| x == h);
        let is_zone_file = col("zone_code").is_some();
        for row in &table.rows {
            let cell =
                |i: Option<usize>| i.and_then(|i| row.cells.get(i)).map_or("", String::as_str);
            let mut fail = |m: String| errors.push(format!("{name}:{}: {m}", row.line));
            if is_zone_file {
                match (
                    RegionCode::parse(cell(col("zone_code"))),
                    RegionCode::parse(cell(col("town_code"))),
                ) {
                    (Ok(zone), Ok(town)) => {
                        if known.get(&town.as_i64()) != Some(&RegionLevel::Town) {
                            fail(format!("town {town} is not a town of the region files"));
                        }
                        if cell(col("zone_name")).is_empty() {
                            fail("zone_name is empty".into());
                        }
                        zones.insert(zone.as_i64());
                        zone_towns += 1;
                    }
                    (Err(e), _) | (_, Err(e)) => fail(e.to_string()),
                }
                continue;
            }
            let code = match RegionCode::parse(cell(col("code"))) {
                Ok(c) => c,
                Err(e) => {
                    fail(format!("code: {e}"));
                    continue;
                }
            };
            let level_text = cell(col("level"));
            match RegionLevel::from_code(level_text) {
                Some(level) if level == code.level() => {
                    *counts.entry(level.code()).or_default() += 1;
                }
                Some(level) => fail(format!(
                    "{code} is a {} code, not {}",
                    code.level().code(),
                    level.code()
                )),
                None => fail(format!("level '{level_text}' is unknown")),
            }
            if cell(col("name")).is_empty() {
                fail(format!("{code} has no name"));
            }
            let parent = cell(col("parent_code"));
            if !parent.is_empty() {
                match RegionCode::parse(parent) {
                    Ok(p) if !known.contains_key(&p.as_i64()) => {
                        fail(format!("parent {p} of {code} comes later or not at all"))
                    }
                    Ok(p) if !p.contains(code) => fail(format!("{code} does not lie under {p}")),
                    Ok(_) => {}
                    Err(e) => fail(format!("parent_code: {e}")),
                }
            }
            if known.insert(code.as_i64(), code.level()).is_some() {
                fail(format!("{code} appears twice"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut by_level: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    by_level.sort();
    Ok(RegionSummary {
        by_level,
        zones: zones.len(),
        zone_towns,
    })
}

/// The shipped files, in the order they must be read.
pub fn shipped_region_files() -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "data/regions/chongqing.csv".into(),
            crate::demo::REGIONS_CSV.as_bytes().to_vec(),
        ),
        (
            "data/regions/zones.csv".into(),
            crate::demo::ZONES_CSV.as_bytes().to_vec(),
        ),
        (
            "data/regions/communities.csv".into(),
            crate::demo::COMMUNITIES_CSV.as_bytes().to_vec(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_chongqing_data_has_38_districts_and_1031_towns() {
        let summary = check_region_files(&shipped_region_files()).expect("shipped data is valid");
        let count = |level: &str| {
            summary
                .by_level
                .iter()
                .find(|(l, _)| l == level)
                .map_or(0, |(_, n)| *n)
        };
        assert_eq!(count("province"), 1);
        assert_eq!(count("district"), 38);
        assert_eq!(count("town"), 1031);
        assert_eq!(count("community"), 11_270);
        assert_eq!(summary.zones, 3);
    }

    #[test]
    fn errors_name_file_and_line() {
        let files = vec![(
            "r.csv".to_string(),
            b"code,name,parent_code,level\n50,Chongqing,,province\n500113,,50,town\n500113001,X,500114,town\n".to_vec(),
        )];
        let errors = check_region_files(&files).expect_err("invalid");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("r.csv:3:") && e.contains("district code")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("r.csv:3:") && e.contains("no name")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("r.csv:4:") && e.contains("500114")),
            "{errors:?}"
        );
    }
}
