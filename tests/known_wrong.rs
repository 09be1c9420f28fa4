//! `tests/golden/KNOWN_WRONG.md` lists golden-table rows known to be wrong.
//! Each listed row must still be in its table as listed: when a fix changes
//! one, this test fails until the row is taken off the list (in the commit
//! that re-blesses the table), so the list stays true.

use std::path::Path;

#[test]
fn every_known_wrong_row_is_still_in_its_table() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let list = std::fs::read_to_string(golden.join("KNOWN_WRONG.md")).unwrap();
    let table = |name: &str| std::fs::read_to_string(golden.join(name)).ok();
    assert!(rows(&list).len() >= 5, "rows of KNOWN_WRONG.md not read");
    let found = problems(&list, table);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// What is wrong with the list, given a way to read a table by name.
fn problems(list: &str, table: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, path, pinned, why) in rows(list) {
        if why.is_empty() {
            out.push(format!("{name} {path}: the reason is missing"));
        }
        let Some(text) = table(&name) else {
            out.push(format!(
                "KNOWN_WRONG.md names {name}, which is not a golden table"
            ));
            continue;
        };
        match text.lines().find(|l| l.split('\t').next() == Some(path.as_str())) {
            None => out.push(format!("{name} has no row {path}; take it off KNOWN_WRONG.md")),
            Some(row) if !row.split('\t').any(|cell| cell == pinned) => out.push(format!(
                "{name} {path} no longer reads {pinned:?} ({row:?}): if it was fixed, take it off KNOWN_WRONG.md"
            )),
            Some(_) => {}
        }
    }
    out
}

/// The list's rows: (table file, sample path, pinned cell, reason).
fn rows(md: &str) -> Vec<(String, String, String, String)> {
    md.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| table "))
        .map(|l| {
            let cells: Vec<String> = l
                .replace("\\|", "\u{0}")
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('\u{0}', "|"))
                .collect();
            assert_eq!(cells.len(), 5, "a row of KNOWN_WRONG.md needs 5 cells: {l}");
            (
                cells[0].clone(),
                cells[1].clone(),
                cells[2].clone(),
                cells[4].clone(),
            )
        })
        .collect()
}

#[test]
fn a_fixed_row_or_a_missing_reason_fails_the_check() {
    let md = "| table | path | pinned | should be | why |\n|---|---|---|---|---|\n\
              | t.tsv | a.log | 2024-04-04=1 | zk | a date is no service |\n\
              | t.tsv | b.log | unknown | text \\| json |  |\n";
    let wrong = |_: &str| {
        Some("path\tformat\tservices\na.log\ttext\t2024-04-04=1\nb.log\tunknown\t\n".into())
    };
    assert_eq!(
        problems(md, wrong),
        vec!["t.tsv b.log: the reason is missing".to_owned()]
    );
    let fixed =
        |_: &str| Some("path\tformat\tservices\na.log\ttext\tzk=1\nb.log\tunknown\t\n".into());
    let p = problems(md, fixed);
    assert!(
        p.iter()
            .any(|m| m.starts_with("t.tsv a.log no longer reads")),
        "{p:?}"
    );
    assert!(problems(md, |_| None)
        .iter()
        .any(|m| m.contains("not a golden table")));
}
