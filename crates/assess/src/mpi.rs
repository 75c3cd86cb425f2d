//! Alkire–Foster aggregates: who is multidimensionally poor, and how poor a population is.
//!
//! Each person has a 0/1 deprivation per indicator and indicator weights that add up to 1. A
//! person's deprivation score is the weighted sum; they are poor when it reaches the cutoff `k`.
//! Censoring keeps only the deprivations of the poor. Then, with optional sample weights:
//! - H, the headcount ratio: the share of people who are poor;
//! - A, the intensity: the average score among the poor;
//! - M0 = H × A, the adjusted headcount ratio;
//! - per indicator, the censored headcount ratio (share poor and deprived in it) and its
//!   contribution to M0 (weight × censored headcount / M0; the contributions add up to 1).

use std::collections::BTreeMap;

use serde::Serialize;

/// Scores within this distance of the cutoff count as reaching it (1/3 in floating point).
const EPSILON: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MpiError {
    #[error("no indicators: give at least one weight")]
    NoIndicators,
    #[error("weight {index} is {weight}: weights must be positive")]
    BadWeight { index: usize, weight: f64 },
    #[error("weights add up to {0}, not 1")]
    WeightsSum(f64),
    #[error("k is {0}: the poverty cutoff must be above 0 and at most 1")]
    BadCutoff(f64),
    #[error("person {person}: {got} deprivations for {expected} indicators")]
    Width {
        person: usize,
        got: usize,
        expected: usize,
    },
    #[error("person {person}: sample weight {weight} must be positive")]
    BadSampleWeight { person: usize, weight: f64 },
}

/// One person: a 0/1 deprivation per indicator, a sample weight and a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub deprived: Vec<bool>,
    pub weight: f64,
    pub group: Option<String>,
}

/// The measures of one population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregates {
    #[serde(rename = "H")]
    pub h: f64,
    #[serde(rename = "A")]
    pub a: f64,
    #[serde(rename = "M0")]
    pub m0: f64,
    pub censored_headcount: BTreeMap<String, f64>,
    pub contribution: BTreeMap<String, f64>,
    /// Sum of sample weights (the number of people when unweighted).
    pub population: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MpiResult {
    pub overall: Aggregates,
    pub groups: BTreeMap<String, Aggregates>,
}

/// Running sums for one population.
#[derive(Default)]
struct Sums {
    population: f64,
    poor: f64,
    poor_score: f64,
    censored: Vec<f64>,
}

impl Sums {
    fn add(&mut self, person: &Person, weights: &[f64], k: f64) {
        if self.censored.is_empty() {
            self.censored = vec![0.0; weights.len()];
        }
        self.population += person.weight;
        let score: f64 = person
            .deprived
            .iter()
            .zip(weights)
            .map(|(d, w)| if *d { *w } else { 0.0 })
            .sum();
        if score + EPSILON >= k {
            self.poor += person.weight;
            self.poor_score += person.weight * score;
            for (slot, d) in self.censored.iter_mut().zip(&person.deprived) {
                if *d {
                    *slot += person.weight;
                }
            }
        }
    }

    fn aggregates(&self, names: &[String], weights: &[f64]) -> Aggregates {
        let ratio = |x: f64| {
            if self.population > 0.0 {
                x / self.population
            } else {
                0.0
            }
        };
        let h = ratio(self.poor);
        let a = if self.poor > 0.0 {
            self.poor_score / self.poor
        } else {
            0.0
        };
        let m0 = ratio(self.poor_score);
        let mut censored_headcount = BTreeMap::new();
        let mut contribution = BTreeMap::new();
        for (j, name) in names.iter().enumerate() {
            let hj = ratio(self.censored.get(j).copied().unwrap_or(0.0));
            censored_headcount.insert(name.clone(), hj);
            contribution.insert(
                name.clone(),
                if m0 > 0.0 { weights[j] * hj / m0 } else { 0.0 },
            );
        }
        Aggregates {
            h,
            a,
            m0,
            censored_headcount,
            contribution,
            population: self.population,
        }
    }
}

/// Checks the weights (positive, adding up to 1) and the cutoff.
pub fn check_parameters(weights: &[f64], k: f64) -> Result<(), MpiError> {
    if weights.is_empty() {
        return Err(MpiError::NoIndicators);
    }
    for (index, weight) in weights.iter().enumerate() {
        if !(weight.is_finite() && *weight > 0.0) {
            return Err(MpiError::BadWeight {
                index: index + 1,
                weight: *weight,
            });
        }
    }
    let sum: f64 = weights.iter().sum();
    if (sum - 1.0).abs() > 1e-6 {
        return Err(MpiError::WeightsSum(sum));
    }
    if !(k.is_finite() && k > 0.0 && k <= 1.0) {
        return Err(MpiError::BadCutoff(k));
    }
    Ok(())
}

