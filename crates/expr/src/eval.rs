//! Evaluation of compiled expressions over one record of facts.
//!
//! A fact that was not recorded makes the expression "missing", naming the fact, except where
//! the answer does not depend on it: like CEL, `true || x` and `x || true` are true, `false && x`
//! is false, and `exists` is true when any element matches.

use std::rc::Rc;

use crate::compile::{Arith, Compiled, Func, Macro, Node, Order};
use crate::{Record, Span, Ty, Value};

/// A value during evaluation; borrows the facts and the compiled program.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    Num(f64),
    Bool(bool),
    Enum(u16),
    Str(&'a str),
    Rec(&'a Record),
    Recs(&'a [Record]),
    /// Records picked by `filter`.
    Picked(Rc<[&'a Record]>),
    List(Rc<[Val<'a>]>),
}

impl Val<'_> {
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// Why an expression has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    /// A fact it needs was not recorded: record and field of the schema, index in its list.
    Missing {
        record: usize,
        index: u32,
        field: usize,
    },
    /// Division by zero and the like, at a place in the expression.
    Math { span: Span, message: &'static str },
}

/// The facts and computed values one evaluation sees.
pub struct Ctx<'a> {
    pub root: &'a Record,
    /// Values of the scope's slots (lets, totals), in slot order.
    pub slots: Vec<Result<Val<'a>, EvalError>>,
    vars: Vec<Val<'a>>,
}

impl<'a> Ctx<'a> {
    pub fn new(root: &'a Record) -> Ctx<'a> {
        Ctx::with_capacity(root, 0)
    }

    /// A context with room for `slots` slots, so filling them does not reallocate.
    pub fn with_capacity(root: &'a Record, slots: usize) -> Ctx<'a> {
        Ctx {
            root,
            slots: Vec::with_capacity(slots),
            vars: Vec::with_capacity(4),
        }
    }
}

type Out<'a> = Result<Val<'a>, EvalError>;

pub fn eval<'a>(compiled: &'a Compiled, ctx: &mut Ctx<'a>) -> Out<'a> {
    match compiled.ty {
        Ty::Bool => boolean(&compiled.node, ctx).map(Val::Bool),
        Ty::Num => num(&compiled.node, ctx).map(Val::Num),
        _ => node(&compiled.node, ctx),
    }
}

fn fact<'a>(value: &'a Value, record: usize, index: u32, field: usize) -> Out<'a> {
    match value {
        Value::Missing => Err(EvalError::Missing {
            record,
            index,
            field,
        }),
        Value::Num(n) => Ok(Val::Num(*n)),
        Value::Bool(b) => Ok(Val::Bool(*b)),
        Value::Enum(e) => Ok(Val::Enum(*e)),
        Value::Str(s) => Ok(Val::Str(s)),
        Value::Rec(r) => Ok(Val::Rec(r)),
        Value::Recs(rs) => Ok(Val::Recs(rs)),
    }
}

fn num<'a>(n: &'a Node, ctx: &mut Ctx<'a>) -> Result<f64, EvalError> {
    // The common leaves first: no value built and dropped (this runs once per row of a feed).
    match n {
        Node::Num(x) => return Ok(*x),
        Node::Root { field, .. } => {
            if let Some(Value::Num(x)) = ctx.root.fields.get(*field) {
                return Ok(*x);
            }
        }
        Node::Slot(i) => {
            if let Some(Ok(Val::Num(x))) = ctx.slots.get(*i) {
                return Ok(*x);
            }
        }
        Node::Arith(..) => {
            return match node(n, ctx)? {
                Val::Num(x) => Ok(x),
                _ => Err(type_slip()),
            };
        }
        _ => {}
    }
    match node(n, ctx)? {
        Val::Num(x) => Ok(x),
        _ => Err(type_slip()),
    }
}

fn boolean<'a>(n: &'a Node, ctx: &mut Ctx<'a>) -> Result<bool, EvalError> {
    // Comparisons and connectives without building values (as `node` does, same results).
    match n {
        Node::Bool(b) => return Ok(*b),
        Node::Order(op, a, b) => {
            let (x, y) = (num(a, ctx)?, num(b, ctx)?);
            return Ok(match op {
                Order::Lt => x < y,
                Order::Le => x <= y,
                Order::Gt => x > y,
                Order::Ge => x >= y,
            });
        }
        Node::Not(inner) => return Ok(!boolean(inner, ctx)?),
        Node::And(a, b) => {
            return match boolean(a, ctx) {
                Ok(false) => Ok(false),
                Ok(true) => boolean(b, ctx),
                Err(e) => match boolean(b, ctx) {
                    Ok(false) => Ok(false),
                    _ => Err(e),
                },
            };
        }
        Node::Or(a, b) => {
            return match boolean(a, ctx) {
                Ok(true) => Ok(true),
                Ok(false) => boolean(b, ctx),
                Err(e) => match boolean(b, ctx) {
                    Ok(true) => Ok(true),
                    _ => Err(e),
                },
            };
        }
        Node::Slot(i) => {
            if let Some(Ok(Val::Bool(x))) = ctx.slots.get(*i) {
                return Ok(*x);
            }
        }
        _ => {}
    }
    match node(n, ctx)? {
        Val::Bool(x) => Ok(x),
        _ => Err(type_slip()),
    }
}

/// The checker makes wrong types impossible; should one slip through, it is an error, not a
/// panic.
fn type_slip() -> EvalError {
    EvalError::Math {
        span: Span::default(),
        message: "internal type error",
    }
}

fn finite(x: f64, span: Span) -> Out<'static> {
    if x.is_finite() {
        Ok(Val::Num(x))
    } else {
        Err(EvalError::Math {
            span,
            message: "the result is not a finite number",
        })
    }
}

fn node<'a>(n: &'a Node, ctx: &mut Ctx<'a>) -> Out<'a> {
    match n {
        Node::Num(x) => Ok(Val::Num(*x)),
        Node::Bool(b) => Ok(Val::Bool(*b)),
        Node::Str(s) => Ok(Val::Str(s)),
        Node::Enum(e) => Ok(Val::Enum(*e)),
        Node::Root { record, field } => {
            let root = ctx.root;
            match root.fields.get(*field) {
                Some(value) => fact(value, *record, root.index, *field),
                None => Err(type_slip()),
            }
        }
        Node::Field {
            base,
            record,
            field,
        } => match node(base, ctx)? {
            Val::Rec(r) => match r.fields.get(*field) {
                Some(value) => fact(value, *record, r.index, *field),
                None => Err(type_slip()),
            },
            _ => Err(type_slip()),
        },
        Node::VarField { var, record, field } => match ctx.vars.get(*var) {
            Some(Val::Rec(r)) => {
                let r: &'a Record = r;
                match r.fields.get(*field) {
                    Some(value) => fact(value, *record, r.index, *field),
                    None => Err(type_slip()),
                }
            }
            _ => Err(type_slip()),
        },
        Node::SectionField {
            root: root_record,
            section,
            record,
            field,
        } => {
            let root = ctx.root;
            match root.fields.get(*section) {
                Some(Value::Rec(r)) => match r.fields.get(*field) {
                    Some(value) => fact(value, *record, r.index, *field),
                    None => Err(type_slip()),
                },
                // The section itself was not recorded: name it.
                Some(Value::Missing) => Err(EvalError::Missing {
                    record: *root_record,
                    index: root.index,
                    field: *section,
                }),
                _ => Err(type_slip()),
            }
        }
        Node::Has { base, field } => {
            let record = match base {
                None => ctx.root,
                Some(base) => match node(base, ctx)? {
                    Val::Rec(r) => r,
                    _ => return Err(type_slip()),
                },
            };
            Ok(Val::Bool(
                record
                    .fields
                    .get(*field)
                    .is_some_and(|v| *v != Value::Missing),
            ))
        }
        Node::Var(i) => ctx.vars.get(*i).cloned().ok_or_else(type_slip),
        Node::Slot(i) => ctx
            .slots
            .get(*i)
            .cloned()
            .unwrap_or_else(|| Err(type_slip())),
        Node::Not(inner) => Ok(Val::Bool(!boolean(inner, ctx)?)),
        Node::Neg(inner) => Ok(Val::Num(-num(inner, ctx)?)),
        Node::Arith(op, a, b, span) => {
            let (x, y) = (num(a, ctx)?, num(b, ctx)?);
            match op {
                Arith::Add => finite(x + y, *span),
                Arith::Sub => finite(x - y, *span),
                Arith::Mul => finite(x * y, *span),
                Arith::Div | Arith::Rem if y == 0.0 => Err(EvalError::Math {
                    span: *span,
                    message: "division by zero",
                }),
                Arith::Div => finite(x / y, *span),
                Arith::Rem => finite(x % y, *span),
            }
        }
        Node::Order(op, a, b) => {
            let (x, y) = (num(a, ctx)?, num(b, ctx)?);
            Ok(Val::Bool(match op {
                Order::Lt => x < y,
                Order::Le => x <= y,
                Order::Gt => x > y,
                Order::Ge => x >= y,
            }))
        }
        Node::Equal {
            negate,
            left,
            right,
        } => {
            let (x, y) = (node(left, ctx)?, node(right, ctx)?);
            Ok(Val::Bool((x == y) != *negate))
        }
        Node::In(value, set) => {
            let x = node(value, ctx)?;
            for item in set {
                if node(item, ctx)? == x {
                    return Ok(Val::Bool(true));
                }
            }
            Ok(Val::Bool(false))
        }
        Node::And(a, b) => match boolean(a, ctx) {
            Ok(false) => Ok(Val::Bool(false)),
            Ok(true) => Ok(Val::Bool(boolean(b, ctx)?)),
            Err(e) => match boolean(b, ctx) {
                Ok(false) => Ok(Val::Bool(false)),
                _ => Err(e),
            },
        },
        Node::Or(a, b) => match boolean(a, ctx) {
            Ok(true) => Ok(Val::Bool(true)),
            Ok(false) => Ok(Val::Bool(boolean(b, ctx)?)),
            Err(e) => match boolean(b, ctx) {
                Ok(true) => Ok(Val::Bool(true)),
                _ => Err(e),
            },
        },
        Node::Cond(c, then, otherwise) => {
            if boolean(c, ctx)? {
                node(then, ctx)
            } else {
                node(otherwise, ctx)
            }
        }
        Node::Default(value, fallback) => match node(value, ctx) {
            Err(EvalError::Missing { .. }) => node(fallback, ctx),
            other => other,
        },
        Node::Call(func, args, span) => call(*func, args, *span, ctx),
        Node::Macro {
            kind,
            list,
            body,
            span,
        } => macro_(*kind, list, body, *span, ctx),
        Node::List(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(node(item, ctx)?);
            }
            Ok(Val::List(values.into()))
        }
    }
}

fn call<'a>(func: Func, args: &'a [Node], span: Span, ctx: &mut Ctx<'a>) -> Out<'a> {
    let first = || args.first().ok_or_else(type_slip);
    match func {
        Func::Size => Ok(Val::Num(match node(first()?, ctx)? {
            Val::Recs(rs) => rs.len() as f64,
            Val::Picked(rs) => rs.len() as f64,
            Val::List(vs) => vs.len() as f64,
            _ => return Err(type_slip()),
        })),
        Func::Abs => Ok(Val::Num(num(first()?, ctx)?.abs())),
        Func::Floor => Ok(Val::Num(num(first()?, ctx)?.floor())),
        Func::Ceil => Ok(Val::Num(num(first()?, ctx)?.ceil())),
        Func::Round => Ok(Val::Num(num(first()?, ctx)?.round())),
        Func::Min | Func::Max => {
            let mut best: Option<f64> = None;
            for arg in args {
                let x = num(arg, ctx)?;
                best = Some(match best {
                    None => x,
                    Some(b) if func == Func::Min => b.min(x),
                    Some(b) => b.max(x),
                });
            }
            best.map(Val::Num).ok_or_else(type_slip)
        }
        Func::SumList | Func::MinList | Func::MaxList => {
            let Val::List(values) = node(first()?, ctx)? else {
                return Err(type_slip());
            };
            let numbers = values.iter().map(|v| v.as_num().ok_or_else(type_slip));
            let mut acc: Option<f64> = None;
            for x in numbers {
                let x = x?;
                acc = Some(match (acc, func) {
                    (None, _) => x,
                    (Some(a), Func::SumList) => a + x,
                    (Some(a), Func::MinList) => a.min(x),
                    (Some(a), _) => a.max(x),
                });
            }
            match (acc, func) {
                (Some(a), _) => finite(a, span),
                (None, Func::SumList) => Ok(Val::Num(0.0)),
                (None, _) => Err(EvalError::Math {
                    span,
                    message: "min/max of an empty list",
                }),
            }
        }
    }
}

/// Walks the elements of a list value without allocating.
enum Elements<'v, 'a> {
    Recs(std::slice::Iter<'a, Record>),
    Picked(std::slice::Iter<'v, &'a Record>),
    List(std::slice::Iter<'v, Val<'a>>),
}

impl<'a> Iterator for Elements<'_, 'a> {
    type Item = Val<'a>;
    fn next(&mut self) -> Option<Val<'a>> {
        match self {
            Elements::Recs(it) => it.next().map(Val::Rec),
            Elements::Picked(it) => it.next().map(|r| Val::Rec(r)),
            Elements::List(it) => it.next().cloned(),
        }
    }
}

