//! A small SQL text builder whose placeholders (`$1`, `$2`, …) both backends accept.

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    OptFloat(Option<f64>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::OptInt(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::OptText(v)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::OptText(v.map(str::to_string))
    }
}
impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        Value::OptFloat(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// SQL text plus the values of its placeholders, in order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub(crate) text: String,
    pub(crate) binds: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    /// Appends literal SQL text (never user input).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.binds.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.binds.len().to_string());
        self
    }

    /// Appends an anonymous `?` placeholder (SQLite only; never mixed with `$n` in a statement).
    pub(crate) fn bind_anonymous(&mut self, value: Value) -> &mut Self {
        self.binds.push(value);
        self.text.push('?');
        self
    }

    /// Builder form for a statement with all its values: `Sql::with("… $1 … $2", [a, b])`.
    pub fn with<const N: usize>(text: &str, values: [Value; N]) -> Sql {
        Sql {
            text: text.to_string(),
            binds: values.into(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Binds every value of a [`Sql`] onto a sqlx query of a concrete backend.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for value in $binds {
            query = match value {
                $crate::Value::Int(v) => query.bind(*v),
                $crate::Value::OptInt(v) => query.bind(*v),
                $crate::Value::Text(v) => query.bind(v.as_str()),
                $crate::Value::OptText(v) => query.bind(v.as_deref()),
                $crate::Value::OptFloat(v) => query.bind(*v),
                $crate::Value::Bytes(v) => query.bind(v.as_slice()),
                $crate::Value::Bool(v) => query.bind(*v),
            };
        }
        query
    }};
}
pub(crate) use bind_all;

/// `Value` list shorthand: `vals![a, b]`.
#[macro_export]
macro_rules! vals {
    ($($v:expr),* $(,)?) => { [$($crate::Value::from($v)),*] };
}
