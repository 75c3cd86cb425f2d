//! Chinese first: every page each role may open reads in Chinese without English words outside a
//! short allow-list, and in English without the Chinese interface texts; the refusals of forms
//! sent empty are said in the page's language as well. Data people typed or codes they read as
//! codes (user names, model ids) are marked `translate="no"` on the page and left out, as is
//! code (`<code>`, `<pre>`).

use axum::http::{Method, StatusCode};
use minsheng_app::Backend;
use minsheng_domain::role_permits;
use minsheng_i18n::Lang;

use super::support::{TestApp, Who};
use super::{ROLE_ACCOUNTS, Target, expectations};

/// Latin words a Chinese page may show as they are: names of formats, standards, units of
/// measure and the name of the other language on the switch.
const ALLOWED_ON_CHINESE_PAGES: &[&str] = &[
    "English",
    "ID",
    "PDF",
    "Excel",
    "CSV",
    "xlsx",
    "GB",
    "API",
    "JSON",
    "URL",
    "HTTP",
    "HTTPS",
    "SMTP",
    "HMAC",
    "SHA",
    "Open311",
    "OpenAPI",
    "A4",
    "kW",
    "kV",
    "kWh",
    "km",
    "MW",
    "SCADA",
    "FTU",
    "DTU",
    "FLISR",
    "RFC",
    "ISO",
    "CN",
    "QR",
    "AM",
    "PM",
    "Bearer",
    "WebSocket",
    "webhook",
    "DingTalk",
    "Markdown",
    "Alkire",
    "Foster",
    "MPI",
    "BMI",
    "TOML",
];

/// The text a person reads on a page: text outside `script`, `style` and `translate="no"`
/// elements, and the `placeholder`, `title`, `aria-label` and `alt` attributes and the labels of
/// buttons given as `value`.
pub fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    // Elements whose content is skipped, innermost last: (tag name, depth of that tag).
    let mut skipping: Vec<(String, usize)> = Vec::new();
    while let Some(open) = rest.find('<') {
        if skipping.is_empty() {
            out.push_str(&decode(&rest[..open]));
            out.push(' ');
        }
        rest = &rest[open..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").map_or(rest.len(), |e| e + 3);
            rest = &rest[end..];
            continue;
        }
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        rest = &rest[end..];
        let closing = tag.starts_with("</");
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let void = matches!(
            name.as_str(),
            "input" | "br" | "img" | "meta" | "link" | "hr" | "source" | "col"
        ) || tag.ends_with("/>");
        if let Some((skipped, depth)) = skipping.last_mut() {
            if *skipped == name && !void {
                if closing {
                    *depth -= 1;
                    if *depth == 0 {
                        skipping.pop();
                    }
                } else {
                    *depth += 1;
                }
            }
            continue;
        }
        if closing {
            continue;
        }
        // Code is no language; `translate="no"` marks names and identifiers people type; an
        // element that declares its own language (`lang="en"`: a model author's notes) is said
        // in that language on purpose.
        if matches!(
            name.as_str(),
            "script" | "style" | "svg" | "template" | "code" | "pre" | "kbd" | "samp"
        ) || tag.contains("translate=\"no\"")
            || tag.contains(" lang=\"en\"")
        {
            if !void {
                skipping.push((name, 1));
            }
            continue;
        }
        for attribute in ["placeholder", "title", "aria-label", "alt"] {
            if let Some(value) = attribute_value(tag, attribute) {
                out.push_str(&decode(&value));
                out.push(' ');
            }
        }
        let is_button_value = name == "input"
            && ["submit", "button", "reset"]
                .iter()
                .any(|kind| attribute_value(tag, "type").as_deref() == Some(kind));
        if is_button_value && let Some(value) = attribute_value(tag, "value") {
            out.push_str(&decode(&value));
            out.push(' ');
        }
    }
    if skipping.is_empty() {
        out.push_str(&decode(rest));
    }
    out
}

fn attribute_value(tag: &str, name: &str) -> Option<String> {
    let pattern = format!(" {name}=\"");
    let start = tag.find(&pattern)? + pattern.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Latin words (two letters or more) of a text that are not on the allow-list. Raw codes
/// (`not_eligible_helped`, `lead.visit`) count as the words they are made of; a token with a
/// digit in it (an id, a code such as D-P2) is not a word.
pub fn english_words(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    // An address (https://…) is no sentence: left out whole.
    let chunks = text
        .split(|c: char| c.is_whitespace() || !c.is_ascii())
        .filter(|chunk| !chunk.contains("://"));
    for token in
        chunks.flat_map(|chunk| chunk.split(|c: char| "()[]{},;:!?\"'<>/|=+*&%$#".contains(c)))
    {
        if token.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        for word in token.split(|c: char| !c.is_ascii_alphabetic()) {
            if word.len() >= 2
                && !ALLOWED_ON_CHINESE_PAGES
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(word))
            {
                found.push(word.to_string());
            }
        }
    }
    found
}

