//! The service map: who calls whom, how often, and how often it fails.
//!
//! Input: the summary's services and dependencies. Output: `service_map.svg`,
//! one box per service and one arrow per caller -> callee pair, labelled
//! with its call count and coloured by its error rate (green < 1 %, amber
//! < 5 %, red otherwise; a box's border uses the service's own error rate).
//! An arrow whose every call was inferred from timing (no logged id names
//! the caller) is dashed; one with some inferred calls has `~` before its
//! count and says the share in its tooltip.
//! Columns are call depth from the entry services ([`layers`]), so arrows
//! run left to right and cross only where the graph forces it. Services
//! without any observed call are put in a grid under the map, so a single
//! access log or forty unconnected pods still give a compact picture.

use std::collections::BTreeMap;

use super::layers::{self, Item};
use super::svg::{self, count, ellipsize, esc, num, Svg};
use super::Chart;
use crate::render::view::View;

const BOX_W: f64 = 180.0;
const BOX_H: f64 = 44.0;
const COL_GAP: f64 = 150.0;
const ROW_GAP: f64 = 20.0;
const BEND_H: f64 = 12.0;
const MARGIN: f64 = 24.0;
const TOP: f64 = 56.0;
const GRID_COLS: usize = 5;

const OK: &str = "#2ca02c";
const WARN: &str = "#e69f00";
const BAD: &str = "#d62728";

/// Error-rate class colour: green < 1 %, amber < 5 %, red above.
fn rate_color(rate: f64) -> &'static str {
    if rate >= 0.05 {
        BAD
    } else if rate >= 0.01 {
        WARN
    } else {
        OK
    }
}

fn marker_id(color: &str) -> &'static str {
    match color {
        BAD => "arrow-bad",
        WARN => "arrow-warn",
        _ => "arrow-ok",
    }
}

struct Node {
    name: String,
    spans: u64,
    /// `None` for a service seen only as a caller or callee, without requests of its own.
    error_rate: Option<f64>,
}

/// An arrow end on a box side: neighbour station y, edge, is the start.
type PortEnd = (f64, usize, bool);

struct Edge {
    from: usize,
    to: usize,
    calls: u64,
    errors: u64,
    /// Calls whose caller rests on timing alone.
    inferred: u64,
    /// The mean confidence of the calls' links (`None` when unknown).
    confidence: Option<f64>,
}

/// Renders `service_map.svg`.
pub fn chart(input: &View<'_>) -> Chart {
    let s = input.summary;
    let title = "Service map: calls from caller to callee, coloured by error rate";
    let mut names: BTreeMap<&str, (u64, Option<f64>)> = BTreeMap::new();
    // Services that handled no request (syslog daemons, cron) only log: they
    // have no place on a map of calls.
    for svc in s.services.iter().filter(|svc| svc.spans > 0) {
        names.insert(&svc.name, (svc.spans, svc.error_rate));
    }
    for d in &s.dependencies {
        names.entry(&d.caller).or_insert((0, None));
        names.entry(&d.callee).or_insert((0, None));
    }
    let nodes: Vec<Node> = names
        .iter()
        .map(|(n, &(spans, rate))| Node {
            name: n.to_string(),
            spans,
            error_rate: rate,
        })
        .collect();
    let index: BTreeMap<&str, usize> = names.keys().enumerate().map(|(i, n)| (*n, i)).collect();
    // Per edge: calls, errors, inferred calls, and the calls' confidence
    // summed (weighed by calls) with the calls it is known for.
    type Merged = (u64, u64, u64, f64, u64);
    let mut merged: BTreeMap<(usize, usize), Merged> = BTreeMap::new();
    for d in &s.dependencies {
        let e = merged
            .entry((index[d.caller.as_str()], index[d.callee.as_str()]))
            .or_default();
        e.0 += d.calls;
        e.1 += d.errors;
        e.2 += d.calls_inferred.min(d.calls);
        if let Some(c) = d.confidence {
            e.3 += c * d.calls as f64;
            e.4 += d.calls;
        }
    }
    let mut self_calls = vec![0u64; nodes.len()];
    let mut edges = Vec::new();
    for (&(from, to), &(calls, errors, inferred, sure, known)) in &merged {
        if from == to {
            self_calls[from] += calls;
        } else {
            edges.push(Edge {
                from,
                to,
                calls,
                errors,
                inferred,
                confidence: (known > 0).then(|| sure / known as f64),
            });
        }
    }
    let svg = draw(title, &nodes, &edges, &self_calls, &svg::palette(s));
    Chart {
        file: "service_map.svg".into(),
        title: title.into(),
        svg,
    }
}

