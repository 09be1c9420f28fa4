//! Pairs of the whole run -> every domain's offset windows and the report.
//!
//! Input: the [`Pair`]s of all traces read. Output: [`Offsets`] solved outward
//! from the reference domain, the strongest link first, with a second pass
//! when the reference's own clock stepped, and the [`ClockOffset`] rows.

use super::*;

/// The entry service (the one most traces enter through) and its domain
/// with most entries: the reference clock. `entries` counts, per domain, the
/// traces whose entry span it holds.
pub fn entry(entries: &BTreeMap<u32, usize>, services: &BTreeMap<u32, Sym>) -> Option<(Sym, u32)> {
    let mut by_service: BTreeMap<Sym, usize> = BTreeMap::new();
    for (d, n) in entries {
        *by_service
            .entry(services.get(d).copied().unwrap_or(Sym::NONE))
            .or_default() += n;
    }
    let service = by_service
        .iter()
        .max_by_key(|&(s, n)| (*n, std::cmp::Reverse(*s)))
        .map(|(&s, _)| s)?;
    let domain = entries
        .iter()
        .filter(|(d, _)| services.get(d).copied() == Some(service))
        .max_by_key(|&(d, n)| (*n, std::cmp::Reverse(*d)))
        .map(|(&d, _)| d)?;
    Some((service, domain))
}

/// Everything the trace stage needs from the clocks: offsets, and the report.
pub fn solve(
    all: &[Pair],
    offered: &Offered,
    services: &BTreeMap<u32, Sym>,
    reference: Option<u32>,
    symbols: &Symbols,
) -> (Offsets, Vec<ClockOffset>) {
    // Domain pairs: exact pairs always count; chance pairs when enough of
    // the callee's unlinked spans agree on one offset.
    // Per domain pair: how many exact pairs, and the chance pairs' bounds
    // and callee spans. Pairs of a trace come together: most pairs repeat
    // the domain pair before them.
    #[derive(Default)]
    struct Tally {
        exact: usize,
        chance: Vec<(i64, i64)>,
        who: Vec<(u32, u32)>,
    }
    let mut slot: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut tallies: Vec<Tally> = Vec::new();
    let mut last: Option<((u32, u32), usize)> = None;
    for p in all {
        let key = (p.caller, p.callee);
        let k = match last {
            Some((l, k)) if l == key => k,
            _ => {
                let k = *slot.entry(key).or_insert_with(|| {
                    tallies.push(Tally::default());
                    tallies.len() - 1
                });
                last = Some((key, k));
                k
            }
        };
        let t = &mut tallies[k];
        if p.from == Evidence::Chance {
            t.chance.push((p.lo, p.hi));
            t.who.push(p.who);
        } else {
            t.exact += 1;
        }
    }
    let mut links: Vec<(u32, u32, usize)> = Vec::new();
    let mut accepted: BTreeMap<(u32, u32), (i64, i64)> = BTreeMap::new();
    for (&(a, b), &k) in &slot {
        let t = &mut tallies[k];
        let chance = &t.chance;
        let mut weight = t.exact;
        if chance.len() >= MIN_PAIRS {
            let (k, l, h) = densest(chance.iter().copied());
            // Support: of the callee spans that had a span of this domain
            // to pair with, how many agree.
            let who = &mut t.who;
            who.par_sort_unstable();
            who.dedup();
            let n = who.len().max(1);
            // Share: of the callee spans this domain had the chance to
            // pair with (a span in the same trace), how many agree. A
            // caller calls its callees in most traces they meet in; a
            // sibling that happens to fit does so in a few.
            let chances = offered.get(&(a, b)).copied().unwrap_or(0).max(n);
            if k >= MIN_PAIRS
                && k as f64 >= MIN_SUPPORT * n as f64
                && k as f64 >= MIN_SHARE * chances as f64
                && h - l <= MAX_CHANCE_WIDTH_NS
            {
                accepted.insert((a, b), (l, h));
                weight += k;
            }
        }
        if weight >= MIN_PAIRS {
            links.push((a, b, weight));
        }
    }
    let Some(reference) = reference else {
        return (Offsets::default(), Vec::new());
    };
    let whole = vec![Window {
        from_ns: i64::MIN,
        to_ns: i64::MAX,
        offset_ns: 0,
        radius_ns: 0,
        group: reference,
    }];
    let all = ByDomain::new(all);
    let (mut offsets, mut report) = outwards(&all, &links, &accepted, services, reference, whole);
    // The reference's own clock may have stepped: every clock measured
    // against it then shows the same step at the same time. Solve again
    // with the reference in two windows.
    let mut ref_windows = vec![(i64::MIN, i64::MAX, 0i64)];
    if let Some(step) = reference_step(&offsets, reference) {
        let windows = vec![
            Window {
                from_ns: i64::MIN,
                to_ns: step.before_ns,
                offset_ns: 0,
                radius_ns: 0,
                group: reference,
            },
            Window {
                from_ns: step.after_ns,
                to_ns: i64::MAX,
                offset_ns: step.offset_ns,
                radius_ns: step.radius_ns,
                group: reference,
            },
        ];
        (offsets, report) = outwards(&all, &links, &accepted, services, reference, windows);
        ref_windows = vec![
            (i64::MIN, step.before_ns, 0),
            (step.after_ns, i64::MAX, step.offset_ns),
        ];
    }
    // The reference's own entry: offset 0 by definition.
    let ref_samples = all.of(reference).count();
    for (from_ns, to_ns, offset_ns) in ref_windows {
        // After a step of its own the reference is measured against its
        // clock before the step, through the clocks that saw the step: an
        // estimate like any other, below 0.9.
        let first = from_ns == i64::MIN;
        report.push(ClockOffset {
            service: services.get(&reference).copied().unwrap_or(Sym::NONE),
            file: Some(reference),
            from_ns,
            to_ns,
            offset_ms: offset_ns as f64 / 1e6,
            low_ms: offset_ns as f64 / 1e6,
            high_ms: offset_ns as f64 / 1e6,
            confidence: if first { 1.0 } else { 0.5 },
            samples: ref_samples,
            applied: offset_ns != 0,
        });
    }
    report.sort_by(|a, b| {
        symbols
            .get(a.service)
            .cmp(symbols.get(b.service))
            .then(a.file.cmp(&b.file))
            .then(a.from_ns.cmp(&b.from_ns))
    });
    (offsets, report)
}

