//! Comparing what people write: addresses and names typed on phones, in full-width or half-width
//! characters, with or without spaces and punctuation.

/// Full-width ASCII to half-width, lower case, and only letters, digits and CJK kept.
pub fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Similarity of two texts from 0 to 1: the Dice coefficient of their character pairs, after
/// [`normalize`]. "重庆市巴南区鱼洞街道3栋2单元" and "鱼洞街道3栋2单元" score high.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (normalize(a), normalize(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let pairs = |s: &str| -> Vec<(char, char)> {
        let chars: Vec<char> = s.chars().collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (pa, mut pb) = (pairs(&a), pairs(&b));
    if pa.is_empty() || pb.is_empty() {
        return 0.0;
    }
    let total = pa.len() + pb.len();
    let mut shared = 0;
    for p in &pa {
        if let Some(i) = pb.iter().position(|q| q == p) {
            pb.swap_remove(i);
            shared += 1;
        }
    }
    2.0 * shared as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalizes_width_space_and_punctuation() {
        assert_eq!(normalize("３栋 ２单元，５０１"), "3栋2单元501");
        assert_eq!(normalize("Room A-1"), "rooma1");
    }

    #[test]
    fn similar_addresses_score_high_and_others_low() {
        assert!(similarity("百节社区3栋2单元501", "百节社区３栋２单元５０１号") > 0.8);
        assert!(similarity("鱼洞街道3栋2单元", "重庆市巴南区鱼洞街道3栋2单元") > 0.7);
        assert!(similarity("百节社区3栋2单元501", "龙海社区18栋1单元1203") < 0.4);
        assert_eq!(similarity("", "x"), 0.0);
    }

    proptest! {
        #[test]
        fn similarity_is_bounded_and_symmetric(a in "\\PC{0,30}", b in "\\PC{0,30}") {
            let s = similarity(&a, &b);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert!((s - similarity(&b, &a)).abs() < 1e-9);
        }
    }
}

/// A cell for a CSV file that a spreadsheet will open: text that a spreadsheet would run as a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return, also in full width)
/// gets a leading `'`, so `=HYPERLINK(…)` typed into an address stays text. A plain number
/// (`-5`, `+86`) is left alone. Every CSV the product writes passes its cells through here.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠']);
    if risky && text.trim().parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod csv_tests {
    use super::csv_cell;
    use proptest::prelude::*;

    #[test]
    fn formulas_stay_text() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("+1+cmd"), "'+1+cmd");
        assert_eq!(csv_cell("\t=1"), "'\t=1");
        assert_eq!(csv_cell("-5"), "-5");
        assert_eq!(csv_cell("张三"), "张三");
        assert_eq!(csv_cell("重庆市巴南区=3号"), "重庆市巴南区=3号");
    }

    proptest! {
        /// No cell the product writes starts a formula, whatever was typed.
        #[test]
        fn no_cell_starts_a_formula(text in "\\PC{0,30}") {
            let cell = csv_cell(&text);
            let starts_formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠']);
            prop_assert!(!starts_formula || cell.trim().parse::<f64>().is_ok(), "{cell}");
        }
    }
}

/// What a person is found by in a search, besides their household's address: the name, its
/// pinyin in full (`zhangsan`) and initials (`zs`) — how staff type on a phone — and the tails
/// of the ID number (6) and phone (4), never the whole numbers. Lower case, space-separated.
pub fn person_search_key(name: &str, id_number: &str, phone: Option<&str>) -> String {
    let (full, initials) = pinyin_of(name);
    let tail = |text: &str, n: usize| {
        let chars: Vec<char> = text.chars().collect();
        chars[chars.len().saturating_sub(n)..]
            .iter()
            .collect::<String>()
    };
    let mut key = format!("{} {full} {initials} {}", name.trim(), tail(id_number, 6));
    if let Some(phone) = phone.filter(|p| !p.trim().is_empty()) {
        key.push(' ');
        key.push_str(&tail(phone.trim(), 4));
    }
    key.to_lowercase()
}

/// A name's pinyin without tones, in full and as initials (`张三` → `zhangsan`, `zs`);
/// characters without pinyin (Latin letters, digits) are kept as they are.
pub fn pinyin_of(name: &str) -> (String, String) {
    use pinyin::ToPinyin;
    let mut full = String::new();
    let mut initials = String::new();
    for (c, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(&p.plain()[..1]);
            }
            None if c.is_alphanumeric() => {
                full.extend(c.to_lowercase());
                initials.extend(c.to_lowercase());
            }
            None => {}
        }
    }
    (full, initials)
}

#[cfg(test)]
mod search_key_tests {
    use super::*;

    #[test]
    fn names_are_found_by_pinyin_initials_and_tails() {
        assert_eq!(pinyin_of("张三"), ("zhangsan".into(), "zs".into()));
        assert_eq!(pinyin_of("李 Ming2"), ("liming2".into(), "lming2".into()));
        let key = person_search_key("张三", "50011319850101001X", Some("13800001234"));
        assert_eq!(key, "张三 zhangsan zs 01001x 1234");
        assert_eq!(
            person_search_key("宋", "500113198501010015", None),
            "宋 song s 010015"
        );
    }
}
