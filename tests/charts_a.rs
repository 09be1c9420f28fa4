//! Traffic, latency, distribution, slowest-operations and before/during
//! charts, drawn from hand-built reports: one service over one minute, forty
//! services over seven days, with and without incidents, and hostile names.
//! Every SVG is parsed as XML and checked for its series, its labels and
//! its escaping. The charts are also written under the target directory
//! (`charts-a/<scenario>/`) for a person to look at.

use logtrace::analyze::summary::{
    Bucket, Incident, LatencyMs, OperationStats, ServiceStats, ServiceTimeline, Summary, Worst,
};
use logtrace::render::charts::{
    axes, before_after, distribution, latency, palette::Palette, slowest, traffic, Chart,
};
use logtrace::render::view::View;

// ------------------------------------------------------------ report builders

/// A small deterministic generator (xorshift), so reports are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly log-normal around `median` with spread `sigma`.
    fn latency(&mut self, median: f64, sigma: f64) -> f64 {
        let z = (0..6).map(|_| self.next()).sum::<f64>() - 3.0;
        median * (sigma * z).exp()
    }
}

fn ts(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_string()
}

const T0: i64 = 1_709_640_000; // 2024-03-05T12:00:00Z

fn lat(samples: &mut [f64]) -> LatencyMs {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let q = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    LatencyMs {
        count: n as u64,
        p50: q(0.5),
        p90: q(0.9),
        p95: q(0.95),
        p99: q(0.99),
        p999: q(0.999),
        max: samples[n - 1],
        mean: samples.iter().sum::<f64>() / n as f64,
    }
}

struct Spec<'a> {
    services: Vec<String>,
    ops_per_service: usize,
    seconds: i64,
    bucket: u64,
    /// Incidents as (start, end) offsets in seconds.
    incidents: &'a [(i64, i64)],
}

