//! Error events -> message templates with counts.
//!
//! Input: the run's events (only error events with a kept message count) and
//! their symbols. Output: [`ErrorTemplate`]s, most frequent first, then by
//! template: the masked message, how many events, which services (sorted) and
//! the first message in event order as the example.
//!
//! Steps: each distinct message is masked once ([`templates_mask`]: numbers,
//! ids, hex, UUIDs, IPs, durations, quoted strings); equal masked messages are
//! one template; then templates of the same token count and first token are
//! merged Drain-style: a template joins the most similar cluster when at least
//! 60% of its tokens are equal position by position (a cluster's `<*>` counts
//! as neither equal nor different), and the differing positions become `<*>`.
//! Templates are merged in a canonical order (count, then text), so the result
//! does not depend on the order of the events, only the examples do.

#[path = "templates_mask.rs"]
mod templates_mask;

use super::summary::ErrorTemplate;
use crate::ingest::event::{Event, Sym, Symbols};
use rayon::prelude::*;
use std::collections::HashMap;

/// Share of equal tokens for a message to join a cluster.
pub const SIMILARITY: f64 = 0.6;
const WILDCARD: &str = "<*>";

/// Events of one message or template: count, first event, services.
#[derive(Clone, Debug)]
struct Agg {
    count: u64,
    first: usize,
    services: Vec<Sym>,
}

impl Agg {
    fn merge(&mut self, o: &Agg) {
        self.count += o.count;
        self.first = self.first.min(o.first);
        self.services.extend_from_slice(&o.services);
        self.services.sort_unstable();
        self.services.dedup();
    }
}

/// Groups the messages of error events by template (ids and numbers masked).
pub fn group(events: &[Event], symbols: &Symbols) -> Vec<ErrorTemplate> {
    // Distinct messages first: real error logs repeat the same text a lot.
    let mut slot: HashMap<Sym, u32> = HashMap::new();
    let mut msgs: Vec<(Sym, Agg)> = Vec::new();
    let mut services: Vec<(u32, Sym)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e.message.is_none() || !e.is_error() {
            continue;
        }
        let k = *slot.entry(e.message).or_insert_with(|| {
            msgs.push((
                e.message,
                Agg {
                    count: 0,
                    first: i,
                    services: Vec::new(),
                },
            ));
            msgs.len() as u32 - 1
        });
        msgs[k as usize].1.count += 1;
        services.push((k, e.service));
    }
    drop(slot);
    services.sort_unstable();
    services.dedup();
    for (k, s) in services {
        msgs[k as usize].1.services.push(s);
    }
    let masked: Vec<String> = msgs
        .par_iter()
        .map(|(s, _)| templates_mask::mask(symbols.get(*s)))
        .collect();

    // Equal masked messages are one template.
    let mut exact: HashMap<String, Agg> = HashMap::new();
    for (text, (_, agg)) in masked.into_iter().zip(msgs) {
        match exact.get_mut(&text) {
            Some(a) => a.merge(&agg),
            None => {
                exact.insert(text, agg);
            }
        }
    }
    let mut exact: Vec<(Vec<String>, Agg)> = exact
        .into_iter()
        .map(|(text, a)| (text.split(' ').map(str::to_string).collect(), a))
        .collect();
    exact.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));

    let clusters = drain(exact);
    let mut out: Vec<ErrorTemplate> = clusters
        .into_iter()
        .map(|(tokens, a)| {
            let mut services: Vec<String> = a
                .services
                .iter()
                .filter(|s| s.is_some())
                .map(|s| symbols.get(*s).to_string())
                .collect();
            services.sort();
            services.dedup();
            ErrorTemplate {
                template: tokens.join(" "),
                count: a.count,
                services,
                example: symbols.get(events[a.first].message).to_string(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.template.cmp(&b.template))
    });
    out
}

/// Drain-style merging of templates within (token count, first token) groups.
fn drain(templates: Vec<(Vec<String>, Agg)>) -> Vec<(Vec<String>, Agg)> {
    let mut groups: HashMap<(usize, String), Vec<usize>> = HashMap::new();
    let mut clusters: Vec<(Vec<String>, Agg)> = Vec::new();
    for (tokens, agg) in templates {
        let key = (tokens.len(), tokens.first().cloned().unwrap_or_default());
        let members = groups.entry(key).or_default();
        let mut best: Option<(f64, usize)> = None;
        for &c in members.iter() {
            let s = similarity(&clusters[c].0, &tokens);
            // Earlier clusters win ties.
            if s >= SIMILARITY && best.map_or(true, |(b, _)| s > b) {
                best = Some((s, c));
            }
        }
        match best {
            Some((_, c)) => {
                let (ct, ca) = &mut clusters[c];
                for (a, b) in ct.iter_mut().zip(&tokens) {
                    if a != b {
                        *a = WILDCARD.to_string();
                    }
                }
                ca.merge(&agg);
            }
            None => {
                members.push(clusters.len());
                clusters.push((tokens, agg));
            }
        }
    }
    clusters
}

