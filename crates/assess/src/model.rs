//! Assessment models as data: a TOML file (see `docs/models.md`) is checked against the survey
//! schema and compiled once; then households are scored in microseconds, each score with its
//! reasons.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use minsheng_expr::{Binding, Compiled, Const, Scope, Ty, compile, parse};
use serde::Deserialize;
use toml::Spanned;

use crate::survey;

/// Tolerance for "the weights add up to 100".
const WEIGHT_TOLERANCE: f64 = 1e-6;

/// A mistake in a model file, at a line and column (1-based; columns count characters).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

#[derive(Debug, Clone)]
pub struct Dimension {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    /// Its points are deducted (the self-help capacity, 家庭自救能力).
    pub deduct: bool,
    /// Points at full deprivation in every indicator.
    pub max_points: f64,
}

/// How a value becomes a degree of deprivation from 0 to 1.
#[derive(Debug, Clone, PartialEq)]
pub enum Scoring {
    /// (upper bound, exclusive; degree), ascending; at or above the last bound: `otherwise`.
    Bands {
        bands: Vec<(f64, f64)>,
        otherwise: f64,
    },
    /// Points (value, degree), linear between, flat outside.
    Piecewise(Vec<(f64, f64)>),
    /// Degree per value of an enumeration (by its index); others: `otherwise`.
    Choices {
        degrees: Vec<Option<f64>>,
        otherwise: f64,
    },
    /// true = 1.
    Flag,
    /// The number itself, clamped to 0..1.
    Clamp,
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub code: String,
    pub dimension: usize,
    pub label_zh: String,
    pub label_en: String,
    pub help_zh: String,
    pub help_en: String,
    pub rationale: String,
    pub weight: f64,
    pub value_source: String,
    pub scoring: Scoring,
    pub(crate) value: Compiled,
}

#[derive(Debug, Clone)]
pub struct Veto {
    pub code: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub when_source: String,
    pub(crate) when: Compiled,
}

#[derive(Debug, Clone)]
pub struct Conclusion {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub when_source: Option<String>,
    pub(crate) when: Option<Compiled>,
}

/// A checked, compiled model.
#[derive(Debug, Clone)]
pub struct Model {
    pub id: String,
    pub version: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    pub params: Vec<(String, String)>,
    pub dimensions: Vec<Dimension>,
    pub indicators: Vec<Indicator>,
    pub vetoes: Vec<Veto>,
    pub conclusions: Vec<Conclusion>,
    pub veto_conclusion: usize,
    pub deduction_max: f64,
    /// Points (raw, score) turning the points added less the deduction into the score on the
    /// district's scale, linear between; none: the score is the raw points.
    pub scale: Vec<(f64, f64)>,
    pub scale_rationale: String,
    /// Lets in evaluation order; let i lives in slot i.
    lets: Vec<(String, Compiled)>,
    /// Facts the model reads, as (record, field) of the survey schema.
    pub facts_used: BTreeSet<(usize, usize)>,
}

impl Model {
    pub fn slot_total(&self) -> usize {
        self.lets.len()
    }
    /// Lets, total, deduction and one per dimension.
    pub(crate) fn slot_count(&self) -> usize {
        self.lets.len() + 2 + self.dimensions.len()
    }
    pub fn lets(&self) -> &[(String, Compiled)] {
        &self.lets
    }
    /// The score on the district's scale of raw points (added less the deduction, 0–100).
    pub fn scaled(&self, raw: f64) -> f64 {
        let Some(&(first_x, first_y)) = self.scale.first() else {
            return raw;
        };
        if raw <= first_x {
            return first_y;
        }
        for w in self.scale.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            if raw <= x1 {
                return y0 + (y1 - y0) * (raw - x0) / (x1 - x0);
            }
        }
        self.scale.last().map_or(raw, |(_, y)| *y)
    }

    pub fn conclusion_index(&self, code: &str) -> Option<usize> {
        self.conclusions.iter().position(|c| c.code == code)
    }
}

