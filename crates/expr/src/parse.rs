//! Lexer and Pratt parser. Every node keeps the byte span it came from, so an error in a rule
//! file can be reported at its line and column.

use crate::{ExprError, Span};

/// Longer expressions are refused: a rule is a sentence, not a program.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024;
/// Nesting limit, so a hostile file cannot overflow the stack.
const MAX_DEPTH: usize = 48;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Num(f64),
    Str(String),
    Bool(bool),
    Ident(String),
    /// `base.field`; the span of the field name is kept for "no field" errors.
    Select(Box<Expr>, String, Span),
    /// `name(args)` or `target.name(args)`.
    Call {
        target: Option<Box<Expr>>,
        name: String,
        args: Vec<Expr>,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Punct(&'static str),
    End,
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

const PUNCTS: [&str; 22] = [
    "&&", "||", "==", "!=", "<=", ">=", "(", ")", "[", "]", ",", ".", "?", ":", "+", "-", "*", "/",
    "%", "!", "<", ">",
];

impl<'s> Lexer<'s> {
    fn next(&mut self) -> Result<(Tok, Span), ExprError> {
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() && (bytes[self.pos] as char).is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&first) = bytes.get(start) else {
            return Ok((Tok::End, Span::new(start, start)));
        };
        if first.is_ascii_digit() {
            return self.number(start);
        }
        if first == b'"' || first == b'\'' {
            return self.string(start, first);
        }
        if first.is_ascii_alphabetic() || first == b'_' {
            while bytes
                .get(self.pos)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                self.pos += 1;
            }
            let word = &self.src[start..self.pos];
            return Ok((Tok::Ident(word.to_string()), Span::new(start, self.pos)));
        }
        for punct in PUNCTS {
            if self.src[start..].starts_with(punct) {
                self.pos += punct.len();
                return Ok((Tok::Punct(punct), Span::new(start, self.pos)));
            }
        }
        let ch = self.src[start..].chars().next().unwrap_or('?');
        Err(ExprError::new(
            Span::new(start, start + ch.len_utf8()),
            format!("unexpected character '{ch}'"),
        ))
    }

    fn number(&mut self, start: usize) -> Result<(Tok, Span), ExprError> {
        let bytes = self.src.as_bytes();
        let mut seen_dot = false;
        while let Some(&b) = bytes.get(self.pos) {
            let next_is_digit = bytes.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
            if b.is_ascii_digit() || b == b'_' {
                self.pos += 1;
            } else if b == b'.' && !seen_dot && next_is_digit {
                seen_dot = true;
                self.pos += 1;
            } else if (b == b'e' || b == b'E')
                && (next_is_digit
                    || (matches!(bytes.get(self.pos + 1), Some(b'+' | b'-'))
                        && bytes.get(self.pos + 2).is_some_and(u8::is_ascii_digit)))
            {
                self.pos += 2;
            } else {
                break;
            }
        }
        let span = Span::new(start, self.pos);
        let text: String = self.src[start..self.pos]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        text.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| (Tok::Num(n), span))
            .ok_or_else(|| ExprError::new(span, format!("'{text}' is not a number")))
    }

    fn string(&mut self, start: usize, quote: u8) -> Result<(Tok, Span), ExprError> {
        let mut out = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((offset, ch)) = chars.next() {
            let at = start + 1 + offset;
            if ch as u32 == quote as u32 {
                self.pos = at + 1;
                return Ok((Tok::Str(out), Span::new(start, self.pos)));
            }
            if ch == '\\' {
                match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, c @ ('\\' | '"' | '\''))) => out.push(c),
                    _ => {
                        return Err(ExprError::new(
                            Span::new(at, at + 1),
                            "unknown escape in string (use \\\\, \\\", \\', \\n or \\t)",
                        ));
                    }
                }
            } else {
                out.push(ch);
            }
        }
        Err(ExprError::new(
            Span::new(start, self.src.len()),
            "string is not closed",
        ))
    }
}

pub fn parse(src: &str) -> Result<Expr, ExprError> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(ExprError::new(
            Span::new(0, src.len()),
            format!("expression is longer than {MAX_SOURCE_BYTES} bytes"),
        ));
    }
    let mut parser = Parser {
        lexer: Lexer { src, pos: 0 },
        tok: Tok::End,
        span: Span::new(0, 0),
        depth: 0,
    };
    parser.advance()?;
    if parser.tok == Tok::End {
        return Err(ExprError::new(
            Span::new(0, src.len()),
            "expression is empty",
        ));
    }
    let expr = parser.expr()?;
    if parser.tok != Tok::End {
        return Err(ExprError::new(
            parser.span,
            format!("unexpected {} after the expression", describe(&parser.tok)),
        ));
    }
    Ok(expr)
}

