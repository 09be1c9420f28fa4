//! The user's config file (TOML) -> a validated [`Config`].
//!
//! Input: the text of a `logtrace.toml`. Output: plain structs describing custom
//! formats, explicit access-log format strings, per-glob format overrides and
//! regexes that pull correlation ids out of messages. Plain data: ingest builds
//! its formats from these specs. [`Config::parse`] checks the structure (names
//! exist and are unique, globs are valid) and says which section is wrong and
//! why; `ingest::detect::load_config` also compiles the format strings and
//! regexes, once, before a single log line is read.
//!
//! # The config file
//!
//! Pass it with `--config logtrace.toml`. Every section is optional and may be
//! repeated; unknown keys are errors (so a typo does not go unnoticed).
//!
//! A `files` glob matches a file by its path below the input folder it was
//! found in (`nova/api.log`), by its file name alone (a glob without `/`), or by
//! its path as given on the command line (`incident/nova/api.log` when the run
//! names `incident`; a leading `./` is ignored). An entry whose globs match no
//! file of the run is a warning: `inspect` prints it (`config_warnings` in its
//! JSON), `report` prints it on stderr and keeps it in report.json's
//! `input.config_warnings`.
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
//! regex = '^(?P<time>\S+ \S+) \d+ (?P<level>\w+) (?P<logger>\S+) \[(?P<request_id>req-[0-9a-f-]+)[^\]]*\] (?P<message>.*)'
//!
//! # Force a built-in format for some files: access, json, logfmt, text, docker, cri,
//! # otel, journald, journald-json.
//! [[override]]
//! files = ["legacy/*.log"]
//! format = "text"
//!
//! # Correlation ids found anywhere in a message.
//! [[id_pattern]]
//! kind = "request"          # request, trace, span or parent_span
//! regex = 'blk_-?\d+'
//! ```
//!
//! ## `[[access_format]]`: access logs with a known format string
//!
//! | key | meaning |
//! |---|---|
//! | `name` | required; names the format in `inspect` and in `[[override]]` |
//! | `files` | globs of the files it applies to; empty: tried on every file during detection |
//! | `nginx` | an nginx `log_format` string: `$remote_addr - $remote_user [$time_local] "$request" ...` |
//! | `apache` | an Apache `LogFormat` string: `%h %l %u %t "%r" %>s %b %D %{X-Request-ID}i` |
//!
//! Exactly one of `nginx` and `apache` is given.
//!
//! ## `[[format]]`: a regex with named captures
//!
//! | key | meaning |
//! |---|---|
//! | `name` | required; names the format in `inspect` and in `[[override]]` |
//! | `files` | globs of the files it applies to; empty: tried on every file during detection |
//! | `regex` | required; a [Rust regex](https://docs.rs/regex/latest/regex/#syntax) matched against each line |
//! | `fields` | a table `capture = "field"` for captures not named after a field |
//! | `time_format` | how the `time` capture is written, when it is not ISO 8601 / RFC 3339 or a Unix epoch |
//!
//! A line that starts an entry must match `regex`. A line that does not match continues
//! the entry before it when it looks like a continuation (it starts with whitespace, or
//! with `Caused by:`), and is reported as unparsed otherwise.
//!
//! Captures named after a field fill it: `time`, `level`, `message` (or `msg`; without
//! one the whole line is the message), `service`, `request_id`, `trace_id`, `span_id`,
//! `parent_span_id`, `method`, `path`, `url`, `route`, `logger`, `status`, `error` (any
//! value marks the entry as failed), `duration` (unit from the value: `120ms`, `1.2s`;
//! a bare number is ms), `duration_ms`, `duration_us`, `duration_s`, `duration_ns`. The
//! names other log formats use for these fields work too (`ts`, `severity`,
//! `requestId`, `x_request_id`, `traceId`, `elapsed_ms`, ...); any other capture is
//! ignored. The message is searched for `key=value` pairs, `TraceID: ...` and
//! durations like every other format's.
//!
//! ```toml
//! [[format]]
//! name = "hdfs"
//! files = ["hdfs/*.log"]
//! regex = '^(?P<date>\d{6} \d{6}) (?P<pid>\d+) (?P<level>[A-Z]+) (?P<logger>[^:]+): (?P<message>.*)$'
//! fields = { date = "time" }
//! time_format = "%y%m%d %H%M%S"
//! ```
//!
//! `time_format` directives: `%Y` year, `%y` two-digit year (20xx), `%m` month, `%b`/`%B`
//! month name, `%d`/`%e` day (`%e` may be space-padded), `%j` day of the year, `%H`
//! hour, `%I` hour (12-hour clock) with `%p` AM/PM, `%M` minute, `%S` second, `%f`
//! fraction digits, `%.f` an optional `.`/`,` with fraction digits, `%z` zone (`Z`,
//! `+0200`, `+02:00`), `%Z` zone name (`UTC`/`GMT` count as a zone, others are skipped),
//! `%a`/`%A` weekday name (skipped), `%s` Unix seconds, `%T` = `%H:%M:%S`, `%F` =
//! `%Y-%m-%d`, `%%` a percent sign. A space matches one or more spaces. Without a year
//! the year comes from `--year` (else the current one); without a date the time is a
//! time of day completed from the entries around it; without a zone `--tz` applies
//! (else UTC).
//!
//! ## `[[override]]`: which format some files are in
//!
//! | key | meaning |
//! |---|---|
//! | `files` | required; globs matched as described above |
//! | `format` | required; `access`, `json`, `logfmt`, `text`, `docker`, `cri`, `envoy`, `haproxy`, `elb`, `w3c`, `otel`, `journald`, `journald-json`, `traefik`, `caddy`, `heroku`, `gcp`, `azure`, or the `name` of an `[[access_format]]` or `[[format]]` |
//!
//! Overrides skip detection for the files they match; the first matching override wins.
//!
//! ## `[[id_pattern]]`: correlation ids in messages
//!
//! | key | meaning |
//! |---|---|
//! | `kind` | required; `request`, `trace`, `span` or `parent_span` |
//! | `regex` | required; the id is the first capture group, or the whole match when there is none |
//! | `name` | optional; the field name `inspect` shows for these ids (default `<kind>_id`) |
//!
//! The patterns run on the message of every entry, whatever its format, and fill only
//! ids the entry does not already carry. For example OpenStack request ids and HDFS
//! block ids:
//!
//! ```toml
//! [[id_pattern]]
//! kind = "request"
//! regex = '\[(req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'
//!
//! [[id_pattern]]
//! kind = "trace"
//! name = "block"
//! regex = 'blk_-?\d+'
//! ```

