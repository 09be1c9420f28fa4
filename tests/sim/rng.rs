//! A small seeded random number generator (SplitMix64) for the simulation.
//!
//! Input: a seed. Output: a reproducible stream of numbers, the same on every
//! platform, so a failing seed can be replayed. Test code keeps its own
//! generator: the library's fixture generator is not part of what is tested.

/// SplitMix64: tiny, fast, and good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + ((self.next_u64() as u128 * (hi - lo + 1) as u128) >> 64) as i64
    }

    /// A uniform number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniform number in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A right-skewed duration around `median` (log-normal-like: the product of
    /// a few uniform factors), as service times are.
    pub fn skewed(&mut self, median: f64) -> f64 {
        let mut x = median;
        for _ in 0..3 {
            x *= self.uniform(0.6, 1.6);
        }
        x
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// 16 lowercase hex digits, never all zeros: a span id.
    pub fn hex16(&mut self) -> String {
        format!("{:016x}", self.next_u64() | 1)
    }

    /// 32 lowercase hex digits: a trace id.
    pub fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64() | 1)
    }
}
