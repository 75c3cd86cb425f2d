//! What a request is: its category (the ten of the weekly ranking) and subcategory, its type
//! (咨询, 求助, 投诉, 举报, 建议) with the reply deadline in working days, and the kind of unit that
//! answers it — all data, `data/hotline/taxonomy.toml`, checked with `minsheng hotline check`.

use std::collections::HashSet;

use serde::Deserialize;

/// The categories the weekly hot-topic ranking publishes, in its order.
pub const RANKING_CATEGORIES: [&str; 10] = [
    "医疗卫生",
    "劳动人社",
    "住房城建",
    "市场监管",
    "交通运输",
    "民生服务",
    "治安管理",
    "城市管理",
    "生态环境",
    "区县服务",
];

pub const SHIPPED_TOML: &str = include_str!("../../../data/hotline/taxonomy.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestType {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Working days to reply.
    pub days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subcategory {
    pub code: String,
    pub name_zh: String,
    /// The unit that answers, `{district}` standing for the district's name.
    pub unit: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sub: Vec<Subcategory>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    #[serde(rename = "type")]
    pub types: Vec<RequestType>,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

impl Taxonomy {
    pub fn shipped() -> Result<Taxonomy, String> {
        Taxonomy::from_toml(SHIPPED_TOML)
    }

    /// Reads and checks a taxonomy; every mistake is named (with its line for TOML errors).
    pub fn from_toml(text: &str) -> Result<Taxonomy, String> {
        let taxonomy: Taxonomy = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map_or(0, |s| text[..s.start].matches('\n').count() + 1);
            format!("line {line}: {}", e.message().trim_end())
        })?;
        let mut errors = Vec::new();
        let mut codes = HashSet::new();
        for t in &taxonomy.types {
            if !codes.insert(t.code.as_str()) {
                errors.push(format!("type {}: the code is used twice", t.code));
            }
            if t.days == 0 {
                errors.push(format!(
                    "type {}: a deadline of at least one working day",
                    t.code
                ));
            }
        }
        let names: Vec<&str> = taxonomy
            .categories
            .iter()
            .map(|c| c.name_zh.as_str())
            .collect();
        if names != RANKING_CATEGORIES {
            errors.push(format!(
                "the categories must be the ranking's ten, in order: {}",
                RANKING_CATEGORIES.join("、")
            ));
        }
        for c in &taxonomy.categories {
            if !codes.insert(c.code.as_str()) {
                errors.push(format!("category {}: the code is used twice", c.code));
            }
            if c.sub.is_empty() {
                errors.push(format!("category {}: no subcategory", c.code));
            }
            for s in &c.sub {
                if !codes.insert(s.code.as_str()) {
                    errors.push(format!("subcategory {}: the code is used twice", s.code));
                }
                if s.unit.trim().is_empty() {
                    errors.push(format!("subcategory {}: no unit answers it", s.code));
                }
            }
        }
        if errors.is_empty() {
            Ok(taxonomy)
        } else {
            Err(errors.join("\n"))
        }
    }

    /// The category and subcategory of a subcategory code.
    pub fn subcategory(&self, code: &str) -> Option<(&Category, &Subcategory)> {
        self.categories
            .iter()
            .find_map(|c| c.sub.iter().find(|s| s.code == code).map(|s| (c, s)))
    }

    pub fn request_type(&self, code: &str) -> Option<&RequestType> {
        self.types.iter().find(|t| t.code == code)
    }

    pub fn subcategory_count(&self) -> usize {
        self.categories.iter().map(|c| c.sub.len()).sum()
    }
}

impl Subcategory {
    /// The unit that answers in a district.
    pub fn unit_in(&self, district: &str) -> String {
        self.unit.replace("{district}", district)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_taxonomy_has_the_ranking_categories_and_five_types() {
        let t = Taxonomy::shipped().expect("taxonomy");
        assert_eq!(t.categories.len(), 10);
        assert_eq!(t.types.len(), 5);
        let (category, sub) = t.subcategory("street_vending").expect("sub");
        assert_eq!(category.name_zh, "城市管理");
        assert_eq!(sub.unit_in("渝中区"), "渝中区城市管理局");
        assert_eq!(t.request_type("report").map(|r| r.days), Some(10));
    }

    #[test]
    fn mistakes_are_named() {
        let broken = SHIPPED_TOML
            .replace("days = 3", "days = 0")
            .replace("code = \"garbage\"", "code = \"street_vending\"");
        let err = Taxonomy::from_toml(&broken).expect_err("refused");
        assert!(err.contains("consultation: a deadline"), "{err}");
        assert!(
            err.contains("street_vending: the code is used twice"),
            "{err}"
        );
        let err = Taxonomy::from_toml("[[type]]\ncode = 1\n").expect_err("refused");
        assert!(err.starts_with("line 2"), "{err}");
    }
}