/// A report shaped like a real one: traffic with a daily swing, latency per
/// service, worse latency and errors inside the incidents.
fn report(spec: &Spec) -> Summary {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut s = Summary {
        schema_version: 1,
        ..Default::default()
    };
    s.window.start = Some(ts(T0));
    s.window.end = Some(ts(T0 + spec.seconds));
    s.timeline.bucket_seconds = spec.bucket;
    let n_buckets = (spec.seconds as u64).div_ceil(spec.bucket).max(1);
    let in_incident = |t: i64| {
        spec.incidents
            .iter()
            .any(|&(a, b)| t >= T0 + a && t < T0 + b)
    };
    let mut whole: Vec<(u64, u64, Vec<f64>)> = vec![(0, 0, Vec::new()); n_buckets as usize];
    for (si, name) in spec.services.iter().enumerate() {
        let base = 2.0 + 3.0 * (si % 7) as f64;
        let weight = 1.0 / (1.0 + si as f64);
        let mut all = Vec::new();
        let mut buckets = Vec::new();
        let mut errors_total = 0;
        for b in 0..n_buckets {
            let t = T0 + (b * spec.bucket) as i64;
            let swing = 1.0 + 0.5 * ((b as f64) / n_buckets as f64 * std::f64::consts::TAU).sin();
            let reqs =
                ((20.0 * weight * swing * rng.next().mul_add(0.4, 0.8)).round() as u64).max(1);
            let bad = in_incident(t);
            let mut lat_samples: Vec<f64> = (0..reqs)
                .map(|_| rng.latency(if bad { base * 6.0 } else { base }, 0.6))
                .collect();
            let errors = (0..reqs)
                .filter(|_| rng.next() < if bad { 0.2 } else { 0.004 })
                .count() as u64;
            errors_total += errors;
            all.extend(lat_samples.iter().copied());
            let w = &mut whole[b as usize];
            w.0 += reqs;
            w.1 += errors;
            w.2.extend(lat_samples.iter().copied());
            let l = lat(&mut lat_samples);
            buckets.push(Bucket {
                start: ts(t),
                requests: reqs,
                errors,
                p50_ms: Some(l.p50),
                p99_ms: Some(l.p99),
                p95_ms: Some(l.p95),
            });
        }
        let histogram = logtrace::analyze::histogram::latency_histogram(
            &all.iter().map(|ms| (ms * 1e6) as i64).collect::<Vec<_>>(),
        );
        let latency_ms = lat(&mut all.clone());
        let spans = latency_ms.count;
        s.services.push(ServiceStats {
            name: name.clone(),
            events: spans * 2,
            spans,
            errors: errors_total,
            recovered_errors: 0,
            client_errors: 0,
            error_rate: Some(errors_total as f64 / spans as f64),
            latency_ms: Some(latency_ms.clone()),
            histogram,
        });
        for k in 0..spec.ops_per_service {
            let mut l = latency_ms.clone();
            let f = 1.0 + k as f64 * 0.7;
            for v in [
                &mut l.p50,
                &mut l.p90,
                &mut l.p95,
                &mut l.p99,
                &mut l.p999,
                &mut l.max,
            ] {
                *v *= f;
            }
            s.operations.push(OperationStats {
                service: name.clone(),
                name: format!("GET /api/v1/{name}/items/{{id}}/variant/{k}"),
                count: l.count,
                errors: errors_total / (k as u64 + 1),
                recovered_errors: 0,
                client_errors: 0,
                error_rate: errors_total as f64 / (k as f64 + 1.0) / l.count as f64,
                latency_ms: Some(l),
            });
        }
        s.timeline.services.push(ServiceTimeline {
            service: name.clone(),
            buckets,
        });
    }
    s.services.sort_by(|a, b| a.name.cmp(&b.name));
    s.operations
        .sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
    s.timeline
        .services
        .sort_by(|a, b| a.service.cmp(&b.service));
    for (b, (reqs, errors, mut l)) in whole.into_iter().enumerate() {
        let l = (!l.is_empty()).then(|| lat(&mut l));
        s.timeline.buckets.push(Bucket {
            start: ts(T0 + (b as u64 * spec.bucket) as i64),
            requests: reqs,
            errors,
            p50_ms: l.as_ref().map(|l| l.p50),
            p99_ms: l.as_ref().map(|l| l.p99),
            p95_ms: l.as_ref().map(|l| l.p95),
        });
    }
    for &(a, b) in spec.incidents {
        let worst = spec
            .services
            .iter()
            .take(4)
            .enumerate()
            .map(|(i, n)| Worst {
                service: n.clone(),
                operation: format!("GET /api/v1/{n}/items/{{id}}/variant/0"),
                baseline_p99_ms: Some(12.0 + i as f64 * 9.0),
                incident_p99_ms: Some(180.0 + i as f64 * 400.0),
                baseline_error_rate: Some(0.004),
                incident_error_rate: 0.2 - i as f64 * 0.04,
            })
            .collect();
        s.incidents.push(Incident {
            start: ts(T0 + a),
            end: ts(T0 + b),
            summary: "p99 and errors up in checkout and payments".into(),
            worst,
            error_origins: Vec::new(),
        });
    }
    s
}

fn boutique() -> Summary {
    let names = [
        "frontend",
        "checkoutservice",
        "paymentservice",
        "cartservice",
        "productcatalogservice",
        "currencyservice",
        "shippingservice",
        "emailservice",
        "recommendationservice",
    ];
    report(&Spec {
        services: names.iter().map(|s| s.to_string()).collect(),
        ops_per_service: 2,
        seconds: 3 * 3600,
        bucket: 60,
        incidents: &[(3600, 4500), (7800, 8100)],
    })
}

fn one_minute() -> Summary {
    report(&Spec {
        services: vec!["apache".into()],
        ops_per_service: 1,
        seconds: 60,
        bucket: 1,
        incidents: &[],
    })
}

fn forty_week() -> Summary {
    report(&Spec {
        services: (0..40)
            .map(|i| format!("team-{i:02}-internal-accounting-reconciliation-worker"))
            .collect(),
        ops_per_service: 2,
        seconds: 7 * 86400,
        bucket: 3600,
        incidents: &[(2 * 86400, 2 * 86400 + 7200), (5 * 86400, 5 * 86400 + 3600)],
    })
}

