//! Reading a deprivation table for the Alkire–Foster aggregates: one row per person, one 0/1
//! column per indicator (in weight order), optional `group` and `weight` columns.

use minsheng_assess::mpi::Person;

use crate::import::{Table, read_table};

/// Reads a deprivation file. UTF-8 CSV streams straight into people (a million rows in well
/// under a second); workbooks and GB18030 go through the general table reader.
pub fn people_from_file(
    file: &str,
    bytes: &[u8],
) -> Result<(Vec<String>, Vec<Person>), Vec<String>> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"PK\x03\x04") || std::str::from_utf8(text).is_err() {
        let table = read_table(file, bytes).map_err(|e| vec![e.to_string()])?;
        return people_from_table(&table);
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_lowercase()).collect(),
        Err(e) => return Err(vec![format!("{file}:1: {e}")]),
    };
    let group_col = headers.iter().position(|h| h == "group");
    let weight_col = headers.iter().position(|h| h == "weight");
    let indicators: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != group_col && Some(*i) != weight_col)
        .map(|(i, h)| (i, h.clone()))
        .collect();
    if indicators.is_empty() {
        return Err(vec![format!(
            "{file}:1: the header names no indicator column"
        )]);
    }
    let mut errors = Vec::new();
    let mut people = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(format!(
                    "{file}:{}: {e}",
                    e.position().map_or(0, |p| p.line())
                ));
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let mut deprived = Vec::with_capacity(indicators.len());
        let mut ok = true;
        for (i, name) in &indicators {
            match record.get(*i).map(<[u8]>::trim_ascii) {
                Some(b"1") => deprived.push(true),
                Some(b"0") => deprived.push(false),
                other => {
                    ok = false;
                    let shown = other.map(String::from_utf8_lossy).unwrap_or_default();
                    errors.push(format!("{file}:{line}: {name}: '{shown}' is not 0 or 1"));
                }
            }
        }
        let text_of = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .map(|b| String::from_utf8_lossy(b.trim_ascii()).into_owned())
        };
        let weight = match text_of(weight_col).as_deref() {
            None | Some("") => 1.0,
            Some(text) => match text.parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 => w,
                _ => {
                    ok = false;
                    errors.push(format!(
                        "{file}:{line}: weight: '{text}' is not a positive number"
                    ));
                    1.0
                }
            },
        };
        let group = text_of(group_col).filter(|g| !g.is_empty());
        if ok {
            people.push(Person {
                deprived,
                weight,
                group,
            });
        }
        if errors.len() > 1000 {
            errors.push(format!("{file}: more than 1,000 errors; stopped"));
            break;
        }
    }
    if errors.is_empty() {
        Ok((indicators.into_iter().map(|(_, n)| n).collect(), people))
    } else {
        Err(errors)
    }
}

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

    #[test]
    fn the_streaming_reader_agrees_with_the_table_reader() {
        let text = "water,school,group,weight\n1,0,巴南,2\n0,1,渝中,\n";
        let table = read_table("d.csv", text.as_bytes()).expect("table");
        assert_eq!(
            people_from_file("d.csv", text.as_bytes()),
            people_from_table(&table)
        );
        let bad = "water,school\n1,2\n";
        assert_eq!(
            people_from_file("d.csv", bad.as_bytes()),
            Err(vec!["d.csv:2: school: '2' is not 0 or 1".to_string()])
        );
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        assert_eq!(
            people_from_file("d.csv", &gb).map(|(n, _)| n),
            Ok(vec!["water".to_string(), "school".to_string()])
        );
    }

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

    proptest::proptest! {
        #[test]
        fn arbitrary_files_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = people_from_file("fuzz.csv", &bytes);
        }

        #[test]
        fn arbitrary_zero_one_tables_are_read_whole(rows in proptest::collection::vec(proptest::collection::vec(0u8..2, 3), 0..40)) {
            let mut text = String::from("a,b,c\n");
            for r in &rows {
                text.push_str(&format!("{},{},{}\n", r[0], r[1], r[2]));
            }
            let (names, people) = people_from_file("t.csv", text.as_bytes()).expect("valid");
            proptest::prop_assert_eq!(names.len(), 3);
            proptest::prop_assert_eq!(people.len(), rows.len());
        }
    }
}
