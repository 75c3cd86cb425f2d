//! A synthetic city for screening runs and benchmarks: persons in households across Chongqing's
//! districts, every shipped feed with background rows, planted hardship cases (one set per rule,
//! which the rules must find) and near-misses (just under a threshold, which they must not).
//! Same seed, same files.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::ScreenError;
use crate::idkey;

/// Districts the synthetic persons live in (real 6-digit codes).
const DISTRICTS: [u32; 12] = [
    500101, 500103, 500104, 500105, 500106, 500107, 500108, 500112, 500113, 500229, 500235, 500240,
];

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct SynthSummary {
    pub persons: u64,
    pub households: u64,
    pub feed_rows: u64,
    pub planted: u64,
    pub near_misses: u64,
}

struct Person {
    id: String,
    age: i32,
}

struct Writers {
    feeds: Vec<(&'static str, BufWriter<File>)>,
    rows: u64,
}

impl Writers {
    fn write(&mut self, feed: &str, line: &str) -> Result<(), ScreenError> {
        let writer = self
            .feeds
            .iter_mut()
            .find(|(n, _)| *n == feed)
            .map(|(_, w)| w)
            .ok_or_else(|| ScreenError::File(format!("no feed {feed}")))?;
        writer.write_all(line.as_bytes()).map_err(io)?;
        writer.write_all(b"\n").map_err(io)?;
        self.rows += 1;
        Ok(())
    }
}

fn io(e: std::io::Error) -> ScreenError {
    ScreenError::File(e.to_string())
}

/// A unique ID number: a counter per district and birth year gives the birth day and the
/// 3-digit sequence (336,000 people per district and year before it wraps).
fn id_number(
    counters: &mut hashbrown::HashMap<(u32, i32), u32>,
    district: u32,
    birth_year: i32,
) -> String {
    let n = counters.entry((district, birth_year)).or_insert(0);
    *n += 1;
    let day_of_year = (*n / 1000) % 336;
    let (month, day) = (day_of_year / 28 + 1, day_of_year % 28 + 1);
    let first17 = format!(
        "{district:06}{birth_year:04}{month:02}{day:02}{:03}",
        *n % 1000
    );
    let bytes: [u8; 17] = first17.as_bytes().try_into().unwrap_or([b'0'; 17]);
    let check = minsheng_assess_check(&bytes);
    format!("{first17}{check}")
}

/// The GB 11643 check character.
fn minsheng_assess_check(first17: &[u8; 17]) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

fn date(days_before: i32) -> String {
    let as_of = time::macros::date!(2026 - 11 - 30);
    (as_of - time::Duration::days(i64::from(days_before))).to_string()
}

/// Writes `DIR/population.csv`, `DIR/feeds/NAME.csv`, `DIR/rules.toml`, `DIR/planted.csv` and
/// `DIR/near_misses.csv`.
pub fn write_city(
    dir: &Path,
    persons: u64,
    seed: u64,
    progress: &dyn Fn(u64),
) -> Result<SynthSummary, ScreenError> {
    fs::create_dir_all(dir.join("feeds")).map_err(io)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut population = BufWriter::with_capacity(
        1 << 20,
        File::create(dir.join("population.csv")).map_err(io)?,
    );
    population
        .write_all(b"id_number,name,household_id,region_code,relation,monthly_income\n")
        .map_err(io)?;
    let headers = [
        (
            "medical",
            "id_number,admission_date,total_cost,self_pay,hospital",
        ),
        (
            "disability",
            "id_number,disability_type,grade,registered_on",
        ),
        ("unemployment", "id_number,registered_on,status"),
        ("deaths", "id_number,died_on"),
        ("school", "id_number,stage,event,event_date"),
        (
            "utilities",
            "id_number,utility,months_in_arrears,amount,reported_on",
        ),
        ("assets", "id_number,kind,value,registered_on"),
        ("assistance", "id_number,program,since"),
    ];
    let mut writers = Writers {
        feeds: Vec::new(),
        rows: 0,
    };
    for (name, header) in headers {
        let mut w = BufWriter::with_capacity(
            1 << 20,
            File::create(dir.join("feeds").join(format!("{name}.csv"))).map_err(io)?,
        );
        w.write_all(header.as_bytes()).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
        writers.feeds.push((name, w));
    }
    let mut planted = BufWriter::new(File::create(dir.join("planted.csv")).map_err(io)?);
    planted.write_all(b"household_id,rule\n").map_err(io)?;
    let mut near = BufWriter::new(File::create(dir.join("near_misses.csv")).map_err(io)?);
    near.write_all(b"household_id,rule\n").map_err(io)?;
    fs::write(dir.join("rules.toml"), crate::SHIPPED_RULES).map_err(io)?;

    let rules = [
        "medical_burden",
        "large_stay",
        "two_severely_disabled",
        "all_elderly_or_disabled",
        "unemployed_with_dependants",
        "death_in_family",
        "utility_arrears",
        "school_dropout",
    ];
    let mut summary = SynthSummary::default();
    let mut written = 0u64;
    let mut household = 0u64;
    let mut seq = 0u32;
    let mut counters: hashbrown::HashMap<(u32, i32), u32> = hashbrown::HashMap::new();
    while written < persons {
        household += 1;
        let hid = format!("H{household:09}");
        let district = DISTRICTS[rng.random_range(0..DISTRICTS.len())];
        let region = format!(
            "{district}{:03}{:03}",
            rng.random_range(1..=20),
            rng.random_range(1..=12)
        );
        // One household in 2,000 is planted for a rule, one in 2,000 is a near miss of one.
        let roll = rng.random_range(0..2000u32);
        let case = match roll {
            0 => Some((rules[household as usize % rules.len()], true)),
            1 => Some((rules[household as usize % rules.len()], false)),
            _ => None,
        };
        let size = match case {
            Some(("all_elderly_or_disabled", _)) => 2,
            Some(("unemployed_with_dependants" | "school_dropout", _)) => 3,
            Some(_) => 2,
            None => rng.random_range(1..=5u64),
        }
        .min(persons - written);
        let head_age = match case {
            Some(("all_elderly_or_disabled", true)) => 72,
            Some((_, _)) => 45,
            None => rng.random_range(22..85),
        };
        let mut members = Vec::new();
        for m in 0..size {
            let age = match (m, case) {
                (0, _) => head_age,
                (1, Some(("all_elderly_or_disabled", true))) => 70,
                (1, _) => head_age - 2,
                (_, Some(("unemployed_with_dependants" | "school_dropout", _))) => 15,
                _ => rng.random_range(0..90),
            };
            seq = seq.wrapping_add(1);
            let id = id_number(&mut counters, district, 2026 - age);
            let income = match case {
                Some((
                    "large_stay" | "utility_arrears" | "two_severely_disabled" | "school_dropout",
                    _,
                )) => 4000,
                // A planted or near-miss household lives on the head's 1,500 a month.
                Some(_) if m == 0 => 1500,
                Some(_) => 0,
                // Working-age people earn; most elderly people have a pension.
                None if (18..60).contains(&age) => rng.random_range(1500..9000),
                None if age >= 60 => rng.random_range(600..4500),
                None => 0,
            };
            let line = format!(
                "{id},人{seq},{hid},{region},{},{income}\n",
                if m == 0 { "02" } else { "10" }
            );
            population.write_all(line.as_bytes()).map_err(io)?;
            members.push(Person { id, age });
        }
        written += size;
        if written % 65_536 < size {
            progress(written);
        }
        match case {
            Some((rule, true)) => {
                plant(&mut writers, rule, &members, true)?;
                writeln!(planted, "{hid},{rule}").map_err(io)?;
                summary.planted += 1;
            }
            Some((rule, false)) => {
                plant(&mut writers, rule, &members, false)?;
                writeln!(near, "{hid},{rule}").map_err(io)?;
                summary.near_misses += 1;
            }
            None => background(&mut writers, &mut rng, &members)?,
        }
    }
    population.flush().map_err(io)?;
    for (_, w) in &mut writers.feeds {
        w.flush().map_err(io)?;
    }
    planted.flush().map_err(io)?;
    near.flush().map_err(io)?;
    summary.persons = written;
    summary.households = household;
    summary.feed_rows = writers.rows;
    Ok(summary)
}

/// The rows that make a planted case (or, with `hit = false`, a case just under the threshold).
fn plant(w: &mut Writers, rule: &str, members: &[Person], hit: bool) -> Result<(), ScreenError> {
    let head = &members[0].id;
    match rule {
        // Income 1,500 a month = 18,000 a year; 40 % is 7,200.
        "medical_burden" => {
            let total = if hit { 9000 } else { 7000 };
            for part in [total / 2, total - total / 2] {
                w.write(
                    "medical",
                    &format!(
                        "{head},{},{},{part},重庆市第一人民医院",
                        date(100),
                        part * 3
                    ),
                )?;
            }
        }
        "large_stay" => {
            let pay = if hit { 12_500 } else { 9_800 };
            w.write(
                "medical",
                &format!(
                    "{head},{},{},{pay},重庆医科大学附属第一医院",
                    date(40),
                    pay * 4
                ),
            )?;
        }
        "two_severely_disabled" => {
            w.write("disability", &format!("{head},physical,1,{}", date(800)))?;
            let grade = if hit { 2 } else { 3 };
            w.write(
                "disability",
                &format!("{},intellectual,{grade},{}", members[1].id, date(600)),
            )?;
        }
        "all_elderly_or_disabled" => {
            // Hit: two people over 70 on 1,500 a month. Near miss: the same with a member of 43.
            let _ = hit;
        }
        "unemployed_with_dependants" => {
            w.write(
                "unemployment",
                &format!(
                    "{head},{},{}",
                    date(60),
                    if hit { "registered" } else { "ended" }
                ),
            )?;
        }
        "death_in_family" => {
            let days = if hit { 200 } else { 400 };
            w.write("deaths", &format!("{},{}", members[1].id, date(days)))?;
        }
        "utility_arrears" => {
            let months = if hit { 4 } else { 2 };
            w.write(
                "utilities",
                &format!("{head},power,{months},{},{}", months * 120, date(20)),
            )?;
        }
        "school_dropout" => {
            let child = &members[2].id;
            w.write("school", &format!("{child},junior,enrolled,{}", date(500)))?;
            let days = if hit { 90 } else { 420 };
            w.write("school", &format!("{child},junior,dropout,{}", date(days)))?;
        }
        _ => {}
    }
    let _ = members.iter().map(|m| m.age).sum::<i32>();
    Ok(())
}

/// Ordinary rows, about three per person as real feeds have: medical claims (outpatient claims
/// are frequent), monthly utility reports per household, school records, registrations.
fn background(w: &mut Writers, rng: &mut StdRng, members: &[Person]) -> Result<(), ScreenError> {
    for person in members {
        let id = &person.id;
        if rng.random_bool(0.45) {
            for _ in 0..rng.random_range(1..=5) {
                let pay = rng.random_range(20..1500);
                w.write(
                    "medical",
                    &format!(
                        "{id},{},{},{pay},区人民医院",
                        date(rng.random_range(1..700)),
                        pay * 4
                    ),
                )?;
            }
        }
        if rng.random_bool(0.03) {
            w.write(
                "disability",
                &format!(
                    "{id},physical,{},{}",
                    rng.random_range(3..=4),
                    date(rng.random_range(30..3000))
                ),
            )?;
        }
        if person.age >= 18 && person.age < 60 && rng.random_bool(0.02) {
            w.write(
                "unemployment",
                &format!("{id},{},ended", date(rng.random_range(100..900))),
            )?;
        }
        if (6..=17).contains(&person.age) {
            w.write(
                "school",
                &format!("{id},junior,enrolled,{}", date(rng.random_range(30..900))),
            )?;
        }
        if person.age >= 25 && rng.random_bool(0.15) {
            w.write(
                "assets",
                &format!(
                    "{id},vehicle,{},{}",
                    rng.random_range(20_000..90_000),
                    date(rng.random_range(100..3000))
                ),
            )?;
        }
        if rng.random_bool(0.01) {
            w.write(
                "assistance",
                &format!("{id},dibao,{}", date(rng.random_range(100..2000))),
            )?;
        }
    }
    // The account holder's monthly utility reports: paid up, or a month behind now and then.
    let holder = &members[0].id;
    for month in 0..6 {
        let behind = u8::from(rng.random_bool(0.05));
        w.write(
            "utilities",
            &format!(
                "{holder},power,{behind},{},{}",
                u32::from(behind) * 60,
                date(month * 30 + 5)
            ),
        )?;
    }
    Ok(())
}

/// Packs the synthetic ID numbers the same way the engine does (used by tests).
pub fn key_of(id: &str) -> Option<u64> {
    idkey::pack(id.as_bytes()).ok()
}
