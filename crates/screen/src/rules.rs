//! Warning rules (预警规则) as data: aggregates of feed rows per household or person over time
//! windows, household lets, and rules with exclusions, severity, suggested action and an
//! explanation template — every expression in the product's one language. `minsheng rules check`.

use std::collections::BTreeMap;

use minsheng_assess::model::{Loader, ModelError};
use minsheng_expr::{Binding, Compiled, Const, EnumDef, FieldDef, RecordDef, Schema, Scope, Ty};
use serde::Deserialize;
use toml::Spanned;

use crate::feed::{ColumnType, FeedSchema, days_of};

/// The household facts a rule can read, besides the aggregates and lets.
pub const HOUSEHOLD_FACTS: [&str; 7] = [
    "size",
    "elderly",
    "children",
    "working_age",
    "income_12m",
    "youngest",
    "oldest",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Of {
    Count,
    Sum,
    Max,
    Latest,
    Distinct,
}

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub name: String,
    pub feed: String,
    pub of: Of,
    pub per_person: bool,
    pub filter: Option<Compiled>,
    pub value: Option<Compiled>,
    /// For `latest`: the date column that orders rows.
    pub order: Option<usize>,
    /// A distinct count of the ID column: it counts persons, so rows are told apart by the person
    /// they match (no text to hash).
    pub distinct_persons: bool,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub code: String,
    pub label_zh: String,
    pub severity: String,
    pub action: String,
    pub explain: String,
    pub when: Compiled,
    pub unless: Option<Compiled>,
    /// Aggregates the rule reads (their rows are its evidence).
    pub reads: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct RuleSet {
    pub version: String,
    pub as_of: Option<time::Date>,
    pub aggregates: Vec<Aggregate>,
    pub lets: Vec<(String, Compiled)>,
    pub rules: Vec<Rule>,
    /// The row schema of each feed used, by name.
    pub feeds: BTreeMap<String, (FeedSchema, Schema)>,
    pub household_schema: Schema,
    /// Where the aggregates start among the slots (after the lets).
    pub agg_offset: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rules: Header,
    #[serde(default)]
    params: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default, rename = "aggregate")]
    aggregates: Vec<AggregateDef>,
    #[serde(default, rename = "let")]
    lets: BTreeMap<String, Spanned<String>>,
    #[serde(default, rename = "rule")]
    rule: Vec<RuleDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    version: String,
    as_of: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateDef {
    name: Spanned<String>,
    feed: Spanned<String>,
    of: Spanned<String>,
    value: Option<Spanned<String>>,
    #[serde(rename = "where")]
    filter: Option<Spanned<String>>,
    #[serde(default = "household")]
    per: Spanned<String>,
    order: Option<Spanned<String>>,
}

