//! The fast path of the survey reader: JSON text straight into records with serde, no JSON tree
//! in between. It only accepts surveys that are entirely valid; on anything else it gives up
//! and the full reader (`survey::from_json`) runs, which reports every error with its field.
//! Only the current version takes this path (an older survey's unasked facts are the full
//! reader's to tell from facts not recorded).
//! Both must give the same survey for valid input (tested).

use std::fmt;

use minsheng_expr::{Record, Value};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::survey::{Kind, MAX_MONEY, RecordSpec, SCHEMA_VERSION, Survey, household_spec};

/// The survey, or `None` when the full reader must look at it.
pub(crate) fn read(json: &str) -> Option<Survey> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let survey = RootSeed.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    let mut not_recorded = Vec::new();
    if !complete(household_spec(), &survey.facts, "", &mut not_recorded) {
        return None;
    }
    Some(Survey {
        not_recorded,
        ..survey
    })
}

/// Checks required facts and collects the facts not recorded, as the full reader does.
fn complete(
    spec: &RecordSpec,
    record: &Record,
    prefix: &str,
    not_recorded: &mut Vec<String>,
) -> bool {
    // Paths are built only for what is missing: most surveys are complete.
    let path = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    for (field, value) in spec.fields.iter().zip(record.fields.iter()) {
        match (value, field.kind) {
            (Value::Missing, _) if field.required => return false,
            (Value::Missing, _) if !field.gap_when_left_out() => {}
            (Value::Missing, Kind::Object(inner)) => {
                let base = path(field.name);
                not_recorded.extend(
                    inner
                        .fields
                        .iter()
                        .filter(|f| f.gap_when_left_out())
                        .map(|f| format!("{base}.{}", f.name)),
                );
            }
            (Value::Missing, _) => not_recorded.push(path(field.name)),
            (Value::Rec(inner_record), Kind::Object(inner))
                if needs_walk(inner_record)
                    && !complete(inner, inner_record, &path(field.name), not_recorded) =>
            {
                return false;
            }
            (Value::Recs(items), Kind::List(inner, _)) => {
                if field.required && items.is_empty() {
                    return false;
                }
                for (i, item) in items.iter().enumerate() {
                    if needs_walk(item)
                        && !complete(
                            inner,
                            item,
                            &format!("{}[{i}]", path(field.name)),
                            not_recorded,
                        )
                    {
                        return false;
                    }
                }
            }
            _ => {}
        }
    }
    true
}

/// Whether a record has anything `complete` must look into.
fn needs_walk(record: &Record) -> bool {
    record
        .fields
        .iter()
        .any(|v| matches!(v, Value::Missing | Value::Rec(_) | Value::Recs(_)))
}

/// Any failure: the full reader will say what it was.
fn refuse<E: de::Error>() -> E {
    E::custom("refused by the fast reader")
}

struct RootSeed;

impl<'de> DeserializeSeed<'de> for RootSeed {
    type Value = Survey;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Survey, D::Error> {
        deserializer.deserialize_map(RootVisitor)
    }
}

struct RootVisitor;

impl<'de> Visitor<'de> for RootVisitor {
    type Value = Survey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a survey object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Survey, A::Error> {
        let mut fields = vec![Value::Missing; household_spec().fields.len()];
        let mut schema_ok = false;
        let mut household = None;
        let mut surveyed_on = None;
        let mut region_code = None;
        let mut note = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            match key {
                "schema" => schema_ok = map.next_value::<u64>()? == u64::from(SCHEMA_VERSION),
                "household" => {
                    let text: &str = map.next_value()?;
                    let trimmed = text.trim();
                    if trimmed.is_empty()
                        || trimmed.chars().count() > 64
                        || trimmed.len() != text.len()
                    {
                        return Err(refuse());
                    }
                    household = Some(trimmed.to_string());
                }
                "surveyed_on" => surveyed_on = text_field(&mut map, 10)?,
                "region_code" => region_code = text_field(&mut map, 12)?,
                "note" => note = text_field(&mut map, 2000)?,
                _ => field(household_spec(), key, &mut fields, &mut map)?,
            }
        }
        let dates_ok = surveyed_on.as_deref().is_none_or(|s| {
            time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
        });
        let region_ok = region_code
            .as_deref()
            .is_none_or(|s| matches!(s.len(), 6 | 9 | 12) && s.bytes().all(|b| b.is_ascii_digit()));
        match household {
            Some(household) if schema_ok && dates_ok && region_ok => Ok(Survey {
                household,
                surveyed_on,
                region_code,
                note,
                facts: Record {
                    fields: fields.into(),
                    index: 0,
                },
                not_recorded: Vec::new(),
                schema: SCHEMA_VERSION,
            }),
            _ => Err(refuse()),
        }
    }
}

