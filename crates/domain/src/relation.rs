//! Family relation codes (家庭关系代码) of GB/T 4761-2008: how a member relates to the head.

/// (code, Chinese label, English label). Codes ending in 0 are the group headings, usable when
/// the detail is unknown.
pub const RELATIONS: &[(&str, &str, &str)] = &[
    ("01", "本人", "self"),
    ("02", "户主", "head of household"),
    ("10", "配偶", "spouse"),
    ("11", "夫", "husband"),
    ("12", "妻", "wife"),
    ("20", "子", "son"),
    ("21", "独生子", "only son"),
    ("22", "长子", "eldest son"),
    ("23", "次子", "second son"),
    ("24", "三子", "third son"),
    ("25", "四子", "fourth son"),
    ("26", "五子", "fifth son"),
    ("27", "养子或继子", "adopted or step son"),
    ("28", "女婿", "son-in-law"),
    ("29", "其他儿子", "other son"),
    ("30", "女", "daughter"),
    ("31", "独生女", "only daughter"),
    ("32", "长女", "eldest daughter"),
    ("33", "次女", "second daughter"),
    ("34", "三女", "third daughter"),
    ("35", "四女", "fourth daughter"),
    ("36", "五女", "fifth daughter"),
    ("37", "养女或继女", "adopted or step daughter"),
    ("38", "儿媳", "daughter-in-law"),
    ("39", "其他女儿", "other daughter"),
    ("40", "孙子、孙女或外孙子、外孙女", "grandchild"),
    ("41", "孙子", "grandson"),
    ("42", "孙女", "granddaughter"),
    ("43", "外孙子", "daughter's son"),
    ("44", "外孙女", "daughter's daughter"),
    ("45", "孙媳妇或外孙媳妇", "grandson's wife"),
    ("46", "孙女婿或外孙女婿", "granddaughter's husband"),
    ("47", "曾孙子或外曾孙子", "great-grandson"),
    ("48", "曾孙女或外曾孙女", "great-granddaughter"),
    ("49", "其他孙子、孙女或外孙子、外孙女", "other grandchild"),
    ("50", "父母", "parent"),
    ("51", "父亲", "father"),
    ("52", "母亲", "mother"),
    ("53", "公公", "husband's father"),
    ("54", "婆婆", "husband's mother"),
    ("55", "岳父", "wife's father"),
    ("56", "岳母", "wife's mother"),
    ("57", "继父或养父", "step or adoptive father"),
    ("58", "继母或养母", "step or adoptive mother"),
    ("59", "其他父母关系", "other parent"),
    ("60", "祖父母或外祖父母", "grandparent"),
    ("61", "祖父", "paternal grandfather"),
    ("62", "祖母", "paternal grandmother"),
    ("63", "外祖父", "maternal grandfather"),
    ("64", "外祖母", "maternal grandmother"),
    ("65", "配偶的祖父母或外祖父母", "spouse's grandparent"),
    ("66", "曾祖父", "great-grandfather"),
    ("67", "曾祖母", "great-grandmother"),
    (
        "68",
        "配偶的曾祖父母或外曾祖父母",
        "spouse's great-grandparent",
    ),
    ("69", "其他祖父母或外祖父母关系", "other grandparent"),
    ("70", "兄弟姐妹", "sibling"),
    ("71", "兄", "elder brother"),
    ("72", "嫂", "elder brother's wife"),
    ("73", "弟", "younger brother"),
    ("74", "弟媳", "younger brother's wife"),
    ("75", "姐姐", "elder sister"),
    ("76", "姐夫", "elder sister's husband"),
    ("77", "妹妹", "younger sister"),
    ("78", "妹夫", "younger sister's husband"),
    ("79", "其他兄弟姐妹", "other sibling"),
    ("80", "其他", "other relative"),
    ("81", "伯父", "father's elder brother"),
    ("82", "伯母", "father's elder brother's wife"),
    ("83", "叔父", "father's younger brother"),
    ("84", "婶母", "father's younger brother's wife"),
    ("85", "舅父", "mother's brother"),
    ("86", "舅母", "mother's brother's wife"),
    ("87", "姨父", "mother's sister's husband"),
    ("88", "姨母", "mother's sister"),
    ("89", "姑父", "father's sister's husband"),
    ("90", "姑母", "father's sister"),
    ("91", "堂兄弟、堂姐妹", "paternal cousin"),
    ("92", "表兄弟、表姐妹", "maternal cousin"),
    ("93", "侄子", "nephew (brother's son)"),
    ("94", "侄女", "niece (brother's daughter)"),
    ("95", "外甥", "nephew (sister's son)"),
    ("96", "外甥女", "niece (sister's daughter)"),
    ("97", "其他女婿和儿媳", "other son- or daughter-in-law"),
    ("98", "非亲属", "not related"),
    ("99", "其他", "other"),
];

/// The relation code of the head of household.
pub const HEAD: &str = "02";

/// The Chinese label of a relation code, if the code is known.
pub fn relation_label_zh(code: &str) -> Option<&'static str> {
    RELATIONS.iter().find(|(c, _, _)| *c == code).map(|r| r.1)
}

pub fn relation_label_en(code: &str) -> Option<&'static str> {
    RELATIONS.iter().find(|(c, _, _)| *c == code).map(|r| r.2)
}

pub fn is_relation_code(code: &str) -> bool {
    relation_label_zh(code).is_some()
}
