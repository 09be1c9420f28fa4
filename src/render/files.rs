//! A report's results -> the files of its folder, as (relative path, bytes).
//!
//! Nothing is written here: [`crate::output::report_dir`] writes the list.

use super::charts::Chart;
use crate::analyze::summary::Summary;

/// What a report folder holds besides the marker: `report.json`, then `charts/*.svg`.
pub fn contents(summary: &Summary, charts: &[Chart]) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("report.json".to_owned(), report_json(summary).into_bytes())];
    for c in charts {
        files.push((format!("charts/{}", c.file), c.svg.clone().into_bytes()));
    }
    files
}

/// `report.json`: the summary as indented JSON with a final newline.
pub fn report_json(summary: &Summary) -> String {
    // The summary holds only strings, numbers, options and lists, which
    // serde_json always serialises; a non-finite float becomes `null`.
    let mut s = serde_json::to_string_pretty(summary).unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\": {}, \"error\": \"{e}\"}}",
            summary.schema_version
        )
    });
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_holds_the_report_and_its_charts() {
        let chart = Chart {
            file: "traffic.svg".into(),
            title: "Traffic".into(),
            svg: "<svg/>".into(),
        };
        let s = Summary {
            schema_version: 1,
            ..Default::default()
        };
        let files = contents(&s, &[chart]);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["report.json", "charts/traffic.svg"]);
        let json: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
        assert_eq!(json["schema_version"], 1);
        assert!(crate::output::report_dir::starts_with_schema_version(
            &files[0].1
        ));
    }
}
