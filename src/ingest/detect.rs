//! A file's first lines -> its format, and the parser for it.
//!
//! Input: the first decompressed bytes of a file, its path, and the user's
//! config. Output: a [`Detection`] (the format and how sure we are) and a
//! ready [`LineFormat`]. Every format family answers yes / no / maybe for each
//! sampled line; the family with the most "yes" wins, more specific families
//! first on ties (a Docker envelope is also JSON). A config `[[override]]`
//! whose glob matches the file decides without sniffing.

use std::path::Path;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::event::Record;
use super::event::{IdKind, TimeUnit};
use super::formats::custom::CustomFormat;
use super::formats::fields::{Field, FieldMap, Unit};
use super::formats::Parsed;
use super::formats::{
    access, azure, caddy, container, elb, envoy, gcp, haproxy, heroku, journald, json, logfmt,
    otel, text, traefik, w3c, FormatContext, FormatKind, LineFormat, Sniff, UnknownFormat,
};
use super::ids::IdPatterns;
use crate::config::{Config, ConfigError, CustomFormatSpec, FieldsSpec};

/// How many lines of a file are sniffed.
pub const SNIFF_LINES: usize = 64;
/// How many bytes of a file are read for sniffing.
pub const HEAD_BYTES: usize = 64 << 10;

/// The format chosen for a file.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Detection {
    pub format: FormatKind,
    /// Share of the sampled lines the format said "yes" to (0..=1); 1 when forced by config.
    pub confidence: f64,
    /// Lines sampled.
    pub sampled: usize,
    /// True when a config override chose the format.
    pub forced: bool,
}

/// The user's format choices, compiled once per run.
#[derive(Default)]
pub struct FormatSet {
    /// `[[override]]`: files matching the globs are in the named format.
    overrides: Vec<(GlobSet, FormatKind)>,
    /// `[[format]]`s, with the files they are for (`None`: tried on every file).
    customs: Vec<(CustomFormatSpec, Option<GlobSet>, CustomFormat)>,
    /// `[[access_format]]`s, compiled, with the files they are for.
    access: Vec<(String, Option<GlobSet>, Arc<access::AccessFormat>)>,
    /// `[[id_pattern]]`s, applied to every entry of every format.
    id_patterns: Option<Arc<IdPatterns>>,
    /// `[[fields]]`: the field names of the JSON and logfmt files matching the globs.
    fields: Vec<(Option<GlobSet>, Arc<FieldMap>)>,
    /// `[[service]]`: the service of the files matching the globs, named or
    /// read from their path.
    services: Vec<(Option<GlobSet>, ServiceRule)>,
    /// Every config entry that names files, as the user would recognise it
    /// (`[[override]] #1 (format "text", files ["legacy/*.log"])`), with its globs.
    entries: Vec<(String, GlobSet)>,
}

/// How a `[[service]]` names a file's service.
enum ServiceRule {
    Name(String),
    /// A regex over the file's path; its `service` capture, else its first group.
    Path(regex::Regex),
}

impl ServiceRule {
    fn name(&self, path: &Path) -> Option<String> {
        match self {
            ServiceRule::Name(n) => Some(n.clone()),
            ServiceRule::Path(re) => {
                let text = path.to_string_lossy().replace('\\', "/");
                let caps = re.captures(&text)?;
                let m = caps.name("service").or_else(|| caps.get(1))?;
                let name = m.as_str().trim();
                (!name.is_empty()).then(|| name.to_owned())
            }
        }
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

type Sniffer = fn(&str) -> Sniff;

/// Built-in families in tie-break order: most specific first. (W3C logs are
/// recognised by their `#Fields:` header, before this vote.)
const BUILT_IN: [(fn() -> FormatKind, Sniffer); 18] = [
    (|| FormatKind::Otel, otel::sniff),
    (|| FormatKind::JournaldJson, journald::sniff_json),
    (|| FormatKind::Journald, journald::sniff_export),
    (|| FormatKind::Docker, container::sniff_docker),
    (|| FormatKind::Cri, container::sniff_cri),
    (|| FormatKind::Caddy, caddy::sniff),
    (|| FormatKind::Traefik, traefik::sniff),
    (|| FormatKind::Envoy, envoy::sniff_json),
    (|| FormatKind::Gcp, gcp::sniff),
    (|| FormatKind::Azure, azure::sniff),
    (|| FormatKind::Json, json::sniff),
    (|| FormatKind::Envoy, envoy::sniff),
    (|| FormatKind::Haproxy, haproxy::sniff),
    (|| FormatKind::Elb, elb::sniff),
    (|| FormatKind::Heroku, heroku::sniff),
    (|| FormatKind::Access, access::sniff),
    (|| FormatKind::Logfmt, logfmt::sniff),
    (|| FormatKind::Text, text::sniff),
];

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

    /// The config's id patterns, if it has any.
    pub fn id_patterns(&self) -> Option<Arc<IdPatterns>> {
        self.id_patterns.clone()
    }

    /// The config entries whose `files` match none of `paths` (each the path
    /// below its input folder and the path as given), described for a warning.
    pub fn unmatched<'p>(&self, paths: impl Iterator<Item = (&'p Path, &'p Path)>) -> Vec<String> {
        let mut hit = vec![false; self.entries.len()];
        for (rel, given) in paths {
            for (h, (_, set)) in hit.iter_mut().zip(&self.entries) {
                *h = *h || matches_at(set, rel, given);
            }
        }
        let unmatched = self.entries.iter().zip(hit).filter(|(_, h)| !h);
        unmatched
            .map(|((what, _), _)| format!("config {what} matches no file"))
            .collect()
    }

