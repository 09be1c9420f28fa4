//! A small seeded random number generator (SplitMix64).
//!
//! Input: a seed. Output: a reproducible stream of numbers. Only integer
//! arithmetic is used, so the generated fixture is byte-identical on every
//! platform (no `ln`/`exp` whose last bits could differ between libms).

/// SplitMix64: tiny, fast, and good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), without modulo bias worth caring about here.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_million / 1_000_000`.
    pub fn chance(&mut self, per_million: u64) -> bool {
        self.below(1_000_000) < per_million
    }

    /// A bell-shaped value around `mean` spread over `mean ± spread`
    /// (sum of three uniforms), at least 1.
    pub fn bell(&mut self, mean: u64, spread: u64) -> u64 {
        let s =
            self.below(2 * spread + 1) + self.below(2 * spread + 1) + self.below(2 * spread + 1);
        (mean + s / 3).saturating_sub(spread).max(1)
    }

    /// Appends `n` lowercase hex digits.
    pub fn hex(&mut self, n: usize, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bits = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                bits = self.next_u64();
            }
            out.push(HEX[(bits & 15) as usize] as char);
            bits >>= 4;
        }
    }

    pub fn hex_string(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        self.hex(n, &mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
    }

    #[test]
    fn bounded_values_stay_in_bounds() {
        let mut r = Rng::new(1);
        let mut seen = [0u32; 6];
        for _ in 0..6000 {
            let v = r.range(5, 10);
            assert!((5..=10).contains(&v));
            seen[(v - 5) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "roughly uniform: {seen:?}");
        for _ in 0..1000 {
            let v = r.bell(20, 5);
            assert!((15..=25).contains(&v));
        }
        assert_eq!(r.hex_string(40).len(), 40);
    }
}