struct Parser<'s> {
    lexer: Lexer<'s>,
    tok: Tok,
    span: Span,
    depth: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(_) => "string".to_string(),
        Tok::Ident(name) => format!("'{name}'"),
        Tok::Punct(p) => format!("'{p}'"),
        Tok::End => "end of expression".to_string(),
    }
}

fn binary_precedence(tok: &Tok) -> Option<(BinaryOp, u8)> {
    let op = match tok {
        Tok::Punct("||") => (BinaryOp::Or, 1),
        Tok::Punct("&&") => (BinaryOp::And, 2),
        Tok::Punct("==") => (BinaryOp::Eq, 3),
        Tok::Punct("!=") => (BinaryOp::Ne, 3),
        Tok::Punct("<") => (BinaryOp::Lt, 3),
        Tok::Punct("<=") => (BinaryOp::Le, 3),
        Tok::Punct(">") => (BinaryOp::Gt, 3),
        Tok::Punct(">=") => (BinaryOp::Ge, 3),
        Tok::Ident(word) if word == "in" => (BinaryOp::In, 3),
        Tok::Punct("+") => (BinaryOp::Add, 4),
        Tok::Punct("-") => (BinaryOp::Sub, 4),
        Tok::Punct("*") => (BinaryOp::Mul, 5),
        Tok::Punct("/") => (BinaryOp::Div, 5),
        Tok::Punct("%") => (BinaryOp::Rem, 5),
        _ => return None,
    };
    Some(op)
}