/// The Chinese interface texts of the catalog found in a text.
fn chinese_interface_texts(text: &str) -> Vec<&'static str> {
    // The pages' own texts (not the words for codes, which names people give their units and
    // funds often contain): four characters or more, so that a name is not mistaken for one.
    let mut found: Vec<&'static str> = minsheng_i18n::ids(Lang::Zh)
        .filter(|(_, file)| *file == "interface")
        .map(|(id, _)| minsheng_i18n::text(Lang::Zh, id))
        .filter(|t| t.chars().count() >= 4 && text.contains(*t))
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// The page routes (outside the API and Open311) a role may call with `method`, as paths into
/// the caller's own area.
async fn page_paths(
    t: &TestApp,
    who: &Who,
    role: minsheng_domain::Role,
    method: Method,
) -> Vec<String> {
    let mut paths = Vec::new();
    for e in expectations() {
        if e.method != method
            || e.path.starts_with("/api/")
            || e.path.starts_with("/open311/")
            || matches!(e.target, Target::StaticFile | Target::Photo)
            || matches!(e.path, "/logout" | "/login")
            || e.action.is_some_and(|action| !role_permits(role, action))
        {
            continue;
        }
        if let Some(path) = t.path_for(who, e.path, e.target, false).await {
            paths.push(path);
        }
    }
    paths
}

/// Every page (an HTML answer to a GET) each role may open in its own area, in both languages.
async fn pages_read_in_one_language(backend: Backend) {
    let t = TestApp::new(backend).await;
    let mut problems = Vec::new();
    let mut pages = 0;
    for (role, username) in ROLE_ACCOUNTS {
        let who = t.sign_in(username).await;
        for path in page_paths(&t, &who, role, Method::GET).await {
            for lang in ["zh", "en"] {
                let caller = Who {
                    lang: Some(lang),
                    ..who.clone()
                };
                let (status, content_type, body) = t.page(&caller, &path).await;
                if status != StatusCode::OK || !content_type.starts_with("text/html") {
                    continue;
                }
                pages += 1;
                let text = visible_text(&body);
                if lang == "zh" {
                    let words = english_words(&text);
                    if !words.is_empty() {
                        problems.push(format!("{role:?} {path} (zh): {}", words.join(" ")));
                    }
                } else {
                    let texts = chinese_interface_texts(&text);
                    if !texts.is_empty() {
                        problems.push(format!("{role:?} {path} (en): {}", texts.join(" | ")));
                    }
                }
            }
        }
    }
    assert!(pages > 150, "only {pages} pages were read");
    assert!(
        problems.is_empty(),
        "{} pages mix languages:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A form sent empty is refused in the page's language: every page form (a POST outside the
/// API) that answers with a refusal, for a role allowed to send it, reads in Chinese.
async fn refusals_are_said_in_the_pages_language(backend: Backend) {
    let t = TestApp::new(backend).await;
    let mut problems = Vec::new();
    let mut refusals = 0;
    for (role, username) in ROLE_ACCOUNTS {
        let mut who = t.sign_in(username).await;
        who.lang = Some("zh");
        for path in page_paths(&t, &who, role, Method::POST).await {
            let (status, body) = t.send_form(&who, &path, &[], false).await;
            if status.is_client_error() && body.contains("<html") {
                refusals += 1;
                let words = english_words(&visible_text(&body));
                if !words.is_empty() {
                    problems.push(format!(
                        "{role:?} POST {path} → {status}: {}",
                        words.join(" ")
                    ));
                }
            }
        }
    }
    assert!(refusals > 20, "only {refusals} refusals were read");
    assert!(
        problems.is_empty(),
        "{} refusals are not in Chinese:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn visible_text_leaves_out_scripts_codes_and_marked_data() {
    let html = r#"<p>家庭户 <span translate="no">banan.district <b>x</b> tail</span> 户主</p>
<script>var english = 1;</script><input placeholder="Search here"><input type="submit" value="Send"><input type="hidden" value="secret">"#;
    let text = visible_text(html);
    assert!(text.contains("家庭户") && text.contains("户主"), "{text}");
    assert!(!text.contains("banan") && !text.contains("tail") && !text.contains("english"));
    assert_eq!(english_words(&text), ["Search", "here", "Send"]);
    assert!(english_words("导出 Excel 与 PDF、编号 D-P2、500113").is_empty());
    assert_eq!(
        english_words("状态：not_eligible_helped"),
        ["not", "eligible", "helped"]
    );
    assert_eq!(english_words("lead.visit"), ["lead", "visit"]);
}

minsheng_store::on_both_backends!(
    pages_read_in_one_language,
    refusals_are_said_in_the_pages_language
);
