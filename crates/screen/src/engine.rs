//! The screening run: every feed streamed once (feeds in parallel), each row matched to a person
//! by packed key, filtered and folded into the aggregates; then every household's rules. Raw rows
//! are never kept — only the line numbers of rows that count as evidence.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hashbrown::{HashMap, HashSet};
use minsheng_expr::{Ctx, Record, Val, Value, eval};
use rayon::prelude::*;
use serde::Serialize;

use crate::ScreenError;
use crate::feed::{ColumnType, parse_days};
use crate::idkey;
use crate::population::Population;
use crate::rules::{Of, RuleSet};

/// What was read from one feed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedCount {
    pub rows: u64,
    pub matched: u64,
    /// Rows that could not be read (bad ID number, unreadable row): counted and listed.
    pub rejected: u64,
    /// Valid ID numbers of no one in the population.
    #[serde(skip)]
    pub unmatched: u64,
    #[serde(skip)]
    pub rejected_lines: Vec<(u64, String)>,
}

/// One household's warning: the rules hit and the rows that show it.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub household: u32,
    /// (rule index, explanation).
    pub hits: Vec<(usize, String)>,
    /// (feed, line) of the evidence rows.
    pub evidence: Vec<(String, u64)>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub feeds: BTreeMap<String, FeedCount>,
    pub warnings: Vec<Warning>,
}

/// Per-aggregate state while a feed is read.
enum Acc {
    Numbers(Vec<f64>),
    /// (order date, value) for `latest`.
    Latest(Vec<(i32, f64)>),
    Distinct(HashMap<u32, HashSet<u64>>),
}

