//! Scoring one household with a model, and explaining the result: contributions, vetoes,
//! missing facts and whether they could change the conclusion, and the smallest changes of
//! facts that would.

use std::collections::BTreeMap;

use minsheng_expr::{Ctx, EvalError, Record, Ty, Val, Value, eval};
use serde::Serialize;

use crate::model::{Model, round2};
use crate::survey::{self, Kind};

/// Why an indicator has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum Gap {
    /// A fact it needs was not recorded (its path).
    NotRecorded(String),
    /// The expression failed (e.g. division by zero) — a model mistake, shown to its authors.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorOutcome {
    /// The value the expression gave, as shown to people.
    pub value: Option<String>,
    pub degree: f64,
    pub points: f64,
    pub gap: Option<Gap>,
}

/// A fact the model needed and the survey did not record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingFact {
    pub fact: String,
    /// Indicators (and vetoes, conclusion rules) that could not be computed without it.
    pub needed_by: Vec<String>,
    /// Whether recording it could move the household to another conclusion.
    pub could_change_conclusion: bool,
}

/// The result of scoring one household.
#[derive(Debug, Clone)]
pub struct Scored {
    pub total: f64,
    pub deduction: f64,
    /// Points per dimension, in model order (deduct dimensions before capping).
    pub dims: Vec<f64>,
    pub indicators: Vec<IndicatorOutcome>,
    /// Indexes of the vetoes hit.
    pub vetoes: Vec<usize>,
    pub conclusion: usize,
    pub missing: Vec<MissingFact>,
    /// Lowest and highest total the missing facts allow.
    pub range: (f64, f64),
    /// The conclusion could differ once the missing facts are recorded.
    pub could_change: bool,
}

impl Scored {
    pub fn is_partial(&self) -> bool {
        !self.missing.is_empty()
    }
}

fn gap_of(error: &EvalError) -> Gap {
    match error {
        EvalError::Missing {
            record,
            index,
            field,
        } => Gap::NotRecorded(survey::expr_schema().fact_path(*record, *index, *field)),
        EvalError::Math { message, .. } => Gap::Failed((*message).to_string()),
    }
}

fn show(value: &Val<'_>, ty: &Ty) -> String {
    match (value, ty) {
        (Val::Num(x), _) => {
            let r = round2(*x);
            if r.fract() == 0.0 {
                format!("{}", r as i64)
            } else {
                format!("{r}")
            }
        }
        (Val::Bool(b), _) => b.to_string(),
        (Val::Enum(i), Ty::Enum(e)) => survey::expr_schema()
            .enums
            .get(*e)
            .and_then(|d| d.values.get(*i as usize))
            .cloned()
            .unwrap_or_default(),
        (Val::Str(s), _) => s.to_string(),
        _ => String::new(),
    }
}

/// The parts of a score before conclusions: enough to try the conclusion rules again.
struct Points {
    added: Vec<f64>,
}

/// How much explaining a score does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Only the conclusion (searches score a household many times).
    Conclusion,
    /// Points and the missing-fact analysis, without showing indicator values (batch runs).
    Points,
    /// Everything, with each indicator's value as text.
    Full,
}

impl Model {
    /// Score one household's facts, explaining everything.
    pub fn score(&self, facts: &Record) -> Scored {
        let mut ctx = Ctx::with_capacity(facts, self.slot_count());
        self.score_in(&mut ctx, Detail::Full)
    }

    /// Score for a batch: as [`Model::score`] but indicator values are not rendered as text.
    pub fn score_batch(&self, facts: &Record) -> Scored {
        let mut ctx = Ctx::with_capacity(facts, self.slot_count());
        self.score_in(&mut ctx, Detail::Points)
    }

    /// Only the conclusion (for searches that score a household many times).
    pub fn conclude_facts(&self, facts: &Record) -> usize {
        let mut ctx = Ctx::with_capacity(facts, self.slot_count());
        self.score_in(&mut ctx, Detail::Conclusion).conclusion
    }

