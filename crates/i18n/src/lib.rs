//! The words of minsheng in every language it speaks. Each language has one Fluent catalog
//! (`locales/<language>/*.ftl`, compiled into the binary): the pages' interface texts, the
//! words for the codes the product stores (states, channels, kinds) and the sentences of its
//! refusals and validation errors. Nothing user-facing is written in Rust source.
//!
//! Fluent (Project Fluent, Mozilla's format, read by the `fluent-bundle` crate) is the Rust
//! ecosystem's choice: translators can edit plain files, and a sentence keeps its arguments
//! (`{ $max }`) in the order its language needs.
//!
//! - [`Texts`]: every interface text of the pages as a field (generated from the Chinese
//!   catalog by `build.rs`, so a page naming a text that does not exist fails to compile).
//! - [`word`]: a stored code's word in one language, or the code when the catalog has none.
//! - [`Message`]: a sentence with its arguments, carried by errors and rendered in the reader's
//!   language where it is shown.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// The languages of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn from_code(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Every interface text in this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH_TEXTS,
            Lang::En => &EN_TEXTS,
        }
    }

    fn catalog(self) -> &'static Catalog {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// The catalog files of a language, in the order they are read.
const FILES: [&str; 3] = ["interface", "words", "messages"];

fn sources(lang: Lang) -> [&'static str; 3] {
    match lang {
        Lang::Zh => [
            include_str!("../locales/zh-CN/interface.ftl"),
            include_str!("../locales/zh-CN/words.ftl"),
            include_str!("../locales/zh-CN/messages.ftl"),
        ],
        Lang::En => [
            include_str!("../locales/en/interface.ftl"),
            include_str!("../locales/en/words.ftl"),
            include_str!("../locales/en/messages.ftl"),
        ],
    }
}

/// One language's catalog: the Fluent bundle, and the messages without arguments formatted
/// once (pages read hundreds of them per request).
struct Catalog {
    bundle: FluentBundle<FluentResource>,
    plain: HashMap<String, &'static str>,
    /// The words of `words.ftl` by group and code (`group-code`), looked up without building
    /// the id: pages ask for hundreds per request.
    words: HashMap<String, HashMap<String, &'static str>>,
    /// Every message id with the file it is in, in file order.
    ids: Vec<(String, &'static str)>,
    /// What was wrong with the files (empty when they are well formed): reported by
    /// [`problems`] and the catalog test, never a panic while serving.
    problems: Vec<String>,
}

static ZH: LazyLock<Catalog> = LazyLock::new(|| Catalog::load(Lang::Zh));
static EN: LazyLock<Catalog> = LazyLock::new(|| Catalog::load(Lang::En));
static ZH_TEXTS: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::Zh));
static EN_TEXTS: LazyLock<Texts> = LazyLock::new(|| Texts::load(Lang::En));

impl Catalog {
    fn load(lang: Lang) -> Catalog {
        let locale = lang
            .html_lang()
            .parse()
            .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
        let mut bundle = FluentBundle::new_concurrent(vec![locale]);
        // Isolation marks are for mixing right-to-left scripts; they would show as stray
        // characters in CSV and PDF.
        bundle.set_use_isolating(false);
        let mut problems = Vec::new();
        let mut ids = Vec::new();
        for (file, source) in FILES.iter().zip(sources(lang)) {
            let resource = match FluentResource::try_new(source.to_string()) {
                Ok(resource) => resource,
                Err((resource, errors)) => {
                    for e in errors {
                        problems.push(format!("{}/{file}.ftl: {e:?}", lang.html_lang()));
                    }
                    resource
                }
            };
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    ids.push((m.id.name.to_string(), *file));
                }
            }
            if let Err(errors) = bundle.add_resource(resource) {
                for e in errors {
                    problems.push(format!("{}/{file}.ftl: {e:?}", lang.html_lang()));
                }
            }
        }
        let mut plain = HashMap::new();
        for (id, _) in &ids {
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, None, &mut errors);
            if errors.is_empty() {
                // Formatted once for the life of the process: the catalogs are fixed at build.
                plain.insert(id.clone(), &*Box::leak(text.into_owned().into_boxed_str()));
            }
        }
        let mut words: HashMap<String, HashMap<String, &'static str>> = HashMap::new();
        for (id, file) in &ids {
            if *file != "words" {
                continue;
            }
            if let (Some((group, code)), Some(text)) = (id.split_once('-'), plain.get(id)) {
                words
                    .entry(group.to_string())
                    .or_default()
                    .insert(code.to_string(), *text);
            }
        }
        Catalog {
            bundle,
            plain,
            words,
            ids,
            problems,
        }
    }

    fn format(&self, id: &str, args: &[(&str, &str)]) -> Option<String> {
        let pattern = self.bundle.get_message(id)?.value()?;
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        let mut errors = Vec::new();
        Some(
            self.bundle
                .format_pattern(pattern, Some(&fluent_args), &mut errors)
                .into_owned(),
        )
    }
}