struct FeedResult {
    name: String,
    count: FeedCount,
    /// Aggregate index → values per household (or person).
    values: Vec<(usize, Vec<f64>)>,
    /// (aggregate, household, line) of rows that passed a filter.
    evidence: Vec<(u16, u32, u64)>,
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Reads one feed and folds its rows into its aggregates.
fn read_feed(
    rules: &RuleSet,
    population: &Population,
    name: &str,
    path: &std::path::Path,
    progress: &(dyn Fn(&str, u64) + Sync),
    max_rejected: Option<u64>,
    hashed: bool,
) -> Result<FeedResult, ScreenError> {
    let (schema, _) = rules
        .feeds
        .get(name)
        .ok_or_else(|| ScreenError::File(format!("no rule reads a feed named {name}")))?;
    let mut reader = crate::feed::open(path, schema)?;
    // Columns by header name when there is a header, else by schema order.
    let positions: Vec<Option<usize>> = if schema.header {
        let headers = reader
            .byte_headers()
            .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?
            .clone();
        schema
            .columns
            .iter()
            .map(|c| headers.iter().position(|h| h == c.name.as_bytes()))
            .collect()
    } else {
        (0..schema.columns.len()).map(Some).collect()
    };
    for (column, position) in schema.columns.iter().zip(&positions) {
        if position.is_none() {
            return Err(ScreenError::File(format!(
                "{}: no column '{}' ({})",
                path.display(),
                column.name,
                schema.name
            )));
        }
    }
    let hashed = hashed || schema.hashed;
    if hashed && population.hasher.is_none() {
        return Err(ScreenError::File(format!(
            "feed {name} carries hashed ID numbers: give the shared key (--hmac-key-file)"
        )));
    }
    let id_col = schema
        .column_index(&schema.id_column)
        .and_then(|i| positions[i])
        .unwrap_or(0);
    let mine: Vec<usize> = rules
        .aggregates
        .iter()
        .enumerate()
        .filter(|(_, a)| a.feed == name)
        .map(|(i, _)| i)
        .collect();
    let slots = |a: usize| {
        if rules.aggregates[a].per_person {
            population.persons()
        } else {
            population.households()
        }
    };
    let mut accs: Vec<Acc> = mine
        .iter()
        .map(|a| match rules.aggregates[*a].of {
            Of::Latest => Acc::Latest(vec![(i32::MIN, 0.0); slots(*a)]),
            Of::Distinct => Acc::Distinct(HashMap::new()),
            Of::Max => Acc::Numbers(vec![f64::NEG_INFINITY; slots(*a)]),
            _ => Acc::Numbers(vec![0.0; slots(*a)]),
        })
        .collect();
    let mut count = FeedCount::default();
    let mut evidence = Vec::new();
    let mut row = Record {
        fields: vec![Value::Missing; schema.columns.len()].into(),
        index: 0,
    };
    // Only the columns some aggregate of this feed reads are converted.
    let mut used = vec![false; schema.columns.len()];
    for a in &mine {
        let aggregate = &rules.aggregates[*a];
        for compiled in [&aggregate.filter, &aggregate.value].into_iter().flatten() {
            for (_, field) in &compiled.facts {
                used[*field] = true;
            }
        }
        if let Some(order) = aggregate.order {
            used[order] = true;
        }
    }
    let mut record = csv::ByteRecord::new();
    let mut line: u64 = u64::from(schema.header);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                line += 1;
                count.rows += 1;
                count.rejected += 1;
                if count.rejected_lines.len() < 1000 {
                    count
                        .rejected_lines
                        .push((line, format!("unreadable row: {e}")));
                }
                continue;
            }
        }
        line += 1;
        count.rows += 1;
        if count.rows % 262_144 == 0 {
            progress(name, count.rows);
        }
        let cell = record.get(id_col).unwrap_or_default();
        let key = match (hashed, &population.hasher) {
            (true, _) => idkey::hashed_key(cell),
            (false, Some(hasher)) => idkey::pack(cell).map(|packed| hasher.key(packed)),
            (false, None) => idkey::pack(cell),
        };
        let key = match key {
            Ok(key) => key,
            Err(e) => {
                count.rejected += 1;
                if count.rejected_lines.len() < 1000 {
                    count
                        .rejected_lines
                        .push((line, format!("{}: {}", schema.id_column, e.message())));
                }
                if let Some(max) = max_rejected
                    && count.rejected > max
                {
                    return Err(ScreenError::TooManyRejected {
                        feed: name.to_string(),
                        rejected: count.rejected,
                        max,
                    });
                }
                continue;
            }
        };
        let Some(&person) = population.index.get(&key) else {
            count.unmatched += 1;
            continue;
        };
        count.matched += 1;
        let household = population.person_household[person as usize];
        // The row's values, typed by the schema (an unreadable value is "missing").
        for (i, column) in schema.columns.iter().enumerate() {
            if !used[i] {
                continue;
            }
            let cell = positions[i].and_then(|p| record.get(p)).unwrap_or_default();
            row.fields[i] = match column.kind {
                ColumnType::Text => Value::Str(String::from_utf8_lossy(cell).trim().into()),
                ColumnType::Number => std::str::from_utf8(cell)
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .map_or(Value::Missing, Value::Num),
                ColumnType::Date => {
                    parse_days(cell).map_or(Value::Missing, |d| Value::Num(f64::from(d)))
                }
            };
        }
        let mut ctx = Ctx::new(&row);
        for (slot, a) in mine.iter().enumerate() {
            let aggregate = &rules.aggregates[*a];
            if let Some(filter) = &aggregate.filter
                && eval(filter, &mut ctx) != Ok(Val::Bool(true))
            {
                continue;
            }
            let target = if aggregate.per_person {
                person
            } else {
                household
            } as usize;
            let value = aggregate.value.as_ref().map(|v| eval(v, &mut ctx));
            match (&mut accs[slot], aggregate.of, value) {
                (Acc::Numbers(v), Of::Count, _) => v[target] += 1.0,
                (Acc::Numbers(v), Of::Sum, Some(Ok(Val::Num(x)))) => v[target] += x,
                (Acc::Numbers(v), Of::Max, Some(Ok(Val::Num(x)))) => v[target] = v[target].max(x),
                (Acc::Latest(v), Of::Latest, Some(Ok(Val::Num(x)))) => {
                    let at = aggregate
                        .order
                        .and_then(|o| match &row.fields[o] {
                            Value::Num(d) => Some(*d as i32),
                            _ => None,
                        })
                        .unwrap_or(i32::MIN);
                    if at >= v[target].0 {
                        v[target] = (at, x);
                    }
                }
                (Acc::Distinct(map), Of::Distinct, Some(Ok(value))) => {
                    let hash = match value {
                        Val::Num(x) => x.to_bits(),
                        Val::Str(s) => fnv(s.as_bytes()),
                        Val::Bool(b) => u64::from(b),
                        _ => 0,
                    };
                    map.entry(target as u32).or_default().insert(hash);
                }
                _ => continue,
            }
            evidence.push((*a as u16, household, line));
        }
    }
    progress(name, count.rows);
    let values = mine
        .iter()
        .zip(accs)
        .map(|(a, acc)| {
            let n = slots(*a);
            let values = match acc {
                Acc::Numbers(mut v) => {
                    for x in &mut v {
                        if !x.is_finite() {
                            *x = 0.0;
                        }
                    }
                    v
                }
                Acc::Latest(v) => v.into_iter().map(|(_, x)| x).collect(),
                Acc::Distinct(map) => {
                    let mut v = vec![0.0; n];
                    for (k, set) in map {
                        v[k as usize] = set.len() as f64;
                    }
                    v
                }
            };
            (*a, values)
        })
        .collect();
    Ok(FeedResult {
        name: name.to_string(),
        count,
        values,
        evidence,
    })
}

