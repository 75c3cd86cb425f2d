//! The 12345 citizen service hotline (12345政务服务便民热线): what a citizen's request is about and
//! where. This first part finds the place — district or county, town or street, functional zone —
//! in the request's words, so a ticket can be routed, and a request with no clear place goes to
//! the centre for manual dispatch instead of being guessed.

pub mod gazetteer;

pub use gazetteer::{Area, Gazetteer, Place};