/// Solves every domain outwards from the reference (whose windows are
/// given), the strongest link to a solved domain first; domains nothing
/// links to the solved ones get an anchor of their own.
pub(super) fn outwards(
    all: &ByDomain,
    links: &[(u32, u32, usize)],
    accepted: &BTreeMap<(u32, u32), (i64, i64)>,
    services: &BTreeMap<u32, Sym>,
    reference: u32,
    reference_windows: Vec<Window>,
) -> (Offsets, Vec<ClockOffset>) {
    // Solve outwards from the reference, the strongest link to a solved domain first.
    let mut offsets = Offsets::default();
    let mut report: Vec<ClockOffset> = Vec::new();
    let anchor = |d: u32| {
        vec![Window {
            from_ns: i64::MIN,
            to_ns: i64::MAX,
            offset_ns: 0,
            radius_ns: 0,
            group: d,
        }]
    };
    offsets.domains.insert(reference, reference_windows);
    let mut failed: std::collections::BTreeSet<u32> = Default::default();
    loop {
        let next = links
            .iter()
            .filter_map(|&(a, b, w)| {
                let (sa, sb) = (
                    offsets.domains.contains_key(&a),
                    offsets.domains.contains_key(&b),
                );
                match (sa, sb) {
                    (true, false) if !failed.contains(&b) => Some((w, b)),
                    (false, true) if !failed.contains(&a) => Some((w, a)),
                    _ => None,
                }
            })
            .max_by_key(|&(w, d)| (w, std::cmp::Reverse(d)));
        let Some((_, dom)) = next else {
            // Nothing links the rest to the solved domains: a new anchor, the
            // unsolved domain with the most evidence, for a group of its own.
            let mut weight: BTreeMap<u32, usize> = BTreeMap::new();
            for &(a, b, w) in links {
                for d in [a, b] {
                    if !offsets.domains.contains_key(&d) && !failed.contains(&d) {
                        *weight.entry(d).or_default() += w;
                    }
                }
            }
            match weight
                .iter()
                .max_by_key(|&(d, w)| (*w, std::cmp::Reverse(*d)))
            {
                Some((&d, _)) => {
                    offsets.domains.insert(d, anchor(d));
                    continue;
                }
                None => break,
            }
        };
        match solve_domain(dom, all, accepted, &offsets) {
            Some(ws) => {
                for (w, est) in &ws {
                    report.push(ClockOffset {
                        service: services.get(&dom).copied().unwrap_or(Sym::NONE),
                        file: Some(dom),
                        from_ns: w.from_ns,
                        to_ns: w.to_ns,
                        offset_ms: w.offset_ns as f64 / 1e6,
                        low_ms: est.low as f64 / 1e6,
                        high_ms: est.high as f64 / 1e6,
                        confidence: confidence(
                            est,
                            if w.group == reference {
                                w.radius_ns
                            } else {
                                UNKNOWN_RADIUS_NS
                            },
                        ),
                        samples: est.total,
                        applied: w.offset_ns != 0,
                    });
                }
                offsets
                    .domains
                    .insert(dom, ws.into_iter().map(|(w, _)| w).collect());
            }
            None => {
                failed.insert(dom);
            }
        }
    }
    (offsets, report)
}