fn elements<'v, 'a>(list: &'v Val<'a>) -> Result<Elements<'v, 'a>, EvalError> {
    match list {
        Val::Recs(rs) => Ok(Elements::Recs(rs.iter())),
        Val::Picked(rs) => Ok(Elements::Picked(rs.iter())),
        Val::List(vs) => Ok(Elements::List(vs.iter())),
        _ => Err(type_slip()),
    }
}

fn macro_<'a>(
    kind: Macro,
    list: &'a Node,
    body: &'a Node,
    span: Span,
    ctx: &mut Ctx<'a>,
) -> Out<'a> {
    let list = node(list, ctx)?;
    let mut pending_error: Option<EvalError> = None;
    let mut matches = 0usize;
    let mut acc: Option<f64> = None;
    let mut picked: Vec<&'a Record> = Vec::new();
    let mut mapped: Vec<Val<'a>> = Vec::new();
    for element in elements(&list)? {
        let record = match element {
            Val::Rec(r) => Some(r),
            _ => None,
        };
        ctx.vars.push(element);
        let result = node(body, ctx);
        ctx.vars.pop();
        match (kind, result) {
            (Macro::Exists, Ok(Val::Bool(true))) => return Ok(Val::Bool(true)),
            (Macro::All, Ok(Val::Bool(false))) => return Ok(Val::Bool(false)),
            (Macro::Exists | Macro::All, Ok(_)) => {}
            (Macro::Exists | Macro::All, Err(e)) => {
                pending_error.get_or_insert(e);
            }
            (_, Err(e)) => return Err(e),
            (Macro::ExistsOne | Macro::Count, Ok(v)) => {
                if v == Val::Bool(true) {
                    matches += 1;
                }
            }
            (Macro::Filter, Ok(v)) => {
                if v == Val::Bool(true) {
                    picked.push(record.ok_or_else(type_slip)?);
                }
            }
            (Macro::Map, Ok(v)) => mapped.push(v),
            (Macro::Sum | Macro::Max | Macro::Min, Ok(v)) => {
                let x = v.as_num().ok_or_else(type_slip)?;
                acc = Some(match (acc, kind) {
                    (None, _) => x,
                    (Some(a), Macro::Sum) => a + x,
                    (Some(a), Macro::Max) => a.max(x),
                    (Some(a), _) => a.min(x),
                });
            }
        }
    }
    if let Some(e) = pending_error {
        return Err(e);
    }
    match kind {
        Macro::Exists => Ok(Val::Bool(false)),
        Macro::All => Ok(Val::Bool(true)),
        Macro::ExistsOne => Ok(Val::Bool(matches == 1)),
        Macro::Count => Ok(Val::Num(matches as f64)),
        Macro::Filter => Ok(Val::Picked(picked.into())),
        Macro::Map => Ok(Val::List(mapped.into())),
        Macro::Sum => finite(acc.unwrap_or(0.0), span),
        Macro::Max | Macro::Min => acc.map(Val::Num).ok_or(EvalError::Math {
            span,
            message: "max/min of an empty list",
        }),
    }
}
