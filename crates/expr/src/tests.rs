use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

fn schema() -> Schema {
    let field = |name: &str, ty: Ty| FieldDef {
        name: name.to_string(),
        ty,
    };
    Schema {
        records: vec![
            RecordDef {
                name: "household".into(),
                path: String::new(),
                is_list: false,
                fields: vec![
                    field("members", Ty::Recs(1)),
                    field("income", Ty::Rec(2)),
                    field("tenure", Ty::Enum(0)),
                ],
            },
            RecordDef {
                name: "member".into(),
                path: "members".into(),
                is_list: true,
                fields: vec![
                    field("age", Ty::Num),
                    field("disabled", Ty::Bool),
                    field("relation", Ty::Enum(1)),
                ],
            },
            RecordDef {
                name: "income".into(),
                path: "income".into(),
                is_list: false,
                fields: vec![field("wages", Ty::Num), field("pensions", Ty::Num)],
            },
        ],
        enums: vec![
            EnumDef {
                name: "tenure".into(),
                values: vec!["owned".into(), "rented".into()],
            },
            EnumDef {
                name: "relation".into(),
                values: vec!["self".into(), "spouse".into(), "child".into()],
            },
        ],
    }
}

fn member(index: u32, age: Value, disabled: bool, relation: u16) -> Record {
    Record {
        fields: vec![age, Value::Bool(disabled), Value::Enum(relation)].into(),
        index,
    }
}

fn household(wages: Value) -> Record {
    Record {
        fields: vec![
            Value::Recs(vec![
                member(0, Value::Num(70.0), false, 0),
                member(1, Value::Missing, true, 1),
                member(2, Value::Num(9.0), false, 2),
            ]),
            Value::Rec(Box::new(Record {
                fields: vec![wages, Value::Num(1200.0)].into(),
                index: 0,
            })),
            Value::Enum(1),
        ]
        .into(),
        index: 0,
    }
}

fn scope(schema: &Schema) -> Scope<'_> {
    let mut scope = Scope::new(schema, Some(0));
    scope
        .names
        .insert("params.line".into(), Binding::Const(Const::Num(9360.0)));
    scope
}

fn run(src: &str, facts: &Record) -> Result<Val<'static>, String> {
    let schema = schema();
    let expr = parse(src).map_err(|e| e.message)?;
    let compiled = compile(&expr, &scope(&schema)).map_err(|errs| errs[0].message.clone())?;
    let compiled: &'static Compiled = Box::leak(Box::new(compiled));
    let facts: &'static Record = Box::leak(Box::new(facts.clone()));
    let mut ctx = Ctx::new(facts);
    eval(compiled, &mut ctx).map_err(|e| match e {
        EvalError::Missing {
            record,
            index,
            field,
        } => format!("missing {}", schema.fact_path(record, index, field)),
        EvalError::Math { message, .. } => message.to_string(),
    })
}

#[test]
fn arithmetic_and_precedence_follow_cel() {
    let h = household(Value::Num(24000.0));
    assert_eq!(run("1 + 2 * 3 - 4 / 2", &h), Ok(Val::Num(5.0)));
    assert_eq!(run("(1 + 2) * 3 % 4", &h), Ok(Val::Num(1.0)));
    assert_eq!(run("-2 * -3", &h), Ok(Val::Num(6.0)));
    assert_eq!(run("1 < 2 && !(3 >= 4) || false", &h), Ok(Val::Bool(true)));
    assert_eq!(run("2 > 1 ? 'yes' : 'no'", &h), Ok(Val::Str("yes")));
    assert_eq!(run("1_000.5e1", &h), Ok(Val::Num(10005.0)));
}