/// Optional text, already trimmed (anything needing a trim goes to the full reader).
fn text_field<'de, A: MapAccess<'de>>(
    map: &mut A,
    max_chars: usize,
) -> Result<Option<String>, A::Error> {
    let text: Option<&str> = map.next_value()?;
    match text {
        None => Ok(None),
        Some(t) if t.trim().len() == t.len() && t.chars().count() <= max_chars => {
            Ok(Some(t.to_string()))
        }
        Some(_) => Err(refuse()),
    }
}

fn field<'de, A: MapAccess<'de>>(
    spec: &'static RecordSpec,
    key: &str,
    fields: &mut [Value],
    map: &mut A,
) -> Result<(), A::Error> {
    let Some(index) = spec.fields.iter().position(|f| f.name == key) else {
        map.next_value::<IgnoredAny>()?;
        return Err(refuse());
    };
    let kind = spec.fields[index].kind;
    let value = match kind {
        Kind::Int { min, max } => match map.next_value::<Option<f64>>()? {
            None => Value::Missing,
            Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => Value::Num(n),
            Some(_) => return Err(refuse()),
        },
        Kind::Money => match map.next_value::<Option<f64>>()? {
            None => Value::Missing,
            Some(n) if (0.0..=MAX_MONEY).contains(&n) => Value::Num(n),
            Some(_) => return Err(refuse()),
        },
        Kind::Number { min, max } => match map.next_value::<Option<f64>>()? {
            None => Value::Missing,
            Some(n) if n >= min && n <= max => Value::Num(n),
            Some(_) => return Err(refuse()),
        },
        Kind::Bool => match map.next_value::<Option<bool>>()? {
            None => Value::Missing,
            Some(b) => Value::Bool(b),
        },
        Kind::Choice(choices) => match map.next_value::<Option<&str>>()? {
            None => Value::Missing,
            Some(code) => match choices.iter().position(|c| c.code == code) {
                Some(i) => Value::Enum(i as u16),
                None => return Err(refuse()),
            },
        },
        Kind::Object(inner) => match map.next_value_seed(Optional(RecordSeed {
            spec: inner,
            index: 0,
        }))? {
            None => Value::Missing,
            Some(record) => Value::Rec(Box::new(record)),
        },
        Kind::List(inner, max_items) => match map.next_value_seed(Optional(ListSeed {
            spec: inner,
            max_items,
        }))? {
            None => Value::Missing,
            Some(records) => Value::Recs(records),
        },
    };
    fields[index] = value;
    Ok(())
}

struct RecordSeed {
    spec: &'static RecordSpec,
    index: u32,
}

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Record;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Record, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} object", self.spec.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut fields = vec![Value::Missing; self.spec.fields.len()];
        while let Some(key) = map.next_key::<&'de str>()? {
            field(self.spec, key, &mut fields, &mut map)?;
        }
        Ok(Record {
            fields: fields.into(),
            index: self.index,
        })
    }
}

struct ListSeed {
    spec: &'static RecordSpec,
    max_items: usize,
}

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<Record>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Record>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<Record>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {}", self.spec.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Record>, A::Error> {
        let mut records = Vec::new();
        loop {
            let seed = RecordSeed {
                spec: self.spec,
                index: records.len() as u32,
            };
            match seq.next_element_seed(seed)? {
                Some(record) => records.push(record),
                None => break,
            }
            if records.len() > self.max_items {
                return Err(refuse());
            }
        }
        Ok(records)
    }
}

/// `null` or the value.
struct Optional<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Optional<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Optional<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null or a value")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(deserializer).map(Some)
    }
}