    /// Chooses the format of the file at `rel_path` (relative to the scanned root) from its `head`.
    pub fn detect(&self, rel_path: &Path, head: &[u8]) -> Detection {
        self.detect_at(rel_path, rel_path, head)
    }

    /// [`Self::detect`] for a file also known by the path the user gave
    /// (`incident/nova/api.log`), which `files` globs may match instead.
    pub fn detect_at(&self, rel_path: &Path, given: &Path, head: &[u8]) -> Detection {
        let forced = |format| Detection {
            format,
            confidence: 1.0,
            sampled: 0,
            forced: true,
        };
        for (set, kind) in &self.overrides {
            if matches_at(set, rel_path, given) {
                return forced(kind.clone());
            }
        }
        for (spec, files, _) in &self.customs {
            if files
                .as_ref()
                .is_some_and(|f| matches_at(f, rel_path, given))
            {
                return forced(FormatKind::Custom(spec.name.clone()));
            }
        }
        for (name, files, _) in &self.access {
            if files
                .as_ref()
                .is_some_and(|f| matches_at(f, rel_path, given))
            {
                return forced(FormatKind::AccessCustom(name.clone()));
            }
        }
        let detection = sniff_lines(head);
        // A config format without `files` wins when it reads at least as many lines.
        let lines = sample(head);
        for (name, files, format) in &self.access {
            if files.is_some() || lines.is_empty() {
                continue;
            }
            let hits = lines
                .iter()
                .filter(|l| format.parse_line(l, &mut Record::default()) == Parsed::Entry)
                .count();
            let share = hits as f64 / lines.len() as f64;
            if hits > 0 && share >= detection.confidence {
                return Detection {
                    format: FormatKind::AccessCustom(name.clone()),
                    confidence: share,
                    sampled: lines.len(),
                    forced: false,
                };
            }
        }
        for (spec, files, format) in &self.customs {
            if files.is_some() || lines.is_empty() {
                continue;
            }
            let hits = lines.iter().filter(|l| format.matches(l)).count();
            let share = hits as f64 / lines.len() as f64;
            if hits > 0 && share >= detection.confidence {
                return Detection {
                    format: FormatKind::Custom(spec.name.clone()),
                    confidence: share,
                    sampled: lines.len(),
                    forced: false,
                };
            }
        }
        detection
    }

    /// The service the config gives the file at `rel_path` (also known as
    /// `given`): the first `[[service]]` whose globs match it and, for a path
    /// pattern, whose pattern matches its path.
    pub fn service_for(&self, rel_path: &Path, given: &Path) -> Option<String> {
        self.services.iter().find_map(|(files, rule)| {
            if files
                .as_ref()
                .is_some_and(|f| !matches_at(f, rel_path, given))
            {
                return None;
            }
            rule.name(rel_path).or_else(|| rule.name(given))
        })
    }

    /// [`Self::parser`] for the file at `rel_path` (also known as `given`):
    /// a JSON or logfmt file that a `[[fields]]` entry matches is read through its names,
    /// and so are the JSON and logfmt messages of a Docker or CRI file it matches.
    pub fn parser_at(
        &self,
        kind: &FormatKind,
        ctx: &FormatContext,
        rel_path: &Path,
        given: &Path,
    ) -> Arc<dyn LineFormat> {
        let map = || {
            let mut hits = self.fields.iter().filter(|(files, _)| match files {
                None => true,
                Some(f) => matches_at(f, rel_path, given),
            });
            hits.next().map(|(_, m)| m.clone())
        };
        match kind {
            FormatKind::Json => match map() {
                Some(m) => Arc::new(json::MappedJson(m)),
                None => self.parser(kind, ctx),
            },
            FormatKind::Logfmt => match map() {
                Some(m) => Arc::new(logfmt::MappedLogfmt(m)),
                None => self.parser(kind, ctx),
            },
            FormatKind::Docker | FormatKind::Cri => match map() {
                Some(m) => {
                    let cri = *kind == FormatKind::Cri;
                    Arc::new(container::ContainerFormat::new(cri, ctx.clone()).with_fields(m))
                }
                None => self.parser(kind, ctx),
            },
            _ => self.parser(kind, ctx),
        }
    }