fn household() -> Spanned<String> {
    Spanned::new(0..0, "household".to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    code: Spanned<String>,
    label_zh: String,
    when: Spanned<String>,
    unless: Option<Spanned<String>>,
    severity: Spanned<String>,
    action: String,
    explain: String,
}

/// The row schema of a feed: its columns (dates as numbers of days).
fn row_schema(feed: &FeedSchema) -> Schema {
    Schema {
        records: vec![RecordDef {
            name: feed.name.clone(),
            path: String::new(),
            is_list: false,
            fields: feed
                .columns
                .iter()
                .map(|c| FieldDef {
                    name: c.name.clone(),
                    ty: match c.kind {
                        ColumnType::Text => Ty::Str,
                        ColumnType::Number | ColumnType::Date => Ty::Num,
                    },
                })
                .collect(),
        }],
        enums: Vec::<EnumDef>::new(),
    }
}

fn household_schema() -> Schema {
    Schema {
        records: vec![RecordDef {
            name: "household".into(),
            path: String::new(),
            is_list: false,
            fields: HOUSEHOLD_FACTS
                .iter()
                .map(|n| FieldDef {
                    name: (*n).to_string(),
                    ty: Ty::Num,
                })
                .collect(),
        }],
        enums: Vec::new(),
    }
}

impl RuleSet {
    /// Check and compile a rule file against the feed schemas it names.
    pub fn from_toml(
        src: &str,
        schema_of: &dyn Fn(&str) -> Option<FeedSchema>,
        as_of_override: Option<time::Date>,
    ) -> Result<RuleSet, Vec<ModelError>> {
        let mut loader = Loader::new(src);
        let file: File = match toml::from_str(src) {
            Ok(f) => f,
            Err(e) => {
                loader.at(
                    e.span().map_or(0, |s| s.start),
                    e.message().trim_end().to_string(),
                );
                return Err(loader.errors);
            }
        };
        let header_as_of = file.rules.as_of.as_ref().and_then(|s| {
            match time::Date::parse(
                s.get_ref(),
                time::macros::format_description!("[year]-[month]-[day]"),
            ) {
                Ok(d) => Some(d),
                Err(_) => {
                    loader.at(s.span().start, "as_of: a date YYYY-MM-DD");
                    None
                }
            }
        });
        let mut consts: Vec<(String, Const)> = Vec::new();
        for (name, value) in &file.params {
            match value.get_ref() {
                toml::Value::Integer(i) => {
                    consts.push((format!("params.{name}"), Const::Num(*i as f64)))
                }
                toml::Value::Float(x) => consts.push((format!("params.{name}"), Const::Num(*x))),
                toml::Value::Boolean(b) => consts.push((format!("params.{name}"), Const::Bool(*b))),
                toml::Value::String(s) => {
                    consts.push((format!("params.{name}"), Const::Str(s.clone())))
                }
                _ => loader.at(
                    value.span().start,
                    format!("param '{name}': a number, bool or string"),
                ),
            }
        }
        let as_of = as_of_override.or(header_as_of);
        // `as_of` is a number of days in every expression.
        let as_of_days = as_of.map_or(0.0, |d| f64::from(days_of(d)));

        let mut feeds: BTreeMap<String, (FeedSchema, Schema)> = BTreeMap::new();
        let mut aggregates = Vec::new();
        for def in &file.aggregates {
            let name = def.name.get_ref().clone();
            let what = format!("aggregate '{name}'");
            let feed_name = def.feed.get_ref().clone();
            let Some(feed) = feeds
                .get(&feed_name)
                .map(|(f, _)| f.clone())
                .or_else(|| schema_of(&feed_name))
            else {
                loader.at(
                    def.feed.span().start,
                    format!("{what}: no feed schema '{feed_name}'"),
                );
                continue;
            };
            let schema = row_schema(&feed);
            feeds
                .entry(feed_name.clone())
                .or_insert_with(|| (feed.clone(), schema.clone()));
            let mut scope = Scope::new(&schema, Some(0));
            scope
                .names
                .insert("as_of".into(), Binding::Const(Const::Num(as_of_days)));
            for (k, c) in &consts {
                scope.names.insert(k.clone(), Binding::Const(c.clone()));
            }
            let of = match def.of.get_ref().as_str() {
                "count" => Of::Count,
                "sum" => Of::Sum,
                "max" => Of::Max,
                "latest" => Of::Latest,
                "distinct" => Of::Distinct,
                other => {
                    loader.at(
                        def.of.span().start,
                        format!("{what}: of '{other}' is not count, sum, max, latest or distinct"),
                    );
                    continue;
                }
            };
            let filter = def
                .filter
                .as_ref()
                .and_then(|f| loader.expression(f, &scope, &format!("{what} where")));
            if let (Some(f), Some(src)) = (&filter, &def.filter)
                && f.ty != Ty::Bool
            {
                loader.at(src.span().start, format!("{what}: `where` must be a bool"));
            }
            let value = def
                .value
                .as_ref()
                .and_then(|v| loader.expression(v, &scope, &format!("{what} value")));
            if of != Of::Count && def.value.is_none() {
                loader.at(
                    def.name.span().start,
                    format!("{what}: `{}` needs a value", def.of.get_ref()),
                );
            }
            if let (Some(v), Some(src)) = (&value, &def.value)
                && matches!(of, Of::Sum | Of::Max | Of::Latest)
                && v.ty != Ty::Num
            {
                loader.at(
                    src.span().start,
                    format!("{what}: the value must be a number"),
                );
            }
            let order = match (&def.order, of) {
                (Some(o), _) => match feed.column_index(o.get_ref()) {
                    Some(i) if feed.columns[i].kind == ColumnType::Date => Some(i),
                    _ => {
                        loader.at(
                            o.span().start,
                            format!(
                                "{what}: order '{}' is not a date column of {feed_name}",
                                o.get_ref()
                            ),
                        );
                        None
                    }
                },
                (None, Of::Latest) => {
                    loader.at(
                        def.name.span().start,
                        format!("{what}: `latest` needs an `order` date column"),
                    );
                    None
                }
                (None, _) => None,
            };
            let per_person = match def.per.get_ref().as_str() {
                "household" => false,
                "person" => true,
                other => {
                    loader.at(
                        def.per.span().start,
                        format!("{what}: per '{other}' is household or person"),
                    );
                    false
                }
            };
            if aggregates.iter().any(|a: &Aggregate| a.name == name)
                || HOUSEHOLD_FACTS.contains(&name.as_str())
            {
                loader.at(def.name.span().start, format!("{what}: the name is taken"));
            }
            let distinct_persons = of == Of::Distinct
                && def
                    .value
                    .as_ref()
                    .is_some_and(|v| v.get_ref().trim() == feed.id_column);
            aggregates.push(Aggregate {
                name,
                feed: feed_name,
                of,
                per_person,
                filter,
                value,
                order,
                distinct_persons,
            });
        }

        // Household expressions: facts, aggregates (slots), lets (slots after them).
        let household_schema = household_schema();
        let mut scope = Scope::new(&household_schema, Some(0));
        scope
            .names
            .insert("as_of".into(), Binding::Const(Const::Num(as_of_days)));
        for (k, c) in &consts {
            scope.names.insert(k.clone(), Binding::Const(c.clone()));
        }
        // Slots: the lets first (0..L, as they compile), then the aggregates at L + i.
        let agg_offset = file.lets.len();
        for (i, a) in aggregates.iter().enumerate() {
            scope
                .names
                .insert(a.name.clone(), Binding::Slot(agg_offset + i, Ty::Num));
        }
        let lets = loader.lets(&file.lets, &mut scope);
        let mut rules = Vec::new();
        for def in &file.rule {
            let code = def.code.get_ref().clone();
            let what = format!("rule '{code}'");
            if !["high", "medium", "low"].contains(&def.severity.get_ref().as_str()) {
                loader.at(
                    def.severity.span().start,
                    format!("{what}: severity is high, medium or low"),
                );
            }
            let when = loader.expression(&def.when, &scope, &what);
            let unless = def
                .unless
                .as_ref()
                .and_then(|u| loader.expression(u, &scope, &format!("{what} unless")));
            for (compiled, src) in [(&when, Some(&def.when)), (&unless, def.unless.as_ref())] {
                if let (Some(c), Some(src)) = (compiled, src)
                    && c.ty != Ty::Bool
                {
                    loader.at(src.span().start, format!("{what}: must be a bool"));
                }
            }
            let Some(when) = when else { continue };
            let aggregate_of = |slot: usize| {
                slot.checked_sub(agg_offset)
                    .filter(|i| *i < aggregates.len())
            };
            let mut reads: Vec<usize> =
                when.slots.iter().filter_map(|s| aggregate_of(*s)).collect();
            // Lets read aggregates too (and other lets: one level is enough for evidence).
            for slot in &when.slots {
                if let Some((_, c)) = lets.get(*slot).filter(|_| *slot < agg_offset) {
                    reads.extend(c.slots.iter().filter_map(|s| aggregate_of(*s)));
                }
            }
            reads.sort_unstable();
            reads.dedup();
            rules.push(Rule {
                code,
                label_zh: def.label_zh.clone(),
                severity: def.severity.get_ref().clone(),
                action: def.action.clone(),
                explain: def.explain.clone(),
                when,
                unless,
                reads,
            });
        }
        if rules.is_empty() {
            loader.at(0, "the rule set has no [[rule]]");
        }
        loader.errors.sort_by_key(|e| (e.line, e.column));
        if !loader.errors.is_empty() {
            return Err(loader.errors);
        }
        Ok(RuleSet {
            version: file.rules.version.clone(),
            as_of,
            aggregates,
            lets,
            rules,
            feeds,
            household_schema,
            agg_offset,
        })
    }

    /// Slots of household expressions: the lets, then the aggregates.
    pub fn slot_count(&self) -> usize {
        self.agg_offset + self.aggregates.len()
    }
}
