//! The user's config file (TOML) -> [`Config`].
//!
//! Input: the text of a `logtrace.toml`. Output: plain structs describing
//! custom formats, explicit access-log format strings, per-glob format
//! overrides and regexes that pull correlation ids out of messages. Nothing
//! here compiles regexes; the formats that use them do, once per run.
//!
//! ```toml
//! # An access log written with an nginx log_format (or `apache = "%h %l ..."`).
//! [[access_format]]
//! name = "edge"
//! files = ["edge/*.log"]
//! nginx = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time $request_id'
//!
//! # A format of your own: named captures map to fields.
//! [[format]]
//! name = "openstack"
//! files = ["nova/**"]
//! regex = '^(?P<time>\S+ \S+) \d+ (?P<level>\w+) (?P<logger>\S+) \[(?P<request_id>req-[0-9a-f-]+)'
//!
//! # Force a built-in format for some files: access, json, logfmt, text, docker, cri.
//! [[override]]
//! files = ["legacy/*.log"]
//! format = "text"
//!
//! # Correlation ids found anywhere in a message.
//! [[id_pattern]]
//! kind = "request"          # request, trace, span or parent_span
//! regex = 'blk_-?\d+'
//! ```

use std::path::Path;

use serde::Deserialize;

/// Everything the config file can say. Every section is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Access logs with an explicit format string.
    #[serde(default, rename = "access_format")]
    pub access_formats: Vec<AccessFormatSpec>,
    /// Regex formats.
    #[serde(default, rename = "format")]
    pub formats: Vec<CustomFormatSpec>,
    /// Built-in or named formats forced for some files.
    #[serde(default, rename = "override")]
    pub overrides: Vec<OverrideSpec>,
    /// Correlation ids taken from messages by regex.
    #[serde(default, rename = "id_pattern")]
    pub id_patterns: Vec<IdPatternSpec>,
}

/// `[[access_format]]`: an nginx `log_format` or Apache `LogFormat` string.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessFormatSpec {
    pub name: String,
    /// Globs of the files it applies to (matched against the path relative to the scanned root
    /// and against the file name). Empty: tried during detection on every file.
    #[serde(default)]
    pub files: Vec<String>,
    /// nginx `log_format` syntax: `$remote_addr - $remote_user [$time_local] ...`.
    pub nginx: Option<String>,
    /// Apache `LogFormat` syntax: `%h %l %u %t "%r" %>s %b %D`.
    pub apache: Option<String>,
}

/// `[[format]]`: a regex with named captures.
///
/// Capture names that mean something: `time`, `level`, `message`/`msg`, `service`,
/// `request_id`, `trace_id`, `span_id`, `parent_span_id`, `method`, `path`, `route`,
/// `logger`, `status`, `duration_ms`, `duration_us`, `duration_s`, `duration_ns`.
/// `fields` maps other capture names onto these.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFormatSpec {
    pub name: String,
    #[serde(default)]
    pub files: Vec<String>,
    pub regex: String,
    /// capture name -> field name, for captures not named after a field.
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
    /// strftime-like format of the `time` capture when it is not ISO/RFC 3339/epoch
    /// (e.g. `%d/%b/%Y:%H:%M:%S %z`).
    pub time_format: Option<String>,
}

/// `[[override]]`: which format some files are in.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideSpec {
    pub files: Vec<String>,
    /// `access`, `json`, `logfmt`, `text`, `docker`, `cri`, or the name of an
    /// `access_format` or `format`.
    pub format: String,
}

/// `[[id_pattern]]`: a regex whose match (or first capture group) is a correlation id.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdPatternSpec {
    /// `request`, `trace`, `span` or `parent_span`.
    pub kind: String,
    pub regex: String,
}

/// A config file that could not be used, with the place and the reason.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Parses config text; `origin` names it in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError(format!("{origin}: {e}")))
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        Config::parse(&text, &path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let doc: String = include_str!("config.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| {
                l.strip_prefix("//! ")
                    .unwrap_or(l.trim_start_matches("//!"))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = Config::parse(&doc, "doc").unwrap();
        assert_eq!(c.access_formats.len(), 1);
        assert_eq!(c.formats[0].name, "openstack");
        assert_eq!(c.overrides[0].format, "text");
        assert_eq!(c.id_patterns[0].kind, "request");
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = Config::parse("[[format]]\nname='x'\nregex='.'\ncolour=1\n", "t.toml").unwrap_err();
        assert!(e.0.contains("t.toml"), "{e}");
    }
}
