//! Parts -> one list, written in place on all cores; and one list -> its parts.
//!
//! Input: the lengths of consecutive parts and a function giving item `k` of
//! part `p`. Output: every item, part after part, in one list. Rayon's indexed
//! collect writes each thread's range of the list directly: no list is grown,
//! copied, or faulted in by one thread alone. [`split_mut`] goes the other
//! way: a list cut into consecutive parts to fill or reorder one by one.
//! [`Blocks`] keeps a list that grows a part at a time as those parts.

use rayon::prelude::*;

/// Items below this many per thread are not worth splitting further.
const MIN_PER_THREAD: usize = 1 << 14;

/// `item(p, k)` for every item `k` of every part `p`, in order.
pub fn concat<T, F>(lengths: impl IntoIterator<Item = usize>, item: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, usize) -> T + Sync + Send,
{
    let mut starts = vec![0usize];
    for n in lengths {
        starts.push(starts[starts.len() - 1] + n);
    }
    let total = starts[starts.len() - 1];
    let mut out = Vec::new();
    (0..total)
        .into_par_iter()
        .with_min_len(MIN_PER_THREAD)
        .map_init(
            || 0,
            |part: &mut usize, i| {
                // Each thread walks a range in order: the part rarely changes.
                if !(starts[*part]..starts[*part + 1]).contains(&i) {
                    *part = starts.partition_point(|&s| s <= i) - 1;
                }
                item(*part, i - starts[*part])
            },
        )
        .collect_into_vec(&mut out);
    out
}

/// `items` cut into consecutive parts of the given `lengths` (which must not
/// add up to more than `items` holds; what follows the last part is left out).
pub fn split_mut<T>(items: &mut [T], lengths: impl IntoIterator<Item = usize>) -> Vec<&mut [T]> {
    let mut rest = items;
    lengths
        .into_iter()
        .map(|n| {
            let (part, after) = std::mem::take(&mut rest).split_at_mut(n);
            rest = after;
            part
        })
        .collect()
}

/// A list that grows a part at a time, kept as one block of exact size
/// per part: what it holds is what its items need. (A `Vec` extended part
/// after part doubles its room and may hold twice that.)
#[derive(Clone, Debug)]
pub struct Blocks<T>(Vec<Box<[T]>>);

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks(Vec::new())
    }
}

impl<T> Blocks<T> {
    /// Adds `items` as a block (an empty one adds nothing).
    pub fn push(&mut self, items: Vec<T>) {
        if !items.is_empty() {
            self.0.push(items.into_boxed_slice());
        }
    }

    /// Adds the blocks of `other`.
    pub fn append(&mut self, mut other: Blocks<T>) {
        self.0.append(&mut other.0);
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|b| b.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|b| b.is_empty())
    }

    /// Every item, block after block.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.0.iter().flat_map(|b| b.iter())
    }

    /// The bytes held: the items and one pointer and length per block.
    pub fn held_bytes(&self) -> usize {
        self.len() * std::mem::size_of::<T>() + self.0.capacity() * std::mem::size_of::<Box<[T]>>()
    }
}

impl<T: Clone + Send + Sync> Blocks<T> {
    /// Every item in one list, block after block, copied on all cores.
    pub fn to_vec(&self) -> Vec<T> {
        concat(self.0.iter().map(|b| b.len()), |p, k| self.0[p][k].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_parts_in_order_at_their_size() {
        let mut a = Blocks::default();
        let mut grown = Vec::with_capacity(100);
        grown.extend([1, 2, 3]);
        a.push(grown);
        a.push(Vec::new());
        let mut b = Blocks::default();
        b.push(vec![4]);
        a.append(b);
        assert_eq!((a.len(), a.is_empty()), (4, false));
        assert_eq!(a.to_vec(), vec![1, 2, 3, 4]);
        assert_eq!(a.iter().copied().collect::<Vec<i32>>(), vec![1, 2, 3, 4]);
        assert!(a.held_bytes() < 100);
        assert!(Blocks::<u8>::default().is_empty());
    }

    #[test]
    fn split_mut_cuts_consecutive_parts() {
        let mut items = [1, 2, 3, 4, 5, 6];
        let parts = split_mut(&mut items, [2, 0, 3]);
        assert_eq!(parts.len(), 3);
        assert_eq!(
            (&*parts[0], &*parts[1], &*parts[2]),
            (&[1, 2][..], &[][..], &[3, 4, 5][..])
        );
        for p in split_mut(&mut items, [3, 3]) {
            p.reverse();
        }
        assert_eq!(items, [3, 2, 1, 6, 5, 4]);
    }

    #[test]
    fn parts_come_out_in_order_empty_ones_too() {
        let parts: Vec<Vec<u32>> = vec![vec![], vec![1, 2], vec![], vec![], vec![3], vec![]];
        let all = concat(parts.iter().map(Vec::len), |p, k| (p, parts[p][k]));
        assert_eq!(all, vec![(1, 1), (1, 2), (4, 3)]);
        let big: Vec<Vec<usize>> = (0..50).map(|p| (0..p * 997).collect()).collect();
        let flat = concat(big.iter().map(Vec::len), |p, k| big[p][k] + p);
        let expected: Vec<usize> = big
            .iter()
            .enumerate()
            .flat_map(|(p, v)| v.iter().map(move |x| x + p))
            .collect();
        assert_eq!(flat, expected);
        assert!(concat(std::iter::empty(), |_, _| 0u8).is_empty());
    }
}