fn draw(
    title: &str,
    nodes: &[Node],
    edges: &[Edge],
    self_calls: &[u64],
    palette: &super::palette::Palette,
) -> String {
    let mut connected = vec![false; nodes.len()];
    for e in edges {
        connected[e.from] = true;
        connected[e.to] = true;
    }
    // Lay out the connected services only; renumber them 0..k.
    let graph: Vec<usize> = (0..nodes.len()).filter(|&i| connected[i]).collect();
    let mut local = vec![usize::MAX; nodes.len()];
    for (k, &i) in graph.iter().enumerate() {
        local[i] = k;
    }
    let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (local[e.from], local[e.to])).collect();
    let lay = layers::layout(graph.len(), &pairs);

    // Item heights and y positions per layer, each layer centred.
    let height_of = |it: &Item| match it {
        Item::Node(_) => BOX_H,
        Item::Bend { .. } => BEND_H,
    };
    let layer_h: Vec<f64> = lay
        .layers
        .iter()
        .map(|l| l.iter().map(height_of).sum::<f64>() + ROW_GAP * l.len().saturating_sub(1) as f64)
        .collect();
    let map_h = layer_h.iter().copied().fold(0.0, f64::max);
    let map_top = TOP + 8.0;
    let mut item_y: Vec<Vec<f64>> = Vec::new(); // centre y per (layer, position)
    let mut node_xy = vec![(0.0, 0.0); nodes.len()]; // top-left of each box
    for (li, l) in lay.layers.iter().enumerate() {
        let mut y = map_top + (map_h - layer_h[li]) / 2.0;
        let mut ys = Vec::new();
        for it in l {
            let h = height_of(it);
            ys.push(y + h / 2.0);
            if let Item::Node(k) = it {
                node_xy[graph[*k]] = (col_x(li), y);
            }
            y += h + ROW_GAP;
        }
        item_y.push(ys);
    }
    let map_w = if lay.layers.is_empty() {
        0.0
    } else {
        lay.layers.len() as f64 * (BOX_W + COL_GAP) - COL_GAP
    };

    // Services with no observed calls, in a grid below.
    let loose: Vec<usize> = (0..nodes.len()).filter(|&i| !connected[i]).collect();
    let grid_cols = GRID_COLS.min(loose.len().max(1));
    let grid_rows = loose.len().div_ceil(grid_cols);
    let grid_top = if graph.is_empty() {
        TOP + 8.0
    } else {
        map_top + map_h + 56.0
    };
    for (k, &i) in loose.iter().enumerate() {
        let (r, c) = (k / grid_cols, k % grid_cols);
        node_xy[i] = (
            MARGIN + c as f64 * (BOX_W + 24.0),
            grid_top + r as f64 * (BOX_H + ROW_GAP),
        );
    }
    let grid_w = if loose.is_empty() {
        0.0
    } else {
        grid_cols as f64 * (BOX_W + 24.0) - 24.0
    };
    let grid_h = grid_rows as f64 * (BOX_H + ROW_GAP);
    let content_bottom = if loose.is_empty() {
        map_top + map_h
    } else {
        grid_top + grid_h
    };
    let width = (MARGIN * 2.0 + map_w.max(grid_w)).max(720.0);
    let legend_top = content_bottom + 36.0;
    let items = legend_items();
    let height = legend_top + svg::legend_height(width - 2.0 * MARGIN, &items) + 8.0;

    let mut svg = Svg::new(width, height, title);
    svg.raw("<defs>\n");
    for c in [OK, WARN, BAD] {
        svg.raw(&format!(
            "<marker id=\"{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" \
             markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{c}\"/></marker>\n",
            marker_id(c)
        ));
    }
    svg.raw("</defs>\n");
    if nodes.is_empty() {
        svg.empty_note(width, height, "No services found in the input.");
        return svg.finish();
    }
    if !graph.is_empty() {
        svg.text(
            MARGIN,
            TOP - 4.0,
            "columns: call depth from the entry services, left to right",
            "start",
            11.0,
            "#666666",
            "",
        );
    }

    // Each edge's stations: start, bends, end; then ports on the box sides.
    let max_calls = edges.iter().map(|e| e.calls).max().unwrap_or(1).max(1);
    let mut paths: Vec<Vec<(f64, f64, f64)>> = Vec::new(); // (x_in, x_out, y) per station
    for (ei, e) in edges.iter().enumerate() {
        let (fx, fy) = node_xy[e.from];
        let (tx, ty) = node_xy[e.to];
        let mut st = vec![(fx, fx + BOX_W, fy + BOX_H / 2.0)];
        for &(l, p) in &lay.routes[ei] {
            st.push((col_x(l), col_x(l) + BOX_W, item_y[l][p]));
        }
        st.push((tx, tx + BOX_W, ty + BOX_H / 2.0));
        paths.push(st);
    }
    // Spread the ends of the arrows along the box sides, ordered by where
    // the neighbouring station is, so arrows into one box do not overlap.
    let mut ends: BTreeMap<(usize, bool), Vec<PortEnd>> = BTreeMap::new();
    for (ei, e) in edges.iter().enumerate() {
        let st = &paths[ei];
        let rightward = st[1].0 >= st[0].0;
        ends.entry((e.from, rightward))
            .or_default()
            .push((st[1].2, ei, true));
        let n = st.len();
        let into_left = st[n - 1].0 >= st[n - 2].0;
        ends.entry((e.to, !into_left))
            .or_default()
            .push((st[n - 2].2, ei, false));
    }
    for ((node, _), list) in &mut ends {
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let top = node_xy[*node].1;
        let m = list.len() as f64;
        for (k, &(_, ei, is_start)) in list.iter().enumerate() {
            let y = top + BOX_H * (k as f64 + 1.0) / (m + 1.0);
            let st = &mut paths[ei];
            let idx = if is_start { 0 } else { st.len() - 1 };
            st[idx].2 = y;
        }
    }

    // Arrows first, then labels (with a halo), then boxes on top.
    let mut labels: Vec<(f64, f64, String, &str, usize)> = Vec::new();
    for (ei, e) in edges.iter().enumerate() {
        let st = &paths[ei];
        let rate = if e.calls == 0 {
            0.0
        } else {
            e.errors as f64 / e.calls as f64
        };
        let color = rate_color(rate);
        let mut d = String::new();
        let mut prev: Option<(f64, f64)> = None;
        for (k, &(xin, xout, y)) in st.iter().enumerate() {
            let right = if k + 1 < st.len() {
                st[k + 1].0 >= xin
            } else {
                xin >= st[k - 1].0
            };
            // Where the path enters and leaves this station.
            let (enter, leave) = if right { (xin, xout) } else { (xout, xin) };
            match prev {
                None => d.push_str(&format!("M{} {}", num(leave), num(y))),
                Some((px, py)) => {
                    let mx = (px + enter) / 2.0;
                    d.push_str(&format!(
                        " C{} {} {} {} {} {}",
                        num(mx),
                        num(py),
                        num(mx),
                        num(y),
                        num(enter),
                        num(y)
                    ));
                    if k + 1 < st.len() {
                        d.push_str(&format!(" L{} {}", num(leave), num(y)));
                    }
                }
            }
            if k == 0 {
                let (nx, ny) = (if right { st[1].0 } else { st[1].1 }, st[1].2);
                let lx = (leave + nx) / 2.0;
                let ly = (y + ny) / 2.0;
                let mut label = count(e.calls);
                if e.inferred > 0 && e.inferred < e.calls {
                    label.insert(0, '~');
                }
                if e.errors > 0 {
                    label.push_str(&format!(" · {:.1}% err", rate * 100.0));
                }
                labels.push((lx, ly, label, color, e.from));
            }
            prev = Some((leave, y));
        }
        let w = 1.2 + 3.3 * ((e.calls as f64).ln_1p() / (max_calls as f64).ln_1p());
        // Every call inferred: dashed; some: said in the tooltip (and `~` on the label).
        let (dash, how) = if e.calls > 0 && e.inferred >= e.calls {
            (
                " stroke-dasharray=\"7 5\"",
                ", all inferred from timing".to_string(),
            )
        } else if e.inferred > 0 {
            (
                "",
                format!(
                    ", {} inferred from timing ({})",
                    count(e.inferred),
                    crate::render::confidence::inferred_share(e.inferred, e.calls)
                ),
            )
        } else {
            ("", String::new())
        };
        // Under DOUBTFUL_EDGE more likely wrong than right: faint.
        let doubtful = e
            .confidence
            .is_some_and(|c| c < crate::render::confidence::DOUBTFUL_EDGE);
        let sure = match e.confidence {
            Some(c) if c < 1.0 => format!(
                ", confidence {}{}",
                crate::render::confidence::edge_confidence(Some(c)),
                if doubtful { " (likely wrong)" } else { "" }
            ),
            _ => String::new(),
        };
        svg.raw(&format!(
            "<path class=\"edge\" data-caller=\"{}\" data-callee=\"{}\" data-calls=\"{}\" \
             data-inferred=\"{}\" d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{}\" \
             stroke-opacity=\"{}\"{dash} marker-end=\"url(#{})\"><title>{} → {}: {} calls, \
             {} errors{how}{sure}</title></path>\n",
            esc(&nodes[e.from].name),
            esc(&nodes[e.to].name),
            e.calls,
            e.inferred,
            num(w),
            if doubtful { "0.3" } else { "0.85" },
            marker_id(color),
            esc(&nodes[e.from].name),
            esc(&nodes[e.to].name),
            count(e.calls),
            count(e.errors),
        ));
    }
    // Labels in one gap that would overlap are pushed apart vertically.
    labels.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.4.cmp(&b.4))
    });
    let mut last: Option<(f64, f64)> = None;
    for (x, y, text, color, _) in &mut labels {
        if let Some((lx, ly)) = last {
            if (*x - lx).abs() < 1.0 && *y < ly + 14.0 {
                *y = ly + 14.0;
            }
        }
        last = Some((*x, *y));
        let shown = ellipsize(text, COL_GAP - 8.0, 11.0);
        // Just above the arrow's midpoint, so the line does not run through the text.
        svg.text(
            *x,
            *y - 4.0,
            &shown,
            "middle",
            11.0,
            if *color == OK { "#333333" } else { color },
            "class=\"calls\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"",
        );
    }

    for (i, n) in nodes.iter().enumerate() {
        let (x, y) = node_xy[i];
        let border = rate_color(n.error_rate.unwrap_or(0.0));
        let tip = match n.error_rate {
            Some(r) => format!(
                "{}: {} spans, {:.2}% errors",
                n.name,
                count(n.spans),
                r * 100.0
            ),
            None => format!("{}: no requests of its own", n.name),
        };
        svg.raw(&format!(
            "<g class=\"service\" data-service=\"{}\" data-x=\"{}\" data-y=\"{}\">\n",
            esc(&n.name),
            num(x),
            num(y)
        ));
        svg.rect_tip(
            x,
            y,
            BOX_W,
            BOX_H,
            "#ffffff",
            &format!("rx=\"5\" stroke=\"{border}\" stroke-width=\"2\""),
            &tip,
        );
        svg.rect(
            x + 1.0,
            y + 1.0,
            7.0,
            BOX_H - 2.0,
            &palette.color(&n.name).hex(),
            "",
        );
        svg.text(
            x + 14.0,
            y + 18.0,
            // Bold runs about a tenth wider than the estimate.
            &ellipsize(&n.name, BOX_W - 22.0, 12.5 * 1.1),
            "start",
            12.5,
            "#222222",
            "font-weight=\"bold\"",
        );
        let mut sub = format!(
            "{} span{}",
            count(n.spans),
            if n.spans == 1 { "" } else { "s" },
        );
        if let Some(r) = n.error_rate {
            sub.push_str(&format!(" · {:.1}% err", r * 100.0));
        }
        if self_calls[i] > 0 {
            sub.push_str(&format!(" · ↻{}", count(self_calls[i])));
        }
        svg.text(
            x + 14.0,
            y + 35.0,
            &ellipsize(&sub, BOX_W - 20.0, 10.5),
            "start",
            10.5,
            "#555555",
            "",
        );
        svg.raw("</g>\n");
    }
    if !loose.is_empty() && !graph.is_empty() {
        svg.text(
            MARGIN,
            grid_top - 10.0,
            "services with no observed calls to or from other services",
            "start",
            11.0,
            "#666666",
            "",
        );
    }

    svg::legend(&mut svg, MARGIN, legend_top, width - 2.0 * MARGIN, &items);
    svg.finish()
}