    /// The parser for `kind`.
    pub fn parser(&self, kind: &FormatKind, ctx: &FormatContext) -> Arc<dyn LineFormat> {
        match kind {
            FormatKind::Access => Arc::new(access::AccessFormat::default()),
            FormatKind::AccessCustom(name) => match self.access.iter().find(|a| &a.0 == name) {
                Some((_, _, format)) => format.clone(),
                None => Arc::new(access::AccessFormat::default()),
            },
            FormatKind::Json => Arc::new(json::JsonFormat),
            FormatKind::Logfmt => Arc::new(logfmt::LogfmtFormat),
            FormatKind::Text => Arc::new(text::TextFormat::new(ctx.clone())),
            FormatKind::Docker => Arc::new(container::ContainerFormat::docker(ctx.clone())),
            FormatKind::Cri => Arc::new(container::ContainerFormat::cri(ctx.clone())),
            FormatKind::Envoy => Arc::new(envoy::EnvoyFormat),
            FormatKind::Haproxy => Arc::new(haproxy::HaproxyFormat::new(ctx.clone())),
            FormatKind::Elb => Arc::new(elb::ElbFormat),
            FormatKind::W3c => Arc::new(w3c::W3cFormat),
            FormatKind::Otel => Arc::new(otel::OtelFormat),
            FormatKind::Journald => Arc::new(journald::JournalExport),
            FormatKind::JournaldJson => Arc::new(journald::JournalJson),
            FormatKind::Traefik => Arc::new(traefik::TraefikFormat),
            FormatKind::Caddy => Arc::new(caddy::CaddyFormat),
            FormatKind::Heroku => Arc::new(heroku::HerokuFormat),
            FormatKind::Gcp => Arc::new(gcp::GcpFormat),
            FormatKind::Azure => Arc::new(azure::AzureFormat),
            FormatKind::Custom(name) => match self.customs.iter().find(|c| &c.0.name == name) {
                // Validated when the config was read, so this compiles again.
                Some((spec, _, _)) => match CustomFormat::new(spec) {
                    Ok(f) => Arc::new(f.with_context(ctx.clone())),
                    Err(_) => Arc::new(UnknownFormat),
                },
                None => Arc::new(UnknownFormat),
            },
            FormatKind::Unknown => Arc::new(UnknownFormat),
        }
    }
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

/// Matches the path relative to the root, and its file name alone.
pub fn matches(set: &GlobSet, rel_path: &Path) -> bool {
    set.is_match(rel_path)
        || rel_path
            .file_name()
            .is_some_and(|n| set.is_match(Path::new(n)))
}

/// [`matches`], or the path as the user gave it (`./incident/nova/api.log`
/// is tried without its `./` too).
fn matches_at(set: &GlobSet, rel_path: &Path, given: &Path) -> bool {
    matches(set, rel_path)
        || set.is_match(given)
        || given
            .strip_prefix(".")
            .is_ok_and(|g| !g.as_os_str().is_empty() && set.is_match(g))
}

/// The complete, non-blank lines at the start of `head` (at most [`SNIFF_LINES`]),
/// NUL padding and `\r` removed.
fn sample(head: &[u8]) -> Vec<String> {
    // The last line of a head that filled the buffer may be cut short.
    let complete = if head.len() >= HEAD_BYTES {
        memchr::memrchr(b'\n', head).map_or(head, |i| &head[..i])
    } else {
        head
    };
    complete
        .split(|&b| b == b'\n')
        .map(|raw| {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let first = raw.iter().position(|&b| b != 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[first..]).into_owned()
        })
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect()
}

/// Sniffs the first lines of `head` with every built-in family.
pub fn sniff_lines(head: &[u8]) -> Detection {
    let lines = sample(head);
    // A `#Fields:` header decides: the data lines are read through it.
    if let Some(share) = w3c::detect(&lines).filter(|&s| s >= 0.5) {
        return Detection {
            format: FormatKind::W3c,
            confidence: share,
            sampled: lines.len(),
            forced: false,
        };
    }
    let mut yes = [0usize; BUILT_IN.len()];
    for line in &lines {
        for (i, (_, sniff)) in BUILT_IN.iter().enumerate() {
            if sniff(line) == Sniff::Yes {
                yes[i] += 1;
            }
        }
    }
    let sampled = lines.len();
    // Most "yes" wins; ties go to the earlier (more specific) family.
    let best = (0..BUILT_IN.len()).max_by_key(|&i| (yes[i], std::cmp::Reverse(i)));
    match best {
        Some(i) if yes[i] > 0 => Detection {
            format: (BUILT_IN[i].0)(),
            confidence: yes[i] as f64 / sampled as f64,
            sampled,
            forced: false,
        },
        _ => Detection {
            format: FormatKind::Unknown,
            confidence: 0.0,
            sampled,
            forced: false,
        },
    }
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
        let doc = include_str!("../config.rs");
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

    #[test]
    fn nothing_recognised_is_unknown() {
        let d = sniff_lines(b"\n\n");
        assert_eq!(d.format, FormatKind::Unknown);
        assert_eq!(d.sampled, 0);
    }
}
