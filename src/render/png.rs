//! Charts -> PNG images, for tools that do not take SVG (`report --png`).
//!
//! Input: the rendered [`Chart`]s. Output: one `charts/<name>.png` per chart,
//! drawn in-process by resvg at twice the SVG's size (sharp on high-density
//! screens and in print), on white. Text is set in the system's fonts
//! (DejaVu Sans when installed, as on Debian with `fonts-dejavu-core`); with
//! no font at all the text is left out and the rest is still drawn. The same
//! SVG and fonts give byte-identical PNG bytes.

use std::sync::Arc;

use rayon::prelude::*;
use resvg::{tiny_skia, usvg};

use super::charts::Chart;

/// Pixels per SVG unit.
const SCALE: f32 = 2.0;
/// The longest side of an image, in pixels; a taller chart is drawn smaller.
const MAX_SIDE: f32 = 8192.0;

/// The system fonts, with the generic families pointed at DejaVu when present.
pub fn fonts() -> Arc<usvg::fontdb::Database> {
    let mut db = usvg::fontdb::Database::new();
    db.load_system_fonts();
    let has = |db: &usvg::fontdb::Database, family: &str| {
        db.faces()
            .any(|f| f.families.iter().any(|(name, _)| name == family))
    };
    if has(&db, "DejaVu Sans") {
        db.set_sans_serif_family("DejaVu Sans");
    }
    if has(&db, "DejaVu Serif") {
        db.set_serif_family("DejaVu Serif");
    }
    if has(&db, "DejaVu Sans Mono") {
        db.set_monospace_family("DejaVu Sans Mono");
    }
    Arc::new(db)
}

/// Every chart as `(charts/<name>.png, bytes)`, in the charts' order.
pub fn charts(charts: &[Chart]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let fonts = fonts();
    charts
        .par_iter()
        .map(|c| {
            let name = format!(
                "charts/{}.png",
                c.file.strip_suffix(".svg").unwrap_or(&c.file)
            );
            render(&c.svg, &fonts)
                .map(|png| (name, png))
                .map_err(|e| format!("cannot draw {} as PNG: {e}", c.file))
        })
        .collect()
}

/// One SVG document as PNG bytes.
pub fn render(svg: &str, fonts: &Arc<usvg::fontdb::Database>) -> Result<Vec<u8>, String> {
    let opts = usvg::Options {
        fontdb: Arc::clone(fonts),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &opts).map_err(|e| e.to_string())?;
    let size = tree.size();
    let longest = size.width().max(size.height()).max(1.0);
    let scale = SCALE.min(MAX_SIDE / longest);
    let w = (size.width() * scale).ceil().clamp(1.0, MAX_SIDE) as u32;
    let h = (size.height() * scale).ceil().clamp(1.0, MAX_SIDE) as u32;
    let mut pixmap =
        tiny_skia::Pixmap::new(w, h).ok_or_else(|| format!("cannot make a {w}x{h} image"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&png[16..20]), be(&png[20..24]))
    }

    #[test]
    fn draws_at_twice_the_size_and_the_same_bytes_each_time() {
        let chart = Chart {
            file: "t.svg".into(),
            title: "t".into(),
            svg: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"40\">\
                  <rect width=\"60\" height=\"40\" fill=\"#2c5aa0\"/>\
                  <text x=\"64\" y=\"24\" font-family=\"sans-serif\">a &lt;b&gt;</text></svg>"
                .into(),
        };
        let a = charts(std::slice::from_ref(&chart)).unwrap();
        assert_eq!(a[0].0, "charts/t.png");
        assert_eq!(png_size(&a[0].1), (240, 80));
        let b = charts(&[chart]).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_huge_chart_is_drawn_smaller() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"20000\"/>";
        let png = render(svg, &Arc::new(Default::default())).unwrap();
        assert_eq!(png_size(&png), (410, 8192));
    }

    #[test]
    fn a_broken_svg_is_an_error_not_a_panic() {
        let bad = Chart {
            file: "bad.svg".into(),
            title: String::new(),
            svg: "<svg".into(),
        };
        let err = charts(&[bad]).unwrap_err();
        assert!(err.contains("bad.svg"), "{err}");
    }
}