impl Parser<'_> {
    fn advance(&mut self) -> Result<(), ExprError> {
        let (tok, span) = self.lexer.next()?;
        self.tok = tok;
        self.span = span;
        Ok(())
    }

    fn expect(&mut self, punct: &'static str) -> Result<Span, ExprError> {
        if self.tok == Tok::Punct(punct) {
            let span = self.span;
            self.advance()?;
            Ok(span)
        } else {
            Err(ExprError::new(
                self.span,
                format!("expected '{punct}', found {}", describe(&self.tok)),
            ))
        }
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(self.span, "expression is nested too deeply"));
        }
        Ok(())
    }

    /// conditional := or ('?' conditional ':' conditional)?
    fn expr(&mut self) -> Result<Expr, ExprError> {
        self.enter()?;
        let cond = self.binary(1)?;
        let result = if self.tok == Tok::Punct("?") {
            self.advance()?;
            let then = self.expr()?;
            self.expect(":")?;
            let otherwise = self.expr()?;
            let span = cond.span.to(otherwise.span);
            Expr {
                kind: ExprKind::Cond(Box::new(cond), Box::new(then), Box::new(otherwise)),
                span,
            }
        } else {
            cond
        };
        self.depth -= 1;
        Ok(result)
    }

    fn binary(&mut self, min_precedence: u8) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while let Some((op, precedence)) = binary_precedence(&self.tok) {
            if precedence < min_precedence {
                break;
            }
            self.advance()?;
            self.enter()?;
            let right = self.binary(precedence + 1)?;
            self.depth -= 1;
            // Relations do not chain: `a < b < c` is a mistake in a rule, say so.
            if precedence == 3 && binary_precedence(&self.tok).is_some_and(|(_, p)| p == 3) {
                return Err(ExprError::new(
                    self.span,
                    format!(
                        "comparisons do not chain; write `a {} b && b … c`",
                        op.symbol()
                    ),
                ));
            }
            let span = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        let op = match self.tok {
            Tok::Punct("!") => Some(UnaryOp::Not),
            Tok::Punct("-") => Some(UnaryOp::Neg),
            _ => None,
        };
        if let Some(op) = op {
            let start = self.span;
            self.advance()?;
            self.enter()?;
            let operand = self.unary()?;
            self.depth -= 1;
            let span = start.to(operand.span);
            return Ok(Expr {
                kind: ExprKind::Unary(op, Box::new(operand)),
                span,
            });
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, ExprError> {
        let mut expr = self.primary()?;
        while self.tok == Tok::Punct(".") {
            self.advance()?;
            let Tok::Ident(name) = self.tok.clone() else {
                return Err(ExprError::new(
                    self.span,
                    format!(
                        "expected a field name after '.', found {}",
                        describe(&self.tok)
                    ),
                ));
            };
            let name_span = self.span;
            self.advance()?;
            if self.tok == Tok::Punct("(") {
                let (args, end) = self.arguments()?;
                let span = expr.span.to(end);
                expr = Expr {
                    kind: ExprKind::Call {
                        target: Some(Box::new(expr)),
                        name,
                        args,
                    },
                    span,
                };
            } else {
                let span = expr.span.to(name_span);
                expr = Expr {
                    kind: ExprKind::Select(Box::new(expr), name, name_span),
                    span,
                };
            }
        }
        Ok(expr)
    }

    fn arguments(&mut self) -> Result<(Vec<Expr>, Span), ExprError> {
        self.expect("(")?;
        let mut args = Vec::new();
        if self.tok != Tok::Punct(")") {
            loop {
                args.push(self.expr()?);
                if self.tok == Tok::Punct(",") {
                    self.advance()?;
                } else {
                    break;
                }
            }
        }
        let end = self.expect(")")?;
        Ok((args, end))
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let span = self.span;
        match self.tok.clone() {
            Tok::Num(n) => {
                self.advance()?;
                Ok(Expr {
                    kind: ExprKind::Num(n),
                    span,
                })
            }
            Tok::Str(s) => {
                self.advance()?;
                Ok(Expr {
                    kind: ExprKind::Str(s),
                    span,
                })
            }
            Tok::Ident(name) => {
                self.advance()?;
                match name.as_str() {
                    "true" | "false" => Ok(Expr {
                        kind: ExprKind::Bool(name == "true"),
                        span,
                    }),
                    "in" | "null" => Err(ExprError::new(
                        span,
                        format!("'{name}' cannot start an expression"),
                    )),
                    _ if self.tok == Tok::Punct("(") => {
                        let (args, end) = self.arguments()?;
                        Ok(Expr {
                            kind: ExprKind::Call {
                                target: None,
                                name,
                                args,
                            },
                            span: span.to(end),
                        })
                    }
                    _ => Ok(Expr {
                        kind: ExprKind::Ident(name),
                        span,
                    }),
                }
            }
            Tok::Punct("(") => {
                self.advance()?;
                let inner = self.expr()?;
                self.expect(")")?;
                Ok(inner)
            }
            Tok::Punct("[") => {
                self.advance()?;
                let mut items = Vec::new();
                if self.tok != Tok::Punct("]") {
                    loop {
                        items.push(self.expr()?);
                        if self.tok == Tok::Punct(",") {
                            self.advance()?;
                        } else {
                            break;
                        }
                    }
                }
                let end = self.expect("]")?;
                Ok(Expr {
                    kind: ExprKind::List(items),
                    span: span.to(end),
                })
            }
            other => Err(ExprError::new(
                span,
                format!("expected a value, found {}", describe(&other)),
            )),
        }
    }
}

impl Expr {
    /// Identifiers the expression reads that are not bound by a macro inside it, with the
    /// span of their first use. Dotted reads such as `dims.income` are reported whole.
    pub fn free_names(&self) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        let mut bound = Vec::new();
        self.collect_free(&mut bound, &mut out);
        out
    }

    /// The dotted path of an `a.b.c` chain made only of identifiers.
    pub fn dotted_path(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Ident(name) => Some(name.clone()),
            ExprKind::Select(base, field, _) => base.dotted_path().map(|b| format!("{b}.{field}")),
            _ => None,
        }
    }

    fn collect_free(&self, bound: &mut Vec<String>, out: &mut Vec<(String, Span)>) {
        match &self.kind {
            ExprKind::Num(_) | ExprKind::Str(_) | ExprKind::Bool(_) => {}
            ExprKind::Ident(name) => {
                if !bound.contains(name) && !out.iter().any(|(n, _)| n == name) {
                    out.push((name.clone(), self.span));
                }
            }
            ExprKind::Select(base, _, _) => {
                if let Some(path) = self.dotted_path()
                    && let Some(root) = path.split('.').next()
                    && !bound.iter().any(|b| b == root)
                {
                    if !out.iter().any(|(n, _)| *n == path) {
                        out.push((path, self.span));
                    }
                    return;
                }
                base.collect_free(bound, out);
            }
            ExprKind::Call { target, args, .. } => {
                if let Some(target) = target {
                    target.collect_free(bound, out);
                    // A macro `list.exists(x, body)` binds x inside body.
                    if let [
                        Expr {
                            kind: ExprKind::Ident(var),
                            ..
                        },
                        body,
                    ] = args.as_slice()
                    {
                        bound.push(var.clone());
                        body.collect_free(bound, out);
                        bound.pop();
                        return;
                    }
                }
                for arg in args {
                    arg.collect_free(bound, out);
                }
            }
            ExprKind::Unary(_, e) => e.collect_free(bound, out),
            ExprKind::Binary(_, a, b) => {
                a.collect_free(bound, out);
                b.collect_free(bound, out);
            }
            ExprKind::Cond(a, b, c) => {
                a.collect_free(bound, out);
                b.collect_free(bound, out);
                c.collect_free(bound, out);
            }
            ExprKind::List(items) => {
                for item in items {
                    item.collect_free(bound, out);
                }
            }
        }
    }
}