const HOSTILE: &str = "/<script>alert(1)</script>";

fn hostile() -> Summary {
    let mut s = report(&Spec {
        services: vec![
            HOSTILE.into(),
            "a&b \"quoted\" 'single'".into(),
            "ctl\u{1}\u{7}x".into(),
        ],
        ops_per_service: 1,
        seconds: 600,
        bucket: 10,
        incidents: &[(200, 300)],
    });
    s.operations[0].name = format!("GET {HOSTILE}?q=<img src=x onerror=alert(2)>");
    s.incidents[0].summary = "<b>bold</b> & \u{0}".into();
    s
}

fn charts(s: &Summary) -> Vec<Chart> {
    let v = View::of_summary(s);
    vec![
        traffic::chart(&v),
        latency::chart(&v),
        distribution::chart(&v),
        slowest::chart(&v),
        before_after::chart(&v),
    ]
}

fn save(scenario: &str, charts: &[Chart]) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("charts-a")
        .join(scenario);
    std::fs::create_dir_all(&dir).unwrap();
    for c in charts {
        std::fs::write(dir.join(&c.file), &c.svg).unwrap();
    }
}

// ------------------------------------------------------------ SVG checks

struct Label {
    text: String,
    x: f64,
    y: f64,
    size: f64,
    anchor: String,
    dy: String,
    rotated: bool,
}

impl Label {
    /// Estimated box (x0, y0, x1, y1) of an unrotated label.
    fn bbox(&self) -> (f64, f64, f64, f64) {
        let w = axes::text_width(&self.text, self.size * 1.24);
        let x0 = match self.anchor.as_str() {
            "end" => self.x - w,
            "middle" => self.x - w / 2.0,
            _ => self.x,
        };
        let y0 = match self.dy.as_str() {
            "0.76em" => self.y,
            "0.5ex" => self.y - self.size / 2.0,
            _ => self.y - self.size,
        };
        (x0, y0, x0 + w, y0 + self.size)
    }
}

struct Svg {
    width: f64,
    height: f64,
    labels: Vec<Label>,
    rects: Vec<(String, String)>,
    paths: usize,
}