    fn score_in<'a>(&'a self, ctx: &mut Ctx<'a>, detail: Detail) -> Scored {
        for (_, compiled) in self.lets() {
            let value = eval(compiled, ctx);
            ctx.slots.push(value);
        }
        let mut dims = vec![0.0; self.dimensions.len()];
        let mut points = Points { added: Vec::new() };
        let mut indicators = Vec::with_capacity(self.indicators.len());
        for indicator in &self.indicators {
            let outcome = match eval(&indicator.value, ctx) {
                Ok(value) => {
                    let degree = indicator.scoring.degree(&value);
                    IndicatorOutcome {
                        value: (detail == Detail::Full).then(|| show(&value, &indicator.value.ty)),
                        degree,
                        points: degree * indicator.weight,
                        gap: None,
                    }
                }
                Err(error) => IndicatorOutcome {
                    value: None,
                    degree: 0.0,
                    points: 0.0,
                    gap: Some(gap_of(&error)),
                },
            };
            dims[indicator.dimension] += outcome.points;
            indicators.push(outcome);
        }
        points.added.clone_from(&dims);
        let (total, deduction) = self.totals(&dims);

        let mut vetoes = Vec::new();
        let mut veto_gaps: Vec<(usize, Gap)> = Vec::new();
        for (i, veto) in self.vetoes.iter().enumerate() {
            match eval(&veto.when, ctx) {
                Ok(Val::Bool(true)) => vetoes.push(i),
                Ok(_) => {}
                Err(error) => veto_gaps.push((i, gap_of(&error))),
            }
        }
        let (conclusion, rule_gaps) =
            self.conclude(ctx, total, deduction, &dims, !vetoes.is_empty());