// ---- the file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    model: Header,
    #[serde(default)]
    params: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default, rename = "let")]
    lets: BTreeMap<String, Spanned<String>>,
    #[serde(default, rename = "dimension")]
    dimensions: Vec<DimensionDef>,
    #[serde(default, rename = "indicator")]
    indicators: Vec<IndicatorDef>,
    #[serde(default, rename = "veto")]
    vetoes: Vec<VetoDef>,
    deduction: Option<DeductionDef>,
    scale: Option<ScaleDef>,
    #[serde(default, rename = "conclusion")]
    conclusions: Vec<ConclusionDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    id: Spanned<String>,
    version: Spanned<String>,
    name_zh: String,
    name_en: String,
    survey_schema: Spanned<u32>,
    veto_conclusion: Spanned<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DimensionDef {
    code: Spanned<String>,
    label_zh: String,
    label_en: String,
    #[serde(default)]
    deduct: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WeightDef {
    Number(f64),
    Expr(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorDef {
    code: Spanned<String>,
    dimension: Spanned<String>,
    label_zh: String,
    label_en: String,
    #[serde(default)]
    help_zh: String,
    #[serde(default)]
    help_en: String,
    #[serde(default)]
    rationale: String,
    value: Spanned<String>,
    weight: Spanned<WeightDef>,
    bands: Option<Spanned<Vec<(f64, f64)>>>,
    piecewise: Option<Spanned<Vec<(f64, f64)>>>,
    choices: Option<Spanned<BTreeMap<String, f64>>>,
    #[serde(rename = "else")]
    otherwise: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VetoDef {
    code: Spanned<String>,
    when: Spanned<String>,
    reason_zh: String,
    reason_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeductionDef {
    max: Spanned<f64>,
}

/// The district's scale: (points added less the deduction, the score), rising, from 0 to 100.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleDef {
    points: Spanned<Vec<(f64, f64)>>,
    #[serde(default)]
    rationale: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConclusionDef {
    code: Spanned<String>,
    label_zh: String,
    label_en: String,
    when: Option<Spanned<String>>,
}

// ---- loading --------------------------------------------------------------------------------

/// Loads a rule file: reports mistakes at their line and column, compiles expressions and
/// lets. Shared by every rule file of the product.
pub struct Loader<'s> {
    pub(crate) src: &'s str,
    pub errors: Vec<ModelError>,
    /// Lets in a cycle: reported once; expressions that read them are not checked further.
    cyclic: BTreeSet<String>,
}

impl<'s> Loader<'s> {
    pub fn new(src: &'s str) -> Loader<'s> {
        Loader {
            src,
            errors: Vec::new(),
            cyclic: BTreeSet::new(),
        }
    }

    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        let (line, column) = line_column(self.src, offset);
        self.errors.push(ModelError {
            line,
            column,
            message: message.into(),
        });
    }

    /// Parse and check one expression written as a TOML string at `span`.
    pub fn expression(
        &mut self,
        text: &Spanned<String>,
        scope: &Scope<'_>,
        what: &str,
    ) -> Option<Compiled> {
        let base = string_content_offset(self.src, &text.span(), text.get_ref());
        let expr = match parse(text.get_ref()) {
            Ok(expr) => expr,
            Err(e) => {
                self.at(base(e.span.start), format!("{what}: {}", e.message));
                return None;
            }
        };
        if expr
            .free_names()
            .iter()
            .any(|(name, _)| self.cyclic.contains(name))
        {
            return None;
        }
        match compile(&expr, scope) {
            Ok(compiled) => Some(compiled),
            Err(errors) => {
                for e in errors {
                    self.at(base(e.span.start), format!("{what}: {}", e.message));
                }
                None
            }
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Maps an offset inside a string's value to an offset in the file. Exact when the string has
/// no escapes (the usual case for expressions); otherwise the start of the string.
fn string_content_offset<'a>(
    src: &'a str,
    span: &Range<usize>,
    value: &'a str,
) -> impl Fn(usize) -> usize + 'a {
    let raw = src.get(span.clone()).unwrap_or("");
    let mut start = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    if raw.len() > start && raw[start..].starts_with('\n') {
        start += 1;
    } else if raw.len() > start && raw[start..].starts_with("\r\n") {
        start += 2;
    }
    let exact = raw.get(start..start + value.len()) == Some(value);
    let span_start = span.start;
    move |offset| {
        if exact {
            span_start + start + offset
        } else {
            span_start
        }
    }
}

pub(crate) fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Names the lets may not take: they mean something else in expressions.
const RESERVED: [&str; 11] = [
    "total",
    "deduction",
    "dims",
    "params",
    "has",
    "score",
    "conclusion",
    "poor",
    "expenditure_poor",
    "income_poor",
    "at_risk",
];

impl Model {
    /// Check and compile a model file. All the mistakes found are returned, in file order.
    pub fn from_toml(src: &str) -> Result<Model, Vec<ModelError>> {
        let mut loader = Loader {
            src,
            errors: Vec::new(),
            cyclic: BTreeSet::new(),
        };
        let file: File = match toml::from_str(src) {
            Ok(file) => file,
            Err(e) => {
                let offset = e.span().map_or(0, |s| s.start);
                loader.at(offset, e.message().trim_end().to_string());
                return Err(loader.errors);
            }
        };
        let model = loader.build(file);
        loader.errors.sort_by_key(|e| (e.line, e.column));
        match model {
            Some(model) if loader.errors.is_empty() => Ok(model),
            _ => Err(loader.errors),
        }
    }
}

impl Loader<'_> {
    fn build(&mut self, file: File) -> Option<Model> {
        let schema = survey::expr_schema();
        let header = &file.model;
        if !valid_code(header.id.get_ref()) {
            self.at(
                header.id.span().start,
                "model id: use letters, digits, '-', '_' or '.'",
            );
        }
        if header.version.get_ref().trim().is_empty() || header.version.get_ref().len() > 32 {
            self.at(header.version.span().start, "version: 1 to 32 characters");
        }
        if !(survey::OLDEST_SCHEMA..=survey::SCHEMA_VERSION)
            .contains(header.survey_schema.get_ref())
        {
            self.at(
                header.survey_schema.span().start,
                format!(
                    "survey_schema {} is not known; this build reads schemas {} to {}",
                    header.survey_schema.get_ref(),
                    survey::OLDEST_SCHEMA,
                    survey::SCHEMA_VERSION
                ),
            );
        }

        // Parameters are constants.
        let mut base_scope = Scope::new(schema, Some(0));
        let mut params = Vec::new();
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
                    params.push((name.clone(), value.get_ref().to_string()));
                    base_scope
                        .names
                        .insert(format!("params.{name}"), Binding::Const(c));
                }
                None => self.at(
                    value.span().start,
                    format!("param '{name}': a number, bool or string"),
                ),
            }
        }

        let lets = self.lets(&file.lets, &mut base_scope);

        // Dimensions.
        let mut dimensions: Vec<Dimension> = Vec::new();
        for def in &file.dimensions {
            if !valid_code(def.code.get_ref()) {
                self.at(
                    def.code.span().start,
                    "dimension code: use letters, digits, '-', '_'",
                );
            }
            if dimensions.iter().any(|d| d.code == *def.code.get_ref()) {
                self.at(
                    def.code.span().start,
                    format!("dimension '{}' is declared twice", def.code.get_ref()),
                );
            }
            dimensions.push(Dimension {
                code: def.code.get_ref().clone(),
                label_zh: def.label_zh.clone(),
                label_en: def.label_en.clone(),
                deduct: def.deduct,
                max_points: 0.0,
            });
        }
        if dimensions.is_empty() {
            self.at(0, "the model has no [[dimension]]");
        }

        // Indicators.
        let mut indicators: Vec<Indicator> = Vec::new();
        let mut codes: HashMap<String, usize> = HashMap::new();
        for def in &file.indicators {
            if let Some(indicator) = self.indicator(def, &base_scope, &dimensions, &mut codes) {
                indicators.push(indicator);
            }
        }
        for indicator in &indicators {
            if let Some(d) = dimensions.get_mut(indicator.dimension) {
                d.max_points += indicator.weight;
            }
        }
        for (i, d) in dimensions.iter().enumerate() {
            if !indicators.iter().any(|ind| ind.dimension == i)
                && let Some(def) = file.dimensions.get(i)
                && file.indicators.len() == indicators.len()
            {
                self.at(
                    def.code.span().start,
                    format!("dimension '{}' has no indicators", d.code),
                );
            }
        }
        let added: f64 = dimensions
            .iter()
            .filter(|d| !d.deduct)
            .map(|d| d.max_points)
            .sum();
        if file.indicators.len() == indicators.len()
            && !indicators.is_empty()
            && (added - 100.0).abs() > WEIGHT_TOLERANCE
        {
            let detail: Vec<String> = dimensions
                .iter()
                .filter(|d| !d.deduct)
                .map(|d| format!("{} {}", d.code, round2(d.max_points)))
                .collect();
            let offset = file.dimensions.first().map_or(0, |d| d.code.span().start);
            self.at(
                offset,
                format!(
                    "the weights of the added dimensions sum to {}, not 100 ({})",
                    round2(added),
                    detail.join(", ")
                ),
            );
        }
        let deduct_total: f64 = dimensions
            .iter()
            .filter(|d| d.deduct)
            .map(|d| d.max_points)
            .sum();
        let deduction_max = match &file.deduction {
            Some(d) if !(0.0..=100.0).contains(d.max.get_ref()) => {
                self.at(d.max.span().start, "deduction max: between 0 and 100");
                0.0
            }
            Some(d) => *d.max.get_ref(),
            None => deduct_total.min(100.0),
        };
        let scale = match &file.scale {
            None => Vec::new(),
            Some(def) => {
                let points = def.points.get_ref();
                let rising = points
                    .windows(2)
                    .all(|w| w[1].0 > w[0].0 && w[1].1 >= w[0].1);
                let within = points
                    .iter()
                    .all(|(x, y)| (0.0..=100.0).contains(x) && (0.0..=100.0).contains(y));
                let ends = points.first() == Some(&(0.0, 0.0))
                    && points.last().is_some_and(|(x, _)| *x == 100.0);
                if points.len() < 2 || !rising || !within || !ends {
                    self.at(
                        def.points.span().start,
                        "scale points: [raw, score] pairs from [0, 0] to [100, …], both rising, within 0–100",
                    );
                }
                points.clone()
            }
        };

        // Vetoes.
        let mut vetoes = Vec::new();
        for def in &file.vetoes {
            if !valid_code(def.code.get_ref()) {
                self.at(
                    def.code.span().start,
                    "veto code: use letters, digits, '-', '_'",
                );
            }
            if vetoes.iter().any(|v: &Veto| v.code == *def.code.get_ref()) {
                self.at(
                    def.code.span().start,
                    format!("veto '{}' is declared twice", def.code.get_ref()),
                );
            }
            let what = format!("veto '{}'", def.code.get_ref());
            if let Some(when) = self.expression(&def.when, &base_scope, &what) {
                if when.ty != Ty::Bool {
                    self.at(
                        def.when.span().start,
                        format!(
                            "{what}: `when` must be a bool, found {}",
                            schema.type_name(&when.ty)
                        ),
                    );
                }
                vetoes.push(Veto {
                    code: def.code.get_ref().clone(),
                    reason_zh: def.reason_zh.clone(),
                    reason_en: def.reason_en.clone(),
                    when_source: def.when.get_ref().clone(),
                    when,
                });
            }
        }

        // Conclusions see the totals too.
        let mut conclusion_scope = Scope::new(schema, Some(0));
        conclusion_scope.names = base_scope.names.clone();
        let slot_total = lets.len();
        conclusion_scope
            .names
            .insert("total".into(), Binding::Slot(slot_total, Ty::Num));
        conclusion_scope
            .names
            .insert("deduction".into(), Binding::Slot(slot_total + 1, Ty::Num));
        for (i, d) in dimensions.iter().enumerate() {
            conclusion_scope.names.insert(
                format!("dims.{}", d.code),
                Binding::Slot(slot_total + 2 + i, Ty::Num),
            );
        }
        let mut conclusions: Vec<Conclusion> = Vec::new();
        let count = file.conclusions.len();
        for (i, def) in file.conclusions.iter().enumerate() {
            if !valid_code(def.code.get_ref()) {
                self.at(
                    def.code.span().start,
                    "conclusion code: use letters, digits, '-', '_'",
                );
            }
            if conclusions.iter().any(|c| c.code == *def.code.get_ref()) {
                self.at(
                    def.code.span().start,
                    format!("conclusion '{}' is declared twice", def.code.get_ref()),
                );
            }
            let what = format!("conclusion '{}'", def.code.get_ref());
            let when = match (&def.when, i + 1 == count) {
                (Some(when), true) => {
                    self.at(
                        when.span().start,
                        format!("{what}: the last conclusion is the default and has no `when`"),
                    );
                    None
                }
                (None, false) => {
                    self.at(
                        def.code.span().start,
                        format!("{what}: needs a `when` (only the last conclusion is the default)"),
                    );
                    None
                }
                (Some(when), false) => {
                    let compiled = self.expression(when, &conclusion_scope, &what);
                    if let Some(c) = &compiled
                        && c.ty != Ty::Bool
                    {
                        self.at(
                            when.span().start,
                            format!(
                                "{what}: `when` must be a bool, found {}",
                                schema.type_name(&c.ty)
                            ),
                        );
                    }
                    compiled
                }
                (None, true) => None,
            };
            conclusions.push(Conclusion {
                code: def.code.get_ref().clone(),
                label_zh: def.label_zh.clone(),
                label_en: def.label_en.clone(),
                when_source: def.when.as_ref().map(|w| w.get_ref().clone()),
                when,
            });
        }
        if conclusions.is_empty() {
            self.at(0, "the model has no [[conclusion]]");
        }
        let veto_conclusion = conclusions
            .iter()
            .position(|c| c.code == *header.veto_conclusion.get_ref());
        if veto_conclusion.is_none() {
            self.at(
                header.veto_conclusion.span().start,
                format!(
                    "veto_conclusion '{}' is not one of the conclusions",
                    header.veto_conclusion.get_ref()
                ),
            );
        }

        let mut facts_used = BTreeSet::new();
        for (_, compiled) in &lets {
            facts_used.extend(compiled.facts.iter().copied());
        }
        for indicator in &indicators {
            facts_used.extend(indicator.value.facts.iter().copied());
        }
        for veto in &vetoes {
            facts_used.extend(veto.when.facts.iter().copied());
        }
        for conclusion in &conclusions {
            if let Some(when) = &conclusion.when {
                facts_used.extend(when.facts.iter().copied());
            }
        }

        Some(Model {
            id: header.id.get_ref().clone(),
            version: header.version.get_ref().trim().to_string(),
            name_zh: header.name_zh.clone(),
            name_en: header.name_en.clone(),
            description: header.description.clone(),
            params,
            dimensions,
            indicators,
            vetoes,
            conclusions,
            veto_conclusion: veto_conclusion?,
            deduction_max,
            scale,
            scale_rationale: file
                .scale
                .as_ref()
                .map(|s| s.rationale.clone())
                .unwrap_or_default(),
            lets,
            facts_used,
        })
    }

    /// Order the lets so each comes after what it reads, refuse cycles, compile them, and
    /// add them to the scope as slots.
    pub fn lets(
        &mut self,
        lets: &BTreeMap<String, Spanned<String>>,
        scope: &mut Scope<'_>,
    ) -> Vec<(String, Compiled)> {
        let schema = scope.schema;
        let mut parsed = BTreeMap::new();
        for (name, source) in lets {
            let root_fact = schema.field_index(0, name).is_some();
            if RESERVED.contains(&name.as_str())
                || root_fact
                || !valid_code(name)
                || name.contains('.')
                || name.contains('-')
            {
                self.at(
                    source.span().start,
                    format!(
                        "let '{name}': the name is taken or not a plain name (letters, digits, '_')"
                    ),
                );
                continue;
            }
            let base = string_content_offset(self.src, &source.span(), source.get_ref());
            match parse(source.get_ref()) {
                Ok(expr) => {
                    parsed.insert(name.clone(), expr);
                }
                Err(e) => self.at(base(e.span.start), format!("let '{name}': {}", e.message)),
            }
        }
        // Depth-first topological order.
        let deps: BTreeMap<&String, Vec<String>> = parsed
            .iter()
            .map(|(name, expr)| {
                let reads = expr
                    .free_names()
                    .into_iter()
                    .map(|(n, _)| n)
                    .filter(|n| parsed.contains_key(n))
                    .collect();
                (name, reads)
            })
            .collect();
        let mut order: Vec<String> = Vec::new();
        let mut state: HashMap<String, u8> = HashMap::new(); // 1 visiting, 2 done
        let mut cycles: Vec<Vec<String>> = Vec::new();
        for name in parsed.keys() {
            let mut path = Vec::new();
            visit(
                name,
                &deps,
                &mut state,
                &mut order,
                &mut path,
                &mut |cycle: Vec<String>| cycles.push(cycle),
            );
        }
        for cycle in cycles {
            let first = cycle[0].clone();
            if !self.cyclic.contains(&first)
                && let Some(source) = lets.get(&first)
            {
                self.at(
                    source.span().start,
                    format!("let '{first}' depends on itself: {}", cycle.join(" → ")),
                );
            }
            self.cyclic.extend(cycle);
        }
        let mut compiled = Vec::new();
        for name in order {
            if self.cyclic.contains(&name) {
                continue;
            }
            let Some(source) = lets.get(&name) else {
                continue;
            };
            let what = format!("let '{name}'");
            if let Some(c) = self.expression(source, scope, &what) {
                scope
                    .names
                    .insert(name.clone(), Binding::Slot(compiled.len(), c.ty.clone()));
                compiled.push((name, c));
            }
        }
        compiled
    }

    fn indicator(
        &mut self,
        def: &IndicatorDef,
        scope: &Scope<'_>,
        dimensions: &[Dimension],
        codes: &mut HashMap<String, usize>,
    ) -> Option<Indicator> {
        let schema = scope.schema;
        let code = def.code.get_ref().clone();
        let what = format!("indicator '{code}'");
        if !valid_code(&code) {
            self.at(
                def.code.span().start,
                format!("{what}: use letters, digits, '-', '_' in codes"),
            );
        }
        if codes.insert(code.clone(), codes.len()).is_some() {
            self.at(def.code.span().start, format!("{what} is declared twice"));
        }
        let dimension = dimensions
            .iter()
            .position(|d| d.code == *def.dimension.get_ref());
        if dimension.is_none() {
            let known: Vec<String> = dimensions.iter().map(|d| d.code.clone()).collect();
            self.at(
                def.dimension.span().start,
                format!(
                    "{what}: no dimension '{}' (the dimensions are {})",
                    def.dimension.get_ref(),
                    known.join(", ")
                ),
            );
        }
        let weight = match def.weight.get_ref() {
            WeightDef::Number(w) => *w,
            WeightDef::Expr(text) => {
                let constant_scope = Scope::new(schema, None);
                let spanned = Spanned::new(def.weight.span(), text.clone());
                let compiled =
                    self.expression(&spanned, &constant_scope, &format!("{what} weight"))?;
                let nothing = minsheng_expr::Record {
                    fields: Box::new([]),
                    index: 0,
                };
                let mut ctx = minsheng_expr::Ctx::new(&nothing);
                match minsheng_expr::eval(&compiled, &mut ctx)
                    .ok()
                    .and_then(|v| v.as_num())
                {
                    Some(w) => w,
                    None => {
                        self.at(
                            def.weight.span().start,
                            format!("{what}: weight must be a number"),
                        );
                        return None;
                    }
                }
            }
        };
        if !(weight.is_finite() && weight > 0.0 && weight <= 100.0) {
            self.at(
                def.weight.span().start,
                format!("{what}: weight {weight} must be above 0 and at most 100"),
            );
            return None;
        }
        let value = self.expression(&def.value, scope, &what)?;
        let given = [
            def.bands.is_some(),
            def.piecewise.is_some(),
            def.choices.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if given > 1 {
            self.at(
                def.code.span().start,
                format!("{what}: give one of bands, piecewise or choices"),
            );
            return None;
        }
        let otherwise = def.otherwise.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&otherwise) {
            self.at(
                def.code.span().start,
                format!("{what}: `else` must be a degree from 0 to 1"),
            );
        }
        let value_at = def.value.span().start;
        let scoring = if let Some(bands) = &def.bands {
            self.need_number(&value, value_at, &what, "bands");
            self.points(bands, &what, "bands", true);
            Scoring::Bands {
                bands: bands.get_ref().clone(),
                otherwise,
            }
        } else if let Some(points) = &def.piecewise {
            self.need_number(&value, value_at, &what, "piecewise");
            self.points(points, &what, "piecewise", true);
            if points.get_ref().is_empty() {
                self.at(
                    points.span().start,
                    format!("{what}: piecewise needs at least one point"),
                );
            }
            Scoring::Piecewise(points.get_ref().clone())
        } else if let Some(choices) = &def.choices {
            match &value.ty {
                Ty::Enum(e) => {
                    let values = &schema.enums[*e].values;
                    let mut degrees = vec![None; values.len()];
                    for (key, degree) in choices.get_ref() {
                        match values.iter().position(|v| v == key) {
                            Some(i) => degrees[i] = Some(*degree),
                            None => self.at(
                                choices.span().start,
                                format!(
                                    "{what}: '{key}' is not a value of {} ({})",
                                    schema.enums[*e].name,
                                    values.join(", ")
                                ),
                            ),
                        }
                        if !(0.0..=1.0).contains(degree) {
                            self.at(
                                choices.span().start,
                                format!("{what}: degree {degree} for '{key}' is not within 0..1"),
                            );
                        }
                    }
                    Scoring::Choices { degrees, otherwise }
                }
                other => {
                    self.at(
                        value_at,
                        format!(
                            "{what}: choices need an enumerated value, found {}",
                            schema.type_name(other)
                        ),
                    );
                    return None;
                }
            }
        } else {
            match value.ty {
                Ty::Bool => Scoring::Flag,
                Ty::Num => Scoring::Clamp,
                ref other => {
                    self.at(value_at, format!("{what}: the value must be a number or a bool (or use choices), found {}", schema.type_name(other)));
                    return None;
                }
            }
        };
        Some(Indicator {
            code,
            dimension: dimension?,
            label_zh: def.label_zh.clone(),
            label_en: def.label_en.clone(),
            help_zh: def.help_zh.clone(),
            help_en: def.help_en.clone(),
            rationale: def.rationale.clone(),
            weight,
            value_source: def.value.get_ref().clone(),
            scoring,
            value,
        })
    }

    fn need_number(&mut self, value: &Compiled, at: usize, what: &str, how: &str) {
        if value.ty != Ty::Num {
            let found = survey::expr_schema().type_name(&value.ty);
            self.at(at, format!("{what}: {how} need a number, found {found}"));
        }
    }

    fn points(
        &mut self,
        points: &Spanned<Vec<(f64, f64)>>,
        what: &str,
        how: &str,
        ascending: bool,
    ) {
        let list = points.get_ref();
        for pair in list.windows(2) {
            if ascending && pair[1].0 <= pair[0].0 {
                self.at(
                    points.span().start,
                    format!(
                        "{what}: {how} bounds must ascend ({} then {})",
                        pair[0].0, pair[1].0
                    ),
                );
                break;
            }
        }
        if let Some((_, d)) = list.iter().find(|(_, d)| !(0.0..=1.0).contains(d)) {
            self.at(
                points.span().start,
                format!("{what}: degree {d} in {how} is not within 0..1"),
            );
        }
    }
}

fn visit(
    name: &String,
    deps: &BTreeMap<&String, Vec<String>>,
    state: &mut HashMap<String, u8>,
    order: &mut Vec<String>,
    path: &mut Vec<String>,
    on_cycle: &mut dyn FnMut(Vec<String>),
) {
    match state.get(name) {
        Some(2) => return,
        Some(1) => {
            let start = path.iter().position(|p| p == name).unwrap_or(0);
            let mut cycle: Vec<String> = path[start..].to_vec();
            cycle.push(name.clone());
            on_cycle(cycle);
            return;
        }
        _ => {}
    }
    state.insert(name.clone(), 1);
    path.push(name.clone());
    for dep in deps.get(name).map(Vec::as_slice).unwrap_or(&[]) {
        visit(dep, deps, state, order, path, on_cycle);
    }
    path.pop();
    state.insert(name.clone(), 2);
    order.push(name.clone());
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Scoring {
    /// The degree of deprivation (0..1) of a value.
    pub fn degree(&self, value: &minsheng_expr::Val<'_>) -> f64 {
        use minsheng_expr::Val;
        match (self, value) {
            (Scoring::Bands { bands, otherwise }, Val::Num(x)) => bands
                .iter()
                .find(|(bound, _)| x < bound)
                .map_or(*otherwise, |(_, d)| *d),
            (Scoring::Piecewise(points), Val::Num(x)) => piecewise(points, *x),
            (Scoring::Choices { degrees, otherwise }, Val::Enum(e)) => degrees
                .get(*e as usize)
                .copied()
                .flatten()
                .unwrap_or(*otherwise),
            (Scoring::Flag, Val::Bool(b)) => f64::from(u8::from(*b)),
            (Scoring::Clamp, Val::Num(x)) => x.clamp(0.0, 1.0),
            _ => 0.0,
        }
    }
}

fn piecewise(points: &[(f64, f64)], x: f64) -> f64 {
    let Some(first) = points.first() else {
        return 0.0;
    };
    if x <= first.0 {
        return first.1;
    }
    for pair in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x <= x1 {
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
        }
    }
    points.last().map_or(0.0, |p| p.1)
}