//!
//! ## `[[fields]]`: the field names of JSON and logfmt files
//!
//! | key | meaning |
//! |---|---|
//! | `files` | globs of the files it applies to; empty: every JSON and logfmt file (and the JSON and logfmt messages of Docker and CRI files) |
//! | `time`, `level`, `message`, `service`, `status` | the key holding that field |
//! | `operation` | the key naming the operation (a route, an RPC method); paths then name none |
//! | `duration` | the key holding the duration |
//! | `unit` | `ns`, `us`, `ms` or `s`: the unit of a `duration` written as a bare number (a unit in the value, `1.5s`, wins) |
//! | `request_id`, `trace_id`, `span_id`, `parent_span_id` | the keys holding the ids |
//!
//! Keys are top-level JSON keys or logfmt keys, as written (case matters). They are
//! looked up before the names logtrace knows, and a field given here is taken from
//! those names: with `duration = "took"`, a `duration` key is not the duration.
//! `inspect` shows such a duration's unit as "from the config". The first entry whose
//! globs match a file applies to it.
//!
//! ```toml
//! [[fields]]
//! files = ["nova/*.log"]
//! time = "when"
//! operation = "op"
//! duration = "took"
//! unit = "ms"
//! request_id = "x_req"
//! ```
//!
//! ## `[[service]]`: the service of some files
//!
//! | key | meaning |
//! |---|---|
//! | `files` | globs of the files it applies to (required with `name`) |
//! | `name` | the service's name |
//! | `path` | instead of `name`: a regex matched against the file's path below its input folder (then against the path as given); the capture named `service`, else the first group, is the name |
//!
//! The service given is every entry's in those files, whatever a line says; the first
//! entry that gives a name wins. Without one, a file's service is what its lines say,
//! else a name taken from its path (its folder or its file name).
//!
//! ```toml
//! [[service]]
//! files = ["nova/*.log"]
//! name = "nova-api"
//!
//! # hosts/<host>/<service>.log
//! [[service]]
//! path = '^hosts/[^/]+/(?P<service>[^/.]+)\.log$'
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
    /// The field names of some JSON and logfmt files.
    #[serde(default, rename = "fields")]
    pub fields: Vec<FieldsSpec>,
    /// The service of some files.
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceSpec>,
}

