//! The labelled requests the classifier learns from: written from `data/hotline/phrases.toml`
//! (the problems, questions and suggestions of each subcategory, in callers' words), a place
//! from the gazetteer (or none), how long it has lasted, and each type's own framing. The last
//! phrase of each longer list is kept for evaluation only, so the held-out requests use wordings
//! the classifier never saw.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::gazetteer::Gazetteer;
use crate::taxonomy::Taxonomy;

pub const PHRASES_TOML: &str = include_str!("../../../data/hotline/phrases.toml");

/// How many labelled requests the classifier is trained on, and the seed that writes them.
pub const TRAINING_COUNT: usize = 8000;
pub const TRAINING_SEED: u64 = 12345;

/// One labelled request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    pub text: String,
    pub category: String,
    pub subcategory: String,
    #[serde(rename = "type")]
    pub request_type: String,
    pub district_code: Option<String>,
    /// Written with a phrase kept out of training.
    pub held_out: bool,
    /// Which wording of its list wrote it (calibration folds keep a wording's requests
    /// together, so they judge the model on wordings it did not learn, as callers' are); none
    /// for an agent's correction.
    #[serde(default)]
    pub wording: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phrases {
    pub issue: Vec<String>,
    pub question: Vec<String>,
    pub suggest: Vec<String>,
}

/// The phrases of every subcategory of the taxonomy (each must have all three kinds).
pub fn phrases(text: &str, taxonomy: &Taxonomy) -> Result<BTreeMap<String, Phrases>, String> {
    let all: BTreeMap<String, Phrases> =
        toml::from_str(text).map_err(|e| format!("phrases: {}", e.message().trim_end()))?;
    let mut errors = Vec::new();
    for category in &taxonomy.categories {
        for sub in &category.sub {
            match all.get(&sub.code) {
                None => errors.push(format!("phrases: no phrases for {}", sub.code)),
                Some(p) if p.issue.is_empty() || p.question.is_empty() || p.suggest.is_empty() => {
                    errors.push(format!(
                        "phrases: {} needs issue, question and suggest",
                        sub.code
                    ))
                }
                Some(_) => {}
            }
        }
    }
    for code in all.keys() {
        if taxonomy.subcategory(code).is_none() {
            errors.push(format!(
                "phrases: {code} is not a subcategory of the taxonomy"
            ));
        }
    }
    if errors.is_empty() {
        Ok(all)
    } else {
        Err(errors.join("\n"))
    }
}

/// How long a problem has lasted, as callers say it (also taken out of the subject).
pub(crate) const DURATIONS: [&str; 7] = [
    "",
    "已经一个多月了",
    "好几天了",
    "每天晚上都这样",
    "持续半年了",
    "反映过多次",
    "最近一周",
];

/// The framing of each type: `{p}` the place, `{x}` the phrase, `{d}` how long.
const FRAMES: [(&str, &[&str]); 5] = [
    (
        "complaint",
        &[
            "{p}{x}，{d}，要求尽快处理。",
            "投诉{p}{x}，{d}，严重影响居民生活。",
            "{p}{x}，{d}，希望相关部门管一管。",
            "我要投诉，{p}{x}，一直没有解决。",
        ],
    ),
    (
        "report",
        &[
            "举报{p}{x}，请有关部门依法查处。",
            "实名举报：{p}{x}，{d}。",
            "反映一个违规问题，{p}{x}，请调查处理。",
        ],
    ),
    (
        "help",
        &[
            "{p}{x}，{d}，请帮帮忙。",
            "求助：{p}{x}，不知道该找谁。",
            "{p}{x}，家里有老人孩子，希望政府帮助解决。",
        ],
    ),
    (
        "consultation",
        &["请问{x}？", "咨询一下，{x}？", "{p}的居民想问一下，{x}？"],
    ),
    (
        "suggestion",
        &[
            "建议{p}{x}。",
            "我有个建议，{x}，方便群众。",
            "希望{p}{x}。",
        ],
    ),
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.random_range(0..items.len())])
}