        let mut scored = Scored {
            total,
            deduction,
            dims,
            indicators,
            vetoes,
            conclusion,
            missing: Vec::new(),
            range: (total, total),
            could_change: false,
        };
        if detail != Detail::Conclusion
            && (scored.indicators.iter().any(|o| o.gap.is_some())
                || !veto_gaps.is_empty()
                || !rule_gaps.is_empty())
        {
            self.analyse_missing(ctx, &mut scored, &points, &veto_gaps, &rule_gaps);
        }
        scored
    }

    /// Total (the points added less the deduction, clamped to 0–100, on the model's scale) and
    /// the deduction, from dimension points.
    fn totals(&self, dims: &[f64]) -> (f64, f64) {
        let mut added = 0.0;
        let mut deducted = 0.0;
        for (d, points) in self.dimensions.iter().zip(dims) {
            if d.deduct {
                deducted += points;
            } else {
                added += points;
            }
        }
        let deduction = deducted.min(self.deduction_max);
        (
            self.scaled((added - deduction).clamp(0.0, 100.0)),
            deduction,
        )
    }

    /// The first conclusion rule that holds. Rules that could not be evaluated are skipped and
    /// returned (with what they lacked).
    fn conclude<'a>(
        &'a self,
        ctx: &mut Ctx<'a>,
        total: f64,
        deduction: f64,
        dims: &[f64],
        vetoed: bool,
    ) -> (usize, Vec<(usize, Gap)>) {
        if vetoed {
            return (self.veto_conclusion, Vec::new());
        }
        let base = self.slot_total();
        ctx.slots.truncate(base);
        ctx.slots.push(Ok(Val::Num(total)));
        ctx.slots.push(Ok(Val::Num(deduction)));
        for points in dims {
            ctx.slots.push(Ok(Val::Num(*points)));
        }
        let mut gaps = Vec::new();
        for (i, conclusion) in self.conclusions.iter().enumerate() {
            let Some(when) = &conclusion.when else {
                return (i, gaps);
            };
            match eval(when, ctx) {
                Ok(Val::Bool(true)) => return (i, gaps),
                Ok(_) => {}
                Err(error) => gaps.push((i, gap_of(&error))),
            }
        }
        (self.conclusions.len().saturating_sub(1), gaps)
    }

    fn analyse_missing<'a>(
        &'a self,
        ctx: &mut Ctx<'a>,
        scored: &mut Scored,
        points: &Points,
        veto_gaps: &[(usize, Gap)],
        rule_gaps: &[(usize, Gap)],
    ) {
        // Group what could not be computed by the fact it lacked.
        let mut by_fact: BTreeMap<String, (Vec<usize>, Vec<String>, bool)> = BTreeMap::new();
        for (i, outcome) in scored.indicators.iter().enumerate() {
            if let Some(Gap::NotRecorded(fact)) = &outcome.gap {
                let entry = by_fact.entry(fact.clone()).or_default();
                entry.0.push(i);
                entry.1.push(self.indicators[i].code.clone());
            }
        }
        let vetoed = !scored.vetoes.is_empty();
        for (i, gap) in veto_gaps {
            if let Gap::NotRecorded(fact) = gap {
                let entry = by_fact.entry(fact.clone()).or_default();
                entry.1.push(format!("veto {}", self.vetoes[*i].code));
                // An unknown veto could exclude the household.
                entry.2 |= !vetoed && scored.conclusion != self.veto_conclusion;
            }
        }
        for (i, gap) in rule_gaps {
            if let Gap::NotRecorded(fact) = gap {
                let entry = by_fact.entry(fact.clone()).or_default();
                entry
                    .1
                    .push(format!("conclusion {}", self.conclusions[*i].code));
                // A skipped rule ahead of the one that held could have held instead.
                entry.2 |= *i < scored.conclusion;
            }
        }
        // Worst and best cases: every missing indicator at full or at no deprivation. For
        // deducted dimensions "worst" (deepest hardship) means nothing deducted.
        let extreme = |all: bool, worst: bool, only: &[usize]| -> Vec<f64> {
            let mut dims = points.added.clone();
            for (i, outcome) in scored.indicators.iter().enumerate() {
                if outcome.gap.is_none() || !(all || only.contains(&i)) {
                    continue;
                }
                let indicator = &self.indicators[i];
                let deduct = self.dimensions[indicator.dimension].deduct;
                if worst != deduct {
                    dims[indicator.dimension] += indicator.weight;
                }
            }
            dims
        };
        let vetoed_now = !scored.vetoes.is_empty();
        let worst_dims = extreme(true, true, &[]);
        let best_dims = extreme(true, false, &[]);
        let worst_total = self.totals(&worst_dims).0;
        let best_total = self.totals(&best_dims).0;
        // A rule skipped for lack of a fact, ahead of the one that held, could have held.
        let outcome = |dims: &[f64], ctx: &mut Ctx<'a>| -> (usize, bool) {
            let (t, d) = self.totals(dims);
            let (conclusion, gaps) = self.conclude(ctx, t, d, dims, vetoed_now);
            (conclusion, gaps.iter().any(|(i, _)| *i < conclusion))
        };
        let (worst, worst_open) = outcome(&worst_dims, ctx);
        let (best, best_open) = outcome(&best_dims, ctx);
        scored.range = (best_total.min(worst_total), worst_total.max(best_total));
        scored.could_change =
            worst != scored.conclusion || best != scored.conclusion || worst_open || best_open;
        for (fact, (indicator_ids, needed_by, flagged)) in by_fact {
            let mut could = flagged;
            if !indicator_ids.is_empty() && !vetoed_now {
                for worst_case in [true, false] {
                    let dims = extreme(false, worst_case, &indicator_ids);
                    let (conclusion, open) = outcome(&dims, ctx);
                    could |= conclusion != scored.conclusion || open;
                }
            }
            scored.could_change |= could;
            scored.missing.push(MissingFact {
                fact,
                needed_by,
                could_change_conclusion: could,
            });
        }
    }
}