/// A clock's step as [`reference_step`] sees it: when (by the reference's
/// clock), how far, the windows' ends, their uncertainty.
pub(super) type Cut = (i64, i64, i64, i64, i64);

/// A step of the reference clock, as the clocks measured against it show it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct ReferenceStep {
    /// The reference's last logged time before the step and first after it.
    pub(super) before_ns: i64,
    pub(super) after_ns: i64,
    /// The reference's offset after the step, relative to before it.
    pub(super) offset_ns: i64,
    pub(super) radius_ns: i64,
}

/// The step of the reference clock, if two clocks or more measured against
/// it step at the same time (within [`STEP_TOGETHER_NS`]) by the same amount
/// (within [`TOL_NS`]): independent clocks do not step together, so it is
/// the reference that did, the other way.
pub(super) fn reference_step(offsets: &Offsets, reference: u32) -> Option<ReferenceStep> {
    // (when, by the reference's clock before the step; how far; the windows'
    // ends by the reference's clock; their uncertainty)
    let mut cuts: Vec<Cut> = Vec::new();
    for (&d, ws) in &offsets.domains {
        if d == reference {
            continue;
        }
        for w in ws.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if a.group != reference || b.group != reference {
                continue;
            }
            let delta = b.offset_ns - a.offset_ns;
            if delta.abs() <= 2 * TOL_NS {
                continue;
            }
            let before = a.to_ns.saturating_sub(a.offset_ns);
            let after = b.from_ns.saturating_sub(b.offset_ns);
            cuts.push((before, delta, before, after, a.radius_ns.max(b.radius_ns)));
        }
    }
    cuts.sort_unstable();
    let mut best: Option<&[Cut]> = None;
    for i in 0..cuts.len() {
        let (at, delta, ..) = cuts[i];
        let n = cuts[i..]
            .iter()
            .take_while(|c| c.0 - at <= STEP_TOGETHER_NS)
            .count();
        let group = &cuts[i..i + n];
        let agree = group
            .iter()
            .filter(|c| (c.1 - delta).abs() <= TOL_NS)
            .count();
        if agree >= 2 && best.map_or(true, |b| agree > b.len()) {
            best = Some(group);
        }
    }
    let group = best?;
    let delta = group[0].1;
    let same: Vec<&Cut> = group
        .iter()
        .filter(|c| (c.1 - delta).abs() <= TOL_NS)
        .collect();
    let mut deltas: Vec<i64> = same.iter().map(|c| c.1).collect();
    deltas.sort_unstable();
    let median = deltas[deltas.len() / 2];
    Some(ReferenceStep {
        before_ns: same.iter().map(|c| c.2).min()?,
        after_ns: same.iter().map(|c| c.3).max()?,
        offset_ns: -median,
        radius_ns: same.iter().map(|c| c.4).max()?,
    })
}

/// The pairs, and for each domain the pairs it is in (in the pairs' order):
/// solving a domain reads its own pairs, not all of them.
pub(super) struct ByDomain<'a> {
    pairs: &'a [Pair],
    index: BTreeMap<u32, Vec<u32>>,
}