#[test]
fn facts_lists_and_parameters() {
    let h = household(Value::Num(24000.0));
    assert_eq!(
        run("(income.wages + income.pensions) / params.line", &h),
        Ok(Val::Num(25200.0 / 9360.0))
    );
    assert_eq!(run("size(members)", &h), Ok(Val::Num(3.0)));
    assert_eq!(run("members.size()", &h), Ok(Val::Num(3.0)));
    assert_eq!(
        run("members.exists(m, m.disabled)", &h),
        Ok(Val::Bool(true))
    );
    assert_eq!(
        run("members.count(m, m.relation == 'child')", &h),
        Ok(Val::Num(1.0))
    );
    assert_eq!(run("tenure == 'rented'", &h), Ok(Val::Bool(true)));
    assert_eq!(
        run("tenure in ['owned', 'rented']", &h),
        Ok(Val::Bool(true))
    );
    assert_eq!(
        run(
            "members.filter(m, m.relation != 'spouse').sum(m, m.age)",
            &h
        ),
        Ok(Val::Num(79.0))
    );
    assert_eq!(
        run("max([3, 9, 4]) + min(2, 1) + sum([1, 2])", &h),
        Ok(Val::Num(13.0))
    );
    assert_eq!(
        run("members.map(m, m.disabled ? 1 : 0).size()", &h),
        Ok(Val::Num(3.0))
    );
}

#[test]
fn missing_facts_are_named_and_absorbed_only_when_the_answer_does_not_depend_on_them() {
    let h = household(Value::Missing);
    assert_eq!(
        run("income.wages * 12", &h),
        Err("missing income.wages".into())
    );
    assert_eq!(run("income.wages > 0 || true", &h), Ok(Val::Bool(true)));
    assert_eq!(run("false && income.wages > 0", &h), Ok(Val::Bool(false)));
    assert_eq!(run("has(income.wages)", &h), Ok(Val::Bool(false)));
    assert_eq!(run("has(income.pensions)", &h), Ok(Val::Bool(true)));
    assert_eq!(run("default(income.wages, 0) + 1", &h), Ok(Val::Num(1.0)));
    // members[1] has no age: `exists` still finds the 70-year-old...
    assert_eq!(
        run("members.exists(m, m.age >= 60)", &h),
        Ok(Val::Bool(true))
    );
    // ...but a sum cannot be known.
    assert_eq!(
        run("members.sum(m, m.age)", &h),
        Err("missing members[1].age".into())
    );
    assert_eq!(run("members.all(m, m.age >= 60)", &h), Ok(Val::Bool(false)));
    assert_eq!(
        run("members.all(m, m.age >= 5)", &h),
        Err("missing members[1].age".into())
    );
}

#[test]
fn math_errors_are_errors_not_panics() {
    let h = household(Value::Num(0.0));
    assert_eq!(run("1 / income.wages", &h), Err("division by zero".into()));
    assert_eq!(run("5 % 0", &h), Err("division by zero".into()));
    assert_eq!(
        run("max([1]) + [1].filter(x, x > 5).size()", &h),
        Ok(Val::Num(1.0))
    );
}

fn errors(src: &str) -> Vec<(String, Span)> {
    let schema = schema();
    match parse(src) {
        Err(e) => vec![(e.message, e.span)],
        Ok(expr) => match compile(&expr, &scope(&schema)) {
            Ok(_) => vec![],
            Err(errs) => errs.into_iter().map(|e| (e.message, e.span)).collect(),
        },
    }
}