/// One change of one fact that would move the household to another conclusion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub fact: String,
    pub from: String,
    pub to: String,
    pub conclusion: String,
    pub conclusion_label: String,
    /// How big the change is, relative to the fact (0.1 = 10 %; a changed choice counts 1).
    pub size: f64,
}

/// Facts an appeal cannot change (who people are, what has happened): not searched.
const FIXED_FACTS: [&str; 5] = [
    "age",
    "relation",
    "sex",
    "child_deaths_5y",
    "years_schooling",
];

/// Where a fact lives in the facts tree.
#[derive(Debug, Clone, Copy)]
struct Place {
    root_field: usize,
    /// Index in the list, for list records.
    item: Option<usize>,
    /// Field of the nested record, for object and list records.
    field: Option<usize>,
    record: usize,
}

fn value_at(facts: &Record, place: Place) -> Option<&Value> {
    let top = facts.fields.get(place.root_field)?;
    match (top, place.item, place.field) {
        (v, None, None) => Some(v),
        (Value::Rec(r), None, Some(f)) => r.fields.get(f),
        (Value::Recs(rs), Some(i), Some(f)) => rs.get(i)?.fields.get(f),
        _ => None,
    }
}

fn set_at(facts: &mut Record, place: Place, value: Value) {
    let Some(top) = facts.fields.get_mut(place.root_field) else {
        return;
    };
    let slot = match (top, place.item, place.field) {
        (v, None, None) => Some(v),
        (Value::Rec(r), None, Some(f)) => r.fields.get_mut(f),
        (Value::Recs(rs), Some(i), Some(f)) => rs.get_mut(i).and_then(|r| r.fields.get_mut(f)),
        _ => None,
    };
    if let Some(slot) = slot {
        *slot = value;
    }
}