/// `[[fields]]`: which key of a JSON or logfmt file holds which field. Each
/// value is a key as the log writes it (top-level JSON key, logfmt key).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldsSpec {
    /// Globs of the files it applies to; empty: every JSON and logfmt file.
    #[serde(default)]
    pub files: Vec<String>,
    pub time: Option<String>,
    pub level: Option<String>,
    pub message: Option<String>,
    pub service: Option<String>,
    /// The operation's name (a route, an RPC method): it names the
    /// operation instead of a path.
    pub operation: Option<String>,
    pub status: Option<String>,
    pub duration: Option<String>,
    /// The unit of a `duration` written as a bare number: `ns`, `us`, `ms` or `s`.
    pub unit: Option<String>,
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub parent_span_id: Option<String>,
}

impl FieldsSpec {
    /// The keys given, each with the field it fills (`duration`, `request_id`, ...).
    pub fn keys(&self) -> Vec<(&'static str, &str)> {
        let all = [
            ("time", &self.time),
            ("level", &self.level),
            ("message", &self.message),
            ("service", &self.service),
            ("operation", &self.operation),
            ("status", &self.status),
            ("duration", &self.duration),
            ("request_id", &self.request_id),
            ("trace_id", &self.trace_id),
            ("span_id", &self.span_id),
            ("parent_span_id", &self.parent_span_id),
        ];
        all.into_iter()
            .filter_map(|(role, key)| Some((role, key.as_deref()?)))
            .collect()
    }
}

/// `[[service]]`: the service the entries of some files belong to.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Globs of the files it applies to; empty: every file `path` matches.
    #[serde(default)]
    pub files: Vec<String>,
    /// The service's name.
    pub name: Option<String>,
    /// A regex matched against a file's path below its input folder, then
    /// against the path as given: the capture named `service` (else the
    /// first group) is the service.
    pub path: Option<String>,
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
    /// Shown by `inspect` as the field the ids came from; default `<kind>_id`.
    #[serde(default)]
    pub name: Option<String>,
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

/// The built-in formats an `[[override]]` may name.
pub const BUILTIN_FORMATS: [&str; 18] = [
    "access",
    "json",
    "logfmt",
    "text",
    "docker",
    "cri",
    "envoy",
    "haproxy",
    "elb",
    "w3c",
    "otel",
    "journald",
    "journald-json",
    "traefik",
    "caddy",
    "heroku",
    "gcp",
    "azure",
];

