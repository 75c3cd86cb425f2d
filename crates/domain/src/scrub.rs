//! What may be published: personal data taken out of free text that citizens and staff type.
//!
//! Citizens write their phone number, e-mail, ID number and name into a request's description
//! however they like: `138-1234-5678`, `138 1234 5678`, full-width `１３８１２３４５６７８`,
//! `一三八一二三四五六七八`, `5001 1319 8001 0100 1X`, `zhang＠qq。com`, `我叫张三`. Every public
//! page and export passes its texts through [`scrub_public`], which masks
//!
//! - **numbers**: a run of seven or more digits (ASCII, full-width or Chinese numerals) with any
//!   of the separators people put inside numbers (spaces, dashes, dots, brackets, slashes, plus)
//!   between them, and a trailing check letter `X`;
//! - **e-mail addresses**: a local part, `@` or `＠` (or `(at)`), a domain with a dot or `。`;
//! - **names** after the phrases that introduce them (我叫, 本人, 联系人, 姓名, 名叫, 我的名字是,
//!   "my name is" …): up to four Han characters, or one Latin word.
//!
//! Masking errs on the side of hiding: a run of seven digits that was a price is masked too.

/// The mask character for one hidden character.
pub const MASK: char = '＊';

/// Separators people put between the digits of one number.
fn is_number_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{3000}'
            | '\u{a0}'
            | '\t'
            | '-'
            | '－'
            | '‐'
            | '‑'
            | '–'
            | '—'
            | '―'
            | '─'
            | '.'
            | '．'
            | '·'
            | '・'
            | '('
            | ')'
            | '（'
            | '）'
            | '/'
            | '／'
            | '+'
            | '＋'
            | '_'
            | '＿'
            | '~'
            | '～'
            | ','
            | '，'
            | '、'
            | '*'
            | '#'
            | '|'
            | '\n'
            | '\r'
            | '＊'
            | '＃'
            | '｜'
    )
}

/// A digit in any of the ways Chinese text writes one.
pub fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        // Letters people type for zero, and circled digits.
        '〇' | '零' | '○' | 'Ｏ' | 'O' | 'o' | 'ｏ' | '⓪' => Some(0),
        '①'..='⑨' => Some(c as u32 - '①' as u32 + 1),
        '一' | '壹' | '幺' => Some(1),
        '二' | '贰' | '两' => Some(2),
        '三' | '叁' => Some(3),
        '四' | '肆' => Some(4),
        '五' | '伍' => Some(5),
        '六' | '陆' => Some(6),
        '七' | '柒' => Some(7),
        '八' | '捌' => Some(8),
        '九' | '玖' => Some(9),
        _ => None,
    }
}

/// Whether a character is a digit written with Chinese numerals (as opposed to Arabic ones).
fn is_chinese_numeral(c: char) -> bool {
    digit_value(c).is_some() && !c.is_ascii_digit() && !('０'..='９').contains(&c)
}

fn is_check_letter(c: char) -> bool {
    matches!(c, 'x' | 'X' | 'ｘ' | 'Ｘ')
}