/// Household facts, in the order of `rules::HOUSEHOLD_FACTS`.
/// Writes a household's facts (in the order of `rules::HOUSEHOLD_FACTS`) into `record`, reused
/// from one household to the next.
fn household_facts(
    population: &Population,
    household: usize,
    as_of_year: i32,
    record: &mut Record,
) {
    let (mut elderly, mut children, mut working, mut income) = (0.0, 0.0, 0.0, 0.0f64);
    let (mut youngest, mut oldest) = (200.0f64, 0.0f64);
    let members = &population.members[household];
    for p in members {
        let age = f64::from(as_of_year - idkey::birth(population.person_key[*p as usize]).0);
        elderly += f64::from(u8::from(age >= 60.0));
        children += f64::from(u8::from(age < 18.0));
        working += f64::from(u8::from((16.0..60.0).contains(&age)));
        income += f64::from(population.person_income[*p as usize]);
        youngest = youngest.min(age);
        oldest = oldest.max(age);
    }
    let values = [
        members.len() as f64,
        elderly,
        children,
        working,
        income * 12.0,
        youngest,
        oldest,
    ];
    for (field, value) in record.fields.iter_mut().zip(values) {
        // An unknown income (NaN) leaves the household's income not recorded: rules that need
        // it do not fire on a guess.
        *field = if value.is_nan() {
            Value::Missing
        } else {
            Value::Num(value)
        };
    }
    record.index = household as u32;
}

/// Fills `{name}` placeholders of an explanation with the values the household had.
fn explain(template: &str, names: &[(String, f64)]) -> String {
    let mut out = template.to_string();
    for (name, value) in names {
        let shown = if value.fract() == 0.0 {
            format!("{}", *value as i64)
        } else {
            format!("{value:.2}")
        };
        out = out.replace(&format!("{{{name}}}"), &shown);
    }
    out
}