/// A message of the catalog that takes no arguments, or the id itself when there is none (a
/// missing id shows as its name rather than as nothing; the catalog test finds it first).
pub fn text(lang: Lang, id: &str) -> &str {
    lang.catalog().plain.get(id).copied().unwrap_or(id)
}

/// A message formatted with its arguments (`{ $name }` in the catalog).
pub fn format(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    lang.catalog()
        .format(id, args)
        .unwrap_or_else(|| id.to_string())
}

/// The word for a stored code in one group (`group-code` in `words.ftl`), or the code itself
/// when the catalog has no word for it (a value the product did not write).
pub fn word<'a>(lang: Lang, group: &str, code: &'a str) -> &'a str {
    match lang.catalog().words.get(group).and_then(|g| g.get(code)) {
        Some(word) => word,
        None => code,
    }
}

/// Whether the catalog has a word for this code.
pub fn has_word(group: &str, code: &str) -> bool {
    Lang::Zh
        .catalog()
        .words
        .get(group)
        .is_some_and(|g| g.contains_key(code))
}

/// Every message id of a language's catalog with the file (`interface`, `words`, `messages`)
/// it is in.
pub fn ids(lang: Lang) -> impl Iterator<Item = (&'static str, &'static str)> {
    lang.catalog()
        .ids
        .iter()
        .map(|(id, file)| (id.as_str(), *file))
}

/// Every text of a language's catalog that takes no arguments (for tests that look for
/// interface texts on a page of the other language).
pub fn interface_texts(lang: Lang) -> impl Iterator<Item = &'static str> {
    lang.catalog().plain.values().copied()
}

/// What is wrong with the catalogs: files that do not parse, ids defined twice, ids one
/// language has and the other lacks, and arguments a translation names that the other does
/// not. Empty when both are complete (`minsheng rules check` runs this).
pub fn problems() -> Vec<String> {
    let mut problems: Vec<String> = Lang::ALL
        .iter()
        .flat_map(|l| l.catalog().problems.iter().cloned())
        .collect();
    let zh: HashMap<&str, &str> = ids(Lang::Zh).collect();
    let en: HashMap<&str, &str> = ids(Lang::En).collect();
    for (id, file) in ids(Lang::Zh) {
        match en.get(id) {
            None => problems.push(format!("en/{file}.ftl: `{id}` has no English text")),
            Some(en_file) if *en_file != file => problems.push(format!(
                "`{id}` is in zh-CN/{file}.ftl but in en/{en_file}.ftl"
            )),
            Some(_) => {
                let (zh_vars, en_vars) = (variables(Lang::Zh, id), variables(Lang::En, id));
                if zh_vars != en_vars {
                    problems.push(format!(
                        "`{id}` takes {zh_vars:?} in Chinese but {en_vars:?} in English"
                    ));
                }
            }
        }
    }
    for (id, file) in ids(Lang::En) {
        if !zh.contains_key(id) {
            problems.push(format!("zh-CN/{file}.ftl: `{id}` has no Chinese text"));
        }
    }
    problems
}

/// The variables (`$name`) a message's text names, sorted.
pub fn variables(lang: Lang, id: &str) -> Vec<String> {
    let source = sources(lang).join("\n");
    let mut found = Vec::new();
    let prefix = format!("{id} =");
    let mut in_message = false;
    for line in source.lines() {
        if line.starts_with(&prefix) {
            in_message = true;
        } else if !line.starts_with(' ') {
            in_message = false;
        }
        if !in_message {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find('$') {
            let name: String = rest[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            rest = &rest[at + 1..];
            if !name.is_empty() && !found.contains(&name) {
                found.push(name);
            }
        }
    }
    found.sort();
    found
}

/// A sentence of the catalog with its arguments, rendered in the reader's language where it is
/// shown. Its `Display` (logs, the API's `message`) is the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// An argument of a [`Message`]: a text shown as it is, or a stored code shown as its word in
/// the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Word {
        group: &'static str,
        code: String,
    },
    /// A name that data gives in both languages (a catalog item, a survey field).
    Both {
        zh: String,
        en: String,
    },
}

impl Message {
    pub fn new(id: &'static str) -> Message {
        Message {
            id,
            args: Vec::new(),
        }
    }

    /// The message with one more argument, shown as it is.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Message {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// The message with one more argument, a code shown as its word (see [`word`]).
    pub fn word(mut self, name: &'static str, group: &'static str, code: &str) -> Message {
        self.args.push((
            name,
            Arg::Word {
                group,
                code: code.to_string(),
            },
        ));
        self
    }

    /// The message with one more argument, a name the data gives in both languages.
    pub fn both(mut self, name: &'static str, zh: &str, en: &str) -> Message {
        self.args.push((
            name,
            Arg::Both {
                zh: zh.to_string(),
                en: en.to_string(),
            },
        ));
        self
    }

