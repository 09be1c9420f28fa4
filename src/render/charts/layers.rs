//! Layered (Sugiyama-style) layout of a directed graph, for the service map.
//!
//! Input: `n` nodes and directed edges `(from, to)` between them. Output: a
//! [`Layout`]: each node's layer, the order of nodes and edge bends within
//! each layer, and each edge's route through the layers it skips.
//!
//! Steps: cycles are broken by reversing the back edges of a depth-first
//! search started at the entry nodes; a node's layer is the longest path to
//! it from an entry node (so a callee is always right of its callers); an edge
//! that skips layers gets one bend point ("dummy") per skipped layer, so it
//! can be drawn around the boxes; nodes and bends are ordered within layers
//! by the barycenter of their neighbours, sweeping down and up a few times and
//! keeping the order with the fewest crossings. Ties are broken by index, so
//! the layout depends only on the input.

/// Something placed in a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Node(usize),
    /// A bend point of edge `edge` (index into the input edges).
    Bend {
        edge: usize,
    },
}

/// A placement of the graph.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// The layer of each node.
    pub layer: Vec<usize>,
    /// Items of each layer, top to bottom.
    pub layers: Vec<Vec<Item>>,
    /// For each input edge, its bend points as `(layer, position)`, from the
    /// `from` node's side to the `to` node's side. Empty for self-loops and
    /// edges between adjacent layers.
    pub routes: Vec<Vec<(usize, usize)>>,
    /// Edge crossings of the chosen order.
    pub crossings: usize,
}

const SWEEPS: usize = 6;

/// Lays out `n` nodes and `edges`. Self-loops are kept in `routes` (empty)
/// but do not affect the layout; out-of-range edges are ignored.
pub fn layout(n: usize, edges: &[(usize, usize)]) -> Layout {
    let valid = |&(a, b): &(usize, usize)| a < n && b < n && a != b;
    let reversed = back_edges(n, edges);
    // Edges in layering direction.
    let dag: Vec<Option<(usize, usize)>> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| valid(e).then(|| if reversed[i] { (e.1, e.0) } else { *e }))
        .collect();
    let layer = longest_path_layers(n, &dag);
    let depth = layer.iter().copied().max().map_or(0, |m| m + 1);

    // Graph items: nodes 0..n, then bends. `up`/`down` are neighbours in
    // the previous / next layer.
    let mut kinds: Vec<Item> = (0..n).map(Item::Node).collect();
    let mut item_layer: Vec<usize> = layer.clone();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut bend_items: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
    for (ei, e) in dag.iter().enumerate() {
        let Some((a, b)) = *e else { continue };
        let mut prev = a;
        for l in layer[a] + 1..layer[b] {
            let id = kinds.len();
            kinds.push(Item::Bend { edge: ei });
            item_layer.push(l);
            up.push(vec![prev]);
            down.push(Vec::new());
            down[prev].push(id);
            bend_items[ei].push(id);
            prev = id;
        }
        down[prev].push(b);
        up[b].push(prev);
    }

    let mut order: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (id, &l) in item_layer.iter().enumerate() {
        order[l].push(id);
    }
    let mut pos = vec![0usize; kinds.len()];
    let set_pos = |order: &[Vec<usize>], pos: &mut [usize]| {
        for layer in order {
            for (p, &id) in layer.iter().enumerate() {
                pos[id] = p;
            }
        }
    };
    set_pos(&order, &mut pos);
    let mut best = order.clone();
    let mut best_cross = crossings(&order, &down, &pos);
    for sweep in 0..SWEEPS * 2 {
        let downward = sweep % 2 == 0;
        let layers: Vec<usize> = if downward {
            (1..depth).collect()
        } else {
            (0..depth.saturating_sub(1)).rev().collect()
        };
        for l in layers {
            let nb = if downward { &up } else { &down };
            let mut keyed: Vec<(f64, usize, usize)> = order[l]
                .iter()
                .map(|&id| {
                    let ns = &nb[id];
                    let bary = if ns.is_empty() {
                        pos[id] as f64
                    } else {
                        ns.iter().map(|&m| pos[m] as f64).sum::<f64>() / ns.len() as f64
                    };
                    (bary, pos[id], id)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            order[l] = keyed.into_iter().map(|k| k.2).collect();
            for (p, &id) in order[l].iter().enumerate() {
                pos[id] = p;
            }
        }
        let c = crossings(&order, &down, &pos);
        if c < best_cross {
            best_cross = c;
            best = order.clone();
        }
    }
    set_pos(&best, &mut pos);

    let routes = edges
        .iter()
        .enumerate()
        .map(|(ei, _)| {
            let mut r: Vec<(usize, usize)> = bend_items[ei]
                .iter()
                .map(|&id| (item_layer[id], pos[id]))
                .collect();
            if reversed[ei] {
                r.reverse();
            }
            r
        })
        .collect();
    Layout {
        layer,
        layers: best
            .iter()
            .map(|l| l.iter().map(|&id| kinds[id]).collect())
            .collect(),
        routes,
        crossings: best_cross,
    }
}

/// Which edges a depth-first search from the entry nodes finds pointing back
/// into its own stack: reversing them leaves a DAG.
fn back_edges(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for (i, &(a, b)) in edges.iter().enumerate() {
        if a < n && b < n && a != b {
            out[a].push((b, i));
            indeg[b] += 1;
        }
    }
    for o in &mut out {
        o.sort_unstable();
    }
    // 0 = unseen, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut reversed = vec![false; edges.len()];
    let starts = (0..n)
        .filter(|&v| indeg[v] == 0)
        .chain((0..n).filter(|&v| indeg[v] != 0));
    for s in starts {
        if state[s] != 0 {
            continue;
        }
        // Iterative DFS: (node, next child index).
        let mut stack = vec![(s, 0usize)];
        state[s] = 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if let Some(&(w, ei)) = out[v].get(*k) {
                *k += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => reversed[ei] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    reversed
}

/// Layer = longest path from a node without incoming edges.
fn longest_path_layers(n: usize, dag: &[Option<(usize, usize)>]) -> Vec<usize> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for &(a, b) in dag.iter().flatten() {
        out[a].push(b);
        indeg[b] += 1;
    }
    let mut layer = vec![0usize; n];
    // Kahn's algorithm; the visiting order does not change longest paths.
    let mut ready: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = ready.pop() {
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                ready.push(w);
            }
        }
    }
    layer
}

