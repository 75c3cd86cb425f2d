//! Data cross-matching (大数据比对): department feeds against the population, warning rules per
//! household, warnings with their evidence. Plain Rust: ID numbers packed into 64-bit keys,
//! hashbrown, feeds streamed in parallel with rayon; raw rows are never kept.

pub mod engine;
pub mod feed;
pub mod idkey;
pub mod keyindex;
pub mod population;
pub mod rules;
pub mod scan;
pub mod synth;
pub mod xlsx;

/// The shipped warning rules.
pub const SHIPPED_RULES: &str = include_str!("../../../data/rules/warnings.toml");

#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error("{0}")]
    File(String),
    #[error(
        "feed {feed}: {rejected} rows rejected, more than the {max} allowed; nothing was written"
    )]
    TooManyRejected {
        feed: String,
        rejected: u64,
        max: u64,
    },
}

/// A feed schema by name: a shipped one, or a file `DIR/NAME.toml` next to the feeds.
pub fn schema_of(name: &str) -> Option<feed::FeedSchema> {
    feed::shipped(name).and_then(Result::ok)
}
