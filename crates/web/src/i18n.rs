//! Interface texts, Chinese first with an English switch. The texts live in the Fluent catalogs
//! of `minsheng-i18n` (`crates/i18n/locales/<language>/*.ftl`); templates read them as `t.key`,
//! so a page naming a text the catalog lacks does not compile.

pub use minsheng_i18n::{Lang, Texts};