/// The longest run of digits in a text, separators inside a number skipped: the length of the
/// longest number someone may have written.
pub fn longest_number(text: &str) -> usize {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut longest = 0;
    while i < chars.len() {
        match number_at(&chars, i) {
            Some((end, digits)) => {
                longest = longest.max(digits);
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    longest
}

/// The number that starts at `start`: (end, digit count), or `None` when no digit is there.
/// Chinese numerals count only in runs of their own (so 一 in 一个 is not a number start
/// unless more numerals follow).
fn number_at(chars: &[char], start: usize) -> Option<(usize, usize)> {
    digit_value(chars[start])?;
    let mut end = start;
    let mut digits = 0;
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if digit_value(c).is_some() {
            digits += 1;
            i += 1;
            end = i;
        } else if is_check_letter(c) && digits >= 14 {
            i += 1;
            end = i;
            break;
        } else if is_number_separator(c) {
            // Separators count only when a digit follows within four characters
            // (`138 -- 1234`).
            let next_digit = chars[i + 1..]
                .iter()
                .take(4)
                .position(|c| digit_value(*c).is_some());
            match next_digit {
                Some(k)
                    if chars[i + 1..i + 1 + k]
                        .iter()
                        .all(|c| is_number_separator(*c)) =>
                {
                    i += 1 + k;
                }
                _ => break,
            }
        } else {
            break;
        }
    }
    Some((end, digits))
}

/// How many Chinese numerals a number made of them needs before it is masked: more than the
/// Arabic seven, since 一二三 appear in ordinary words.
const MIN_CHINESE_NUMERAL_DIGITS: usize = 7;
const MIN_DIGITS: usize = 7;

/// Masks phone numbers, ID numbers, e-mail addresses and introduced names in a text meant for
/// the public. Everything else is kept as written.
pub fn scrub_public(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut hide = vec![false; chars.len()];
    mark_numbers(&chars, &mut hide);
    mark_emails(&chars, &mut hide);
    mark_names(&chars, &mut hide);
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if hide[i] {
            // One mask per hidden run of separators-and-digits keeps the length of a number
            // from telling anything either.
            while i < chars.len() && hide[i] {
                i += 1;
            }
            out.push_str("＊＊＊");
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Masks what looks like an ID number (15 or more digits however written) in a staff text —
/// a clue's description, a visit's findings — for those who see the text but not full ID
/// numbers. Phones and the rest are kept: staff need them.
pub fn mask_id_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut hide = vec![false; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        match number_at(&chars, i) {
            Some((end, digits)) => {
                if digits >= 15 {
                    hide[i..end].iter_mut().for_each(|h| *h = true);
                }
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if hide[i] {
            while i < chars.len() && hide[i] {
                i += 1;
            }
            out.push_str("＊＊＊");
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn mark_numbers(chars: &[char], hide: &mut [bool]) {
    let mut i = 0;
    while i < chars.len() {
        let Some((end, digits)) = number_at(chars, i) else {
            i += 1;
            continue;
        };
        let chinese = chars[i..end]
            .iter()
            .filter(|c| is_chinese_numeral(**c))
            .count();
        let needed = if chinese * 2 > digits {
            MIN_CHINESE_NUMERAL_DIGITS
        } else {
            MIN_DIGITS
        };
        if digits >= needed && !is_date(&chars[i..end]) {
            hide[i..end].iter_mut().for_each(|h| *h = true);
        }
        i = end.max(i + 1);
    }
}

/// `2026-10-10`, `2026/1/5`, `2026.10.10`: a date, not a number to hide.
fn is_date(run: &[char]) -> bool {
    let groups: Vec<String> = run
        .split(|c| is_number_separator(*c))
        .filter(|g| !g.is_empty())
        .map(|g| {
            g.iter()
                .filter_map(|c| digit_value(*c))
                .map(|d| char::from_digit(d, 10).unwrap_or('0'))
                .collect()
        })
        .collect();
    matches!(groups.as_slice(), [y, m, d]
        if y.len() == 4 && (y.starts_with("19") || y.starts_with("20"))
            && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()))
}

/// Full-width ASCII folded to ASCII, for pattern matching only.
fn fold(c: char) -> char {
    match c {
        '！'..='～' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '。' | '｡' => '.',
        _ => c,
    }
}

fn is_email_char(c: char) -> bool {
    let c = fold(c);
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn mark_emails(chars: &[char], hide: &mut [bool]) {
    let folded: Vec<char> = chars.iter().map(|c| fold(*c)).collect();
    let mut i = 0;
    while i < folded.len() {
        // `@`, `＠`, or `(at)` / `[at]` / ` at ` between two address parts.
        let at_len = if folded[i] == '@' || folded[i] == '#' {
            1
        } else if let Some(n) = spelled_at(&folded, i) {
            n
        } else {
            i += 1;
            continue;
        };
        let mut start = i;
        while start > 0 && is_email_char(chars[start - 1]) {
            start -= 1;
        }
        let mut end = i + at_len;
        loop {
            while end < chars.len() && is_email_char(chars[end]) {
                end += 1;
            }
            // `qq dot com`: a spelled dot continues the domain.
            match spelled_dot(&folded, end) {
                Some(n) if end + n < chars.len() && is_email_char(chars[end + n]) => end += n,
                _ => break,
            }
        }
        let domain: String = folded[i + at_len..end]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase()
            .replace(" dot ", ".")
            .replace("(dot)", ".")
            .replace("[dot]", ".");
        let local_ok = start < i;
        let domain_ok = domain.trim_matches('.').contains('.');
        if local_ok && domain_ok {
            hide[start..end].iter_mut().for_each(|h| *h = true);
            i = end;
        } else {
            i += 1;
        }
    }
}

/// `(at)`, `[at]`, `{at}` or ` at ` at `i` (folded text): its length.
fn spelled_at(folded: &[char], i: usize) -> Option<usize> {
    spelled(folded, i, &["(at)", "[at]", "{at}", " at "])
}

/// `(dot)`, `[dot]` or ` dot ` at `i` (folded text): its length.
fn spelled_dot(folded: &[char], i: usize) -> Option<usize> {
    spelled(folded, i, &["(dot)", "[dot]", " dot "])
}

fn spelled(folded: &[char], i: usize, patterns: &[&str]) -> Option<usize> {
    let rest: String = folded[i.min(folded.len())..folded.len().min(i + 5)]
        .iter()
        .collect::<String>()
        .to_ascii_lowercase();
    patterns
        .iter()
        .find(|p| rest.starts_with(*p))
        .map(|p| p.chars().count())
}

/// Phrases after which a person's own name usually follows.
const NAME_INTRODUCERS: &[&str] = &[
    "我的名字是",
    "我的名字叫",
    "我名字叫",
    "我姓名是",
    "联系人是",
    "联系人为",
    "联系人",
    "申请人",
    "求助人",
    "投诉人",
    "反映人",
    "举报人",
    "当事人",
    "来电人",
    "姓名",
    "名叫",
    "我叫",
    "本人叫",
    "本人是",
    "本人",
    "我是",
    "叫做",
    "我姓",
];

/// Forms of address after a surname: 王女士, 张先生, 欧阳老师.
const HONORIFICS: &[&str] = &[
    "先生", "女士", "小姐", "阿姨", "大爷", "大妈", "大姐", "大哥", "老师", "师傅", "同志", "奶奶",
    "爷爷",
];

/// Surnames of two characters.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯",
];

/// Up to `most` words of Latin letters from `start` (a capitalised second word only): the end.
fn latin_words(chars: &[char], start: usize, most: usize) -> usize {
    let mut i = start;
    let mut words = 0;
    while i < chars.len() && words < most {
        let word_start = i;
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i == word_start {
            break;
        }
        words += 1;
        if i + 1 < chars.len()
            && chars[i] == ' '
            && chars[i + 1].is_ascii_uppercase()
            && words < most
        {
            i += 1;
        } else {
            break;
        }
    }
    i.max(start)
}

/// Characters that end a name: verbs and particles that follow 本人 / 我是 in ordinary text.
const NOT_NAME: &str = "住在于是的了在家今年因现从到向对给把被要想已也就都还又和与及或但在为个位名一这那此该其本某人区县市镇乡街村路号楼室电话手机联系邮箱身份证男女今年岁患病老退休居民群众村民业主";

fn mark_names(chars: &[char], hide: &mut [bool]) {
    let text: String = chars.iter().collect();
    let lower = text.to_lowercase();
    let lower_chars: Vec<char> = lower.chars().collect();
    for intro in NAME_INTRODUCERS {
        let intro_chars: Vec<char> = intro.chars().collect();
        let mut from = 0;
        while let Some(at) = find(chars, &intro_chars, from) {
            let mut i = at + intro_chars.len();
            while i < chars.len() && matches!(chars[i], ':' | '：' | ' ' | '\u{3000}' | '，' | ',')
            {
                i += 1;
            }
            let start = i;
            while i < chars.len()
                && i - start < 4
                && is_han(chars[i])
                && !NOT_NAME.contains(chars[i])
            {
                i += 1;
            }
            // A single character is rarely a whole name (but is a surname after 我姓).
            let least = if *intro == "我姓" { 1 } else { 2 };
            if i - start >= least {
                hide[start..i].iter_mut().for_each(|h| *h = true);
            } else if i == start {
                // A name in Latin letters: `我叫 Zhang Wei`.
                let end = latin_words(chars, start, 2);
                hide[start..end].iter_mut().for_each(|h| *h = true);
            }
            from = at + intro_chars.len();
        }
    }
    // A surname before a form of address: 王女士, 欧阳老师.
    for honorific in HONORIFICS {
        let h: Vec<char> = honorific.chars().collect();
        let mut from = 0;
        while let Some(at) = find(chars, &h, from) {
            let two = at >= 2
                && COMPOUND_SURNAMES
                    .contains(&chars[at - 2..at].iter().collect::<String>().as_str());
            let start = if two { at - 2 } else { at.saturating_sub(1) };
            if at > start
                && chars[start..at]
                    .iter()
                    .all(|c| is_han(*c) && !NOT_NAME.contains(*c))
            {
                hide[start..at].iter_mut().for_each(|h| *h = true);
            }
            from = at + h.len();
        }
    }
    // English: "my name is X", "name: X", "contact: X".
    for intro in [
        "my name is ",
        "name: ",
        "name:",
        "contact: ",
        "contact person: ",
    ] {
        let intro_chars: Vec<char> = intro.chars().collect();
        let mut from = 0;
        while let Some(at) = find(&lower_chars, &intro_chars, from) {
            let mut i = at + intro_chars.len();
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            let start = i;
            let mut words = 0;
            while i < chars.len() && words < 2 {
                let word_start = i;
                while i < chars.len() && chars[i].is_alphabetic() && !is_han(chars[i]) {
                    i += 1;
                }
                if i == word_start {
                    break;
                }
                words += 1;
                // A second word only when it is capitalised (a surname).
                if i < chars.len()
                    && chars[i] == ' '
                    && chars.get(i + 1).is_some_and(|c| c.is_uppercase())
                {
                    i += 1;
                } else {
                    break;
                }
            }
            if i > start {
                hide[start..i].iter_mut().for_each(|h| *h = true);
            }
            from = at + intro_chars.len();
        }
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{20000}'..='\u{2a6df}')
}

fn find(haystack: &[char], needle: &[char], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| haystack[i..i + needle.len()] == *needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_numbers_however_written() {
        for text in [
            "电话13812345678",
            "电话138-1234-5678",
            "电话 138 1234 5678 谢谢",
            "电话１３８１２３４５６７８",
            "电话１３８－１２３４－５６７８",
            "电话一三八一二三四五六七八",
            "电话幺三八幺二三四五六七八",
            "电话(023)6789-1234",
            "电话+86 138 1234 5678",
            "身份证500113198001010011",
            "身份证 5001 1319 8001 0100 1X",
            "身份证５００１１３１９８００１０１００１Ｘ",
            "身份证500113 19800101 001x",
            "电话138.1234.5678",
            "手机:138 1234 5678",
            "电话 138 -- 1234 -- 5678",
            "电话138*1234*5678",
            "电话 ①③⑧①②③④⑤⑥⑦⑧",
            "电话138OO001111",
        ] {
            let out = scrub_public(text);
            assert!(longest_number(&out) < 7, "{text} → {out}");
            assert!(out.contains(MASK), "{text} → {out}");
        }
    }

    #[test]
    fn staff_texts_lose_id_numbers_only() {
        assert_eq!(
            mask_id_numbers("身份证 5001 1319 8001 0100 1X，电话13812345678"),
            "身份证 ＊＊＊，电话13812345678"
        );
    }

    #[test]
    fn keeps_what_is_not_personal() {
        for text in [
            "解放碑步行街3号井盖破损，已有2人摔倒",
            "2026年10月10日停水",
            "2026-10-10停水，2026/1/5 恢复",
            "一个月了还没修好",
            "本人住在南岸区",
            "我是一名退休教师",
            "路灯坏了三天",
        ] {
            assert_eq!(scrub_public(text), text);
        }
    }

    #[test]
    fn masks_emails_and_names() {
        for (text, secret) in [
            ("邮箱 zhang.san@example.com 联系", "zhang.san"),
            ("邮箱ｚｈａｎｇ＠ｑｑ。ｃｏｍ", "ｚｈａｎｇ"),
            ("mail wang(at)163.com", "wang"),
            ("我叫张三，住在", "张三"),
            ("本人李四反映", "李四"),
            ("联系人：王小明 电话", "王小明"),
            ("姓名:欧阳娜娜", "欧阳娜娜"),
            ("my name is John Smith, thanks", "John"),
            ("我叫 Zhang Wei，住在", "Zhang"),
            ("邮箱 zhangwei#qq.com", "zhangwei"),
            ("zhang at qq dot com", "zhang"),
            ("王女士您好，已处理", "王女士"),
            ("欧阳老师反映", "欧阳"),
            ("我姓李", "李"),
        ] {
            let out = scrub_public(text);
            assert!(!out.contains(secret), "{text} → {out}");
        }
        assert_eq!(scrub_public("我叫张三，住在"), "我叫＊＊＊，住在");
    }

    fn separator() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just(" ".to_string()),
            Just("-".to_string()),
            Just("－".to_string()),
            Just("\u{3000}".to_string()),
            Just(".".to_string()),
            Just(" - ".to_string()),
        ]
    }

    /// A digit written as ASCII, full-width or a Chinese numeral.
    fn written(d: u32, style: u8) -> char {
        const CHINESE: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
        match style % 3 {
            0 => char::from_digit(d, 10).unwrap_or('0'),
            1 => char::from_u32('０' as u32 + d).unwrap_or('０'),
            _ => CHINESE[d as usize],
        }
    }

    fn surrounding() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("井盖坏了"),
                Just("请尽快处理"),
                Just("电话"),
                Just("，"),
                Just("谢谢"),
                Just("在"),
                Just("解放碑"),
                Just(" "),
            ],
            0..4,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// A phone or ID number, however it is grouped, spaced and written, never survives.
        #[test]
        fn no_number_survives(
            digits in prop::collection::vec(0u32..10, 11..=18),
            style in any::<u8>(),
            mixed in any::<bool>(),
            groups in prop::collection::vec((1usize..5, separator()), 1..6),
            before in surrounding(),
            after in surrounding(),
            check in any::<bool>(),
        ) {
            let mut number = String::new();
            let mut g = groups.iter().cycle();
            let mut next_break = 0;
            let mut current = g.next().cloned().unwrap_or((3, String::new()));
            for (i, d) in digits.iter().enumerate() {
                if i == next_break + current.0 && i > 0 {
                    number.push_str(&current.1);
                    next_break = i;
                    current = g.next().cloned().unwrap_or((3, String::new()));
                }
                let s = if mixed { style.wrapping_add(i as u8) } else { style };
                number.push(written(*d, s));
            }
            if check && digits.len() == 17 {
                number.push('X');
            }
            let text = format!("{before}{number}{after}");
            let out = scrub_public(&text);
            let kept: String = out.chars().filter_map(digit_value).map(|d| char::from_digit(d, 10).unwrap_or('0')).collect();
            let original: String = digits.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
            prop_assert!(!kept.contains(&original[..7]), "{text} → {out}");
            prop_assert!(longest_number(&out) < 7, "{text} → {out}");
        }

        /// An e-mail address never survives, in ASCII or full width.
        #[test]
        fn no_email_survives(
            local in "[a-z][a-z0-9._]{2,12}",
            domain in "[a-z]{2,10}",
            tld in prop_oneof![Just("com"), Just("cn"), Just("com.cn"), Just("net")],
            full_width in any::<bool>(),
            before in surrounding(),
        ) {
            let address = format!("{local}@{domain}.{tld}");
            let written: String = if full_width {
                address.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect()
            } else {
                address.clone()
            };
            let out = scrub_public(&format!("{before}{written} 谢谢"));
            prop_assert!(!out.contains(&written), "{out}");
            prop_assert!(!out.contains('@') && !out.contains('＠'), "{out}");
        }

        /// A name introduced by 我叫 / 联系人 / 本人 never survives.
        #[test]
        fn no_introduced_name_survives(
            surname in prop_oneof![Just("张"), Just("王"), Just("李"), Just("赵"), Just("欧阳")],
            given in prop_oneof![Just("伟"), Just("秀英"), Just("小明"), Just("娜")],
            intro in prop_oneof![Just("我叫"), Just("联系人："), Just("本人"), Just("姓名:"), Just("联系人 ")],
            after in prop_oneof![Just("，电话"), Just("反映"), Just(""), Just("。")],
        ) {
            let name = format!("{surname}{given}");
            let out = scrub_public(&format!("您好，{intro}{name}{after}"));
            prop_assert!(!out.contains(&name), "{out}");
        }

        /// Scrubbing never panics and is stable: scrubbing twice changes nothing more.
        #[test]
        fn scrubbing_is_idempotent(text in "\\PC{0,80}") {
            let once = scrub_public(&text);
            prop_assert_eq!(scrub_public(&once), once.clone());
        }
    }
}