impl<'a> ByDomain<'a> {
    fn new(pairs: &'a [Pair]) -> ByDomain<'a> {
        let mut index: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (k, p) in pairs.iter().enumerate() {
            index.entry(p.caller).or_default().push(k as u32);
            if p.callee != p.caller {
                index.entry(p.callee).or_default().push(k as u32);
            }
        }
        ByDomain { pairs, index }
    }

    /// How many pairs `dom` is in.
    fn count(&self, dom: u32) -> usize {
        self.index.get(&dom).map_or(0, Vec::len)
    }

    /// The pairs `dom` is caller or callee in, in order.
    fn of(&self, dom: u32) -> impl Iterator<Item = &'a Pair> + '_ {
        self.index
            .get(&dom)
            .into_iter()
            .flatten()
            .map(|&k| &self.pairs[k as usize])
    }
}

/// One call's bounds on a domain's offset, against a solved domain.
pub(super) struct Bound {
    /// The call's time by the domain's clock, and by the reference's.
    at: i64,
    true_at: i64,
    /// Absolute bounds on the domain's offset.
    bounds: (i64, i64),
    /// The solved domain's uncertainty and group.
    radius: i64,
    group: u32,
    /// Paired by logged ids.
    ids: bool,
}

/// The windows and offsets of one domain from its bounds against solved domains.
pub(super) fn solve_domain(
    dom: u32,
    all: &ByDomain,
    accepted: &BTreeMap<(u32, u32), (i64, i64)>,
    solved: &Offsets,
) -> Option<Vec<(Window, Estimate)>> {
    let mut b: Vec<Bound> = Vec::with_capacity(all.count(dom));
    // The partner's window of the pair before: pairs of one partner and
    // nearby times come together.
    let mut last: Option<(u32, &[Window])> = None;
    for p in all.of(dom) {
        let (partner, mine_at, partner_at, callee_side) = if p.callee == dom {
            (p.caller, p.callee_at, p.caller_at, true)
        } else if p.caller == dom {
            (p.callee, p.caller_at, p.callee_at, false)
        } else {
            continue;
        };
        // Chance pairs only where their domain pair agreed on an offset; all
        // of them, as a step moves the offset the pairs agree on.
        if p.from == Evidence::Chance && !accepted.contains_key(&(p.caller, p.callee)) {
            continue;
        }
        let windows = match last {
            Some((d, ws)) if d == partner => ws,
            _ => {
                let Some(ws) = solved.domains.get(&partner) else {
                    continue;
                };
                last = Some((partner, ws));
                ws
            }
        };
        let window = window_at(windows, partner_at);
        let off = window.map_or(0, |w| w.offset_ns);
        let (group, rad) =
            window.map_or((None, UNKNOWN_RADIUS_NS), |w| (Some(w.group), w.radius_ns));
        let shift = |x: i64, open: i64| {
            if x <= OPEN_LO || x >= OPEN_HI {
                open
            } else {
                x
            }
        };
        let abs = if callee_side {
            (
                shift(p.lo, OPEN_LO).saturating_add(off),
                shift(p.hi, OPEN_HI).saturating_add(off),
            )
        } else {
            (
                off.saturating_sub(shift(p.hi, OPEN_HI)),
                off.saturating_sub(shift(p.lo, OPEN_LO)),
            )
        };
        let abs = (
            if p.lo <= OPEN_LO && callee_side || p.hi >= OPEN_HI && !callee_side {
                OPEN_LO
            } else {
                abs.0
            },
            if p.hi >= OPEN_HI && callee_side || p.lo <= OPEN_LO && !callee_side {
                OPEN_HI
            } else {
                abs.1
            },
        );
        b.push(Bound {
            at: mine_at,
            true_at: partner_at - off,
            bounds: abs,
            radius: rad,
            group: group.unwrap_or(partner),
            ids: p.from == Evidence::Ids,
        });
    }
    // Windows in true time (the partner's corrected clock), cut where the clock stepped.
    // By every field: bounds of one time are then in one order whatever
    // the sort, and the sort may run on every core.
    b.par_sort_unstable_by_key(|x| (x.true_at, x.at, x.bounds, x.radius, x.group, x.ids));
    let two_sided: Vec<(i64, (i64, i64))> = b
        .iter()
        .filter(|x| x.bounds.0 > OPEN_LO && x.bounds.1 < OPEN_HI)
        .map(|x| (x.true_at, x.bounds))
        .collect();
    let mut cuts: Vec<i64> = Vec::new();
    let mut pieces: Vec<&[(i64, (i64, i64))]> = vec![&two_sided];
    for _ in 0..2 {
        let mut next = Vec::new();
        for piece in pieces {
            match step_at(piece) {
                Some(c) => {
                    cuts.push(piece[c].0);
                    next.push(&piece[..c]);
                    next.push(&piece[c..]);
                }
                None => next.push(piece),
            }
        }
        pieces = next;
    }
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut ats: Vec<Vec<i64>> = Vec::new();
    let mut start = 0;
    for k in 0..=cuts.len() {
        let end = cuts
            .get(k)
            .map_or(b.len(), |&c| b.partition_point(|x| x.true_at < c));
        let w = &b[start..end];
        start = end;
        if w.is_empty() {
            continue;
        }
        let bounds: Vec<(i64, i64)> = w.iter().map(|x| x.bounds).collect();
        let Some(mut est) = estimate(&bounds) else {
            continue;
        };
        // How much of the agreement rests on logged ids: of the calls that
        // bound the offset from both sides (a one-sided bound agrees with
        // any offset on its open side, and says nothing of the range).
        let agreeing = w.iter().filter(|x| {
            x.bounds.0 > OPEN_LO
                && x.bounds.1 < OPEN_HI
                && x.bounds.0 <= est.low
                && est.high <= x.bounds.1
        });
        let (n, ids) = agreeing.fold((0usize, 0usize), |(n, i), x| {
            (n + 1, i + usize::from(x.ids))
        });
        est.by_ids = n >= MIN_PAIRS && ids * 20 >= n * 19;
        let mut rad: Vec<i64> = w.iter().map(|x| x.radius).collect();
        let partner_rad = *rad.select_nth_unstable(w.len() / 2).1;
        // The group most of the window's partners are in.
        let mut groups: Vec<u32> = w.iter().map(|x| x.group).collect();
        groups.sort_unstable();
        let group = groups
            .chunk_by(|a, b| a == b)
            .max_by_key(|g| (g.len(), std::cmp::Reverse(g[0])))
            .map_or(dom, |g| g[0]);
        let radius = (est.offset - est.low)
            .max(est.high - est.offset)
            .saturating_add(partner_rad);
        let (from_ns, to_ns) = if cuts.is_empty() {
            (i64::MIN, i64::MAX)
        } else {
            (
                w.iter().map(|x| x.at).min().unwrap_or(i64::MIN),
                w.iter().map(|x| x.at).max().unwrap_or(i64::MAX),
            )
        };
        out.push((
            Window {
                from_ns,
                to_ns,
                offset_ns: est.offset,
                radius_ns: radius,
                group,
            },
            est,
        ));
        ats.push(w.iter().map(|x| x.at).collect::<Vec<i64>>());
    }
    // A clock stepped back shows the same times twice: calls logged in the
    // stretch both windows cover may belong to either, and a window is as
    // sure as the share of its calls outside that stretch.
    for k in 1..out.len() {
        let (a_end, b_start) = (out[k - 1].0.to_ns, out[k].0.from_ns);
        if b_start > a_end {
            continue;
        }
        let a_n = ats[k - 1].len();
        let b_n = ats[k].len();
        let into_a = ats[k].iter().filter(|&&t| t <= a_end).count();
        let into_b = ats[k - 1].iter().filter(|&&t| t >= b_start).count();
        out[k - 1].1.clean *= a_n as f64 / (a_n + into_a).max(1) as f64;
        out[k].1.clean *= b_n as f64 / (b_n + into_b).max(1) as f64;
    }
    if out.is_empty() {
        return None;
    }
    // Windows cover the whole run: the first from the start, the last to the end.
    if let Some(f) = out.first_mut() {
        f.0.from_ns = i64::MIN;
    }
    if let Some(l) = out.last_mut() {
        l.0.to_ns = i64::MAX;
    }
    Some(out)
}