    pub fn render(&self, lang: Lang) -> String {
        if self.args.is_empty() {
            return text(lang, self.id).to_string();
        }
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(name, arg)| match arg {
                Arg::Text(value) => (*name, value.as_str()),
                Arg::Word { group, code } => (*name, word(lang, group, code)),
                Arg::Both { zh, en } => (
                    *name,
                    if lang == Lang::En && !en.is_empty() {
                        en.as_str()
                    } else {
                        zh.as_str()
                    },
                ),
            })
            .collect();
        format(lang, self.id, &args)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.render(Lang::En))
    }
}

/// A [`Message`] of the catalog: `msg!("text-too-long", max = 100)`. The id is checked
/// against both catalogs by the workspace's catalog test.
#[macro_export]
macro_rules! msg {
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::Message::new($id)$(.arg(stringify!($name), &$value))*
    };
}

// `Texts`: one field per message of `interface.ftl`, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/texts.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_are_complete_and_well_formed() {
        let problems = problems();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn texts_messages_and_words_read_in_each_language() {
        assert_eq!(Lang::Zh.texts().households, "家庭户");
        assert_eq!(Lang::En.texts().households, "Households");
        assert_eq!(word(Lang::Zh, "discovery", "watch"), "关注中");
        assert_eq!(word(Lang::En, "discovery", "watch"), "under watch");
        assert_eq!(word(Lang::Zh, "discovery", "zzz"), "zzz");
        let m = msg!("text-too-long", max = 100);
        assert_eq!(m.render(Lang::Zh), "不能超过 100 个字");
        assert_eq!(m.to_string(), "at most 100 characters");
    }

    /// Every `msg!("id", name = …)` written in the workspace names a message of both catalogs
    /// with exactly the arguments it gives, and every word group a source reads exists.
    #[test]
    fn every_message_the_sources_use_is_in_the_catalogs_with_its_arguments() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
                let path = entry.path();
                if path.is_dir() && !path.ends_with("target") {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("i18n/src/lib.rs")
                {
                    files.push(path);
                }
            }
        }
        let known: Vec<&str> = ids(Lang::Zh).map(|(id, _)| id).collect();
        let mut problems = Vec::new();
        let mut used = 0;
        for file in files {
            let source = std::fs::read_to_string(&file).expect("read source");
            let mut rest = source.as_str();
            while let Some(at) = rest.find("msg!(") {
                rest = &rest[at + 5..];
                let (call, after) = balanced(rest);
                let Some(id) = call.split('"').nth(1) else {
                    continue;
                };
                if call.trim_start().starts_with('$') {
                    continue; // the macro's own definition and documentation
                }
                used += 1;
                if !known.contains(&id) {
                    problems.push(format!("{}: `{id}` is not in the catalogs", file.display()));
                    continue;
                }
                let mut given: Vec<String> = top_level_args(call)
                    .iter()
                    .skip(1)
                    .filter_map(|a| a.split_once('=').map(|(n, _)| n.trim().to_string()))
                    .collect();
                // `.word("name", …)` after the macro adds arguments too.
                let mut tail = after;
                while let Some(word_call) = tail
                    .trim_start()
                    .strip_prefix(".word(")
                    .or_else(|| tail.trim_start().strip_prefix(".both("))
                {
                    let (args, next) = balanced(word_call);
                    if let Some(name) = args.split('"').nth(1) {
                        given.push(name.to_string());
                    }
                    tail = next;
                }
                given.sort();
                given.dedup();
                let wanted = variables(Lang::Zh, id);
                if given != wanted {
                    problems.push(format!(
                        "{}: `{id}` is given {given:?} but takes {wanted:?}",
                        file.display()
                    ));
                }
            }
        }
        assert!(used > 150, "only {used} messages found in the sources");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The text up to the parenthesis that closes an opened one, and what follows it.
    fn balanced(text: &str) -> (&str, &str) {
        let mut depth = 1;
        let mut in_string = false;
        let mut previous = ' ';
        for (i, c) in text.char_indices() {
            match c {
                '"' if previous != '\\' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        return (&text[..i], &text[i + 1..]);
                    }
                }
                _ => {}
            }
            previous = c;
        }
        (text, "")
    }

    /// The comma-separated parts of a call's arguments that are not inside brackets or strings.
    fn top_level_args(call: &str) -> Vec<String> {
        let (mut parts, mut current, mut depth, mut in_string) =
            (Vec::new(), String::new(), 0, false);
        for c in call.chars() {
            match c {
                '"' => in_string = !in_string,
                '(' | '[' | '{' if !in_string => depth += 1,
                ')' | ']' | '}' if !in_string => depth -= 1,
                ',' if !in_string && depth == 0 => {
                    parts.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        parts.push(current);
        parts
    }

    #[test]
    fn the_welcome_keeps_its_space() {
        assert_eq!(Lang::En.texts().welcome, "Hello, ");
    }
}
