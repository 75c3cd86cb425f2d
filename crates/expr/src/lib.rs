//! The one expression language of every rule file in minsheng (assessment models, the
//! assistance catalog, warning rules): a safe, typed subset of CEL (the Common Expression
//! Language). No loops, no recursion, no IO — an expression always ends, and it is checked
//! against the schema of the facts before anything runs, so a model with an unknown fact or a
//! type mistake is refused with the line and column of the mistake.
//!
//! Why our own interpreter and not `cel-interpreter`: expressions are compiled once to a tree
//! whose fact reads are slot indexes (no name lookups, no maps, no clones while scoring); that
//! is what lets a million households be scored in seconds, and it lets every error name the
//! fact (`members[2].age`) that was missing. The syntax is CEL's; see `docs/expressions.md`.

mod compile;
mod eval;
mod parse;

pub use compile::{Binding, Compiled, Const, Scope, compile};
pub use eval::{Ctx, EvalError, Val, eval};
pub use parse::{BinaryOp, Expr, ExprKind, MAX_SOURCE_BYTES, UnaryOp, parse};

/// Byte offsets into the expression source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A mistake in an expression, at a place in its source.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub span: Span,
    pub message: String,
}

impl ExprError {
    pub fn new(span: Span, message: impl Into<String>) -> ExprError {
        ExprError {
            span,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The static type of an expression or a fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Num,
    Bool,
    Str,
    /// One of the values of an enumeration of the schema.
    Enum(usize),
    /// One record (e.g. `income`, or the `m` of `members.exists(m, …)`).
    Rec(usize),
    /// A list of records (e.g. `members`).
    Recs(usize),
    /// A list of plain values (a list literal, or `map`).
    List(Box<Ty>),
}

/// What facts exist: records with typed fields, and enumerations. Record 0 is the root.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub records: Vec<RecordDef>,
    pub enums: Vec<EnumDef>,
}

#[derive(Debug, Clone)]
pub struct RecordDef {
    /// The type name shown in messages ("member").
    pub name: String,
    /// How an instance is named in a fact path: "" for the root, "income" for a nested
    /// object, "members" for a list (instances are then "members[2]").
    pub path: String,
    pub is_list: bool,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub values: Vec<String>,
}

impl Schema {
    pub fn field_index(&self, record: usize, name: &str) -> Option<usize> {
        self.records
            .get(record)?
            .fields
            .iter()
            .position(|f| f.name == name)
    }

    /// The path of one fact, as a surveyor would find it in the form: `income.wages`,
    /// `members[2].age`.
    pub fn fact_path(&self, record: usize, index: u32, field: usize) -> String {
        let Some(def) = self.records.get(record) else {
            return "?".to_string();
        };
        let name = def.fields.get(field).map_or("?", |f| f.name.as_str());
        if def.path.is_empty() {
            name.to_string()
        } else if def.is_list {
            format!("{}[{index}].{name}", def.path)
        } else {
            format!("{}.{name}", def.path)
        }
    }

    pub fn type_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Num => "number".to_string(),
            Ty::Bool => "bool".to_string(),
            Ty::Str => "string".to_string(),
            Ty::Enum(e) => self.enums.get(*e).map_or("enum".to_string(), |d| {
                format!("{} (one of {})", d.name, d.values.join(", "))
            }),
            Ty::Rec(r) => self
                .records
                .get(*r)
                .map_or("record".to_string(), |d| d.name.clone()),
            Ty::Recs(r) => format!(
                "list of {}",
                self.records.get(*r).map_or("record", |d| d.name.as_str())
            ),
            Ty::List(inner) => format!("list of {}", self.type_name(inner)),
        }
    }
}

/// A stored fact. `Missing` is a fact the survey did not record (a partial survey).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Missing,
    Num(f64),
    Bool(bool),
    Enum(u16),
    Str(Box<str>),
    Rec(Box<Record>),
    Recs(Vec<Record>),
}

/// One record of facts: field values in schema order, and its place in its list.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub fields: Box<[Value]>,
    pub index: u32,
}

#[cfg(test)]
mod tests;