/// The aggregates overall and per group. `names` name the indicators, in weight order.
pub fn aggregate(
    people: &[Person],
    names: &[String],
    weights: &[f64],
    k: f64,
) -> Result<MpiResult, MpiError> {
    check_parameters(weights, k)?;
    let mut overall = Sums::default();
    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    for (i, person) in people.iter().enumerate() {
        if person.deprived.len() != weights.len() {
            return Err(MpiError::Width {
                person: i + 1,
                got: person.deprived.len(),
                expected: weights.len(),
            });
        }
        if !(person.weight.is_finite() && person.weight > 0.0) {
            return Err(MpiError::BadSampleWeight {
                person: i + 1,
                weight: person.weight,
            });
        }
        overall.add(person, weights, k);
        if let Some(group) = &person.group {
            groups
                .entry(group.clone())
                .or_default()
                .add(person, weights, k);
        }
    }
    Ok(MpiResult {
        overall: overall.aggregates(names, weights),
        groups: groups
            .iter()
            .map(|(g, s)| (g.clone(), s.aggregates(names, weights)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(d: &[u8]) -> Person {
        Person {
            deprived: d.iter().map(|x| *x == 1).collect(),
            weight: 1.0,
            group: None,
        }
    }

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("i{i}")).collect()
    }

    #[test]
    fn a_worked_example() {
        // Four people, four equally weighted indicators, k = 1/2 (two or more deprivations).
        let people = [
            person(&[1, 1, 1, 0]),
            person(&[1, 1, 0, 0]),
            person(&[1, 0, 0, 0]),
            person(&[0, 0, 0, 0]),
        ];
        let r = aggregate(&people, &names(4), &[0.25; 4], 0.5).expect("valid");
        assert!((r.overall.h - 0.5).abs() < 1e-12);
        assert!((r.overall.a - 0.625).abs() < 1e-12);
        assert!((r.overall.m0 - 0.3125).abs() < 1e-12);
        assert!((r.overall.censored_headcount["i1"] - 0.5).abs() < 1e-12);
        assert!((r.overall.censored_headcount["i3"] - 0.25).abs() < 1e-12);
        assert!((r.overall.censored_headcount["i4"]).abs() < 1e-12);
        let total: f64 = r.overall.contribution.values().sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_third_reaches_a_cutoff_of_a_third() {
        let people = [person(&[1, 0, 0])];
        let r = aggregate(&people, &names(3), &[1.0 / 3.0; 3], 1.0 / 3.0).expect("valid");
        assert_eq!(r.overall.h, 1.0);
    }

    #[test]
    fn bad_parameters_are_named() {
        assert_eq!(
            aggregate(&[], &names(2), &[0.5, 0.6], 0.3),
            Err(MpiError::WeightsSum(1.1))
        );
        assert!(matches!(
            aggregate(&[], &names(2), &[0.5, 0.5], 0.0),
            Err(MpiError::BadCutoff(_))
        ));
        assert!(matches!(
            aggregate(&[person(&[1])], &names(2), &[0.5, 0.5], 0.5),
            Err(MpiError::Width {
                person: 1,
                got: 1,
                expected: 2
            })
        ));
    }

    proptest! {
        #[test]
        fn identities_hold(
            rows in proptest::collection::vec((proptest::collection::vec(any::<bool>(), 4), 0.1f64..5.0, 0u8..3), 1..60),
            k in 0.05f64..1.0,
        ) {
            let people: Vec<Person> = rows
                .into_iter()
                .map(|(deprived, weight, g)| Person { deprived, weight, group: Some(format!("g{g}")) })
                .collect();
            let weights = [0.1, 0.2, 0.3, 0.4];
            let r = aggregate(&people, &names(4), &weights, k).expect("valid");
            let o = &r.overall;
            prop_assert!((0.0..=1.0).contains(&o.h));
            prop_assert!((o.m0 - o.h * o.a).abs() < 1e-9);
            prop_assert!(o.a == 0.0 || o.a + 1e-9 >= k);
            if o.m0 > 0.0 {
                let total: f64 = o.contribution.values().sum();
                prop_assert!((total - 1.0).abs() < 1e-9);
            }
            // M0 is the population-weighted mean of the groups' M0.
            let weighted: f64 = r.groups.values().map(|g| g.m0 * g.population).sum();
            prop_assert!((weighted / o.population - o.m0).abs() < 1e-9);
        }
    }
}
