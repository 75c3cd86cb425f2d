//! The assistance catalog (救助事项目录) as data: ten categories, the items in them, and when a
//! household should get each — so recommendations come from the facts and the recognised
//! assessment, each with the rule and the facts that made it. Format: `docs/catalog.md`.

use std::collections::{BTreeMap, HashMap};

use minsheng_expr::{
    Binding, Compiled, Const, Ctx, EvalError, Record, Scope, Ty, Val, eval, parse,
};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::model::{Loader, ModelError, round2, valid_code};
use crate::survey;

/// The ten categories, in order (DOMAIN.md §1.3).
pub const CATEGORIES: [&str; 10] = [
    "dibao",
    "tekun",
    "medical",
    "temporary",
    "housing",
    "employment",
    "education",
    "risk",
    "social_work",
    "other",
];

/// Who may deliver an item (unit kinds of the product).
pub const DELIVERERS: [&str; 9] = [
    "civil_affairs_bureau",
    "town_office",
    "community_committee",
    "education_dept",
    "health_dept",
    "housing_dept",
    "human_resources_dept",
    "charity",
    "social_work_org",
];

pub const LEVELS: [&str; 3] = ["community", "town", "district"];
pub const PERIODS: [&str; 3] = ["once", "monthly", "yearly"];

/// Conclusion codes (of every shipped model) that mean poverty, and risk.
const EXPENDITURE_POOR: [&str; 1] = ["expenditure_poverty"];
const INCOME_POOR: [&str; 1] = ["income_poverty"];
const OTHER_POOR: [&str; 3] = ["recognised_hardship", "poor", "severe"];
const AT_RISK: [&str; 3] = ["poverty_risk", "hardship_risk", "vulnerable"];

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub code: String,
    pub category: usize,
    pub label_zh: String,
    pub label_en: String,
    /// "material" or "service".
    pub kind: String,
    /// The unit kind that delivers it.
    pub unit_kind: String,
    /// The level that approves it: community, town or district.
    pub decided_by: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub when_source: String,
    pub limit: Option<f64>,
    pub period: String,
    pub deadline_days: u32,
    pub emergency: bool,
    when: Compiled,
    amount: Option<Compiled>,
    /// What the rule reads, shown as the evidence of a recommendation.
    evidence: Vec<(String, Compiled)>,
}

impl Item {
    /// Whether the item pays money (it has an amount rule).
    pub fn pays(&self) -> bool {
        self.amount.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub version: String,
    pub name_zh: String,
    pub name_en: String,
    pub categories: Vec<Category>,
    pub items: Vec<Item>,
    lets: Vec<(String, Compiled)>,
}

/// The assessment a recommendation is made from.
#[derive(Debug, Clone, Default)]
pub struct AssessmentFacts {
    pub score: f64,
    pub conclusion: String,
}

/// An item the household should get, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub item: String,
    pub category: String,
    pub label: String,
    pub label_en: String,
    pub kind: String,
    pub unit_kind: String,
    pub decided_by: String,
    /// Yuan, capped at the item's limit.
    pub amount: Option<f64>,
    pub period: String,
    pub deadline_days: u32,
    pub emergency: bool,
    pub reason: String,
    pub reason_en: String,
    /// The rule, and the values it read (`income_per_capita_month = 450`).
    pub rule: String,
    pub evidence: Vec<(String, String)>,
}

impl Recommendation {
    /// The facts the rule read, as `fact = value` joined by `separator`.
    pub fn evidence_text(&self, separator: &str) -> String {
        let facts: Vec<String> = self
            .evidence
            .iter()
            .map(|(fact, value)| format!("{fact} = {value}"))
            .collect();
        facts.join(separator)
    }
}

