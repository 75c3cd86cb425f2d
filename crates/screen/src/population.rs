//! The population to match against: persons keyed by packed ID number, grouped in households,
//! with the few facts the rules read. Loaded from a population file (`id_number, name,
//! household_id, region_code, relation, monthly_income`) or built from the registry.

use std::path::Path;

use hashbrown::HashMap;

use crate::ScreenError;
use crate::idkey;

#[derive(Default)]
pub struct Population {
    /// Match key (the packed ID number, or its keyed hash) → person.
    pub index: HashMap<u64, u32>,
    /// With a key: feeds are matched on keyed hashes of ID numbers (HMAC).
    pub hasher: Option<crate::idkey::Hasher>,
    pub person_key: Vec<u64>,
    pub person_household: Vec<u32>,
    /// Monthly income; NaN when the population does not say.
    pub person_income: Vec<f32>,
    pub household_id: Vec<String>,
    pub household_region: Vec<i64>,
    /// Members of each household (person indexes), filled by `finish`.
    pub members: Vec<Vec<u32>>,
    /// Rows refused, with their line and why (the first 1000).
    pub rejected: Vec<(u64, String)>,
    pub rejected_count: u64,
    pub duplicates: u64,
}

impl Population {
    pub fn persons(&self) -> usize {
        self.person_key.len()
    }

    pub fn households(&self) -> usize {
        self.household_id.len()
    }

    /// Adds a person; returns false (and counts it) for a bad or repeated ID number.
    pub fn add(&mut self, line: u64, id_number: &[u8], household: u32, income: f32) -> bool {
        match idkey::pack(id_number) {
            Ok(packed) => {
                let key = match &self.hasher {
                    Some(h) => h.key(packed),
                    None => packed,
                };
                if self.index.contains_key(&key) {
                    self.duplicates += 1;
                    self.reject(line, "the ID number is already in the population".into());
                    return false;
                }
                let person = self.person_key.len() as u32;
                self.index.insert(key, person);
                self.person_key.push(packed);
                self.person_household.push(household);
                self.person_income.push(income);
                true
            }
            Err(e) => {
                self.reject(line, e.message().into());
                false
            }
        }
    }

    fn reject(&mut self, line: u64, why: String) {
        self.rejected_count += 1;
        if self.rejected.len() < 1000 {
            self.rejected.push((line, why));
        }
    }

    /// Indexes the members of every household.
    pub fn finish(&mut self) {
        self.members = vec![Vec::new(); self.household_id.len()];
        for (person, household) in self.person_household.iter().enumerate() {
            self.members[*household as usize].push(person as u32);
        }
    }

    /// The population of (ID number, household reference, region, monthly income) rows, e.g.
    /// the registry's.
    pub fn from_rows<'r>(
        rows: impl Iterator<Item = (&'r str, String, i64, f32)>,
        hasher: Option<crate::idkey::Hasher>,
    ) -> Population {
        let mut population = Population {
            hasher,
            ..Population::default()
        };
        let mut households: HashMap<String, u32> = HashMap::new();
        for (line, (id, household, region, income)) in rows.enumerate() {
            let next = households.len() as u32;
            let index = *households.entry(household.clone()).or_insert(next);
            if index == next {
                population.household_id.push(household);
                population.household_region.push(region);
            }
            population.add(line as u64 + 1, id.as_bytes(), index, income);
        }
        population.finish();
        population
    }

    /// Reads a population file (UTF-8 or GB18030 CSV with a header row).
    pub fn read(
        path: &Path,
        progress: &dyn Fn(u64),
        hasher: Option<crate::idkey::Hasher>,
    ) -> Result<Population, ScreenError> {
        let schema = crate::feed::FeedSchema {
            name: "population".into(),
            label_zh: "人口".into(),
            id_column: "id_number".into(),
            hashed: false,
            delimiter: ",".into(),
            header: true,
            encoding: "auto".into(),
            columns: Vec::new(),
        };
        let mut reader = crate::feed::open(path, &schema)?;
        let headers = reader
            .byte_headers()
            .map_err(|e| ScreenError::File(format!("{}: {e}", path.display())))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h == name.as_bytes());
        let (Some(id), Some(household), Some(region)) = (
            column("id_number"),
            column("household_id"),
            column("region_code"),
        ) else {
            return Err(ScreenError::File(format!(
                "{}: the population file needs the columns id_number, household_id and region_code",
                path.display()
            )));
        };
        let income = column("monthly_income");
        // Room for every row up front (about 60 bytes a row): no rehashing of a big index.
        let estimate = std::fs::metadata(path).map_or(0, |m| m.len() / 55) as usize;
        let mut population = Population {
            hasher,
            index: HashMap::with_capacity(estimate),
            person_key: Vec::with_capacity(estimate),
            person_household: Vec::with_capacity(estimate),
            person_income: Vec::with_capacity(estimate),
            ..Population::default()
        };
        let mut households: HashMap<Vec<u8>, u32> = HashMap::with_capacity(estimate / 2);
        let mut record = csv::ByteRecord::new();
        let mut line = 1u64;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    line += 1;
                    population.reject(line, format!("unreadable row: {e}"));
                    continue;
                }
            }
            line += 1;
            if line.is_multiple_of(65_536) {
                progress(line);
            }
            let (Some(id_value), Some(hh), Some(rc)) =
                (record.get(id), record.get(household), record.get(region))
            else {
                population.reject(line, "missing columns".into());
                continue;
            };
            let region_code = std::str::from_utf8(rc)
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok());
            let Some(region_code) = region_code else {
                population.reject(line, "region_code is not a number".into());
                continue;
            };
            let next = households.len() as u32;
            let hh_index = *households.entry_ref(hh).or_insert(next);
            if hh_index == next {
                population
                    .household_id
                    .push(String::from_utf8_lossy(hh).into_owned());
                population.household_region.push(region_code);
            }
            let income_value = income
                .and_then(|i| record.get(i))
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(f32::NAN);
            population.add(line, id_value, hh_index, income_value);
        }
        population.finish();
        Ok(population)
    }
}
