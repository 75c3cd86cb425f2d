//! The 12345 citizen service hotline (12345政务服务便民热线): what a citizen's request is about and
//! where. So far: the taxonomy (categories of the weekly ranking, subcategories, request types
//! with their deadlines, answering units) as data, and the place — district or county, town or
//! street, functional zone — found in the request's words, so a ticket can be routed; a request
//! with no clear place goes to the centre for manual dispatch instead of being guessed.

pub mod calibrate;
pub mod classify;
pub mod gazetteer;
pub mod linear;
pub mod routing;
pub mod synth;
pub mod taxonomy;

pub use gazetteer::{Area, Gazetteer, Place};
