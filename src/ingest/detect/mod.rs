//! A file's first lines -> its format, and the parser for it.
//!
//! Input: the first decompressed bytes of a file, its path, and the user's
//! config. Output: a [`Detection`] (the format and how sure we are) and a
//! ready [`LineFormat`]. Every format family answers yes / no / maybe for each
//! sampled line; the family with the most "yes" wins, more specific families
//! first on ties (a Docker envelope is also JSON). A config `[[override]]`
//! whose glob matches the file decides without sniffing.
//!
//! [`compile`] turns the user's config into the [`FormatSet`] once per run;
//! this file uses it to choose each file's format, parser and service.

use std::path::Path;
use std::sync::Arc;

use globset::GlobSet;

use super::event::Record;
use super::formats::custom::CustomFormat;
use super::formats::fields::FieldMap;
use super::formats::Parsed;
use super::formats::{
    access, azure, caddy, container, elb, envoy, gcp, haproxy, heroku, journald, json, logfmt,
    otel, text, traefik, w3c, FormatContext, FormatKind, LineFormat, Sniff, UnknownFormat,
};
use super::ids::IdPatterns;
use crate::config::CustomFormatSpec;

mod compile;

pub use self::compile::{globs, load_config, parse_config};

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

impl FormatSet {
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
    fn nothing_recognised_is_unknown() {
        let d = sniff_lines(b"\n\n");
        assert_eq!(d.format, FormatKind::Unknown);
        assert_eq!(d.sampled, 0);
    }
}