fn attr(n: roxmltree::Node, a: &str) -> f64 {
    n.attribute(a)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Parses a chart and checks what every chart must hold: an `<svg>` root with
/// a sane viewBox, no script, a title, labels inside the canvas that do not overlap.
fn check(c: &Chart) -> Svg {
    let doc =
        roxmltree::Document::parse(&c.svg).unwrap_or_else(|e| panic!("{} is not XML: {e}", c.file));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{}", c.file);
    let (w, h) = (attr(root, "width"), attr(root, "height"));
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {w} {h}").as_str()),
        "{}",
        c.file
    );
    assert!(
        (400.0..=1400.0).contains(&w) && (200.0..=4000.0).contains(&h),
        "{}: {w}x{h}",
        c.file
    );
    assert!(
        !c.svg.to_ascii_lowercase().contains("<script"),
        "{}",
        c.file
    );
    let mut labels = Vec::new();
    let mut rects = Vec::new();
    let mut paths = 0;
    for n in doc.descendants() {
        let name = n.tag_name().name().to_ascii_lowercase();
        assert!(
            !["script", "foreignobject", "iframe", "img", "b"].contains(&name.as_str()),
            "{}: <{name}>",
            c.file
        );
        for a in n.attributes() {
            assert!(!a.name().starts_with("on"), "{}: {}", c.file, a.name());
        }
        match name.as_str() {
            "text" => labels.push(Label {
                text: n.text().unwrap_or("").trim().to_string(),
                x: attr(n, "x"),
                y: attr(n, "y"),
                size: attr(n, "font-size"),
                anchor: n.attribute("text-anchor").unwrap_or("start").into(),
                dy: n.attribute("dy").unwrap_or("").into(),
                rotated: n.attribute("transform").is_some(),
            }),
            "rect" => rects.push((
                n.attribute("fill").unwrap_or("").to_string(),
                n.attribute("opacity").unwrap_or("1").to_string(),
            )),
            "polyline" | "path" => paths += 1,
            _ => {}
        }
    }
    assert!(
        labels.iter().any(|l| l.text == c.title),
        "{}: no title",
        c.file
    );
    for l in &labels {
        assert!(
            l.x >= 0.0 && l.x <= w && l.y >= 0.0 && l.y <= h,
            "{}: {:?} at {},{}",
            c.file,
            l.text,
            l.x,
            l.y
        );
        if !l.rotated {
            let (x0, y0, x1, y1) = l.bbox();
            assert!(
                x0 >= -1.0 && x1 <= w + 1.0 && y0 >= -1.0 && y1 <= h + 1.0,
                "{}: {:?} runs off the canvas ({x0}..{x1} of {w})",
                c.file,
                l.text
            );
        }
    }
    let flat: Vec<&Label> = labels
        .iter()
        .filter(|l| !l.rotated && !l.text.is_empty())
        .collect();
    for (i, a) in flat.iter().enumerate() {
        for b in &flat[i + 1..] {
            let (a0, a1, a2, a3) = a.bbox();
            let (b0, b1, b2, b3) = b.bbox();
            let overlap = a0 < b2 - 1.0 && b0 < a2 - 1.0 && a1 < b3 - 1.0 && b1 < a3 - 1.0;
            assert!(!overlap, "{}: {:?} overlaps {:?}", c.file, a.text, b.text);
        }
    }
    Svg {
        width: w,
        height: h,
        labels,
        rects,
        paths,
    }
}

fn has_text(svg: &Svg, s: &str) -> bool {
    svg.labels.iter().any(|l| l.text.contains(s))
}

fn hex_upper(c: logtrace::render::charts::palette::Rgb) -> String {
    c.hex().to_ascii_uppercase()
}

fn count_rects(svg: &Svg, fill: &str, opacity: &str) -> usize {
    svg.rects
        .iter()
        .filter(|(f, o)| f == fill && o == opacity)
        .count()
}

fn shading(svg: &Svg) -> usize {
    let fill = hex_upper(axes::INCIDENT_FILL);
    svg.rects
        .iter()
        .filter(|(f, o)| *f == fill && o != "1")
        .count()
}

// ------------------------------------------------------------ tests

#[test]
fn every_chart_parses_and_keeps_its_labels_on_the_canvas() {
    for (name, s) in [
        ("boutique", boutique()),
        ("one-minute", one_minute()),
        ("forty-week", forty_week()),
        ("hostile", hostile()),
        ("empty", Summary::default()),
    ] {
        let cs = charts(&s);
        save(name, &cs);
        let files: Vec<&str> = cs.iter().map(|c| c.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "traffic.svg",
                "latency.svg",
                "latency_distribution.svg",
                "slowest_operations.svg",
                "before_during.svg"
            ]
        );
        for c in &cs {
            let svg = check(c);
            assert!(
                svg.paths > 0 || svg.labels.len() >= 2,
                "{name}/{}: empty",
                c.file
            );
        }
    }
}

#[test]
fn traffic_shades_each_incident_in_both_panels() {
    let s = boutique();
    let svg = check(&traffic::chart(&View::of_summary(&s)));
    assert_eq!(shading(&svg), 2 * s.incidents.len());
    assert!(has_text(&svg, "incident 1") && has_text(&svg, "incident 2"));
    assert!(has_text(&svg, "requests / s") && has_text(&svg, "errors / s"));
    assert!(has_text(&svg, "time (UTC), 2024-03-05"));
    // Hourly ticks on round times for three hours of data.
    assert!(svg.labels.iter().any(|l| l.text == "13:00"));
    let none = check(&traffic::chart(&View::of_summary(&one_minute())));
    assert_eq!(shading(&none), 0);
    assert!(none.labels.iter().any(|l| l.text == "12:00:30"));
    let week = check(&traffic::chart(&View::of_summary(&forty_week())));
    assert!(week.labels.iter().any(|l| l.text == "Mar 08"));
    assert_eq!(shading(&week), 4);
}

