//! Synthetic household surveys for benchmarks, demos and what-if runs: plausible Chongqing
//! households (sizes, ages, incomes, illness, disability, housing) with a fixed seed, so the
//! same seed gives the same file. Not real people.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value as Json, json};

/// Generates surveys one at a time; `share_partial` of them leave a few facts out.
pub struct SurveyGenerator {
    rng: StdRng,
    pub share_partial: f64,
    /// Share of households generated in some hardship.
    pub share_hardship: f64,
    next_id: u64,
}

impl SurveyGenerator {
    pub fn new(seed: u64) -> SurveyGenerator {
        SurveyGenerator {
            rng: StdRng::seed_from_u64(seed),
            share_partial: 0.05,
            share_hardship: 0.18,
            next_id: 1,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn pick<'c>(&mut self, weighted: &[(&'c str, u32)]) -> &'c str {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total.max(1));
        for (value, weight) in weighted {
            if roll < *weight {
                return value;
            }
            roll -= weight;
        }
        weighted.last().map_or("", |(v, _)| v)
    }

    /// Yuan rounded to 10, from a rough log-normal around `median`.
    fn money(&mut self, median: f64, spread: f64) -> i64 {
        let z: f64 = (0..4)
            .map(|_| self.rng.random_range(-1.0..1.0))
            .sum::<f64>()
            / 1.15;
        ((median * (z * spread).exp()) / 10.0).round() as i64 * 10
    }

    /// The next household survey as JSON (schema version 1).
    pub fn next_survey(&mut self, region_code: &str) -> Json {
        let id = self.next_id;
        self.next_id += 1;
        // About one household in six is in some hardship, so every conclusion is exercised.
        let hardship = self.chance(self.share_hardship);
        let size = match self.rng.random_range(0..100) {
            0..=17 => 1,
            18..=45 => 2,
            46..=68 => 3,
            69..=86 => 4,
            87..=95 => 5,
            _ => 6,
        };
        let mut members = Vec::with_capacity(size);
        let head_age: i64 = self.rng.random_range(24..88);
        for i in 0..size {
            members.push(self.member(i, head_age, hardship));
        }
        let wages: i64 = members
            .iter()
            .map(|m| m["monthly_income"].as_i64().unwrap_or(0) * 12)
            .sum();
        let elderly = members
            .iter()
            .filter(|m| m["age"].as_i64().unwrap_or(0) >= 60)
            .count() as i64;
        let seriously_ill = members
            .iter()
            .filter(|m| m["serious_illness"] == json!(true))
            .count() as i64;
        let living_median = 7000.0 * size as f64;
        let mut survey = json!({
            "schema": 2,
            "household": format!("H{id:08}"),
            "surveyed_on": "2026-10-15",
            "region_code": region_code,
            "members": members,
            "income": {
                "wages": wages,
                "business": if self.chance(0.12) { self.money(30000.0, 0.6) } else { 0 },
                "farming": if self.chance(0.25) { self.money(6000.0, 0.6) } else { 0 },
                "property": if self.chance(0.1) { self.money(5000.0, 0.8) } else { 0 },
                "pensions": elderly * if hardship { self.money(2400.0, 0.3) } else { self.money(18000.0, 0.5) },
                "transfers": if hardship && self.chance(0.4) { self.money(6000.0, 0.4) } else { 0 },
                "support": if self.chance(0.2) { self.money(3000.0, 0.6) } else { 0 },
                "other": 0
            },
            "expenditure": {
                "living": self.money(living_median, 0.3),
                "medical_self_pay": if seriously_ill > 0 { self.money(38000.0 * seriously_ill as f64, 0.6) } else if self.chance(0.3) { self.money(2500.0, 0.8) } else { 0 },
                "education": if self.chance(0.3) { self.money(6000.0, 0.6) } else { 0 },
                "rent": if self.chance(0.2) { self.money(9000.0, 0.4) } else { 0 },
                "disability_care": if hardship && self.chance(0.3) { self.money(8000.0, 0.6) } else { 0 },
                "debt_repayment": if self.chance(0.15) { self.money(10000.0, 0.7) } else { 0 },
                "other": self.money(1500.0, 0.5)
            },
            "debts": {
                "total": if hardship && self.chance(0.5) { self.money(60000.0, 0.8) } else if self.chance(0.2) { self.money(20000.0, 1.0) } else { 0 },
                "medical": if seriously_ill > 0 { self.money(40000.0, 0.7) } else { 0 },
                "education": if self.chance(0.05) { self.money(20000.0, 0.5) } else { 0 },
                "business": if self.chance(0.05) { self.money(50000.0, 0.8) } else { 0 }
            },
            "housing": {
                "tenure": self.pick(&[("owned", 70), ("rented", 15), ("public_rental", 6), ("borrowed", 8), ("homeless", if hardship { 2 } else { 0 })]),
                "condition": self.pick(&[("safe", 94), ("c_grade", if hardship { 8 } else { 3 }), ("d_grade", if hardship { 3 } else { 0 })]),
                "area_m2": self.rng.random_range(12..140),
                "hazard_fire": self.chance(0.05),
                "hazard_electric": self.chance(if hardship { 0.2 } else { 0.06 }),
                "hazard_gas": self.chance(0.04),
                "hazard_fall": self.chance(if elderly > 0 { 0.3 } else { 0.05 }),
                "barrier_free_need": self.chance(if hardship { 0.15 } else { 0.03 }),
                "barrier_free_done": false,
                "drinking_water": self.pick(&[("safe", 97), ("unsafe", 3)]),
                "sanitation": self.pick(&[("improved", 85), ("shared", 10), ("unimproved", 5)]),
                "cooking_fuel": self.pick(&[("clean", 90), ("solid", 10)]),
                "electricity": !self.chance(0.003),
                "adequate_materials": !self.chance(if hardship { 0.1 } else { 0.02 })
            },
            "assets": {
                "savings": if hardship { self.money(3000.0, 1.0) } else { self.money(60000.0, 1.0) },
                "securities": if self.chance(0.08) { self.money(50000.0, 1.0) } else { 0 },
                "vehicles": i64::from(!hardship && self.chance(0.35)),
                "vehicle_value": 0,
                "properties": i64::from(!hardship && self.chance(0.1)),
                "business": self.chance(0.06),
                "small_assets": self.rng.random_range(if hardship { 0..4 } else { 2..9 })
            },
            "social": {
                "activities": self.pick(&[("often", 25), ("sometimes", 45), ("never", 30)]),
                "weekly_contact": !self.chance(if hardship { 0.3 } else { 0.08 }),
                "internet": self.chance(0.8),
                "organisation": self.chance(0.15)
            },
            "support": {
                "relatives": self.pick(&[("regular", 15), ("occasional", 35), ("none", 50)]),
                "amount": if self.chance(0.3) { self.money(4000.0, 0.7) } else { 0 },
                "neighbour_help": self.chance(0.4),
                "dependants_outside": self.rng.random_range(0..3)
            },
            "shocks": self.shocks(hardship),
            "child_deaths_5y": i64::from(self.chance(0.002))
        });
        if survey["assets"]["vehicles"] == json!(1) {
            survey["assets"]["vehicle_value"] = json!(self.money(80000.0, 0.6));
        }
        if self.chance(self.share_partial) {
            self.leave_out(&mut survey);
        }
        survey
    }

    fn member(&mut self, i: usize, head_age: i64, hardship: bool) -> Json {
        let (relation, age) = match i {
            0 => ("self", head_age),
            1 => (
                "spouse",
                (head_age + self.rng.random_range(-5..6)).clamp(18, 100),
            ),
            _ if head_age > 45 && self.chance(0.35) => (
                "parent",
                (head_age + self.rng.random_range(20..32)).min(105),
            ),
            _ => ("child", (head_age - self.rng.random_range(20..34)).max(0)),
        };
        let elderly = age >= 60;
        let serious =
            self.chance(if hardship { 0.25 } else { 0.03 } + if elderly { 0.05 } else { 0.0 });
        let disabled = self.chance(if hardship { 0.18 } else { 0.04 });
        let disability = if disabled {
            self.pick(&[
                ("physical", 45),
                ("visual", 12),
                ("hearing", 12),
                ("intellectual", 10),
                ("mental", 12),
                ("multiple", 5),
                ("speech", 4),
            ])
        } else {
            "none"
        };
        let grade = if disabled {
            self.rng.random_range(1..5)
        } else {
            0
        };
        let in_school = (6..=22).contains(&age) && !self.chance(0.02);
        let employment = if age < 6 {
            "preschool"
        } else if in_school {
            "student"
        } else if age >= 60 {
            if self.chance(0.6) {
                "retired"
            } else {
                self.pick(&[("farming", 3), ("unable", 2), ("flexible", 1)])
            }
        } else if disabled && grade <= 2 {
            "unable"
        } else if hardship {
            self.pick(&[
                ("unemployed", 4),
                ("flexible", 4),
                ("farming", 2),
                ("employed", 1),
                ("unable", 1),
            ])
        } else {
            self.pick(&[
                ("employed", 6),
                ("flexible", 2),
                ("self_employed", 1),
                ("farming", 1),
                ("unemployed", 1),
            ])
        };
        let monthly_income = match employment {
            "employed" => self.money(if hardship { 2600.0 } else { 5200.0 }, 0.4),
            "flexible" => self.money(if hardship { 1500.0 } else { 3200.0 }, 0.5),
            "self_employed" => self.money(4500.0, 0.6),
            "farming" => self.money(900.0, 0.5),
            _ => 0,
        };
        let self_care = if serious && elderly && self.chance(0.4) || grade == 1 {
            "none"
        } else if (disabled && grade <= 2) || (age >= 80 && self.chance(0.4)) {
            "partial"
        } else {
            "full"
        };
        let years = if age < 7 {
            0
        } else {
            (age - 6).min(self.rng.random_range(5..17))
        };
        json!({
            "relation": relation,
            "age": age,
            "sex": if self.chance(0.5) { "male" } else { "female" },
            "chronic_illnesses": if elderly { self.rng.random_range(0..4) } else { i64::from(self.chance(0.1)) },
            "serious_illness": serious,
            "disability": disability,
            "disability_grade": grade,
            "self_care": self_care,
            "employment": employment,
            "monthly_income": monthly_income,
            "vocational_skill": (18..60).contains(&age) && self.chance(0.35),
            "education": match years { 0 => "none", 1..=6 => "primary", 7..=9 => "junior", 10..=12 => "senior", _ => "college" },
            "in_school": in_school,
            "years_schooling": years,
            "undernourished": self.chance(if hardship { 0.04 } else { 0.005 }),
            "medical_insurance": !self.chance(0.03),
            "pension_insurance": age >= 16 && self.chance(0.85),
            "critical_illness_insurance": self.chance(0.25)
        })
    }

    fn shocks(&mut self, hardship: bool) -> Json {
        let mut shocks = Vec::new();
        if self.chance(if hardship { 0.4 } else { 0.06 }) {
            let kind = self.pick(&[
                ("illness", 40),
                ("accident", 20),
                ("job_loss", 20),
                ("death", 10),
                ("disaster", 10),
            ]);
            shocks.push(json!({"kind": kind, "months_ago": self.rng.random_range(0..13), "loss": self.money(20000.0, 0.8)}));
        }
        Json::Array(shocks)
    }

    /// A partial survey: a section or a few facts not recorded.
    fn leave_out(&mut self, survey: &mut Json) {
        let Some(object) = survey.as_object_mut() else {
            return;
        };
        match self.rng.random_range(0..4) {
            0 => {
                object.remove("assets");
            }
            1 => {
                if let Some(income) = object.get_mut("income").and_then(Json::as_object_mut) {
                    income.remove("wages");
                }
            }
            2 => {
                if let Some(members) = object.get_mut("members").and_then(Json::as_array_mut)
                    && let Some(first) = members.first_mut().and_then(Json::as_object_mut)
                {
                    first.remove("self_care");
                    first.remove("monthly_income");
                }
            }
            _ => {
                if let Some(exp) = object.get_mut("expenditure").and_then(Json::as_object_mut) {
                    exp.remove("medical_self_pay");
                }
            }
        }
    }
}