/// The recommendations, and the items whose rule needed facts that were not recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Recommendations {
    pub items: Vec<Recommendation>,
    pub undetermined: Vec<(String, String)>,
    /// Items whose rule fired but whose amount comes to ¥0 with these facts: not recommended,
    /// kept with the facts the amount read so the reason can be shown.
    pub zero_amount: Vec<Recommendation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    catalog: Header,
    #[serde(default)]
    params: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default, rename = "let")]
    lets: BTreeMap<String, Spanned<String>>,
    #[serde(default, rename = "category")]
    categories: Vec<CategoryDef>,
    #[serde(default, rename = "item")]
    items: Vec<ItemDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    version: Spanned<String>,
    name_zh: String,
    name_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDef {
    code: Spanned<String>,
    label_zh: String,
    label_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemDef {
    code: Spanned<String>,
    category: Spanned<String>,
    label_zh: String,
    label_en: String,
    kind: Spanned<String>,
    unit_kind: Spanned<String>,
    decided_by: Spanned<String>,
    when: Spanned<String>,
    #[serde(default)]
    reason_zh: String,
    #[serde(default)]
    reason_en: String,
    amount: Option<Spanned<String>>,
    limit: Option<Spanned<f64>>,
    period: Spanned<String>,
    deadline_days: Spanned<i64>,
    #[serde(default)]
    emergency: bool,
}

/// Names the assessment gives the expressions, after the lets.
const ASSESSMENT_SLOTS: [(&str, Ty); 6] = [
    ("score", Ty::Num),
    ("conclusion", Ty::Str),
    ("poor", Ty::Bool),
    ("expenditure_poor", Ty::Bool),
    ("income_poor", Ty::Bool),
    ("at_risk", Ty::Bool),
];

fn one_of(loader: &mut Loader<'_>, value: &Spanned<String>, allowed: &[&str], what: &str) {
    if !allowed.contains(&value.get_ref().as_str()) {
        loader.at(
            value.span().start,
            format!(
                "{what} '{}' is not one of {}",
                value.get_ref(),
                allowed.join(", ")
            ),
        );
    }
}

impl Catalog {
    /// Check and compile a catalog file; every mistake found is returned, in file order.
    pub fn from_toml(src: &str) -> Result<Catalog, Vec<ModelError>> {
        let mut loader = Loader::new(src);
        let file: File = match toml::from_str(src) {
            Ok(file) => file,
            Err(e) => {
                loader.at(
                    e.span().map_or(0, |s| s.start),
                    e.message().trim_end().to_string(),
                );
                return Err(loader.errors);
            }
        };
        let catalog = build(&mut loader, &file);
        loader.errors.sort_by_key(|e| (e.line, e.column));
        match catalog {
            Some(c) if loader.errors.is_empty() => Ok(c),
            _ => Err(loader.errors),
        }
    }

    pub fn category_of(&self, item: &Item) -> &Category {
        &self.categories[item.category]
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// The items a household should get, from its facts and its recognised assessment.
    pub fn recommend(&self, facts: &Record, assessment: &AssessmentFacts) -> Recommendations {
        let mut ctx = Ctx::with_capacity(facts, self.lets.len() + ASSESSMENT_SLOTS.len());
        for (_, compiled) in &self.lets {
            let value = eval(compiled, &mut ctx);
            ctx.slots.push(value);
        }
        let conclusion = assessment.conclusion.as_str();
        let expenditure = EXPENDITURE_POOR.contains(&conclusion);
        let income = INCOME_POOR.contains(&conclusion);
        ctx.slots.push(Ok(Val::Num(assessment.score)));
        ctx.slots.push(Ok(Val::Str(conclusion)));
        ctx.slots.push(Ok(Val::Bool(
            expenditure || income || OTHER_POOR.contains(&conclusion),
        )));
        ctx.slots.push(Ok(Val::Bool(expenditure)));
        ctx.slots.push(Ok(Val::Bool(income)));
        ctx.slots.push(Ok(Val::Bool(AT_RISK.contains(&conclusion))));
        let schema = survey::expr_schema();
        let mut out = Recommendations::default();
        for item in &self.items {
            match eval(&item.when, &mut ctx) {
                Ok(Val::Bool(true)) => {}
                Ok(_) => continue,
                Err(EvalError::Missing {
                    record,
                    index,
                    field,
                }) => {
                    out.undetermined
                        .push((item.code.clone(), schema.fact_path(record, index, field)));
                    continue;
                }
                Err(EvalError::Math { message, .. }) => {
                    out.undetermined
                        .push((item.code.clone(), message.to_string()));
                    continue;
                }
            }
            let amount = item
                .amount
                .as_ref()
                .and_then(|a| eval(a, &mut ctx).ok())
                .and_then(|v| v.as_num())
                .map(|x| {
                    let capped = match item.limit {
                        Some(limit) => x.min(limit),
                        None => x,
                    };
                    round2(capped.max(0.0))
                });
            let evidence = item
                .evidence
                .iter()
                .map(|(name, compiled)| {
                    let value = match (eval(compiled, &mut ctx), &compiled.ty) {
                        (Ok(Val::Num(x)), _) => format!("{}", round2(x)),
                        (Ok(Val::Bool(b)), _) => b.to_string(),
                        (Ok(Val::Str(s)), _) => s.to_string(),
                        (Ok(Val::Enum(e)), Ty::Enum(id)) => schema
                            .enums
                            .get(*id)
                            .and_then(|d| d.values.get(e as usize))
                            .cloned()
                            .unwrap_or_default(),
                        (Ok(_), _) => "…".to_string(),
                        (Err(_), _) => "?".to_string(),
                    };
                    (name.clone(), value)
                })
                .collect();
            let category = &self.categories[item.category];
            let recommendation = Recommendation {
                item: item.code.clone(),
                category: category.code.clone(),
                label: item.label_zh.clone(),
                label_en: item.label_en.clone(),
                kind: item.kind.clone(),
                unit_kind: item.unit_kind.clone(),
                decided_by: item.decided_by.clone(),
                amount,
                period: item.period.clone(),
                deadline_days: item.deadline_days,
                emergency: item.emergency,
                reason: item.reason_zh.clone(),
                reason_en: item.reason_en.clone(),
                rule: item.when_source.clone(),
                evidence,
            };
            // Money that comes to nothing is no help: say so instead of recommending ¥0.
            if item.amount.is_some() && recommendation.amount.is_none_or(|a| a <= 0.0) {
                out.zero_amount.push(recommendation);
            } else {
                out.items.push(recommendation);
            }
        }
        out
    }
}

fn build(loader: &mut Loader<'_>, file: &File) -> Option<Catalog> {
    let schema = survey::expr_schema();
    let header = &file.catalog;
    if header.version.get_ref().trim().is_empty() {
        loader.at(
            header.version.span().start,
            "version: say which version this is",
        );
    }
    let mut scope = Scope::new(schema, Some(0));
    for (name, value) in &file.params {
        let constant = match value.get_ref() {
            toml::Value::Integer(i) => Some(Const::Num(*i as f64)),
            toml::Value::Float(x) if x.is_finite() => Some(Const::Num(*x)),
            toml::Value::Boolean(b) => Some(Const::Bool(*b)),
            toml::Value::String(s) => Some(Const::Str(s.clone())),
            _ => None,
        };
        match constant {
            Some(c) => {
                scope
                    .names
                    .insert(format!("params.{name}"), Binding::Const(c));
            }
            None => loader.at(
                value.span().start,
                format!("param '{name}': a number, bool or string"),
            ),
        }
    }
    let lets = loader.lets(&file.lets, &mut scope);
    for (i, (name, ty)) in ASSESSMENT_SLOTS.iter().enumerate() {
        scope.names.insert(
            (*name).to_string(),
            Binding::Slot(lets.len() + i, ty.clone()),
        );
    }

    // Categories: the ten, in order.
    let codes: Vec<&str> = file
        .categories
        .iter()
        .map(|c| c.code.get_ref().as_str())
        .collect();
    if codes != CATEGORIES {
        let at = file.categories.first().map_or(0, |c| c.code.span().start);
        loader.at(
            at,
            format!(
                "the categories must be the ten of the catalog, in order: {} (found {})",
                CATEGORIES.join(", "),
                codes.join(", ")
            ),
        );
    }
    let categories: Vec<Category> = file
        .categories
        .iter()
        .map(|c| Category {
            code: c.code.get_ref().clone(),
            label_zh: c.label_zh.clone(),
            label_en: c.label_en.clone(),
        })
        .collect();

    let mut items: Vec<Item> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for def in &file.items {
        let code = def.code.get_ref().clone();
        let what = format!("item '{code}'");
        if !valid_code(&code) {
            loader.at(
                def.code.span().start,
                format!("{what}: use letters, digits, '-', '_' in codes"),
            );
        }
        if seen.insert(code.clone(), items.len()).is_some() {
            loader.at(def.code.span().start, format!("{what} is declared twice"));
        }
        let category = categories
            .iter()
            .position(|c| c.code == *def.category.get_ref());
        if category.is_none() {
            loader.at(
                def.category.span().start,
                format!("{what}: no category '{}'", def.category.get_ref()),
            );
        }
        one_of(loader, &def.kind, &["material", "service"], "kind");
        one_of(loader, &def.unit_kind, &DELIVERERS, "unit_kind");
        one_of(loader, &def.decided_by, &LEVELS, "decided_by");
        one_of(loader, &def.period, &PERIODS, "period");
        if !(1..=365).contains(def.deadline_days.get_ref()) {
            loader.at(
                def.deadline_days.span().start,
                format!("{what}: deadline_days between 1 and 365 working days"),
            );
        }
        if let Some(limit) = &def.limit
            && !(*limit.get_ref() > 0.0 && limit.get_ref().is_finite())
        {
            loader.at(
                limit.span().start,
                format!("{what}: limit must be a positive amount"),
            );
        }
        let when = loader.expression(&def.when, &scope, &what);
        if let Some(w) = &when
            && w.ty != Ty::Bool
        {
            loader.at(
                def.when.span().start,
                format!(
                    "{what}: `when` must be a bool, found {}",
                    schema.type_name(&w.ty)
                ),
            );
        }
        let amount = match &def.amount {
            Some(source) => {
                let compiled = loader.expression(source, &scope, &format!("{what} amount"));
                if let Some(a) = &compiled
                    && a.ty != Ty::Num
                {
                    loader.at(
                        source.span().start,
                        format!(
                            "{what}: `amount` must be a number, found {}",
                            schema.type_name(&a.ty)
                        ),
                    );
                }
                compiled
            }
            None => None,
        };
        // The evidence: every name the rule reads, evaluated on its own.
        let mut evidence = Vec::new();
        if let Ok(expr) = parse(def.when.get_ref()) {
            for (name, _) in expr.free_names() {
                if let Ok(e) = parse(&name)
                    && let Ok(compiled) = minsheng_expr::compile(&e, &scope)
                    && matches!(compiled.ty, Ty::Num | Ty::Bool | Ty::Str | Ty::Enum(_))
                {
                    evidence.push((name, compiled));
                }
            }
        }
        let (Some(category), Some(when)) = (category, when) else {
            continue;
        };
        items.push(Item {
            code,
            category,
            label_zh: def.label_zh.clone(),
            label_en: def.label_en.clone(),
            kind: def.kind.get_ref().clone(),
            unit_kind: def.unit_kind.get_ref().clone(),
            decided_by: def.decided_by.get_ref().clone(),
            reason_zh: def.reason_zh.clone(),
            reason_en: def.reason_en.clone(),
            when_source: def.when.get_ref().clone(),
            limit: def.limit.as_ref().map(|l| *l.get_ref()),
            period: def.period.get_ref().clone(),
            deadline_days: u32::try_from(*def.deadline_days.get_ref()).unwrap_or(1),
            emergency: def.emergency,
            when,
            amount,
            evidence,
        });
    }
    for (i, category) in categories.iter().enumerate() {
        if !items.iter().any(|item| item.category == i)
            && file.items.len() == items.len()
            && let Some(def) = file.categories.get(i)
        {
            loader.at(
                def.code.span().start,
                format!("category '{}' has no items", category.code),
            );
        }
    }
    Some(Catalog {
        version: header.version.get_ref().trim().to_string(),
        name_zh: header.name_zh.clone(),
        name_en: header.name_en.clone(),
        categories,
        items,
        lets,
    })
}

/// The catalog shipped in `data/catalog/assistance.toml`, compiled into the binary.
pub const SHIPPED_SOURCE: &str = include_str!("../../../data/catalog/assistance.toml");

/// The shipped catalog, checked once.
pub fn shipped() -> Result<&'static Catalog, &'static [ModelError]> {
    static CATALOG: std::sync::OnceLock<Result<Catalog, Vec<ModelError>>> =
        std::sync::OnceLock::new();
    match CATALOG.get_or_init(|| Catalog::from_toml(SHIPPED_SOURCE)) {
        Ok(catalog) => Ok(catalog),
        Err(errors) => Err(errors.as_slice()),
    }
}