#[test]
fn latency_has_a_panel_per_busy_service_with_the_same_shading() {
    let s = boutique();
    let names = latency::multiples(&s);
    assert_eq!(names.len(), latency::MULTIPLES);
    // The busiest service (most requests) comes first.
    assert_eq!(names[0], "frontend");
    let svg = check(&latency::chart(&View::of_summary(&s)));
    assert_eq!(shading(&svg), s.incidents.len() * (1 + names.len()));
    for n in &names {
        assert!(has_text(&svg, n), "{n}");
    }
    for p in ["p50", "p95", "p99", "latency (ms, log scale)"] {
        assert!(has_text(&svg, p), "{p}");
    }
    // One service: no small multiples, just the whole run.
    let one = check(&latency::chart(&View::of_summary(&one_minute())));
    assert_eq!(shading(&one), 0);
    assert!(one.height < svg.height);
}

#[test]
fn distribution_draws_one_curve_per_busy_service() {
    let s = forty_week();
    let c = distribution::chart(&View::of_summary(&s));
    let svg = check(&c);
    let palette = Palette::new(s.services.iter().map(|s| s.name.clone()));
    let shown = axes::busiest_services(&s, distribution::SERVICES);
    assert_eq!(shown.len(), 8);
    for svc in &shown {
        let stroke = format!("stroke=\"{}\"", hex_upper(palette.color(&svc.name)));
        assert!(c.svg.contains(&stroke), "{}", svc.name);
        assert!(has_text(&svg, &svc.name[..10]), "{}", svc.name);
    }
    assert!(has_text(&svg, "requests at or below (%)"));
}

#[test]
fn slowest_has_one_bar_per_operation_and_short_labels() {
    for s in [boutique(), forty_week(), one_minute()] {
        let ops = slowest::slowest(&s);
        let c = slowest::chart(&View::of_summary(&s));
        let svg = check(&c);
        let palette = Palette::new(s.services.iter().map(|s| s.name.clone()));
        let bars: usize = svg
            .rects
            .iter()
            .filter(|(_, o)| o.parse::<f64>().ok() == Some(slowest::BAR_OPACITY))
            .count();
        assert_eq!(bars, ops.len().min(slowest::TOP_N));
        for o in &ops {
            let fill = hex_upper(palette.color(&o.service));
            assert!(count_rects(&svg, &fill, "0.85") >= 1);
            assert!(has_text(&svg, &slowest::note(o)), "{}", slowest::note(o));
        }
        assert!(has_text(&svg, "p99 latency (ms)"));
    }
    let svg = check(&slowest::chart(&View::of_summary(&forty_week())));
    assert!(svg.labels.iter().any(|l| l.text.contains('…')));
    assert!(svg.width <= 1100.0);
}

#[test]
fn before_during_pairs_bars_per_worst_operation() {
    let s = boutique();
    let svg = check(&before_after::chart(&View::of_summary(&s)));
    let worst: usize = s.incidents.iter().map(|i| i.worst.len()).sum();
    let bars = svg
        .rects
        .iter()
        .filter(|(_, o)| o.parse::<f64>().ok() == Some(before_after::BAR_OPACITY))
        .count();
    assert_eq!(bars, 4 * worst);
    assert!(has_text(
        &svg,
        "incident 1 · 2024-03-05 13:00:00 – 13:15:00 UTC"
    ));
    assert!(has_text(&svg, "baseline") && has_text(&svg, "during the incident"));
    assert!(has_text(&svg, "error rate (%)"));
    let none = check(&before_after::chart(&View::of_summary(&one_minute())));
    assert!(has_text(&none, "No incident detected"));
}