/// Writes `count` labelled requests (the same ones for the same seed).
pub fn generate(
    taxonomy: &Taxonomy,
    gazetteer: &Gazetteer,
    phrases: &BTreeMap<String, Phrases>,
    count: usize,
    seed: u64,
) -> Vec<Labelled> {
    let mut rng = StdRng::seed_from_u64(seed);
    let subs: Vec<(&str, &str)> = taxonomy
        .categories
        .iter()
        .flat_map(|c| {
            c.sub
                .iter()
                .map(move |s| (c.name_zh.as_str(), s.code.as_str()))
        })
        .collect();
    let landmarks = gazetteer.landmark_names();
    let districts = gazetteer.districts();
    let mut out = Vec::with_capacity(count);
    let mut used: std::collections::HashMap<(&str, bool, bool), usize> =
        std::collections::HashMap::new();
    while out.len() < count && !subs.is_empty() {
        let (category, sub) = subs[out.len() % subs.len()];
        let Some(p) = phrases.get(sub) else { break };
        let roll: f64 = rng.random();
        let request_type = match roll {
            x if x < 0.35 => "complaint",
            x if x < 0.50 => "report",
            x if x < 0.65 => "help",
            x if x < 0.85 => "consultation",
            _ => "suggestion",
        };
        let list = match request_type {
            "consultation" => &p.question,
            "suggestion" => &p.suggest,
            _ => &p.issue,
        };
        // Each wording in turn, so every one is used (random draws can miss some).
        let turn = used
            .entry((
                sub,
                request_type == "consultation",
                request_type == "suggestion",
            ))
            .or_insert(0);
        let index = *turn % list.len();
        *turn += 1;
        let held_out = list.len() >= 2 && index == list.len() - 1;
        // The place: a district (full or short), with a town or not, a landmark, or none.
        let (place, district_code) = match rng.random_range(0..10) {
            0 | 1 => (String::new(), None),
            2 | 3 => match pick(&mut rng, &landmarks) {
                Some(l) => {
                    let code = gazetteer.locate(l).map(|p| p.district.code);
                    ((*l).to_string(), code)
                }
                None => (String::new(), None),
            },
            _ => {
                let d = rng.random_range(0..districts.len());
                let towns = gazetteer.towns_of(d);
                let town = if rng.random_bool(0.5) {
                    pick(&mut rng, &towns).map_or(String::new(), |t| t.name.clone())
                } else {
                    String::new()
                };
                (
                    format!("{}{town}", districts[d].name),
                    Some(districts[d].code.clone()),
                )
            }
        };
        let frames = FRAMES
            .iter()
            .find(|(t, _)| *t == request_type)
            .map_or(&[][..], |(_, f)| *f);
        let Some(frame) = pick(&mut rng, frames) else {
            break;
        };
        // A framing without a place drops it.
        let district_code = district_code.filter(|_| frame.contains("{p}"));
        let duration = pick(&mut rng, &DURATIONS).copied().unwrap_or_default();
        let text = frame
            .replace("{p}", &place)
            .replace("{x}", &list[index])
            .replace("，{d}", if duration.is_empty() { "" } else { "，{d}" })
            .replace("{d}", duration);
        out.push(Labelled {
            text,
            category: category.to_string(),
            subcategory: sub.to_string(),
            request_type: request_type.to_string(),
            district_code,
            held_out,
            wording: Some(index),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcategory_has_phrases_and_the_requests_are_labelled() {
        let taxonomy = Taxonomy::shipped().expect("taxonomy");
        let gazetteer = Gazetteer::shipped().expect("gazetteer");
        let phrases = phrases(PHRASES_TOML, &taxonomy).expect("phrases");
        let a = generate(
            &taxonomy,
            &gazetteer,
            &phrases,
            TRAINING_COUNT,
            TRAINING_SEED,
        );
        let b = generate(
            &taxonomy,
            &gazetteer,
            &phrases,
            TRAINING_COUNT,
            TRAINING_SEED,
        );
        assert_eq!(a, b, "the same seed writes the same requests");
        assert_eq!(a.len(), TRAINING_COUNT);
        // Every list's held-out last phrase is written at the training count (no list is longer
        // than the requests of its kind), so the evaluation tests every one.
        let kind = |t: &str| match t {
            "consultation" => "question",
            "suggestion" => "suggest",
            _ => "issue",
        };
        let held: std::collections::BTreeSet<(&str, &str)> = a
            .iter()
            .filter(|r| r.held_out)
            .map(|r| (r.subcategory.as_str(), kind(&r.request_type)))
            .collect();
        let lists = phrases
            .values()
            .flat_map(|p| [&p.issue, &p.question, &p.suggest])
            .filter(|l| l.len() >= 2)
            .count();
        assert_eq!(held.len(), lists, "a held-out phrase is never written");
        assert!(a.iter().any(|r| !r.held_out));
        // Where a district was written, the gazetteer finds it again.
        for r in a.iter().filter(|r| r.district_code.is_some()).take(100) {
            let found = gazetteer.locate(&r.text).map(|p| p.district.code);
            assert_eq!(found, r.district_code, "{}", r.text);
        }
        assert!(!a.iter().any(|r| r.text.contains('{')), "every slot filled");
    }
}