impl Config {
    /// Parses and validates config text; `origin` names it in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError(format!("{origin}: {e}")))?;
        config
            .validate()
            .map_err(|e| ConfigError(format!("{origin}: {e}")))?;
        Ok(config)
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Checks what TOML cannot: names are unique and known, globs compile,
    /// each access format has one format string. The regexes are compiled by
    /// the formats built from them (`ingest::detect::parse_config`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut names: Vec<&str> = Vec::new();
        let check_name = |section: &str, n: &str| -> Result<(), ConfigError> {
            if n.trim().is_empty() {
                return Err(ConfigError(format!("a [[{section}]] has an empty name")));
            }
            if BUILTIN_FORMATS.contains(&n) {
                return Err(ConfigError(format!(
                    "[[{section}]] \"{n}\": the name of a built-in format; choose another"
                )));
            }
            Ok(())
        };
        for a in &self.access_formats {
            check_name("access_format", &a.name)?;
            names.push(&a.name);
            if a.nginx.is_some() == a.apache.is_some() {
                return Err(ConfigError(format!(
                    "[[access_format]] \"{}\": give exactly one of `nginx` and `apache`",
                    a.name
                )));
            }
            check_globs("access_format", &a.name, &a.files)?;
        }
        for f in &self.formats {
            check_name("format", &f.name)?;
            names.push(&f.name);
            check_globs("format", &f.name, &f.files)?;
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(ConfigError(format!(
                "two formats are named \"{}\"; names must be unique",
                w[0]
            )));
        }
        for (i, f) in self.fields.iter().enumerate() {
            let label = format!("[[fields]] #{}", i + 1);
            if f.keys().is_empty() {
                return Err(ConfigError(format!(
                    "{label}: names no field; give at least one of time, level, message, service, \
                     operation, status, duration, request_id, trace_id, span_id, parent_span_id"
                )));
            }
            match (&f.unit, &f.duration) {
                (Some(u), _) if !["ns", "us", "ms", "s"].contains(&u.as_str()) => {
                    return Err(ConfigError(format!(
                        "{label}: unit {u:?}; use ns, us, ms or s"
                    )))
                }
                (Some(_), None) => {
                    return Err(ConfigError(format!(
                        "{label}: `unit` is the unit of `duration`, which is not given"
                    )))
                }
                _ => {}
            }
            check_globs("fields", &label, &f.files)?;
        }
        for (i, s) in self.services.iter().enumerate() {
            let label = format!("[[service]] #{}", i + 1);
            match (&s.name, &s.path) {
                (Some(n), None) if n.trim().is_empty() => {
                    return Err(ConfigError(format!("{label}: `name` is empty")))
                }
                (Some(_), None) => {
                    if s.files.is_empty() {
                        return Err(ConfigError(format!(
                            "{label}: `name` needs `files`, the files it names"
                        )));
                    }
                }
                (None, Some(_)) => {}
                _ => {
                    return Err(ConfigError(format!(
                        "{label}: give exactly one of `name` and `path`"
                    )))
                }
            }
            check_globs("service", &label, &s.files)?;
        }
        for (i, o) in self.overrides.iter().enumerate() {
            let label = format!("[[override]] #{} (format \"{}\")", i + 1, o.format);
            if o.files.is_empty() {
                return Err(ConfigError(format!("{label}: `files` is empty")));
            }
            if !BUILTIN_FORMATS.contains(&o.format.as_str()) && !names.contains(&o.format.as_str())
            {
                let mut known: Vec<&str> = BUILTIN_FORMATS.to_vec();
                known.extend(&names);
                return Err(ConfigError(format!(
                    "{label}: unknown format; use one of: {}",
                    known.join(", ")
                )));
            }
            check_globs("override", &o.format, &o.files)?;
        }
        Ok(())
    }
}

fn check_globs(section: &str, name: &str, globs: &[String]) -> Result<(), ConfigError> {
    for g in globs {
        globset::Glob::new(g).map_err(|e| {
            ConfigError(format!(
                "[[{section}]] \"{name}\": bad glob in `files`: {e}"
            ))
        })?;
    }
    Ok(())
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

    fn err(text: &str) -> String {
        Config::parse(text, "c.toml").unwrap_err().0
    }

    #[test]
    fn every_documented_example_is_valid() {
        let src = include_str!("config.rs");
        let mut blocks = 0;
        let mut lines = src.lines();
        while lines.any(|l| l.starts_with("//! ```toml")) {
            let block: String = lines
                .by_ref()
                .take_while(|l| !l.starts_with("//! ```"))
                .map(|l| {
                    l.strip_prefix("//! ")
                        .unwrap_or(l.trim_start_matches("//!"))
                })
                .collect::<Vec<_>>()
                .join("\n");
            Config::parse(&block, "doc").unwrap_or_else(|e| panic!("{e}\n{block}"));
            blocks += 1;
        }
        assert_eq!(blocks, 5);
    }

    #[test]
    fn validation_names_the_section_and_the_problem() {
        let e = err("[[override]]\nfiles=['a/*']\nformat='nova'\n");
        assert!(
            e.contains("unknown format; use one of: access, json"),
            "{e}"
        );
        let e =
            err("[[format]]\nname='a'\nregex='.'\n[[access_format]]\nname='a'\nnginx='$status'\n");
        assert!(e.contains("two formats are named \"a\""), "{e}");
        let e = err("[[access_format]]\nname='x'\n");
        assert!(e.contains("exactly one of `nginx` and `apache`"), "{e}");
        let e = err("[[format]]\nname='json'\nregex='.'\n");
        assert!(e.contains("built-in"), "{e}");
        let e = err("[[format]]\nname='x'\nregex='.'\nfiles=['a/[']\n");
        assert!(e.contains("bad glob"), "{e}");
        let ok = Config::parse(
            "[[format]]\nname='nova'\nregex='(?P<message>.*)'\n[[override]]\nfiles=['n/*']\nformat='nova'\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(ok.formats[0].name, "nova");
    }
}
