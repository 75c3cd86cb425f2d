//! Routing rules (派单规则): which unit answers a request, by category or subcategory and area,
//! as data (`data/hotline/routing.toml`). The first matching rule wins; without one the
//! subcategory's unit of the taxonomy answers in the request's zone or district. No place, no
//! unit: the request goes to the centre for manual dispatch.

use serde::Deserialize;
use toml::Spanned;

use crate::gazetteer::{Gazetteer, Place};
use crate::taxonomy::Taxonomy;

pub const ROUTING_TOML: &str = include_str!("../../../data/hotline/routing.toml");

/// The centre itself: where a request goes when nobody can be named for it.
pub const MANUAL_DISPATCH: &str = "12345热线中心（人工派单）";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    category: Option<String>,
    subcategory: Option<String>,
    area: Option<String>,
    unit: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile {
    /// Below this confidence the model's category is not trusted to route.
    #[serde(default = "default_review_below")]
    review_below: Spanned<f64>,
    #[serde(rename = "rule", default)]
    rules: Vec<Spanned<RuleSpec>>,
}

fn default_review_below() -> Spanned<f64> {
    Spanned::new(0..0, DEFAULT_REVIEW_BELOW)
}

/// Without a threshold in the rules: a category the model is less sure of than a coin toss
/// with one side weighted 3:2 is looked at by a person.
pub const DEFAULT_REVIEW_BELOW: f64 = 0.6;

/// One routing rule, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its line in the file (for people reading a routing decision).
    pub line: usize,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub area: Option<String>,
    pub unit: String,
}

/// Where a request goes and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub unit: String,
    /// The line of the rule that decided, or `None` for the taxonomy's unit or the centre.
    pub rule_line: Option<usize>,
    /// Nobody could be named: the centre dispatches by hand.
    pub manual: bool,
}

#[derive(Debug, Clone)]
pub struct Router {
    rules: Vec<Rule>,
    /// A model's category with a confidence below this goes to an agent's review list (复核).
    review_below: f64,
}

impl Default for Router {
    fn default() -> Router {
        Router {
            rules: Vec::new(),
            review_below: DEFAULT_REVIEW_BELOW,
        }
    }
}

