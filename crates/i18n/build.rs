//! Writes `Texts`: one `&'static str` field per message of the Chinese `interface.ftl`, so a
//! page that names a text the catalog lacks does not compile.

use std::fmt::Write;

fn main() {
    let catalog = "locales/zh-CN/interface.ftl";
    println!("cargo::rerun-if-changed={catalog}");
    let source = std::fs::read_to_string(catalog).expect("the Chinese interface catalog");
    let ids: Vec<&str> = source
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim()))
        .collect();
    let mut fields = String::new();
    let mut loads = String::new();
    for id in &ids {
        assert!(
            id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{catalog}: `{id}` must be a Rust name (letters, digits and _)"
        );
        writeln!(fields, "    pub {id}: &'static str,").expect("write");
        writeln!(loads, "            {id}: text(lang, \"{id}\"),").expect("write");
    }
    let code = format!(
        "/// Every interface text of the pages in one language: a page reads `t.id`.\n\
         pub struct Texts {{\n{fields}}}\n\n\
         impl Texts {{\n    fn load(lang: Lang) -> Texts {{\n        Texts {{\n{loads}        }}\n    }}\n}}\n"
    );
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("texts.rs");
    std::fs::write(out, code).expect("write texts.rs");
}
