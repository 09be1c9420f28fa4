//! The user's config -> a [`FormatSet`], compiled once per run.
//!
//! Input: a [`Config`] (plain data: the specs read from TOML). Output: the
//! [`FormatSet`] that [`super`] asks for a file's format, parser and service:
//! custom formats and access format strings compiled, overrides resolved to
//! formats, `[[fields]]` and `[[service]]` entries with their globs, id
//! patterns. [`load_config`] and [`parse_config`] compile everything once
//! when the file is read, so a bad regex or format string is reported, with
//! the file's name, before a single log line is read.

use std::path::Path;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{FormatSet, ServiceRule};
use crate::config::{Config, ConfigError, FieldsSpec};
use crate::ingest::event::{IdKind, TimeUnit};
use crate::ingest::formats::custom::CustomFormat;
use crate::ingest::formats::fields::{Field, FieldMap, Unit};
use crate::ingest::formats::{access, FormatKind};
use crate::ingest::ids::IdPatterns;

/// Reads a config file ([`Config::load`]) and compiles every format string,
/// regex and id pattern in it once, so a bad one is reported, with the file's
/// name, before a single log line is read.
pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    let config = Config::load(path)?;
    compiles(&config).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    Ok(config)
}

/// [`load_config`] for config text; `origin` names it in error messages.
pub fn parse_config(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let config = Config::parse(text, origin)?;
    compiles(&config).map_err(|e| ConfigError(format!("{origin}: {e}")))?;
    Ok(config)
}

fn compiles(config: &Config) -> Result<(), ConfigError> {
    for a in &config.access_formats {
        let compiled = match (&a.nginx, &a.apache) {
            (Some(nginx), None) => access::AccessFormat::from_nginx(nginx),
            (None, Some(apache)) => access::AccessFormat::from_apache(apache),
            _ => Err("give exactly one of `nginx` and `apache`".into()),
        };
        if let Err(e) = compiled {
            return Err(ConfigError(format!(
                "[[access_format]] \"{}\": {e}",
                a.name
            )));
        }
    }
    for spec in &config.formats {
        CustomFormat::new(spec)?;
    }
    for (i, s) in config.services.iter().enumerate() {
        if let Some(p) = &s.path {
            regex::Regex::new(p).map_err(|e| {
                ConfigError(format!(
                    "[[service]] #{}: the path regex does not compile: {e}",
                    i + 1
                ))
            })?;
        }
    }
    IdPatterns::new(&config.id_patterns).map(drop)
}

impl FormatSet {
    /// Compiles the config's overrides and formats.
    pub fn from_config(config: &Config) -> Result<FormatSet, ConfigError> {
        let mut set = FormatSet::default();
        for spec in &config.formats {
            let files = (!spec.files.is_empty())
                .then(|| globs(&spec.files, &format!("[[format]] {:?}", spec.name)))
                .transpose()?;
            if let Some(f) = &files {
                set.entries.push((
                    format!("[[format]] {:?} (files {:?})", spec.name, spec.files),
                    f.clone(),
                ));
            }
            set.customs
                .push((spec.clone(), files, CustomFormat::new(spec)?));
        }
        for spec in &config.access_formats {
            let what = format!("[[access_format]] {:?}", spec.name);
            let files = (!spec.files.is_empty())
                .then(|| globs(&spec.files, &what))
                .transpose()?;
            let format = access::AccessFormat::from_config(spec)
                .map_err(|e| ConfigError(format!("{what}: {e}")))?
                .named(&spec.name);
            if let Some(f) = &files {
                set.entries
                    .push((format!("{what} (files {:?})", spec.files), f.clone()));
            }
            set.access
                .push((spec.name.clone(), files, Arc::new(format)));
        }
        for (i, o) in config.overrides.iter().enumerate() {
            let kind = builtin_by_name(&o.format)
                .or_else(|| {
                    config
                        .formats
                        .iter()
                        .any(|f| f.name == o.format)
                        .then(|| FormatKind::Custom(o.format.clone()))
                })
                .or_else(|| {
                    config
                        .access_formats
                        .iter()
                        .any(|f| f.name == o.format)
                        .then(|| FormatKind::AccessCustom(o.format.clone()))
                })
                .ok_or_else(|| {
                    ConfigError(format!(
                        "[[override]] names format {:?}; use one of {}, or the name of a [[format]]",
                        o.format,
                        crate::config::BUILTIN_FORMATS.join(", "),
                    ))
                })?;
            let files = globs(&o.files, "[[override]]")?;
            set.entries.push((
                format!(
                    "[[override]] #{} (format {:?}, files {:?})",
                    i + 1,
                    o.format,
                    o.files
                ),
                files.clone(),
            ));
            set.overrides.push((files, kind));
        }
        for (i, spec) in config.fields.iter().enumerate() {
            let what = format!("[[fields]] #{}", i + 1);
            let files = entry_files(&spec.files, &what, &mut set.entries)?;
            set.fields.push((files, Arc::new(field_map(spec))));
        }
        for (i, spec) in config.services.iter().enumerate() {
            let what = format!("[[service]] #{}", i + 1);
            let files = entry_files(&spec.files, &what, &mut set.entries)?;
            let rule = match (&spec.name, &spec.path) {
                (Some(n), _) => ServiceRule::Name(n.trim().to_owned()),
                (None, Some(p)) => ServiceRule::Path(regex::Regex::new(p).map_err(|e| {
                    ConfigError(format!("{what}: the path regex does not compile: {e}"))
                })?),
                (None, None) => continue,
            };
            set.services.push((files, rule));
        }
        let ids = IdPatterns::new(&config.id_patterns)?;
        if !ids.is_empty() {
            set.id_patterns = Some(Arc::new(ids));
        }
        Ok(set)
    }
}

