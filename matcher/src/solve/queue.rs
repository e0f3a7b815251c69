//! The priority queue of the shortest-path searches: a radix heap over distances,
//! with the entries at the current distance in a small heap by node.
//!
//! A Dijkstra search on non-negative reduced costs only ever pushes distances at
//! or above the one it last popped, which is what a radix heap needs: an entry sits
//! in the bucket of the highest bit where its distance differs from the last popped
//! one, so a push is O(1) and each entry moves down at most 64 times. The order is
//! exactly `BinaryHeap<Reverse<(distance, node)>>`'s: least distance first, then
//! least node, so the searches settle the same nodes and reach the same optimum.
//! On a dense district most of a search sits on plateaus of equal distance (tight
//! arcs), which the small heap by node holds alone.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Bucket 0 is never used: the entries at the last popped distance are `level`.
const BUCKETS: usize = 65;

pub(super) struct Queue {
    /// The distance last popped (every entry is at or above it), as an
    /// order-preserving unsigned key.
    last: u64,
    /// The entries at `last`, by node.
    level: BinaryHeap<Reverse<u32>>,
    /// Bucket `b` holds the entries whose key first differs from `last` at bit
    /// `b - 1` (from the bottom).
    buckets: [Vec<(u64, u32)>; BUCKETS],
    /// Bit `b` set when bucket `b` is not empty.
    occupied: u128,
    /// A spare bucket, swapped in while one is redistributed (no allocation).
    spare: Vec<(u64, u32)>,
}

/// `distance` as a key whose unsigned order is the signed order.
fn key(distance: i64) -> u64 {
    (distance as u64) ^ (1 << 63)
}

fn distance(key: u64) -> i64 {
    (key ^ (1 << 63)) as i64
}

fn bucket(last: u64, key: u64) -> usize {
    (u64::BITS - (key ^ last).leading_zeros()) as usize
}

impl Queue {
    pub(super) fn new() -> Queue {
        Queue {
            last: 0,
            level: BinaryHeap::new(),
            buckets: std::array::from_fn(|_| Vec::new()),
            occupied: 0,
            spare: Vec::new(),
        }
    }

    /// Empties the queue; the next push may be at any distance.
    pub(super) fn clear(&mut self) {
        self.level.clear();
        while self.occupied != 0 {
            let b = self.occupied.trailing_zeros() as usize;
            self.buckets[b].clear();
            self.occupied &= !(1 << b);
        }
        self.last = 0;
    }

    /// Queues `node` at `distance`, which is at or above the last popped one
    /// (anything at all after [`Queue::clear`]).
    pub(super) fn push(&mut self, distance: i64, node: u32) {
        let key = key(distance);
        debug_assert!(key >= self.last, "a search pushed below the distance it popped");
        self.file(key, node);
    }

    /// Puts an entry at or above `last` in its bucket, or in the level.
    fn file(&mut self, key: u64, node: u32) {
        match bucket(self.last, key) {
            0 => self.level.push(Reverse(node)),
            b => {
                self.buckets[b].push((key, node));
                self.occupied |= 1 << b;
            }
        }
    }

    /// The entry of least distance, least node among those.
    pub(super) fn pop(&mut self) -> Option<(i64, u32)> {
        if let Some(Reverse(node)) = self.level.pop() {
            return Some((distance(self.last), node));
        }
        if self.occupied == 0 {
            return None;
        }
        // The lowest occupied bucket holds the least keys; every entry in it goes to
        // a lower bucket (or the level) once its least key is the new `last`.
        let b = self.occupied.trailing_zeros() as usize;
        self.occupied &= !(1 << b);
        let mut moving = std::mem::replace(&mut self.buckets[b], std::mem::take(&mut self.spare));
        self.last = moving.iter().map(|(key, _)| *key).min().unwrap_or(self.last);
        for (key, node) in moving.drain(..) {
            self.file(key, node);
        }
        self.spare = moving;
        self.level.pop().map(|Reverse(node)| (distance(self.last), node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any monotone sequence of pushes and pops, against the binary heap it
        /// replaces: the same entries in the same order.
        #[test]
        fn pops_what_a_binary_heap_pops(
            start in -1_000_000i64..1_000_000,
            steps in prop::collection::vec((any::<bool>(), 0i64..2_000, 0u32..50), 0..300),
            clears in prop::collection::vec(0usize..300, 0..3),
        ) {
            let mut queue = Queue::new();
            let mut heap: BinaryHeap<Reverse<(i64, u32)>> = BinaryHeap::new();
            let mut floor = start;
            for (at, (pop, step, node)) in steps.into_iter().enumerate() {
                if clears.contains(&at) {
                    queue.clear();
                    heap.clear();
                    floor = start - step;
                }
                if pop {
                    let expected = heap.pop().map(|Reverse(entry)| entry);
                    prop_assert_eq!(queue.pop(), expected);
                    if let Some((distance, _)) = expected {
                        floor = distance;
                    }
                } else {
                    // Small steps: many entries share a distance, as on a plateau.
                    let distance = floor + step % 4 + (step / 1_000) * step;
                    queue.push(distance, node);
                    heap.push(Reverse((distance, node)));
                }
            }
            while let Some(Reverse(entry)) = heap.pop() {
                prop_assert_eq!(queue.pop(), Some(entry));
            }
            prop_assert_eq!(queue.pop(), None);
        }
    }

    #[test]
    fn spans_the_whole_range_of_distances() {
        let mut queue = Queue::new();
        for (distance, node) in [(i64::MAX, 1), (0, 2), (i64::MIN, 3), (-1, 4), (0, 0)] {
            queue.push(distance, node);
        }
        let popped: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(popped, vec![(i64::MIN, 3), (-1, 4), (0, 0), (0, 2), (i64::MAX, 1)]);
    }
}
