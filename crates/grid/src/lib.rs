//! The self-healing distribution grid (“零停电”): the network as data — sources (substations),
//! buses (switching stations 开闭所, distribution rooms 配电房, ring main units), lines and cables in
//! their cable channels, switches, transformers and loads with the customers who depend on power
//! for life — read from a documented native file and checked before anything runs on it.
//! Load flow, fault location, isolation and restoration, the peer-to-peer simulation and
//! reliability come next (issue 8).

pub mod alarms;
pub mod drawing;
pub mod flisr;
pub mod indexed;
pub mod loadflow;
pub mod native;
pub mod network;
pub mod pandapower;
pub mod reliability;
pub mod sim;
pub mod synth;

pub use network::{Network, NetworkError};

/// A TOML syntax or type error, with the line it is on.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let line = e.span().map_or(0, |s| {
        text[..s.start.min(text.len())].matches('\n').count() + 1
    });
    format!("line {line}: {}", e.message().trim_end())
}
