//! Service names -> colours, the same in every chart.
//!
//! Input: the report's service list. Output: a colour per service. Services
//! are coloured by their position in the sorted service list, from a palette
//! of distinguishable colours (Tableau 20 order); past 20 services colours
//! repeat with a different shade so neighbours still differ.

/// An RGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` for SVG, HTML and CSS.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

const PALETTE: [Rgb; 20] = [
    Rgb(31, 119, 180),
    Rgb(255, 127, 14),
    Rgb(44, 160, 44),
    Rgb(214, 39, 40),
    Rgb(148, 103, 189),
    Rgb(140, 86, 75),
    Rgb(227, 119, 194),
    Rgb(127, 127, 127),
    Rgb(188, 189, 34),
    Rgb(23, 190, 207),
    Rgb(174, 199, 232),
    Rgb(255, 187, 120),
    Rgb(152, 223, 138),
    Rgb(255, 152, 150),
    Rgb(197, 176, 213),
    Rgb(196, 156, 148),
    Rgb(247, 182, 210),
    Rgb(199, 199, 199),
    Rgb(219, 219, 141),
    Rgb(158, 218, 229),
];

/// Colours for a set of services, by name.
#[derive(Clone, Debug, Default)]
pub struct Palette {
    names: Vec<String>,
}

impl Palette {
    /// A palette for these services (any order; duplicates ignored).
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(services: I) -> Palette {
        let mut names: Vec<String> = services.into_iter().map(Into::into).collect();
        names.sort();
        names.dedup();
        Palette { names }
    }

    /// The colour of `service`; unknown names get a neutral grey.
    pub fn color(&self, service: &str) -> Rgb {
        match self.names.binary_search_by(|n| n.as_str().cmp(service)) {
            Ok(i) => {
                let base = PALETTE[i % PALETTE.len()];
                if (i / PALETTE.len()) % 2 == 1 {
                    // Second round: darker, so a repeat is still told apart.
                    Rgb(base.0 / 2 + 20, base.1 / 2 + 20, base.2 / 2 + 20)
                } else {
                    base
                }
            }
            Err(_) => Rgb(120, 120, 120),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_the_name_not_the_order_given() {
        let a = Palette::new(["orders", "edge", "auth"]);
        let b = Palette::new(["auth", "orders", "edge", "orders"]);
        for s in ["auth", "edge", "orders"] {
            assert_eq!(a.color(s), b.color(s));
        }
        assert_ne!(a.color("auth"), a.color("edge"));
        assert_eq!(a.color("nope"), Rgb(120, 120, 120));
        assert_eq!(Rgb(31, 119, 180).hex(), "#1f77b4");
    }

    #[test]
    fn forty_services_keep_neighbours_apart() {
        let names: Vec<String> = (0..40).map(|i| format!("svc{i:02}")).collect();
        let p = Palette::new(names.clone());
        for w in names.windows(2) {
            assert_ne!(p.color(&w[0]), p.color(&w[1]));
        }
        assert_ne!(p.color("svc00"), p.color("svc20"));
    }
}
