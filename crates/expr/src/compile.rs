//! Type checking and compilation: names become slot and field indexes, string literals compared
//! with an enumeration become its value numbers, and every mistake is reported with its span.

use std::collections::{BTreeSet, HashMap};

use crate::parse::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::{ExprError, Schema, Span, Ty};

/// A value known when the rule file is loaded (a model parameter).
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Num(f64),
    Bool(bool),
    Str(String),
}

/// What a name in an expression stands for, besides the facts of the root record.
#[derive(Debug, Clone, PartialEq)]
pub enum Binding {
    Const(Const),
    /// A value computed before this expression runs (a `let`, `total`, `dims.income`),
    /// stored at this index of [`crate::Ctx::slots`].
    Slot(usize, Ty),
}

/// The names an expression may use.
pub struct Scope<'s> {
    pub schema: &'s Schema,
    /// Whose fields are readable by bare name (`members`, `income`); `None` for expressions
    /// that may only use the bindings.
    pub root: Option<usize>,
    pub names: HashMap<String, Binding>,
}

impl<'s> Scope<'s> {
    pub fn new(schema: &'s Schema, root: Option<usize>) -> Scope<'s> {
        Scope {
            schema,
            root,
            names: HashMap::new(),
        }
    }
}

/// A checked expression, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub(crate) node: Node,
    pub ty: Ty,
    /// Slots it reads (for ordering lets and finding cycles).
    pub slots: BTreeSet<usize>,
    /// Facts it reads, as (record, field) of the schema.
    pub facts: BTreeSet<(usize, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Size,
    Abs,
    Floor,
    Ceil,
    Round,
    Min,
    Max,
    SumList,
    MinList,
    MaxList,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Macro {
    Exists,
    All,
    ExistsOne,
    Filter,
    Map,
    Count,
    Sum,
    Max,
    Min,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Num(f64),
    Bool(bool),
    Str(Box<str>),
    Enum(u16),
    /// A field of the root record.
    Root {
        record: usize,
        field: usize,
    },
    Field {
        base: Box<Node>,
        record: usize,
        field: usize,
    },
    /// `m.field` where `m` is a macro variable bound to a record.
    VarField {
        var: usize,
        record: usize,
        field: usize,
    },
    /// `section.field` where `section` is a record field of the root (`income.wages`).
    SectionField {
        root: usize,
        section: usize,
        record: usize,
        field: usize,
    },
    /// Whether a fact was recorded.
    Has {
        base: Option<Box<Node>>,
        field: usize,
    },
    Var(usize),
    Slot(usize),
    Not(Box<Node>),
    Neg(Box<Node>),
    Arith(Arith, Box<Node>, Box<Node>, Span),
    Order(Order, Box<Node>, Box<Node>),
    Equal {
        negate: bool,
        left: Box<Node>,
        right: Box<Node>,
    },
    In(Box<Node>, Vec<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Default(Box<Node>, Box<Node>),
    Call(Func, Vec<Node>, Span),
    Macro {
        kind: Macro,
        list: Box<Node>,
        body: Box<Node>,
        span: Span,
    },
    List(Vec<Node>),
}

/// Check `expr` against the scope and compile it. Every mistake found is returned.
pub fn compile(expr: &Expr, scope: &Scope<'_>) -> Result<Compiled, Vec<ExprError>> {
    let mut compiler = Compiler {
        scope,
        vars: Vec::new(),
        errors: Vec::new(),
        slots: BTreeSet::new(),
        facts: BTreeSet::new(),
    };
    match compiler.node(expr) {
        Ok((node, ty)) if compiler.errors.is_empty() => Ok(Compiled {
            node,
            ty,
            slots: compiler.slots,
            facts: compiler.facts,
        }),
        _ => Err(compiler.errors),
    }
}

struct Compiler<'c, 's> {
    scope: &'c Scope<'s>,
    vars: Vec<(String, Ty)>,
    errors: Vec<ExprError>,
    slots: BTreeSet<usize>,
    facts: BTreeSet<(usize, usize)>,
}

/// Marker: the error has been recorded already.
struct Reported;

type Typed = Result<(Node, Ty), Reported>;

impl Compiler<'_, '_> {
    fn fail(&mut self, span: Span, message: impl Into<String>) -> Reported {
        self.errors.push(ExprError::new(span, message));
        Reported
    }

    fn type_name(&self, ty: &Ty) -> String {
        self.scope.schema.type_name(ty)
    }

    fn node(&mut self, expr: &Expr) -> Typed {
        match &expr.kind {
            ExprKind::Num(n) => Ok((Node::Num(*n), Ty::Num)),
            ExprKind::Bool(b) => Ok((Node::Bool(*b), Ty::Bool)),
            ExprKind::Str(s) => Ok((Node::Str(s.clone().into_boxed_str()), Ty::Str)),
            ExprKind::Ident(name) => self.ident(name, expr.span),
            ExprKind::Select(base, field, field_span) => {
                self.select(expr, base, field, *field_span)
            }
            ExprKind::List(items) => self.list(items, expr.span),
            ExprKind::Unary(op, operand) => {
                let (node, ty) = self.node(operand)?;
                match (op, &ty) {
                    (UnaryOp::Not, Ty::Bool) => Ok((Node::Not(Box::new(node)), Ty::Bool)),
                    (UnaryOp::Neg, Ty::Num) => Ok((Node::Neg(Box::new(node)), Ty::Num)),
                    (UnaryOp::Not, _) => Err(self.fail(
                        operand.span,
                        format!("'!' needs a bool, found {}", self.type_name(&ty)),
                    )),
                    (UnaryOp::Neg, _) => Err(self.fail(
                        operand.span,
                        format!("'-' needs a number, found {}", self.type_name(&ty)),
                    )),
                }
            }
            ExprKind::Binary(op, left, right) => self.binary(*op, left, right, expr.span),
            ExprKind::Cond(cond, then, otherwise) => {
                let cond = self.expect(cond, &Ty::Bool, "the condition of '?:'");
                let then_c = self.node(then);
                let other_c = self.node(otherwise);
                let ((then_n, then_t), (other_n, other_t)) = (then_c?, other_c?);
                let cond = cond?;
                if then_t != other_t {
                    return Err(self.fail(
                        expr.span,
                        format!(
                            "both branches of '?:' must have one type; found {} and {}",
                            self.type_name(&then_t),
                            self.type_name(&other_t)
                        ),
                    ));
                }
                Ok((
                    Node::Cond(Box::new(cond), Box::new(then_n), Box::new(other_n)),
                    then_t,
                ))
            }
            ExprKind::Call { target, name, args } => match target {
                Some(target) => self.method(target, name, args, expr.span),
                None => self.function(name, args, expr.span),
            },
        }
    }

    fn expect(&mut self, expr: &Expr, want: &Ty, role: &str) -> Result<Node, Reported> {
        let (node, ty) = self.node(expr)?;
        if &ty == want {
            Ok(node)
        } else {
            Err(self.fail(
                expr.span,
                format!(
                    "{role} must be a {}, found {}",
                    self.type_name(want),
                    self.type_name(&ty)
                ),
            ))
        }
    }

    fn ident(&mut self, name: &str, span: Span) -> Typed {
        if let Some(position) = self.vars.iter().rposition(|(var, _)| var == name) {
            return Ok((Node::Var(position), self.vars[position].1.clone()));
        }
        if let Some(binding) = self.scope.names.get(name) {
            return Ok(self.binding(binding));
        }
        if let Some(root) = self.scope.root
            && let Some(field) = self.scope.schema.field_index(root, name)
        {
            self.facts.insert((root, field));
            let ty = self.scope.schema.records[root].fields[field].ty.clone();
            return Ok((
                Node::Root {
                    record: root,
                    field,
                },
                ty,
            ));
        }
        let known = self.known_names();
        Err(self.fail(
            span,
            format!("unknown name '{name}'{}", suggestion(name, &known)),
        ))
    }

    fn known_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.vars.iter().map(|(n, _)| n.clone()).collect();
        names.extend(self.scope.names.keys().cloned());
        if let Some(root) = self.scope.root {
            names.extend(
                self.scope.schema.records[root]
                    .fields
                    .iter()
                    .map(|f| f.name.clone()),
            );
        }
        names
    }

    fn binding(&mut self, binding: &Binding) -> (Node, Ty) {
        match binding {
            Binding::Const(Const::Num(n)) => (Node::Num(*n), Ty::Num),
            Binding::Const(Const::Bool(b)) => (Node::Bool(*b), Ty::Bool),
            Binding::Const(Const::Str(s)) => (Node::Str(s.clone().into_boxed_str()), Ty::Str),
            Binding::Slot(slot, ty) => {
                self.slots.insert(*slot);
                (Node::Slot(*slot), ty.clone())
            }
        }
    }

    fn select(&mut self, whole: &Expr, base: &Expr, field: &str, field_span: Span) -> Typed {
        // `params.x` and `dims.income` are names of the scope, not fields.
        if let Some(path) = whole.dotted_path() {
            let root_is_var = path
                .split('.')
                .next()
                .is_some_and(|root| self.vars.iter().any(|(v, _)| v == root));
            if !root_is_var && let Some(binding) = self.scope.names.get(&path) {
                return Ok(self.binding(binding));
            }
            if !root_is_var
                && let Some(prefix) = path.split('.').next()
                && self
                    .scope
                    .names
                    .keys()
                    .any(|k| k.starts_with(&format!("{prefix}.")))
                && !self.scope.names.contains_key(prefix)
            {
                let known: Vec<String> = self
                    .scope
                    .names
                    .keys()
                    .filter(|k| k.starts_with(&format!("{prefix}.")))
                    .cloned()
                    .collect();
                return Err(self.fail(
                    whole.span,
                    format!("unknown name '{path}'{}", suggestion(&path, &known)),
                ));
            }
        }
        let (base_node, base_ty) = self.node(base)?;
        let Ty::Rec(record) = base_ty else {
            return Err(self.fail(
                field_span,
                format!(
                    "'{field}' is read from a {}, which has no fields",
                    self.type_name(&base_ty)
                ),
            ));
        };
        let def = &self.scope.schema.records[record];
        let Some(index) = def.fields.iter().position(|f| f.name == field) else {
            let known: Vec<String> = def.fields.iter().map(|f| f.name.clone()).collect();
            let message = format!(
                "{} has no field '{field}'{}",
                def.name,
                suggestion(field, &known)
            );
            return Err(self.fail(field_span, message));
        };
        self.facts.insert((record, index));
        let ty = def.fields[index].ty.clone();
        // The two reads that dominate rule files get nodes of their own: a field of a macro
        // variable (`m.age`) and a field of a section of the root (`income.wages`).
        let node = match base_node {
            Node::Var(var) => Node::VarField {
                var,
                record,
                field: index,
            },
            Node::Root {
                record: root,
                field: section,
            } => Node::SectionField {
                root,
                section,
                record,
                field: index,
            },
            base_node => Node::Field {
                base: Box::new(base_node),
                record,
                field: index,
            },
        };
        Ok((node, ty))
    }

    fn list(&mut self, items: &[Expr], span: Span) -> Typed {
        let mut nodes = Vec::new();
        let mut item_ty: Option<Ty> = None;
        let mut failed = false;
        for item in items {
            match self.node(item) {
                Ok((node, ty)) => {
                    if let Some(expected) = &item_ty
                        && *expected != ty
                    {
                        let message = format!(
                            "list items must have one type; found {} and {}",
                            self.type_name(expected),
                            self.type_name(&ty)
                        );
                        self.fail(item.span, message);
                        failed = true;
                    }
                    item_ty.get_or_insert(ty);
                    nodes.push(node);
                }
                Err(Reported) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        let Some(ty) = item_ty else {
            return Err(self.fail(span, "an empty list has no type; leave it out"));
        };
        Ok((Node::List(nodes), Ty::List(Box::new(ty))))
    }

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr, span: Span) -> Typed {
        if op == BinaryOp::In {
            return self.membership(left, right);
        }
        let l = self.node(left);
        let r = self.node(right);
        let ((ln, lt), (rn, rt)) = (l?, r?);
        let mismatch = |c: &mut Self, want: &str| {
            let message = format!(
                "'{}' needs {want}; found {} and {}",
                op.symbol(),
                c.type_name(&lt),
                c.type_name(&rt)
            );
            Err(c.fail(span, message))
        };
        match op {
            BinaryOp::And | BinaryOp::Or => {
                if lt != Ty::Bool || rt != Ty::Bool {
                    return mismatch(self, "two bools");
                }
                let node = if op == BinaryOp::And {
                    Node::And(Box::new(ln), Box::new(rn))
                } else {
                    Node::Or(Box::new(ln), Box::new(rn))
                };
                Ok((node, Ty::Bool))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                if lt != Ty::Num || rt != Ty::Num {
                    return mismatch(self, "two numbers");
                }
                let arith = match op {
                    BinaryOp::Add => Arith::Add,
                    BinaryOp::Sub => Arith::Sub,
                    BinaryOp::Mul => Arith::Mul,
                    BinaryOp::Div => Arith::Div,
                    _ => Arith::Rem,
                };
                // Constants are folded (`as_of - 365` is worked out once, not once a row).
                let folded = match (&ln, &rn, arith) {
                    (Node::Num(x), Node::Num(y), Arith::Add) => Some(x + y),
                    (Node::Num(x), Node::Num(y), Arith::Sub) => Some(x - y),
                    (Node::Num(x), Node::Num(y), Arith::Mul) => Some(x * y),
                    (Node::Num(x), Node::Num(y), Arith::Div) if *y != 0.0 => Some(x / y),
                    _ => None,
                };
                match folded {
                    Some(value) if value.is_finite() => Ok((Node::Num(value), Ty::Num)),
                    _ => Ok((
                        Node::Arith(arith, Box::new(ln), Box::new(rn), span),
                        Ty::Num,
                    )),
                }
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                if lt != Ty::Num || rt != Ty::Num {
                    return mismatch(self, "two numbers");
                }
                let order = match op {
                    BinaryOp::Lt => Order::Lt,
                    BinaryOp::Le => Order::Le,
                    BinaryOp::Gt => Order::Gt,
                    _ => Order::Ge,
                };
                Ok((Node::Order(order, Box::new(ln), Box::new(rn)), Ty::Bool))
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let (ln, rn) = self.unify(ln, &lt, left, rn, &rt, right, span)?;
                Ok((
                    Node::Equal {
                        negate: op == BinaryOp::Ne,
                        left: Box::new(ln),
                        right: Box::new(rn),
                    },
                    Ty::Bool,
                ))
            }
            BinaryOp::In => unreachable_in(),
        }
    }

    /// Make the two sides of `==` comparable: an enumeration compared with a string literal
    /// takes the literal's value number, and a literal that is not a value is an error.
    #[allow(clippy::too_many_arguments)]
    fn unify(
        &mut self,
        ln: Node,
        lt: &Ty,
        left: &Expr,
        rn: Node,
        rt: &Ty,
        right: &Expr,
        span: Span,
    ) -> Result<(Node, Node), Reported> {
        match (lt, rt) {
            (Ty::Enum(e), Ty::Str) => {
                let rn = self.enum_literal(*e, rn, right)?;
                Ok((ln, rn))
            }
            (Ty::Str, Ty::Enum(e)) => {
                let ln = self.enum_literal(*e, ln, left)?;
                Ok((ln, rn))
            }
            (Ty::Num, Ty::Num) | (Ty::Bool, Ty::Bool) | (Ty::Str, Ty::Str) => Ok((ln, rn)),
            (Ty::Enum(a), Ty::Enum(b)) if a == b => Ok((ln, rn)),
            _ => {
                let message = format!(
                    "cannot compare {} with {}",
                    self.type_name(lt),
                    self.type_name(rt)
                );
                Err(self.fail(span, message))
            }
        }
    }

    fn enum_literal(
        &mut self,
        enumeration: usize,
        node: Node,
        expr: &Expr,
    ) -> Result<Node, Reported> {
        let Node::Str(text) = &node else {
            return Err(self.fail(
                expr.span,
                "compare an enumerated fact with a string literal, not a computed string",
            ));
        };
        let def = &self.scope.schema.enums[enumeration];
        match def.values.iter().position(|v| v.as_str() == &**text) {
            Some(index) => Ok(Node::Enum(index as u16)),
            None => {
                let message = format!(
                    "'{text}' is not a value of {}{}; the values are {}",
                    def.name,
                    suggestion(text, &def.values),
                    def.values.join(", ")
                );
                Err(self.fail(expr.span, message))
            }
        }
    }

    fn membership(&mut self, left: &Expr, right: &Expr) -> Typed {
        let (ln, lt) = self.node(left)?;
        let ExprKind::List(items) = &right.kind else {
            return Err(self.fail(
                right.span,
                "'in' needs a list literal on its right, e.g. x in [\"a\", \"b\"]",
            ));
        };
        let mut set = Vec::new();
        let mut failed = false;
        for item in items {
            let Ok((node, ty)) = self.node(item) else {
                failed = true;
                continue;
            };
            match self.unify(ln.clone(), &lt, left, node, &ty, item, item.span) {
                Ok((_, node)) => set.push(node),
                Err(Reported) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        Ok((Node::In(Box::new(ln), set), Ty::Bool))
    }

    fn function(&mut self, name: &str, args: &[Expr], span: Span) -> Typed {
        match name {
            "has" => {
                let [arg] = args else {
                    return Err(self.fail(span, "has() takes one fact, e.g. has(income.wages)"));
                };
                self.has(arg)
            }
            "default" => {
                let [value, fallback] = args else {
                    return Err(self.fail(
                        span,
                        "default() takes a fact and the value to use when it was not recorded",
                    ));
                };
                let v = self.node(value);
                let f = self.node(fallback);
                let ((vn, vt), (fn_, ft)) = (v?, f?);
                let (vn, fn_) = self.unify(vn, &vt, value, fn_, &ft, fallback, span)?;
                Ok((Node::Default(Box::new(vn), Box::new(fn_)), vt))
            }
            "size" => {
                let [arg] = args else {
                    return Err(self.fail(span, "size() takes one list"));
                };
                let (node, ty) = self.node(arg)?;
                if !matches!(ty, Ty::Recs(_) | Ty::List(_)) {
                    let message = format!("size() needs a list, found {}", self.type_name(&ty));
                    return Err(self.fail(arg.span, message));
                }
                Ok((Node::Call(Func::Size, vec![node], span), Ty::Num))
            }
            "abs" | "floor" | "ceil" | "round" => {
                let [arg] = args else {
                    return Err(self.fail(span, format!("{name}() takes one number")));
                };
                let node = self.expect(arg, &Ty::Num, &format!("the argument of {name}()"))?;
                let func = match name {
                    "abs" => Func::Abs,
                    "floor" => Func::Floor,
                    "ceil" => Func::Ceil,
                    _ => Func::Round,
                };
                Ok((Node::Call(func, vec![node], span), Ty::Num))
            }
            "min" | "max" | "sum" => {
                if let [single] = args {
                    let (node, ty) = self.node(single)?;
                    if ty != Ty::List(Box::new(Ty::Num)) {
                        let message = format!(
                            "{name}() of one argument needs a list of numbers, found {}",
                            self.type_name(&ty)
                        );
                        return Err(self.fail(single.span, message));
                    }
                    let func = match name {
                        "min" => Func::MinList,
                        "max" => Func::MaxList,
                        _ => Func::SumList,
                    };
                    return Ok((Node::Call(func, vec![node], span), Ty::Num));
                }
                if name == "sum" || args.is_empty() {
                    return Err(self.fail(span, format!("{name}() needs arguments")));
                }
                let mut nodes = Vec::new();
                let mut failed = false;
                for arg in args {
                    match self.expect(arg, &Ty::Num, &format!("an argument of {name}()")) {
                        Ok(node) => nodes.push(node),
                        Err(Reported) => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                let func = if name == "min" { Func::Min } else { Func::Max };
                Ok((Node::Call(func, nodes, span), Ty::Num))
            }
            _ => {
                let known: Vec<String> = [
                    "has", "default", "size", "abs", "floor", "ceil", "round", "min", "max", "sum",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                Err(self.fail(
                    span,
                    format!("unknown function '{name}'{}", suggestion(name, &known)),
                ))
            }
        }
    }

    fn has(&mut self, arg: &Expr) -> Typed {
        match &arg.kind {
            ExprKind::Select(base, field, field_span) => {
                let (base_node, base_ty) = self.node(base)?;
                let Ty::Rec(record) = base_ty else {
                    return Err(self.fail(arg.span, "has() needs a fact, e.g. has(income.wages)"));
                };
                let Some(index) = self.scope.schema.field_index(record, field) else {
                    let def = &self.scope.schema.records[record];
                    let known: Vec<String> = def.fields.iter().map(|f| f.name.clone()).collect();
                    let message = format!(
                        "{} has no field '{field}'{}",
                        def.name,
                        suggestion(field, &known)
                    );
                    return Err(self.fail(*field_span, message));
                };
                self.facts.insert((record, index));
                Ok((
                    Node::Has {
                        base: Some(Box::new(base_node)),
                        field: index,
                    },
                    Ty::Bool,
                ))
            }
            ExprKind::Ident(name) => {
                if let Some(root) = self.scope.root
                    && !self.vars.iter().any(|(v, _)| v == name)
                    && let Some(index) = self.scope.schema.field_index(root, name)
                {
                    self.facts.insert((root, index));
                    return Ok((
                        Node::Has {
                            base: None,
                            field: index,
                        },
                        Ty::Bool,
                    ));
                }
                Err(self.fail(arg.span, "has() needs a fact, e.g. has(income.wages)"))
            }
            _ => Err(self.fail(arg.span, "has() needs a fact, e.g. has(income.wages)")),
        }
    }

    fn method(&mut self, target: &Expr, name: &str, args: &[Expr], span: Span) -> Typed {
        let (list, list_ty) = self.node(target)?;
        let element = match &list_ty {
            Ty::Recs(record) => Ty::Rec(*record),
            Ty::List(inner) => (**inner).clone(),
            other => {
                let message = format!("'.{name}()' needs a list, found {}", self.type_name(other));
                return Err(self.fail(span, message));
            }
        };
        if name == "size" {
            if !args.is_empty() {
                return Err(self.fail(span, "size() takes no arguments here"));
            }
            return Ok((Node::Call(Func::Size, vec![list], span), Ty::Num));
        }
        let kind = match name {
            "exists" => Macro::Exists,
            "all" => Macro::All,
            "exists_one" => Macro::ExistsOne,
            "filter" => Macro::Filter,
            "map" => Macro::Map,
            "count" => Macro::Count,
            "sum" => Macro::Sum,
            "max" => Macro::Max,
            "min" => Macro::Min,
            _ => {
                let known: Vec<String> = [
                    "exists",
                    "all",
                    "exists_one",
                    "filter",
                    "map",
                    "count",
                    "sum",
                    "max",
                    "min",
                    "size",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                return Err(self.fail(
                    span,
                    format!("unknown list function '{name}'{}", suggestion(name, &known)),
                ));
            }
        };
        let [var, body] = args else {
            return Err(self.fail(
                span,
                format!("{name}() takes a variable and an expression, e.g. members.{name}(m, m.age >= 60)"),
            ));
        };
        let ExprKind::Ident(var_name) = &var.kind else {
            return Err(self.fail(
                var.span,
                format!("the first argument of {name}() is a variable name"),
            ));
        };
        self.vars.push((var_name.clone(), element));
        let body_result = self.node(body);
        self.vars.pop();
        let (body_node, body_ty) = body_result?;
        let (want, result_ty) = match kind {
            Macro::Exists | Macro::All | Macro::ExistsOne => (Some(Ty::Bool), Ty::Bool),
            Macro::Filter => (Some(Ty::Bool), list_ty.clone()),
            Macro::Count => (Some(Ty::Bool), Ty::Num),
            Macro::Sum | Macro::Max | Macro::Min => (Some(Ty::Num), Ty::Num),
            Macro::Map => (None, Ty::List(Box::new(body_ty.clone()))),
        };
        if let Some(want) = want
            && want != body_ty
        {
            let message = format!(
                "the expression of {name}() must be a {}, found {}",
                self.type_name(&want),
                self.type_name(&body_ty)
            );
            return Err(self.fail(body.span, message));
        }
        if kind == Macro::Map && matches!(body_ty, Ty::Rec(_) | Ty::Recs(_) | Ty::List(_)) {
            return Err(self.fail(
                body.span,
                "map() must give plain values (numbers, bools, strings)",
            ));
        }
        Ok((
            Node::Macro {
                kind,
                list: Box::new(list),
                body: Box::new(body_node),
                span,
            },
            result_ty,
        ))
    }
}

fn unreachable_in() -> Typed {
    // `in` is handled by `membership` before this match; keep the compiler total without panics.
    Err(Reported)
}

/// " (did you mean 'age'?)" when a known name is close to the unknown one.
pub(crate) fn suggestion(unknown: &str, known: &[String]) -> String {
    known
        .iter()
        .map(|k| (edit_distance(unknown, k), k))
        .filter(|(d, k)| *d <= 2.max(k.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!(" (did you mean '{k}'?)"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}