/// Runs the rules over the population and the feeds.
pub fn run(
    rules: &RuleSet,
    population: &Population,
    feeds: &[(String, PathBuf)],
    progress: &(dyn Fn(&str, u64) + Sync),
    max_rejected: Option<u64>,
    hashed_feeds: &[String],
) -> Result<Outcome, ScreenError> {
    for (name, _) in feeds {
        if !rules.feeds.contains_key(name) {
            return Err(ScreenError::File(format!(
                "feed {name}: no rule reads it (the rule set reads {})",
                rules.feeds.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let results: Vec<FeedResult> = feeds
        .par_iter()
        .map(|(name, path)| {
            read_feed(
                rules,
                population,
                name,
                path,
                progress,
                max_rejected,
                hashed_feeds.contains(name),
            )
        })
        .collect::<Result<_, _>>()?;
    let households = population.households();
    // Aggregate values per household: person aggregates take the largest member value.
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); rules.aggregates.len()];
    let mut evidence: HashMap<u32, Vec<(u16, u64, usize)>> = HashMap::new();
    let mut outcome = Outcome::default();
    for (feed_index, result) in results.into_iter().enumerate() {
        for (a, v) in result.values {
            values[a] = if rules.aggregates[a].per_person {
                let mut per_household = vec![0.0f64; households];
                for (person, x) in v.iter().enumerate() {
                    let h = population.person_household[person] as usize;
                    per_household[h] = per_household[h].max(*x);
                }
                per_household
            } else {
                v
            };
        }
        for (a, household, line) in result.evidence {
            evidence
                .entry(household)
                .or_default()
                .push((a, line, feed_index));
        }
        outcome.feeds.insert(result.name, result.count);
    }
    for v in &mut values {
        if v.is_empty() {
            *v = vec![0.0; households];
        }
    }
    let feed_names: Vec<String> = feeds.iter().map(|(n, _)| n.clone()).collect();
    let as_of_year = rules.as_of.map_or(2026, |d| d.year());
    let offset = rules.agg_offset;
    let warnings: Vec<Warning> = (0..households)
        .into_par_iter()
        .map_init(
            || Record {
                fields: vec![Value::Num(0.0); crate::rules::HOUSEHOLD_FACTS.len()].into(),
                index: 0,
            },
            |facts, h| {
                household_facts(population, h, as_of_year, facts);
                let facts: &Record = facts;
                let mut ctx = Ctx::with_capacity(facts, rules.slot_count());
                ctx.slots.resize(rules.slot_count(), Ok(Val::Num(0.0)));
                for (a, v) in values.iter().enumerate() {
                    ctx.slots[offset + a] = Ok(Val::Num(v[h]));
                }
                for (i, (_, compiled)) in rules.lets.iter().enumerate() {
                    let value = eval(compiled, &mut ctx);
                    ctx.slots[i] = value;
                }
                let mut hits = Vec::new();
                for (r, rule) in rules.rules.iter().enumerate() {
                    if eval(&rule.when, &mut ctx) != Ok(Val::Bool(true)) {
                        continue;
                    }
                    if let Some(unless) = &rule.unless
                        && eval(unless, &mut ctx) == Ok(Val::Bool(true))
                    {
                        continue;
                    }
                    let mut names: Vec<(String, f64)> = rules
                        .aggregates
                        .iter()
                        .enumerate()
                        .map(|(a, agg)| (agg.name.clone(), values[a][h]))
                        .collect();
                    for (i, (name, _)) in rules.lets.iter().enumerate() {
                        if let Ok(Val::Num(x)) = ctx.slots[i] {
                            names.push((name.clone(), x));
                        }
                    }
                    for (i, fact) in crate::rules::HOUSEHOLD_FACTS.iter().enumerate() {
                        if let Value::Num(x) = facts.fields[i] {
                            names.push(((*fact).to_string(), x));
                        }
                    }
                    hits.push((r, explain(&rule.explain, &names)));
                }
                if hits.is_empty() {
                    return None;
                }
                let reads: HashSet<usize> = hits
                    .iter()
                    .flat_map(|(r, _)| rules.rules[*r].reads.iter().copied())
                    .collect();
                let rows = evidence
                    .get(&(h as u32))
                    .map(|rows| {
                        rows.iter()
                            .filter(|(a, _, _)| reads.contains(&(*a as usize)))
                            .map(|(_, line, feed)| (feed_names[*feed].clone(), *line))
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Warning {
                    household: h as u32,
                    hits,
                    evidence: rows,
                })
            },
        )
        .flatten()
        .collect();
    outcome.warnings = warnings;
    Ok(outcome)
}
