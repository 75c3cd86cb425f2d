//! Confidence that means what it says: Platt scaling (Platt, 1999, in the form of Lin, Lin and
//! Weng, 2007) of the classifier's margin into the probability that the category is right,
//! fitted on validation folds; and the expected calibration error that tells how far a stated
//! confidence is from how often such answers are right. Small enough to keep here (two
//! parameters by Newton's method) rather than take a statistics crate for it.

use serde::Serialize;

/// P(right | margin) = 1 / (1 + exp(a·margin + b)); a < 0 when a wider margin means more often
/// right.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Platt {
    pub a: f64,
    pub b: f64,
}

impl Default for Platt {
    /// Before any fit: a margin of 0 is a coin toss and each unit of margin doubles the odds
    /// four times over (the scale of the former softmax).
    fn default() -> Platt {
        Platt { a: -4.0, b: 0.0 }
    }
}

impl Platt {
    pub fn probability(&self, margin: f64) -> f64 {
        let z = self.a * margin + self.b;
        // Written both ways so neither exp overflows.
        if z >= 0.0 {
            let e = (-z).exp();
            e / (1.0 + e)
        } else {
            1.0 / (1.0 + z.exp())
        }
    }

    /// Fits a and b to (margin, was the answer right) pairs by Newton's method with a
    /// backtracking line search on the regularised targets of Platt's paper; `None` when the
    /// pairs hold no right answer or no wrong one (nothing to learn the slope from).
    pub fn fit(pairs: &[(f64, bool)]) -> Option<Platt> {
        let right = pairs.iter().filter(|(_, r)| *r).count() as f64;
        let wrong = pairs.len() as f64 - right;
        if right == 0.0 || wrong == 0.0 {
            return None;
        }
        // Targets a little inside 0 and 1: a few examples never prove certainty.
        let high = (right + 1.0) / (right + 2.0);
        let low = 1.0 / (wrong + 2.0);
        let targets: Vec<(f64, f64)> = pairs
            .iter()
            .map(|(m, r)| (*m, if *r { high } else { low }))
            .collect();
        let loss = |a: f64, b: f64| -> f64 {
            targets
                .iter()
                .map(|(m, t)| {
                    let z = a * m + b;
                    // -[t log p + (1-t) log(1-p)] with p = 1/(1+e^z), written stably.
                    if z >= 0.0 {
                        (t * z) + (1.0 + (-z).exp()).ln()
                    } else {
                        ((t - 1.0) * z) + (1.0 + z.exp()).ln()
                    }
                })
                .sum()
        };
        let mut a = 0.0;
        let mut b = ((low + wrong) / (high + right)).ln();
        let mut value = loss(a, b);
        for _ in 0..100 {
            // Gradient and Hessian (with a small ridge so it is always invertible).
            let (mut h11, mut h22, mut h21, mut g1, mut g2) = (1e-12, 1e-12, 0.0, 0.0, 0.0);
            for (m, t) in &targets {
                let p = Platt { a, b }.probability(*m);
                let q = 1.0 - p;
                let d2 = p * q;
                h11 += m * m * d2;
                h22 += d2;
                h21 += m * d2;
                let d1 = t - p;
                g1 += m * d1;
                g2 += d1;
            }
            if g1.abs() < 1e-7 && g2.abs() < 1e-7 {
                break;
            }
            let det = h11 * h22 - h21 * h21;
            let da = -(h22 * g1 - h21 * g2) / det;
            let db = -(-h21 * g1 + h11 * g2) / det;
            let slope = g1 * da + g2 * db;
            let mut step = 1.0;
            let mut moved = false;
            while step >= 1e-10 {
                let (na, nb) = (a + step * da, b + step * db);
                let next = loss(na, nb);
                if next < value + 1e-4 * step * slope {
                    (a, b, value) = (na, nb, next);
                    moved = true;
                    break;
                }
                step /= 2.0;
            }
            if !moved {
                break;
            }
        }
        (a.is_finite() && b.is_finite()).then_some(Platt { a, b })
    }
}

/// The expected calibration error over `bins` equal-width bins of confidence: the mean, weighted
/// by how many answers fall in each bin, of |how often right − mean stated confidence|.
pub fn expected_calibration_error(pairs: &[(f64, bool)], bins: usize) -> f64 {
    if pairs.is_empty() || bins == 0 {
        return 0.0;
    }
    let mut count = vec![0usize; bins];
    let mut stated = vec![0.0f64; bins];
    let mut right = vec![0usize; bins];
    for (confidence, was_right) in pairs {
        let bin = ((confidence.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        count[bin] += 1;
        stated[bin] += confidence;
        right[bin] += usize::from(*was_right);
    }
    let n = pairs.len() as f64;
    (0..bins)
        .filter(|b| count[*b] > 0)
        .map(|b| {
            let k = count[b] as f64;
            (k / n) * (right[b] as f64 / k - stated[b] / k).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_fit_finds_the_slope_that_wrote_the_answers() {
        // Answers right with probability 1/(1+e^(-3m+1)), written deterministically by
        // thresholds on a grid, so the fitted curve must come back close to a = -3, b = 1.
        let truth = Platt { a: -3.0, b: 1.0 };
        let mut pairs = Vec::new();
        for i in 0..200 {
            let margin = i as f64 / 50.0;
            let p = truth.probability(margin);
            for j in 0..20 {
                pairs.push((margin, (j as f64 + 0.5) / 20.0 < p));
            }
        }
        let fitted = Platt::fit(&pairs).expect("fits");
        assert!((fitted.a - truth.a).abs() < 0.3, "{fitted:?}");
        assert!((fitted.b - truth.b).abs() < 0.3, "{fitted:?}");
        let calibrated: Vec<(f64, bool)> = pairs
            .iter()
            .map(|(m, r)| (fitted.probability(*m), *r))
            .collect();
        assert!(expected_calibration_error(&calibrated, 10) < 0.02);
    }

    #[test]
    fn nothing_to_learn_from_all_right_or_all_wrong() {
        assert_eq!(Platt::fit(&[(1.0, true), (2.0, true)]), None);
        assert_eq!(Platt::fit(&[(1.0, false)]), None);
        assert_eq!(Platt::fit(&[]), None);
    }

    #[test]
    fn an_overconfident_model_has_a_large_error() {
        // Says 0.99 and is right half the time.
        let pairs: Vec<(f64, bool)> = (0..100).map(|i| (0.99, i % 2 == 0)).collect();
        assert!((expected_calibration_error(&pairs, 10) - 0.49).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn probabilities_stay_between_zero_and_one(a in -1e6f64..1e6, b in -1e6f64..1e6, m in -1e3f64..1e3) {
            let p = Platt { a, b }.probability(m);
            prop_assert!((0.0..=1.0).contains(&p));
        }

        #[test]
        fn the_error_is_between_zero_and_one(pairs in proptest::collection::vec((0.0f64..=1.0, any::<bool>()), 0..50)) {
            let e = expected_calibration_error(&pairs, 10);
            prop_assert!((0.0..=1.0).contains(&e));
        }
    }
}