/// Share of positions where the cluster's token equals the message's; a
/// cluster wildcard counts as neither.
fn similarity(cluster: &[String], tokens: &[String]) -> f64 {
    if tokens.is_empty() {
        return 1.0;
    }
    let equal = cluster
        .iter()
        .zip(tokens)
        .filter(|(a, b)| a != &WILDCARD && a == b)
        .count();
    equal as f64 / tokens.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::Level;

    fn ev(sy: &mut Symbols, svc: &str, msg: &str, level: Level) -> Event {
        Event {
            time_ns: Event::NO_TIME,
            duration_ns: Event::NO_DURATION,
            service: sy.intern(svc),
            message: sy.intern(msg),
            level,
            ..Default::default()
        }
    }

    #[test]
    fn variants_of_one_message_are_one_template() {
        let mut sy = Symbols::default();
        let mut evs = Vec::new();
        for i in 0..200 {
            let svc = ["orders", "edge"][i % 2];
            let msg = format!(
                "timeout after {} ms calling 10.0.{}.{}:8080",
                1000 + i * 7,
                i % 5,
                i % 17
            );
            evs.push(ev(&mut sy, svc, &msg, Level::Error));
        }
        // Not errors: ignored.
        evs.push(ev(
            &mut sy,
            "edge",
            "timeout after 5 ms calling 10.0.0.1:80",
            Level::Warn,
        ));
        let t = group(&evs, &sy);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].template, "timeout after <NUM> ms calling <IP>");
        assert_eq!(t[0].count, 200);
        assert_eq!(t[0].services, vec!["edge", "orders"]);
        assert_eq!(t[0].example, "timeout after 1000 ms calling 10.0.0.0:8080");
    }

    #[test]
    fn drain_merges_similar_messages_and_keeps_different_ones() {
        let mut sy = Symbols::default();
        let mut evs = Vec::new();
        for user in ["alice", "bob", "carol", "dave"] {
            let m = format!("payment declined for user {user} by issuer");
            evs.push(ev(&mut sy, "payments", &m, Level::Error));
        }
        evs.push(ev(&mut sy, "inventory", "connection refused", Level::Error));
        evs.push(ev(&mut sy, "inventory", "connection reset", Level::Error));
        let mut e = ev(&mut sy, "edge", "upstream failed", Level::Info);
        e.status = 502; // an error by status
        evs.push(e);
        let t = group(&evs, &sy);
        let got: Vec<(&str, u64)> = t.iter().map(|t| (t.template.as_str(), t.count)).collect();
        assert_eq!(
            got,
            vec![
                ("payment declined for user <*> by issuer", 4),
                ("connection refused", 1),
                ("connection reset", 1),
                ("upstream failed", 1),
            ]
        );
        assert_eq!(t[0].example, "payment declined for user alice by issuer");
    }

    #[test]
    fn same_result_in_any_event_order() {
        let mut sy = Symbols::default();
        let mut evs = Vec::new();
        for i in 0..300u64 {
            let m = match i % 4 {
                0 => format!("db query {} failed on shard s{}", i, i % 3),
                1 => format!("cache miss storm key k{} node n{}", i % 11, i % 7),
                2 => format!("worker {} crashed: signal {}", i % 9, 9 + i % 2),
                _ => format!(
                    "cannot open {}",
                    ["a.txt", "b.txt", "c.txt"][i as usize % 3]
                ),
            };
            evs.push(ev(
                &mut sy,
                ["a", "b", "c"][i as usize % 3],
                &m,
                Level::Error,
            ));
        }
        let strip = |mut v: Vec<ErrorTemplate>| {
            v.iter_mut().for_each(|t| t.example.clear());
            v
        };
        let base = strip(group(&evs, &sy));
        let mut seed = 12345u64;
        for _ in 0..5 {
            // Fisher-Yates with a fixed LCG.
            for i in (1..evs.len()).rev() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                evs.swap(i, (seed >> 33) as usize % (i + 1));
            }
            assert_eq!(strip(group(&evs, &sy)), base);
        }
        assert!(base.len() >= 3 && base.len() <= 6, "{base:?}");
    }

    #[test]
    fn no_errors_no_templates() {
        let sy = Symbols::default();
        assert!(group(&[], &sy).is_empty());
        let mut sy = Symbols::default();
        let e = ev(&mut sy, "a", "all good", Level::Info);
        assert!(group(&[e], &sy).is_empty());
        // An error without a kept message is not a template.
        let e = Event {
            level: Level::Error,
            ..Default::default()
        };
        assert!(group(&[e], &sy).is_empty());
    }
}
