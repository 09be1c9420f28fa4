//! Where the time goes in the main call chains.
//!
//! Input: the summary's chains (call-tree shapes) with each service's share
//! of the critical path at p50 and p99. Output: `critical_path.svg`, for the
//! most frequent chains two stacked horizontal bars each (p50, p99), 0 to
//! 100 % of end-to-end latency, one segment per service in the service's
//! colour, labelled when wide enough; whatever the shares leave is shown as
//! "unattributed". The end-to-end latency is written beside each bar. Chains
//! without durations have no shares and are not drawn; a note names them.

use std::collections::BTreeSet;

use super::svg::{self, count, ellipsize, ms, text_width, LegendItem, Svg};
use super::Chart;
use crate::analyze::summary::{Chain, LatencyMs};
use crate::render::view::View;

/// How many chains are drawn.
pub const TOP_CHAINS: usize = 5;

const WIDTH: f64 = 1000.0;
const MARGIN: f64 = 16.0;
const LEFT: f64 = 130.0;
const BAR_H: f64 = 20.0;
const TOP: f64 = 62.0;
const BLOCK_H: f64 = 22.0 + 2.0 * BAR_H + 6.0 + 18.0;
const REST: &str = "#e0e0e0";

/// Renders `critical_path.svg`.
pub fn chart(input: &View<'_>) -> Chart {
    let title = "Critical path: each service's share of end-to-end latency, main call chains";
    let mut chains: Vec<(&Chain, &LatencyMs)> = input
        .summary
        .chains
        .iter()
        .filter_map(|c| Some((c, c.latency_ms.as_ref()?)))
        .collect();
    chains.sort_by(|(a, _), (b, _)| b.count.cmp(&a.count).then(a.signature.cmp(&b.signature)));
    chains.truncate(TOP_CHAINS);
    let untimed = super::axes::untimed_note(
        input
            .summary
            .chains
            .iter()
            .filter(|c| c.latency_ms.is_none())
            .map(|c| c.signature.as_str()),
    );
    let palette = svg::palette(input.summary);

    let services: BTreeSet<&str> = chains
        .iter()
        .flat_map(|(c, _)| c.critical_path.iter())
        .filter(|s| s.p50_share > 0.0005 || s.p99_share > 0.0005)
        .map(|s| s.service.as_str())
        .collect();
    let x0 = MARGIN + LEFT;
    let x1 = WIDTH - MARGIN - 90.0;
    let aw = x1 - x0;
    let bars_bottom = TOP + chains.len() as f64 * BLOCK_H;
    let mut items: Vec<LegendItem<'_>> = services
        .iter()
        .map(|s| (s.to_string(), palette.color(s).hex(), ""))
        .collect();
    let rest_drawn = chains.iter().any(|(c, _)| {
        let sum = |f: fn(&crate::analyze::summary::CriticalShare) -> f64| {
            c.critical_path
                .iter()
                .map(f)
                .filter(|v| v.is_finite())
                .map(|v| v.max(0.0))
                .sum::<f64>()
        };
        sum(|s| s.p50_share) < 0.999 || sum(|s| s.p99_share) < 0.999
    });
    if rest_drawn {
        items.push(("unattributed".into(), REST.into(), ""));
    }
    let legend_top = bars_bottom + 56.0;
    let foot = if untimed.is_some() { 22.0 } else { 0.0 };
    let height = foot
        + if chains.is_empty() {
            220.0
        } else {
            legend_top + svg::legend_height(WIDTH - 2.0 * MARGIN, &items) + 8.0
        };
    let mut svg = Svg::new(WIDTH, height, title);
    if let Some(note) = &untimed {
        svg.text(
            MARGIN,
            height - 8.0,
            &ellipsize(note, WIDTH - 2.0 * MARGIN, 11.5),
            "start",
            11.5,
            "#666666",
            "class=\"untimed\"",
        );
    }
    if chains.is_empty() {
        let why = if input.summary.chains.is_empty() {
            "No call chains: no trace links spans of more than one request."
        } else {
            "No call chain has durations in the logs."
        };
        svg.empty_note(WIDTH, height - foot, why);
        return finish(title, svg);
    }
    svg.text(
        MARGIN,
        46.0,
        &format!(
            "{}; 100% = the chain's end-to-end latency at that percentile",
            if chains.len() == 1 {
                "the most frequent call-tree shape".to_string()
            } else {
                format!("the {} most frequent call-tree shapes", chains.len())
            }
        ),
        "start",
        11.5,
        "#555555",
        "",
    );
    // Grid first, bars over it.
    let step = 0.2;
    svg.x_axis(
        x0,
        x1,
        TOP,
        bars_bottom,
        1.0,
        step,
        "share of end-to-end latency (%)",
        &|v, _| format!("{:.0}", v * 100.0),
    );
    for (k, &(c, l)) in chains.iter().enumerate() {
        let top = TOP + k as f64 * BLOCK_H;
        // Counts first: a long signature is what gets shortened.
        let head = format!(
            "#{} · {} traces, {} failed · {}",
            k + 1,
            count(c.count),
            count(c.errors),
            c.signature
        );
        svg.text(
            MARGIN,
            top + 14.0,
            &ellipsize(&head, WIDTH - 2.0 * MARGIN, 12.0 * 1.1),
            "start",
            12.0,
            "#222222",
            "font-weight=\"bold\" class=\"chain\" stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\"",
        );
        for (b, (name, total)) in [("p50", l.p50), ("p99", l.p99)].into_iter().enumerate() {
            let y = top + 22.0 + b as f64 * (BAR_H + 6.0);
            svg.text(x0 - 8.0, y + 14.0, name, "end", 11.5, "#333333", "");
            let shares: Vec<(&str, f64)> = c
                .critical_path
                .iter()
                .map(|s| {
                    let v = if b == 0 { s.p50_share } else { s.p99_share };
                    (
                        s.service.as_str(),
                        if v.is_finite() { v.max(0.0) } else { 0.0 },
                    )
                })
                .collect();
            let sum: f64 = shares.iter().map(|s| s.1).sum();
            let scale = if sum > 1.0 { 1.0 / sum } else { 1.0 };
            let mut x = x0;
            for (service, share) in shares {
                let share = share * scale;
                let w = share * aw;
                if w <= 0.0 {
                    continue;
                }
                let tip = format!(
                    "{service}: {:.1}% of {name} ({})",
                    share * 100.0,
                    ms(share * total)
                );
                svg.rect_tip(
                    x,
                    y,
                    w,
                    BAR_H,
                    &palette.color(service).hex(),
                    "class=\"share\" stroke=\"#ffffff\" stroke-width=\"1\"",
                    &tip,
                );
                let label = format!("{service} {:.0}%", share * 100.0);
                if text_width(&label, 10.5) + 8.0 <= w {
                    svg.text(
                        x + w / 2.0,
                        y + 14.0,
                        &label,
                        "middle",
                        10.5,
                        text_on(&palette.color(service)),
                        "",
                    );
                } else if text_width(&format!("{:.0}%", share * 100.0), 10.5) + 6.0 <= w {
                    svg.text(
                        x + w / 2.0,
                        y + 14.0,
                        &format!("{:.0}%", share * 100.0),
                        "middle",
                        10.5,
                        text_on(&palette.color(service)),
                        "",
                    );
                }
                x += w;
            }
            if (x1 - x) / aw > 0.001 {
                svg.rect_tip(
                    x,
                    y,
                    x1 - x,
                    BAR_H,
                    REST,
                    "class=\"rest\"",
                    &format!("unattributed: {:.1}% of {name}", (x1 - x) / aw * 100.0),
                );
            }
            svg.text(x1 + 6.0, y + 14.0, &ms(total), "start", 11.0, "#333333", "");
        }
    }
    svg::legend(&mut svg, MARGIN, legend_top, WIDTH - 2.0 * MARGIN, &items);
    finish(title, svg)
}

fn finish(title: &str, svg: Svg) -> Chart {
    Chart {
        file: "critical_path.svg".into(),
        title: title.into(),
        svg: svg.finish(),
    }
}

/// Dark or white text, whichever reads on `bg`.
pub(crate) fn text_on(bg: &super::palette::Rgb) -> &'static str {
    let lum = 0.299 * f64::from(bg.0) + 0.587 * f64::from(bg.1) + 0.114 * f64::from(bg.2);
    if lum > 150.0 {
        "#222222"
    } else {
        "#ffffff"
    }
}