/// Crossings between consecutive layers for the order `pos`.
fn crossings(order: &[Vec<usize>], down: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut total = 0;
    for layer in order {
        let mut segs: Vec<(usize, usize)> = Vec::new();
        for &id in layer {
            for &w in &down[id] {
                segs.push((pos[id], pos[w]));
            }
        }
        segs.sort_unstable();
        // Pairs with a < a' and b > b' cross.
        for i in 0..segs.len() {
            for j in i + 1..segs.len() {
                if segs[i].0 < segs[j].0 && segs[i].1 > segs[j].1 {
                    total += 1;
                }
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(l: &Layout, node: usize) -> (usize, usize) {
        for (li, items) in l.layers.iter().enumerate() {
            if let Some(p) = items.iter().position(|&i| i == Item::Node(node)) {
                return (li, p);
            }
        }
        panic!("node {node} not placed");
    }

    #[test]
    fn callees_are_right_of_callers_and_skips_get_bends() {
        // 0 -> 1 -> 2 -> 3 and 0 -> 3 (skips two layers).
        let l = layout(4, &[(0, 1), (1, 2), (2, 3), (0, 3)]);
        assert_eq!(l.layer, vec![0, 1, 2, 3]);
        assert_eq!(l.routes[3].len(), 2);
        assert_eq!(l.routes[3][0].0, 1);
        assert_eq!(l.routes[3][1].0, 2);
        assert!(l.routes[0].is_empty());
    }

    #[test]
    fn cycles_and_self_loops_do_not_hang() {
        let l = layout(3, &[(0, 1), (1, 2), (2, 0), (1, 1), (7, 0)]);
        assert_eq!(l.layer.len(), 3);
        let placed: usize = l
            .layers
            .iter()
            .flatten()
            .filter(|i| matches!(i, Item::Node(_)))
            .count();
        assert_eq!(placed, 3);
        assert!(l.routes[3].is_empty());
        // The back edge 2 -> 0 routes from layer 2 back to layer 0 through layer 1.
        assert_eq!(l.routes[2].len(), 1);
    }

    #[test]
    fn barycenter_removes_an_avoidable_crossing() {
        // Layer 0: 0, 1. Layer 1: 2, 3 with 0 -> 3 and 1 -> 2: index order
        // crosses, swapping layer 1 does not.
        let l = layout(4, &[(0, 3), (1, 2)]);
        assert_eq!(l.crossings, 0);
        let (_, p3) = position(&l, 3);
        let (_, p0) = position(&l, 0);
        assert_eq!(p3, p0);
    }

    #[test]
    fn empty_graph() {
        let l = layout(0, &[]);
        assert!(l.layers.is_empty());
    }
}