#[test]
fn mistakes_are_reported_where_they_are() {
    let e = errors("income.wagez + 1");
    assert_eq!(
        e[0].0,
        "income has no field 'wagez' (did you mean 'wages'?)"
    );
    assert_eq!(e[0].1, Span::new(7, 12));

    let e = errors("tenure == 'own'");
    assert!(
        e[0].0.starts_with("'own' is not a value of tenure"),
        "{e:?}"
    );
    assert_eq!(e[0].1, Span::new(10, 15));

    let e = errors("membres.size() + params.lin");
    assert_eq!(e.len(), 2, "both mistakes are reported: {e:?}");
    assert_eq!(e[0].0, "unknown name 'membres' (did you mean 'members'?)");
    assert_eq!(
        e[1].0,
        "unknown name 'params.lin' (did you mean 'params.line'?)"
    );

    assert_eq!(
        errors("1 + true")[0].0,
        "'+' needs two numbers; found number and bool"
    );
    assert_eq!(
        errors("1 < 2 < 3")[0].0,
        "comparisons do not chain; write `a < b && b … c`"
    );
    assert_eq!(
        errors("members.exists(m, m.age)")[0].0,
        "the expression of exists() must be a bool, found number"
    );
    assert_eq!(
        errors("(1 + 2")[0],
        (
            "expected ')', found end of expression".into(),
            Span::new(6, 6)
        )
    );
    assert_eq!(errors("'abc")[0].0, "string is not closed");
    assert_eq!(errors("1 # 2")[0].0, "unexpected character '#'");
    assert_eq!(errors("")[0].0, "expression is empty");
    assert_eq!(
        errors("frobnicate(1)")[0].0,
        "unknown function 'frobnicate'"
    );
    assert!(
        errors(&"(".repeat(200))
            .first()
            .is_some_and(|e| e.0.contains("nested too deeply"))
    );
}

#[test]
fn free_names_skip_macro_variables() {
    let expr = parse("members.exists(m, m.age > limit) && dims.income > 3 && total > x.y")
        .expect("parses");
    let names: Vec<String> = expr.free_names().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        vec!["members", "limit", "dims.income", "total", "x.y"]
    );
}

proptest! {
    /// The parser and checker never panic, whatever the input.
    #[test]
    fn any_text_gives_a_result_or_an_error(src in "\\PC{0,80}") {
        let schema = schema();
        if let Ok(expr) = parse(&src) {
            let _ = compile(&expr, &scope(&schema));
        }
    }

    /// Token soup made of the language's own pieces, which reaches deeper into the parser.
    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(
        prop::sample::select(vec!["members", ".", "exists", "(", ")", "m", ",", "m.age", ">", "1",
            "&&", "||", "!", "-", "?", ":", "[", "]", "'owned'", "tenure", "==", "in", "size",
            "income", "wages", "/", "0", "has", "default"]), 0..24)) {
        let src = tokens.join(" ");
        let schema = schema();
        if let Ok(expr) = parse(&src)
            && let Ok(compiled) = compile(&expr, &scope(&schema))
        {
            let facts = household(Value::Num(1.0));
            let mut ctx = Ctx::new(&facts);
            let _ = eval(&compiled, &mut ctx);
        }
    }

    /// Arithmetic agrees with Rust's own.
    #[test]
    fn arithmetic_matches_rust(a in -1e6f64..1e6, b in -1e6f64..1e6, c in 1f64..1e3) {
        let h = household(Value::Num(a));
        let src = format!("income.wages * {b} - {c} / 2 + ({b} > {a} ? 1 : 0)");
        let want = a * b - c / 2.0 + if b > a { 1.0 } else { 0.0 };
        match run(&src, &h) {
            Ok(Val::Num(got)) => prop_assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0)),
            other => prop_assert!(false, "{src} gave {other:?}"),
        }
    }
}

#[test]
fn names_in_scope_can_be_slots() {
    let schema = schema();
    let mut scope = Scope::new(&schema, Some(0));
    scope
        .names
        .insert("total".into(), Binding::Slot(0, Ty::Num));
    scope
        .names
        .insert("dims.income".into(), Binding::Slot(1, Ty::Num));
    let _unused: HashMap<String, Binding> = HashMap::new();
    let expr = parse("total >= 60 && dims.income > 10").expect("parses");
    let compiled = compile(&expr, &scope).expect("compiles");
    assert_eq!(
        compiled.slots.iter().copied().collect::<Vec<_>>(),
        vec![0, 1]
    );
    let facts = household(Value::Num(0.0));
    let mut ctx = Ctx::new(&facts);
    ctx.slots = vec![Ok(Val::Num(61.0)), Ok(Val::Num(12.0))];
    assert_eq!(eval(&compiled, &mut ctx), Ok(Val::Bool(true)));
}
