//! Reading a deprivation table for the Alkire–Foster aggregates: one row per person, one 0/1
//! column per indicator (in weight order), optional `group` and `weight` columns.

use minsheng_assess::mpi::Person;

use crate::import::Table;

/// The indicator names and the people of a table, or every problem as `file:line: column: reason`.
pub fn people_from_table(table: &Table) -> Result<(Vec<String>, Vec<Person>), Vec<String>> {
    let group_col = table.headers.iter().position(|h| h == "group");
    let weight_col = table.headers.iter().position(|h| h == "weight");
    let indicators: Vec<(usize, String)> = table
        .headers
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != group_col && Some(*i) != weight_col)
        .map(|(i, h)| (i, h.clone()))
        .collect();
    let mut errors = Vec::new();
    if indicators.is_empty() {
        errors.push(format!(
            "{}:1: the header names no indicator column",
            table.file
        ));
    }
    let mut people = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let cell = |i: usize| row.cells.get(i).map_or("", String::as_str);
        let mut deprived = Vec::with_capacity(indicators.len());
        let mut ok = true;
        for (i, name) in &indicators {
            match cell(*i) {
                "1" => deprived.push(true),
                "0" => deprived.push(false),
                other => {
                    ok = false;
                    errors.push(format!(
                        "{}:{}: {name}: '{other}' is not 0 or 1",
                        table.file, row.line
                    ));
                }
            }
        }
        let weight = match weight_col.map(cell) {
            None | Some("") => 1.0,
            Some(text) => match text.parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 => w,
                _ => {
                    ok = false;
                    errors.push(format!(
                        "{}:{}: weight: '{text}' is not a positive number",
                        table.file, row.line
                    ));
                    1.0
                }
            },
        };
        let group = group_col
            .map(cell)
            .filter(|g| !g.is_empty())
            .map(str::to_string);
        if ok {
            people.push(Person {
                deprived,
                weight,
                group,
            });
        }
    }
    if errors.is_empty() {
        Ok((indicators.into_iter().map(|(_, n)| n).collect(), people))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::read_table;

    #[test]
    fn reads_groups_weights_and_names_bad_cells() {
        let text = "water,school,group,weight\n1,0,巴南,2\n0,1,渝中,\n";
        let table = read_table("d.csv", text.as_bytes()).expect("table");
        let (names, people) = people_from_table(&table).expect("valid");
        assert_eq!(names, vec!["water", "school"]);
        assert_eq!(people[0].weight, 2.0);
        assert_eq!(people[1].group.as_deref(), Some("渝中"));
        let bad = read_table("d.csv", b"water,school\n1,2\n1,x\n").expect("table");
        let errors = people_from_table(&bad).expect_err("invalid");
        assert_eq!(
            errors,
            vec![
                "d.csv:2: school: '2' is not 0 or 1",
                "d.csv:3: school: 'x' is not 0 or 1"
            ]
        );
    }
}
