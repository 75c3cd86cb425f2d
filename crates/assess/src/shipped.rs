//! The models shipped with minsheng (the files of `models/`, compiled into the binary so a
//! fresh install has them).

use crate::model::{Model, ModelError};

/// (file name, source) of every shipped model.
pub const SHIPPED: &[(&str, &str)] = &[
    ("cq-7d82.toml", include_str!("../../../models/cq-7d82.toml")),
    (
        "three-grade.toml",
        include_str!("../../../models/three-grade.toml"),
    ),
    (
        "global-mpi.toml",
        include_str!("../../../models/global-mpi.toml"),
    ),
];

/// The shipped model with this id.
pub fn shipped_model(id: &str) -> Option<Result<Model, Vec<ModelError>>> {
    SHIPPED
        .iter()
        .map(|(_, source)| Model::from_toml(source))
        .find(|loaded| match loaded {
            Ok(model) => model.id == id,
            Err(_) => false,
        })
}

/// Ids of the shipped models.
pub fn shipped_ids() -> Vec<String> {
    SHIPPED
        .iter()
        .filter_map(|(_, source)| Model::from_toml(source).ok().map(|m| m.id))
        .collect()
}
