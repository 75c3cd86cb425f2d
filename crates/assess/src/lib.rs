//! Assessment of households (甄别): the survey schema, models as data (TOML + the expression
//! language), scoring with explanations, and the Alkire–Foster aggregates. Pure computation:
//! no IO.

pub mod calibration;
pub mod catalog;
pub mod model;
pub mod mpi;
pub mod questions;
pub mod score;
pub mod shipped;
pub mod survey;
mod survey_fast;
pub mod synth;

pub use model::{Model, ModelError};
pub use score::{Change, MissingFact, Scored};