fn legend_items() -> Vec<svg::LegendItem<'static>> {
    vec![
        ("error rate < 1%".to_string(), OK.to_string(), ""),
        ("1–5%".to_string(), WARN.to_string(), ""),
        ("≥ 5%".to_string(), BAD.to_string(), ""),
        (
            "arrow label: calls (and error rate); width grows with calls".to_string(),
            "#ffffff".to_string(),
            "stroke=\"#999999\"",
        ),
        (
            "dashed: calls inferred from timing only; ~ on a count: partly".to_string(),
            "#ffffff".to_string(),
            "stroke=\"#555555\" stroke-dasharray=\"3 2\"",
        ),
        (
            "faint: under 50% confidence, likely wrong".to_string(),
            "#ffffff".to_string(),
            "stroke=\"#555555\" stroke-opacity=\"0.3\"",
        ),
    ]
}

fn col_x(layer: usize) -> f64 {
    MARGIN + layer as f64 * (BOX_W + COL_GAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> Node {
        Node {
            name: name.into(),
            spans: 10,
            error_rate: Some(0.0),
        }
    }

    #[test]
    fn a_skip_edge_is_routed_through_the_middle_column() {
        let nodes = vec![node("a"), node("b"), node("c")];
        let edges = vec![
            Edge {
                from: 0,
                to: 1,
                calls: 5,
                errors: 0,
                inferred: 0,
                confidence: Some(1.0),
            },
            Edge {
                from: 1,
                to: 2,
                calls: 5,
                errors: 1,
                inferred: 5,
                confidence: Some(0.3),
            },
            Edge {
                from: 0,
                to: 2,
                calls: 7,
                errors: 0,
                inferred: 2,
                confidence: Some(0.9),
            },
        ];
        let p = super::super::palette::Palette::new(["a", "b", "c"]);
        let out = draw("t", &nodes, &edges, &[0, 0, 0], &p);
        // The a -> c path has a straight run through column 1 ("L").
        let ac = out
            .lines()
            .find(|l| l.contains("data-caller=\"a\" data-callee=\"c\""))
            .unwrap();
        assert!(ac.contains(" L"), "{ac}");
        assert!(out.contains("arrow-bad"), "b -> c fails 20%");
        assert_eq!(out.matches("class=\"service\"").count(), 3);
        // b -> c rests on timing alone: dashed; a -> c partly: `~7`, not dashed.
        let edge = |from: &str, to: &str| {
            out.lines()
                .find(|l| l.contains(&format!("data-caller=\"{from}\" data-callee=\"{to}\"")))
                .unwrap()
        };
        assert!(edge("b", "c").contains("stroke-dasharray"));
        assert!(edge("b", "c").contains("all inferred from timing"));
        assert!(!ac.contains("stroke-dasharray"), "{ac}");
        assert!(ac.contains("2 inferred from timing (28.6%)"), "{ac}");
        assert!(!edge("a", "b").contains("stroke-dasharray"));
        assert!(out.contains(">~7</text>"), "partly inferred count");
        assert!(out.contains("dashed: calls inferred from timing only"));
        // b -> c at 30% is likely wrong: faint, and said; a -> c at 90% is not.
        assert!(edge("b", "c").contains("stroke-opacity=\"0.3\""));
        assert!(edge("b", "c").contains("confidence 30% (likely wrong)"));
        assert!(ac.contains("stroke-opacity=\"0.85\""), "{ac}");
        assert!(ac.contains("confidence 90%<"), "{ac}");
        assert!(!edge("a", "b").contains("confidence"));
        assert!(out.contains("faint: under 50% confidence"));
    }

    #[test]
    fn rate_classes() {
        assert_eq!(rate_color(0.0), OK);
        assert_eq!(rate_color(0.01), WARN);
        assert_eq!(rate_color(0.2), BAD);
    }
}
