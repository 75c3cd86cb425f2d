//! Where a request is about: the district or county, the town or street, and the functional zone
//! that administers it, found in the request's text by the names people use — full names
//! ("渝中区", "解放碑街道"), short ones ("渝中", "解放碑", "沙坪坝"), and landmarks from
//! `data/hotline/places.toml`. A town name shared by several districts is only taken when the
//! text names the district too (or all of them lie in one district): a place is never guessed;
//! a request with none goes to the centre for manual dispatch.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use serde::{Deserialize, Serialize};

/// A district (or county) or town of the region data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub code: String,
    pub name: String,
}

/// What the text says about where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub district: Area,
    pub town: Option<Area>,
    /// The functional zone (两江新区…) that administers the town, if any.
    pub zone: Option<Area>,
    /// The words of the text that told it.
    pub evidence: Vec<String>,
}

/// What one name in the text can stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    District(usize),
    Town(usize),
    /// A landmark: its district and, if known, its town.
    Landmark(usize, Option<usize>),
    /// A functional zone (两江新区, 万盛经开区, 重庆高新区) named as such.
    Zone(usize),
}

/// What people call the functional zones besides their names in `zones.csv`.
const ZONE_NAMES: &[(&str, &[&str])] = &[
    ("两江新区", &["重庆两江新区"]),
    ("万盛经开区", &["万盛经济技术开发区", "万盛区", "万盛"]),
    (
        "重庆高新区",
        &["高新区", "西部科学城重庆高新区", "重庆高新技术产业开发区"],
    ),
];

#[derive(Debug, Clone)]
struct Town {
    area: Area,
    district: usize,
    zone: Option<usize>,
}