#[test]
fn hostile_names_stay_text() {
    let s = hostile();
    for c in charts(&s) {
        let svg = check(&c);
        assert!(!c.svg.contains("<script"), "{}", c.file);
        assert!(!c.svg.contains("<img"), "{}", c.file);
        assert!(
            !c.svg.contains('\u{1}') && !c.svg.contains('\u{0}'),
            "{}",
            c.file
        );
        if c.file != "traffic.svg" {
            assert!(
                svg.labels.iter().any(|l| l.text.contains("<script>")),
                "{}: the name is not shown as text",
                c.file
            );
        }
    }
    let svg = check(&slowest::chart(&View::of_summary(&s)));
    assert!(has_text(&svg, "a&b \"quoted\" 'single'"));
    assert!(has_text(&svg, "ctl x"));
}

#[test]
fn output_is_byte_identical_across_runs_and_threads() {
    let s = boutique();
    let a = charts(&s);
    let b = std::thread::spawn(move || charts(&s)).join().unwrap();
    assert_eq!(a, b);
    let all = logtrace::render::charts::all(&View::of_summary(&boutique()));
    for c in &a {
        assert!(all.contains(c), "{} missing from all()", c.file);
    }
}

#[test]
fn older_reports_without_p95_or_histograms_still_chart() {
    let mut s = boutique();
    for b in s.timeline.buckets.iter_mut().chain(
        s.timeline
            .services
            .iter_mut()
            .flat_map(|t| t.buckets.iter_mut()),
    ) {
        b.p95_ms = None;
    }
    for svc in &mut s.services {
        svc.histogram.clear();
    }
    let json = serde_json::to_string(&s)
        .unwrap()
        .replace(",\"p95_ms\":null", "")
        .replace(",\"histogram\":[]", "");
    assert!(!json.contains("p95_ms") && !json.contains("histogram"));
    let back: Summary = serde_json::from_str(&json).unwrap();
    assert!(back.timeline.buckets.iter().all(|b| b.p95_ms.is_none()));
    assert!(back.services.iter().all(|s| s.histogram.is_empty()));
    let svg = check(&distribution::chart(&View::of_summary(&back)));
    assert!(has_text(&svg, "(percentiles only)"));
    check(&latency::chart(&View::of_summary(&back)));
}

// ------------------------------------------------------------ real logs

mod common;

/// Ingest, trace and summarise `rel` (under the real-world samples) the way
/// `logtrace report` does.
fn real_summary(rel: &str) -> Option<Summary> {
    use logtrace::ingest::{ingest, IngestOptions};

    let path = common::realdata()?.join(rel);
    if !path.exists() {
        common::missing(&path.display().to_string());
        return None;
    }
    let input = ingest(
        &[path],
        &IngestOptions {
            keep_events: true,
            ..Default::default()
        },
    )
    .unwrap();
    let traces = logtrace::trace::build(&input.events, &input.symbols, &Default::default());
    Some(logtrace::analyze::summarize(
        &input,
        &traces,
        &Default::default(),
    ))
}

#[test]
fn real_logs_chart_cleanly() {
    for (name, rel) in [
        ("apache", "elastic-examples/apache_logs"),
        ("boutique-k8s", "k8s-pods/onlineboutique-cri"),
    ] {
        let Some(s) = real_summary(rel) else {
            continue;
        };
        assert!(!s.timeline.buckets.is_empty(), "{name}: no timeline");
        assert!(
            s.services
                .iter()
                .all(|v| v.histogram.iter().map(|h| h.count).sum::<u64>()
                    == v.latency_ms.as_ref().map_or(0, |l| l.count)),
            "{name}: histogram counts"
        );
        let cs = charts(&s);
        save(name, &cs);
        for c in &cs {
            check(c);
        }
        let svg = check(&slowest::chart(&View::of_summary(&s)));
        let bars = svg
            .rects
            .iter()
            .filter(|(_, o)| o.parse::<f64>().ok() == Some(slowest::BAR_OPACITY))
            .count();
        assert_eq!(bars, slowest::slowest(&s).len(), "{name}");
    }
}