/// The field map a `[[fields]]` entry describes.
fn field_map(spec: &FieldsSpec) -> FieldMap {
    let unit = match spec.unit.as_deref() {
        Some("ns") => Unit::Config(TimeUnit::Ns),
        Some("us") => Unit::Config(TimeUnit::Us),
        Some("ms") => Unit::Config(TimeUnit::Ms),
        Some("s") => Unit::Config(TimeUnit::S),
        _ => Unit::FromValue,
    };
    let keys = spec.keys().into_iter().map(|(role, key)| {
        let field = match role {
            "time" => Field::Time,
            "level" => Field::Level,
            "message" => Field::Message,
            "service" => Field::Service,
            "operation" => Field::Route,
            "status" => Field::Status,
            "duration" => Field::Duration(unit),
            "request_id" => Field::Id(IdKind::Request),
            "trace_id" => Field::Id(IdKind::Trace),
            "span_id" => Field::Id(IdKind::Span),
            _ => Field::Id(IdKind::ParentSpan),
        };
        (key.to_owned(), field)
    });
    FieldMap::new(keys.collect())
}

fn builtin_by_name(name: &str) -> Option<FormatKind> {
    Some(match name {
        "access" => FormatKind::Access,
        "json" => FormatKind::Json,
        "logfmt" => FormatKind::Logfmt,
        "text" => FormatKind::Text,
        "docker" => FormatKind::Docker,
        "cri" => FormatKind::Cri,
        "envoy" => FormatKind::Envoy,
        "haproxy" => FormatKind::Haproxy,
        "elb" => FormatKind::Elb,
        "w3c" => FormatKind::W3c,
        "otel" => FormatKind::Otel,
        "journald" => FormatKind::Journald,
        "journald-json" => FormatKind::JournaldJson,
        "traefik" => FormatKind::Traefik,
        "caddy" => FormatKind::Caddy,
        "heroku" => FormatKind::Heroku,
        "gcp" => FormatKind::Gcp,
        "azure" => FormatKind::Azure,
        _ => return None,
    })
}

/// The globs of a config entry that applies to some files only (`None`: to
/// every file), recorded in `entries` so an entry that matches no file is reported.
fn entry_files(
    files: &[String],
    what: &str,
    entries: &mut Vec<(String, GlobSet)>,
) -> Result<Option<GlobSet>, ConfigError> {
    if files.is_empty() {
        return Ok(None);
    }
    let set = globs(files, what)?;
    entries.push((format!("{what} (files {files:?})"), set.clone()));
    Ok(Some(set))
}

/// Compiles globs; a glob without `/` also matches the bare file name anywhere.
pub fn globs(patterns: &[String], what: &str) -> Result<GlobSet, ConfigError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = Glob::new(p).map_err(|e| ConfigError(format!("{what}: bad glob {p:?}: {e}")))?;
        b.add(g);
    }
    b.build().map_err(|e| ConfigError(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_regex_is_reported_when_the_config_is_read() {
        let err = |text: &str| parse_config(text, "c.toml").unwrap_err().0;
        let e = err("[[format]]\nname='nova'\nregex='^(?P<time>\\S+'\n");
        assert!(
            e.starts_with("c.toml: [[format]] \"nova\": the regex does not compile"),
            "{e}"
        );
        assert!(e.contains("unclosed group"), "shows the regex error: {e}");
        let e = err("[[id_pattern]]\nkind='session'\nregex='x'\n");
        assert!(e.contains("unknown kind \"session\""), "{e}");
        // The examples in the config file's documentation compile.
        let doc = include_str!("../../config.rs");
        let mut lines = doc.lines();
        let mut blocks = 0;
        while lines.any(|l| l.starts_with("//! ```toml")) {
            let block: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("//! ```"))
                .map(|l| {
                    l.strip_prefix("//! ")
                        .unwrap_or(l.trim_start_matches("//!"))
                })
                .collect();
            parse_config(&block.join("\n"), "doc").unwrap();
            blocks += 1;
        }
        assert_eq!(blocks, 5);
    }

    #[test]
    fn a_bad_access_format_string_is_refused_with_the_config() {
        let err = |text: &str| parse_config(text, "c.toml").unwrap_err().0;
        let e = err("[[access_format]]\nname='a'\napache='%h %}e'\nfiles=['**/a*']\n");
        assert!(
            e.starts_with("c.toml: [[access_format]] \"a\": ") && e.contains("`%}`"),
            "{e}"
        );
        let e = err("[[access_format]]\nname='n'\nnginx='$status ${request'\n");
        assert!(
            e.starts_with("c.toml: [[access_format]] \"n\": ") && e.contains("never closed"),
            "{e}"
        );
    }

    #[test]
    fn overrides_win_and_match_file_names() {
        let cfg = Config::parse("[[override]]\nfiles=['*.weird']\nformat='json'\n", "t").unwrap();
        let set = FormatSet::from_config(&cfg).unwrap();
        let d = set.detect(Path::new("a/b/x.weird"), b"anything");
        assert_eq!(d.format, FormatKind::Json);
        assert!(d.forced);
    }

    #[test]
    fn unknown_override_is_a_clear_error() {
        let e = Config::parse("[[override]]\nfiles=['*']\nformat='yaml'\n", "t").unwrap_err();
        assert!(e.0.contains("yaml") && e.0.contains("logfmt"), "{e}");
    }
}