impl Model {
    /// The smallest one-fact changes that would move the household to another conclusion:
    /// at most `per_conclusion` per other conclusion, smallest first.
    pub fn what_would_change(&self, facts: &Record, per_conclusion: usize) -> Vec<Change> {
        let schema = survey::expr_schema();
        let current = self.conclude_facts(facts);
        let mut places = Vec::new();
        for (root_field, def) in schema.records[0].fields.iter().enumerate() {
            match (&def.ty, facts.fields.get(root_field)) {
                (Ty::Rec(r), Some(Value::Rec(rec))) => {
                    for field in 0..rec.fields.len() {
                        places.push(Place {
                            root_field,
                            item: None,
                            field: Some(field),
                            record: *r,
                        });
                    }
                }
                (Ty::Recs(r), Some(Value::Recs(items))) => {
                    for (item, rec) in items.iter().enumerate() {
                        for field in 0..rec.fields.len() {
                            places.push(Place {
                                root_field,
                                item: Some(item),
                                field: Some(field),
                                record: *r,
                            });
                        }
                    }
                }
                (Ty::Num | Ty::Bool | Ty::Enum(_), _) => {
                    places.push(Place {
                        root_field,
                        item: None,
                        field: None,
                        record: 0,
                    });
                }
                _ => {}
            }
        }
        let mut found: Vec<Change> = Vec::new();
        let mut trial = facts.clone();
        for place in places {
            let field = place.field.unwrap_or(place.root_field);
            if !self.facts_used.contains(&(place.record, field)) {
                continue;
            }
            let Some(spec) = survey::record_spec(place.record).and_then(|s| s.fields.get(field))
            else {
                continue;
            };
            if FIXED_FACTS.contains(&spec.name) {
                continue;
            }
            let Some(original) = value_at(facts, place).cloned() else {
                continue;
            };
            let path = schema.fact_path(place.record, place.item.unwrap_or(0) as u32, field);
            let try_value = |trial: &mut Record, value: Value| -> usize {
                set_at(trial, place, value);
                let conclusion = self.conclude_facts(trial);
                set_at(trial, place, original.clone());
                conclusion
            };
            match (&original, spec.kind) {
                (Value::Num(v), kind) => {
                    for (to, conclusion) in
                        search_number(*v, kind, |x| try_value(&mut trial, Value::Num(x)), current)
                    {
                        let floor = match kind {
                            Kind::Money => 1000.0,
                            Kind::Int { min, max } => ((max - min) as f64 / 20.0).max(1.0),
                            Kind::Number { min, max } => ((max - min) / 20.0).max(1.0),
                            _ => 1.0,
                        };
                        found.push(self.change(
                            &path,
                            show_num(*v),
                            show_num(to),
                            conclusion,
                            (to - v).abs() / v.abs().max(floor),
                        ));
                    }
                }
                (Value::Bool(b), _) => {
                    let conclusion = try_value(&mut trial, Value::Bool(!b));
                    if conclusion != current {
                        found.push(self.change(
                            &path,
                            b.to_string(),
                            (!b).to_string(),
                            conclusion,
                            1.0,
                        ));
                    }
                }
                (Value::Enum(e), Kind::Choice(choices)) => {
                    for (i, choice) in choices.iter().enumerate() {
                        if i == *e as usize {
                            continue;
                        }
                        let conclusion = try_value(&mut trial, Value::Enum(i as u16));
                        if conclusion != current {
                            let from = choices.get(*e as usize).map_or("", |c| c.code);
                            found.push(self.change(
                                &path,
                                from.to_string(),
                                choice.code.to_string(),
                                conclusion,
                                1.0,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        found.sort_by(|a, b| a.size.total_cmp(&b.size).then_with(|| a.fact.cmp(&b.fact)));
        let mut kept: Vec<Change> = Vec::new();
        for change in found {
            if kept
                .iter()
                .filter(|k| k.conclusion == change.conclusion)
                .count()
                < per_conclusion
                && !kept
                    .iter()
                    .any(|k| k.fact == change.fact && k.conclusion == change.conclusion)
            {
                kept.push(change);
            }
        }
        kept
    }

    fn change(&self, fact: &str, from: String, to: String, conclusion: usize, size: f64) -> Change {
        let c = &self.conclusions[conclusion];
        Change {
            fact: fact.to_string(),
            from,
            to,
            conclusion: c.code.clone(),
            conclusion_label: c.label_zh.clone(),
            size: round2(size),
        }
    }
}

fn show_num(x: f64) -> String {
    let r = round2(x);
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// Find, up and down from `v`, the nearest value that changes the conclusion: try growing
/// steps, then bisect between the last value that kept the conclusion and the first that did
/// not, to the fact's precision (1 yuan, 1 year…).
fn search_number(
    v: f64,
    kind: Kind,
    mut conclude: impl FnMut(f64) -> usize,
    current: usize,
) -> Vec<(f64, usize)> {
    let (lo, hi, step, absolute): (f64, f64, f64, &[f64]) = match kind {
        Kind::Money => (
            0.0,
            1e9,
            1.0,
            &[
                100.0, 500.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0, 300000.0,
            ],
        ),
        Kind::Int { min, max } => (
            min as f64,
            max as f64,
            1.0,
            &[1.0, 2.0, 3.0, 5.0, 10.0, 20.0],
        ),
        Kind::Number { min, max } => (min, max, 0.1, &[1.0, 5.0, 10.0, 30.0, 100.0]),
        _ => return Vec::new(),
    };
    let relative = [
        0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0,
    ];
    let mut out = Vec::new();
    for direction in [1.0f64, -1.0] {
        let mut deltas: Vec<f64> = relative
            .iter()
            .map(|r| r * v.abs())
            .chain(absolute.iter().copied())
            .filter(|d| *d >= step)
            .collect();
        deltas.sort_by(f64::total_cmp);
        deltas.dedup();
        let mut last_same = v;
        for delta in deltas {
            let candidate = snap(v + direction * delta, step).clamp(lo, hi);
            if candidate == last_same {
                continue;
            }
            let conclusion = conclude(candidate);
            if conclusion == current {
                last_same = candidate;
                continue;
            }
            // Bisect between last_same (keeps) and candidate (changes).
            let (mut keep, mut change, mut change_to) = (last_same, candidate, conclusion);
            for _ in 0..40 {
                if (change - keep).abs() <= step {
                    break;
                }
                let mid = snap((keep + change) / 2.0, step);
                if mid == keep || mid == change {
                    break;
                }
                let c = conclude(mid);
                if c == current {
                    keep = mid;
                } else {
                    change = mid;
                    change_to = c;
                }
            }
            out.push((change, change_to));
            break;
        }
    }
    out
}

fn snap(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// A scored household as the batch command and the API print it (see the CLI contract).
#[derive(Debug, Clone, Serialize)]
pub struct ResultJson<'m> {
    pub household: &'m str,
    pub model: &'m str,
    pub model_version: &'m str,
    pub score: f64,
    /// The points added less the deduction before the model's scale (equal to the score when
    /// the model has none).
    pub raw_points: f64,
    pub conclusion: &'m str,
    pub conclusion_label: &'m str,
    pub vetoes: Vec<VetoJson<'m>>,
    pub deduction: f64,
    /// Points per dimension code (labels and maxima are in the model).
    pub dimensions: BTreeMap<&'m str, f64>,
    pub partial: bool,
    pub missing: Vec<MissingFact>,
    pub could_change: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicators: Option<Vec<IndicatorJson<'m>>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VetoJson<'m> {
    pub code: &'m str,
    pub reason: &'m str,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorJson<'m> {
    pub code: &'m str,
    pub dimension: &'m str,
    pub value: Option<String>,
    pub degree: f64,
    pub points: f64,
    pub weight: f64,
    pub missing: Option<String>,
}

impl Model {
    /// The points added less the deduction (0–100), before the model's scale.
    pub fn raw_points(&self, scored: &Scored) -> f64 {
        let added: f64 = self
            .dimensions
            .iter()
            .zip(&scored.dims)
            .filter(|(d, _)| !d.deduct)
            .map(|(_, p)| p)
            .sum();
        (added - scored.deduction).clamp(0.0, 100.0)
    }

    pub fn result_json<'m>(
        &'m self,
        household: &'m str,
        scored: &Scored,
        with_indicators: bool,
    ) -> ResultJson<'m> {
        let conclusion = &self.conclusions[scored.conclusion];
        ResultJson {
            household,
            model: &self.id,
            model_version: &self.version,
            score: round2(scored.total),
            raw_points: round2(self.raw_points(scored)),
            conclusion: &conclusion.code,
            conclusion_label: &conclusion.label_zh,
            vetoes: scored
                .vetoes
                .iter()
                .map(|i| VetoJson {
                    code: &self.vetoes[*i].code,
                    reason: &self.vetoes[*i].reason_zh,
                })
                .collect(),
            deduction: round2(scored.deduction),
            dimensions: self
                .dimensions
                .iter()
                .zip(&scored.dims)
                .map(|(d, points)| (d.code.as_str(), round2(*points)))
                .collect(),
            partial: scored.is_partial(),
            missing: scored.missing.clone(),
            could_change: scored.could_change,
            indicators: with_indicators.then(|| {
                self.indicators
                    .iter()
                    .zip(&scored.indicators)
                    .map(|(ind, o)| IndicatorJson {
                        code: &ind.code,
                        dimension: &self.dimensions[ind.dimension].code,
                        value: o.value.clone(),
                        degree: round2(o.degree),
                        points: round2(o.points),
                        weight: round2(ind.weight),
                        missing: o.gap.as_ref().map(|g| match g {
                            Gap::NotRecorded(f) => format!("not recorded: {f}"),
                            Gap::Failed(m) => format!("failed: {m}"),
                        }),
                    })
                    .collect()
            }),
        }
    }
}