const PLACEHOLDERS: [&str; 3] = ["{district}", "{zone}", "{town}"];

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Router {
    pub fn shipped(taxonomy: &Taxonomy, gazetteer: &Gazetteer) -> Result<Router, String> {
        Router::from_toml(ROUTING_TOML, taxonomy, gazetteer)
    }

    /// Reads and checks routing rules: codes of the taxonomy, areas of the gazetteer, known
    /// placeholders; every mistake named with its line.
    pub fn from_toml(
        text: &str,
        taxonomy: &Taxonomy,
        gazetteer: &Gazetteer,
    ) -> Result<Router, String> {
        let file: RoutingFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            format!("line {line}: {}", e.message().trim_end())
        })?;
        let mut errors = Vec::new();
        let review_below = *file.review_below.get_ref();
        if !(0.0..=1.0).contains(&review_below) {
            errors.push(format!(
                "line {}: review_below = {review_below}: a confidence is between 0 and 1",
                line_of(text, file.review_below.span().start)
            ));
        }
        let mut rules = Vec::new();
        for spanned in file.rules {
            let line = line_of(text, spanned.span().start);
            let spec = spanned.into_inner();
            let mut error = |message: String| errors.push(format!("line {line}: {message}"));
            if let Some(code) = &spec.category
                && !taxonomy.categories.iter().any(|c| &c.code == code)
            {
                error(format!("unknown category {code:?}"));
            }
            if let Some(code) = &spec.subcategory {
                match taxonomy.subcategory(code) {
                    None => error(format!("unknown subcategory {code:?}")),
                    Some((c, _)) if spec.category.as_ref().is_some_and(|cat| cat != &c.code) => {
                        error(format!(
                            "subcategory {code:?} is not in category {:?}",
                            c.code
                        ))
                    }
                    Some(_) => {}
                }
            }
            if let Some(area) = &spec.area
                && gazetteer.area_name(area).is_none()
            {
                error(format!(
                    "unknown area {area:?} (a district, town or zone code of data/regions)"
                ));
            }
            if spec.unit.trim().is_empty() {
                error("the unit is empty".into());
            }
            let mut rest = spec.unit.clone();
            for p in PLACEHOLDERS {
                rest = rest.replace(p, "");
            }
            if rest.contains('{') || rest.contains('}') {
                error(format!(
                    "unit {:?}: the only placeholders are {}",
                    spec.unit,
                    PLACEHOLDERS.join(", ")
                ));
            }
            rules.push(Rule {
                line,
                category: spec.category,
                subcategory: spec.subcategory,
                area: spec.area,
                unit: spec.unit,
            });
        }
        if errors.is_empty() {
            Ok(Router {
                rules,
                review_below,
            })
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Whether a model's category at this confidence is looked at by an agent before routing.
    pub fn needs_review(&self, confidence: f64) -> bool {
        confidence < self.review_below
    }

    pub fn review_below(&self) -> f64 {
        self.review_below
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The unit that answers a request of this subcategory about this place.
    pub fn route(&self, taxonomy: &Taxonomy, subcategory: &str, place: Option<&Place>) -> Route {
        let manual = Route {
            unit: MANUAL_DISPATCH.to_string(),
            rule_line: None,
            manual: true,
        };
        let (Some(place), Some((category, sub))) = (place, taxonomy.subcategory(subcategory))
        else {
            return manual;
        };
        for rule in &self.rules {
            let applies = rule.category.as_ref().is_none_or(|c| c == &category.code)
                && rule.subcategory.as_ref().is_none_or(|s| s == &sub.code)
                && rule.area.as_ref().is_none_or(|a| {
                    &place.district.code == a
                        || place.town.as_ref().is_some_and(|t| &t.code == a)
                        || place.zone.as_ref().is_some_and(|z| &z.code == a)
                });
            if let (true, Some(unit)) = (applies, fill(&rule.unit, place)) {
                return Route {
                    unit,
                    rule_line: Some(rule.line),
                    manual: false,
                };
            }
        }
        // A town of a functional zone is answered by the zone's units.
        let area = place
            .zone
            .as_ref()
            .map_or(&place.district.name, |z| &z.name);
        Route {
            unit: sub.unit_in(area),
            rule_line: None,
            manual: false,
        }
    }
}

/// The unit's name with the place's names put in; `None` when the place lacks one it needs.
fn fill(unit: &str, place: &Place) -> Option<String> {
    let mut out = unit.replace("{district}", &place.district.name);
    if out.contains("{zone}") {
        out = out.replace("{zone}", &place.zone.as_ref()?.name);
    }
    if out.contains("{town}") {
        out = out.replace("{town}", &place.town.as_ref()?.name);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Taxonomy, Gazetteer, Router) {
        let taxonomy = Taxonomy::shipped().expect("taxonomy");
        let gazetteer = Gazetteer::shipped().expect("gazetteer");
        let router = Router::shipped(&taxonomy, &gazetteer).expect("shipped rules check");
        (taxonomy, gazetteer, router)
    }

    #[test]
    fn rules_decide_first_then_the_taxonomy_and_no_place_goes_to_the_centre() {
        let (t, g, r) = setup();
        let yuzhong = g.locate("渝中区解放碑").expect("place");
        let noise = r.route(&t, "noise_nuisance", Some(&yuzhong));
        assert_eq!(noise.unit, "解放碑街道办事处");
        assert!(noise.rule_line.is_some());
        let banan = g.locate("巴南区鱼洞街道").expect("place");
        let noise = r.route(&t, "noise_nuisance", Some(&banan));
        assert_eq!(noise.unit, "巴南区公安分局", "the area rule is 渝中's only");
        assert_eq!(noise.rule_line, None);
        let metro = r.route(&t, "metro", Some(&banan));
        assert_eq!(metro.unit, "重庆市轨道交通（集团）有限公司");
        let nowhere = r.route(&t, "metro", None);
        assert!(nowhere.manual);
        assert_eq!(nowhere.unit, MANUAL_DISPATCH);
    }

    #[test]
    fn the_review_threshold_is_data_and_checked() {
        let (t, g, r) = setup();
        assert!(r.needs_review(r.review_below() - 0.01));
        assert!(!r.needs_review(r.review_below()));
        let strict = Router::from_toml("review_below = 0.9\n", &t, &g).expect("reads");
        assert!(strict.needs_review(0.85));
        let without = Router::from_toml("", &t, &g).expect("reads");
        assert_eq!(without.review_below(), DEFAULT_REVIEW_BELOW);
        let e = Router::from_toml("\nreview_below = 1.5\n", &t, &g).expect_err("out of range");
        assert!(e.contains("line 2") && e.contains("review_below"), "{e}");
    }

    #[test]
    fn a_rule_whose_placeholder_cannot_be_filled_does_not_match() {
        let (t, g, r) = setup();
        let district_only = g.locate("巴南区").expect("place");
        assert!(district_only.town.is_none());
        let route = r.route(&t, "village_affairs", Some(&district_only));
        assert_eq!(route.unit, "巴南区农业农村委员会");
        let with_town = g.locate("巴南区鱼洞街道").expect("place");
        assert_eq!(
            r.route(&t, "village_affairs", Some(&with_town)).unit,
            "鱼洞街道办事处"
        );
    }

    /// A request naming only 两江新区 (or 高新区 with a district it reaches) is answered by the
    /// zone's unit, not the administrative district's.
    #[test]
    fn a_named_functional_zone_is_answered_by_its_units() {
        let (t, g, r) = setup();
        let liangjiang = g.locate("两江新区的路灯坏了").expect("place");
        assert_eq!(
            r.route(&t, "village_affairs", Some(&liangjiang)).unit,
            "两江新区农业农村委员会"
        );
        let hi_tech = g.locate("沙坪坝区高新区工地夜间施工").expect("place");
        assert_eq!(
            r.route(&t, "village_affairs", Some(&hi_tech)).unit,
            "重庆高新区农业农村委员会"
        );
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let (t, g, _) = setup();
        let text = "[[rule]]\nsubcategory = \"metro\"\nunit = \"x\"\n\n[[rule]]\nsubcategory = \"nope\"\narea = \"999\"\nunit = \"{city}局\"\n";
        let e = Router::from_toml(text, &t, &g).expect_err("bad rules");
        assert!(e.contains("line 5: unknown subcategory \"nope\""), "{e}");
        assert!(e.contains("line 5: unknown area \"999\""), "{e}");
        assert!(e.contains("placeholders"), "{e}");
        let e = Router::from_toml("[[rule]]\nunit = \"x\"\ncolour = 1\n", &t, &g)
            .expect_err("unknown key");
        assert!(e.starts_with("line 3:"), "{e}");
    }
}