/// The names of Chongqing's divisions and landmarks, ready to be found in a text.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    districts: Vec<Area>,
    towns: Vec<Town>,
    zones: Vec<Area>,
    /// Each zone's districts, the one holding most of its towns first (read once at load).
    zone_reach: Vec<Vec<usize>>,
    names: HashMap<String, Vec<Meaning>>,
    /// The longest name, in characters.
    longest: usize,
    /// For each character that starts a name, the longest name it starts (most characters of a
    /// text start none, so most positions need no lookup at all).
    longest_from: HashMap<char, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlacesFile {
    #[serde(rename = "place", default)]
    places: Vec<PlaceDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceDef {
    name: String,
    district: String,
    #[serde(default)]
    town: Option<String>,
}

/// The region data, zones and landmarks shipped with minsheng.
pub const REGIONS_CSV: &str = include_str!("../../../data/regions/chongqing.csv");
pub const ZONES_CSV: &str = include_str!("../../../data/regions/zones.csv");
pub const PLACES_TOML: &str = include_str!("../../../data/hotline/places.toml");

/// A short name people use: the name without its 区/县/街道/镇/乡 ending (an autonomous
/// county by its first two characters), if that leaves at least `min` characters.
fn short_name(name: &str, min: usize) -> Option<String> {
    let short = if name.contains("自治县") {
        name.chars().take(2).collect::<String>()
    } else {
        ["街道", "区", "县", "镇", "乡"]
            .iter()
            .find_map(|end| name.strip_suffix(end))?
            .to_string()
    };
    (short.chars().count() >= min).then_some(short)
}

impl Gazetteer {
    /// The shipped gazetteer.
    pub fn shipped() -> Result<Gazetteer, String> {
        Gazetteer::from_data(REGIONS_CSV, ZONES_CSV, PLACES_TOML)
    }

    /// A gazetteer from region CSV (`code,name,parent_code,level`), zones CSV
    /// (`zone_code,zone_name,town_code,town_name`) and a places file; errors name the line.
    pub fn from_data(regions: &str, zones: &str, places: &str) -> Result<Gazetteer, String> {
        let mut g = Gazetteer {
            districts: Vec::new(),
            towns: Vec::new(),
            zones: Vec::new(),
            zone_reach: Vec::new(),
            names: HashMap::default(),
            longest: 0,
            longest_from: HashMap::default(),
        };
        let mut district_of_code: HashMap<String, usize> = HashMap::default();
        let mut town_of_code: HashMap<String, usize> = HashMap::default();
        for (n, line) in regions.lines().enumerate().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            let [code, name, parent, level] = cells[..] else {
                return Err(format!(
                    "regions:{}: expected code,name,parent_code,level",
                    n + 1
                ));
            };
            match level {
                "district" => {
                    district_of_code.insert(code.to_string(), g.districts.len());
                    g.districts.push(Area {
                        code: code.into(),
                        name: name.into(),
                    });
                }
                "town" => {
                    let district = *district_of_code
                        .get(parent)
                        .ok_or_else(|| format!("regions:{}: unknown district {parent}", n + 1))?;
                    town_of_code.insert(code.to_string(), g.towns.len());
                    g.towns.push(Town {
                        area: Area {
                            code: code.into(),
                            name: name.into(),
                        },
                        district,
                        zone: None,
                    });
                }
                _ => {}
            }
        }
        for (n, line) in zones.lines().enumerate().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            let [zone_code, zone_name, town_code, _] = cells[..] else {
                return Err(format!(
                    "zones:{}: expected zone_code,zone_name,town_code,town_name",
                    n + 1
                ));
            };
            let zone = match g.zones.iter().position(|z| z.code == zone_code) {
                Some(z) => z,
                None => {
                    g.zones.push(Area {
                        code: zone_code.into(),
                        name: zone_name.into(),
                    });
                    g.zones.len() - 1
                }
            };
            let town = *town_of_code
                .get(town_code)
                .ok_or_else(|| format!("zones:{}: unknown town {town_code}", n + 1))?;
            g.towns[town].zone = Some(zone);
        }
        g.zone_reach = (0..g.zones.len())
            .map(|z| {
                let mut counts: Vec<(usize, usize)> = Vec::new();
                for t in g.towns.iter().filter(|t| t.zone == Some(z)) {
                    match counts.iter_mut().find(|(d, _)| *d == t.district) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((t.district, 1)),
                    }
                }
                counts.sort_by_key(|c| std::cmp::Reverse(c.1));
                counts.into_iter().map(|(d, _)| d).collect()
            })
            .collect();
        for (z, zone) in g.zones.clone().iter().enumerate() {
            g.add(&zone.name, Meaning::Zone(z));
            let other_names = ZONE_NAMES
                .iter()
                .filter(|(name, _)| *name == zone.name)
                .flat_map(|(_, others)| others.iter());
            for name in other_names {
                g.add(name, Meaning::Zone(z));
            }
        }
        for (d, district) in g.districts.clone().iter().enumerate() {
            g.add(&district.name, Meaning::District(d));
            if let Some(short) = short_name(&district.name, 2) {
                g.add(&short, Meaning::District(d));
            }
        }
        for (t, town) in g.towns.clone().iter().enumerate() {
            g.add(&town.area.name, Meaning::Town(t));
            // Two-character short town names ("人和", "天生") are ordinary words too, and a short
            // name that is also a district's ("沙坪坝") means the district.
            if let Some(short) = short_name(&town.area.name, 3)
                && !g.names.contains_key(&short)
            {
                g.add(&short, Meaning::Town(t));
            }
        }
        let file: PlacesFile = toml::from_str(places).map_err(|e| {
            let at = e
                .span()
                .map_or(0, |s| places[..s.start].lines().count().max(1));
            format!("places:{at}: {}", e.message())
        })?;
        for place in file.places {
            let district = g
                .districts
                .iter()
                .position(|d| d.name == place.district)
                .ok_or_else(|| {
                    format!(
                        "places: {}: unknown district {}",
                        place.name, place.district
                    )
                })?;
            let town = match &place.town {
                Some(name) => Some(
                    g.towns
                        .iter()
                        .position(|t| t.area.name == *name && t.district == district)
                        .ok_or_else(|| {
                            format!(
                                "places: {}: no town {name} in {}",
                                place.name, place.district
                            )
                        })?,
                ),
                None => None,
            };
            g.add(&place.name, Meaning::Landmark(district, town));
        }
        Ok(g)
    }

    fn add(&mut self, name: &str, meaning: Meaning) {
        let meanings = self.names.entry(name.to_string()).or_default();
        if !meanings.contains(&meaning) {
            meanings.push(meaning);
        }
        let length = name.chars().count();
        self.longest = self.longest.max(length);
        if let Some(first) = name.chars().next() {
            let entry = self.longest_from.entry(first).or_default();
            *entry = (*entry).max(length);
        }
    }

    /// The names found in the text, longest first at each position, not overlapping.
    fn found<'t>(&self, text: &'t str) -> Vec<(&'t str, &[Meaning])> {
        let starts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i + 1 < starts.len() {
            let mut step = 1;
            let first = text[starts[i]..].chars().next().unwrap_or_default();
            let longest = self.longest_from.get(&first).copied().unwrap_or(0);
            for len in (2..=longest.min(starts.len() - 1 - i)).rev() {
                let word = &text[starts[i]..starts[i + len]];
                if let Some(meanings) = self.names.get(word) {
                    out.push((word, meanings.as_slice()));
                    step = len;
                    break;
                }
            }
            i += step;
        }
        out
    }

    /// Where the text says the request is about, or `None` when it does not say clearly.
    pub fn locate(&self, text: &str) -> Option<Place> {
        let found = self.found(text);
        let mut districts: BTreeSet<usize> = BTreeSet::new();
        let mut zones: BTreeSet<usize> = BTreeSet::new();
        let mut towns: Vec<(Vec<usize>, &str)> = Vec::new();
        let mut evidence: Vec<String> = Vec::new();
        for (word, meanings) in &found {
            for meaning in *meanings {
                match meaning {
                    Meaning::District(d) => {
                        districts.insert(*d);
                    }
                    Meaning::Landmark(d, t) => {
                        districts.insert(*d);
                        if let Some(t) = t {
                            towns.push((vec![*t], word));
                        }
                    }
                    Meaning::Zone(z) => {
                        zones.insert(*z);
                    }
                    Meaning::Town(_) => {}
                }
            }
            let town_meanings: Vec<usize> = meanings
                .iter()
                .filter_map(|m| match m {
                    Meaning::Town(t) => Some(*t),
                    _ => None,
                })
                .collect();
            if !town_meanings.is_empty() {
                towns.push((town_meanings, word));
            }
            evidence.push((*word).to_string());
        }
        // One zone named: its towns are where to look first (a town name shared with another
        // district is read as the zone's).
        let named_zone = (zones.len() == 1).then(|| zones.first().copied()).flatten();
        // A town counts when it is the only reading in the named district(s) or zone, or —
        // with neither named — when all its readings lie in one district.
        let mut town: Option<usize> = None;
        for (candidates, _) in &towns {
            let in_zone: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|t| named_zone.is_some() && self.towns[*t].zone == named_zone)
                .collect();
            if in_zone.len() == 1 {
                town = Some(in_zone[0]);
                break;
            }
            let fitting: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|t| districts.is_empty() || districts.contains(&self.towns[*t].district))
                .collect();
            let one_district: BTreeSet<usize> =
                fitting.iter().map(|t| self.towns[*t].district).collect();
            if fitting.len() == 1 {
                town = Some(fitting[0]);
                break;
            }
            if one_district.len() == 1 && districts.is_empty() {
                districts.extend(one_district);
            }
        }
        // A zone named with no town: the zone answers, in the district that holds most of its
        // towns (or the district named, when the zone reaches into it).
        let district = match (town, named_zone) {
            (Some(t), _) => self.towns[t].district,
            (None, Some(z)) => {
                let reach = &self.zone_reach[z];
                match districts.len() {
                    0 => *reach.first()?,
                    1 if reach.contains(districts.first()?) => *districts.first()?,
                    _ => return None,
                }
            }
            (None, None) if districts.len() == 1 => *districts.first()?,
            (None, None) => return None,
        };
        if town
            .is_some_and(|t| !districts.is_empty() && !districts.contains(&self.towns[t].district))
            && named_zone.is_none()
        {
            return None;
        }
        // The zone: the town's own, else the one named (when the place lies in its reach).
        let zone = town.and_then(|t| self.towns[t].zone).or_else(|| {
            named_zone.filter(|z| town.is_none() && self.zone_reach[*z].contains(&district))
        });
        Some(Place {
            district: self.districts[district].clone(),
            town: town.map(|t| self.towns[t].area.clone()),
            zone: zone.map(|z| self.zones[z].clone()),
            evidence,
        })
    }

    pub fn districts(&self) -> &[Area] {
        &self.districts
    }

    /// The functional zones (两江新区…).
    pub fn zones(&self) -> &[Area] {
        &self.zones
    }

    /// The towns of a district (by its index in `districts`).
    pub fn towns_of(&self, district: usize) -> Vec<&Area> {
        self.towns
            .iter()
            .filter(|t| t.district == district)
            .map(|t| &t.area)
            .collect()
    }

    /// The landmark names, sorted.
    pub fn landmark_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .names
            .iter()
            .filter(|(_, m)| m.iter().any(|m| matches!(m, Meaning::Landmark(..))))
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// The name of a district, town or zone by its code.
    pub fn area_name(&self, code: &str) -> Option<&str> {
        self.districts
            .iter()
            .chain(self.towns.iter().map(|t| &t.area))
            .chain(&self.zones)
            .find(|a| a.code == code)
            .map(|a| a.name.as_str())
    }

    pub fn town_count(&self) -> usize {
        self.towns.len()
    }

    /// How many landmark names the gazetteer knows.
    pub fn landmark_count(&self) -> usize {
        self.names
            .values()
            .filter(|m| m.iter().any(|m| matches!(m, Meaning::Landmark(..))))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g() -> Gazetteer {
        Gazetteer::shipped().expect("shipped gazetteer")
    }

    fn at(text: &str) -> Option<(String, Option<String>)> {
        g().locate(text)
            .map(|p| (p.district.name, p.town.map(|t| t.name)))
    }

    #[test]
    fn districts_towns_and_landmarks_are_found() {
        assert_eq!(
            at("渝中区解放碑步行街一个井盖破损"),
            Some(("渝中区".into(), Some("解放碑街道".into())))
        );
        assert_eq!(
            at("观音桥商圈晚上占道经营严重"),
            Some(("江北区".into(), Some("观音桥街道".into())))
        );
        assert_eq!(
            at("沙坪坝三峡广场附近路灯不亮"),
            Some(("沙坪坝区".into(), Some("沙坪坝街道".into())))
        );
        assert_eq!(
            at("我住在巴南区，小区电梯坏了"),
            Some(("巴南区".into(), None))
        );
        assert_eq!(
            at("南滨路上的共享单车堆满人行道"),
            Some(("南岸区".into(), None))
        );
        assert_eq!(
            at("石柱县城的公交车太少"),
            Some(("石柱土家族自治县".into(), None))
        );
    }

    /// Where a request names a functional zone (or one of its towns), the zone answers.
    fn zone_of(text: &str) -> Option<(String, Option<String>, Option<String>)> {
        g().locate(text).map(|p| {
            (
                p.district.name,
                p.town.map(|t| t.name),
                p.zone.map(|z| z.name),
            )
        })
    }

    #[test]
    fn functional_zones_are_places() {
        // Named alone: the zone, in the district holding most of its towns.
        let (district, town, zone) = zone_of("两江新区的路灯坏了一个星期").expect("a place");
        assert_eq!((town, zone.as_deref()), (None, Some("两江新区")));
        assert!(
            ["江北区", "渝北区", "北碚区"].contains(&district.as_str()),
            "{district}"
        );
        assert_eq!(
            zone_of("万盛经开区有人占道经营"),
            Some(("綦江区".into(), None, Some("万盛经开区".into())))
        );
        // One of its towns, with or without the zone's name.
        assert_eq!(
            zone_of("高新区含谷镇的垃圾没人清运"),
            Some((
                "九龙坡区".into(),
                Some("含谷镇".into()),
                Some("重庆高新区".into())
            ))
        );
        assert_eq!(
            zone_of("含谷镇的垃圾没人清运"),
            Some((
                "九龙坡区".into(),
                Some("含谷镇".into()),
                Some("重庆高新区".into())
            ))
        );
        // A district the zone reaches, named with the zone: the zone answers there.
        assert_eq!(
            zone_of("沙坪坝区高新区有工地夜间施工扰民"),
            Some(("沙坪坝区".into(), None, Some("重庆高新区".into())))
        );
        // The zone and a district it does not reach: not guessed.
        assert_eq!(zone_of("巴南区高新区的路灯坏了"), None);
    }

    #[test]
    fn a_town_shared_by_districts_needs_its_district() {
        // 人和街道 is a street of 渝北区 and one of 云阳县.
        assert_eq!(at("人和街道有人乱倒建筑垃圾"), None);
        assert_eq!(
            at("渝北区人和街道有人乱倒建筑垃圾"),
            Some(("渝北区".into(), Some("人和街道".into())))
        );
    }

    #[test]
    fn no_place_is_not_guessed() {
        assert_eq!(at("请问办理居住证需要什么材料"), None);
        // Two districts and nothing to choose between them.
        assert_eq!(at("从渝中区到江北区的公交太挤"), None);
    }

    #[test]
    fn a_zone_town_knows_its_zone() {
        let place = g().locate("鱼嘴镇工地夜间施工噪音大").expect("place");
        assert_eq!(place.zone.map(|z| z.name).as_deref(), Some("两江新区"));
    }

    #[test]
    fn bad_places_are_named() {
        let err = Gazetteer::from_data(
            REGIONS_CSV,
            ZONES_CSV,
            "[[place]]\nname = \"某广场\"\ndistrict = \"渝中区\"\ntown = \"不存在街道\"\n",
        )
        .expect_err("refused");
        assert!(err.contains("不存在街道"), "{err}");
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panicking(text in "\\PC{0,60}") {
            let _ = g().locate(&text);
        }
    }
}
