//! A static tree of bounding boxes over points on the unit sphere, for "every
//! opening within this chord of a home". Built once per kind: the points are laid
//! out in Z-order of their unit vectors (no seam at the date line or the poles),
//! 16 to a leaf and 16 boxes to a node, so a query walks a few boxes and then
//! contiguous runs of points; a box wholly inside the ball is taken without
//! testing its points. Cost: O(n log n) to build; a query is O(log n) plus the
//! points it returns.

/// Points per leaf, boxes per node.
const FANOUT: usize = 16;

/// Points and what they carry, in tree order.
pub(super) struct Near<T> {
    points: Vec<[f64; 3]>,
    items: Vec<T>,
    /// `levels[0]` boxes each leaf of `FANOUT` points; `levels[k + 1]` boxes
    /// `FANOUT` boxes of `levels[k]`; the last level has at most `FANOUT`.
    levels: Vec<Vec<Aabb>>,
}

impl<T> Near<T> {
    /// The tree of `entries`; entries at one point keep their given order.
    pub(super) fn build(mut entries: Vec<([f64; 3], T)>) -> Near<T> {
        entries.sort_by_key(|(point, _)| z_order(point));
        let (points, items): (Vec<[f64; 3]>, Vec<T>) = entries.into_iter().unzip();
        let mut levels = Vec::new();
        let mut boxes: Vec<Aabb> = points.chunks(FANOUT).map(Aabb::around).collect();
        while boxes.len() > FANOUT {
            let parents = boxes.chunks(FANOUT).map(Aabb::union).collect();
            levels.push(boxes);
            boxes = parents;
        }
        levels.push(boxes);
        Near { points, items, levels }
    }

    /// How many points there are.
    pub(super) fn len(&self) -> usize {
        self.points.len()
    }

    /// Visits every item whose point is within squared chord `max_squared` of
    /// `centre` (inclusive), in no particular order.
    pub(super) fn for_each_within(&self, centre: [f64; 3], max_squared: f64, mut visit: impl FnMut(&T)) {
        let top = self.levels.len() - 1;
        for node in 0..self.levels[top].len() {
            self.visit(top, node, centre, max_squared, &mut visit);
        }
    }

    fn visit(
        &self,
        level: usize,
        node: usize,
        centre: [f64; 3],
        max_squared: f64,
        visit: &mut impl FnMut(&T),
    ) {
        let bounds = &self.levels[level][node];
        if bounds.nearest_squared(centre) > max_squared {
            return;
        }
        let span = FANOUT.pow(level as u32 + 1);
        let points = node * span..((node + 1) * span).min(self.points.len());
        if bounds.farthest_squared(centre) <= max_squared {
            self.items[points].iter().for_each(visit);
        } else if level == 0 {
            for at in points {
                if squared_distance(self.points[at], centre) <= max_squared {
                    visit(&self.items[at]);
                }
            }
        } else {
            let children = node * FANOUT..((node + 1) * FANOUT).min(self.levels[level - 1].len());
            for child in children {
                self.visit(level - 1, child, centre, max_squared, visit);
            }
        }
    }
}

fn squared_distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// An axis-aligned box.
#[derive(Clone, Copy, Debug)]
struct Aabb {
    lo: [f64; 3],
    hi: [f64; 3],
}

impl Aabb {
    const EMPTY: Aabb = Aabb { lo: [f64::INFINITY; 3], hi: [f64::NEG_INFINITY; 3] };

    fn around(points: &[[f64; 3]]) -> Aabb {
        points.iter().fold(Aabb::EMPTY, |bounds, point| bounds.grown(point, point))
    }

    fn union(boxes: &[Aabb]) -> Aabb {
        boxes.iter().fold(Aabb::EMPTY, |bounds, other| bounds.grown(&other.lo, &other.hi))
    }

    fn grown(mut self, lo: &[f64; 3], hi: &[f64; 3]) -> Aabb {
        for axis in 0..3 {
            self.lo[axis] = self.lo[axis].min(lo[axis]);
            self.hi[axis] = self.hi[axis].max(hi[axis]);
        }
        self
    }

    /// Squared distance from `point` to the nearest point of the box.
    fn nearest_squared(&self, point: [f64; 3]) -> f64 {
        (0..3)
            .map(|axis| (self.lo[axis] - point[axis]).max(point[axis] - self.hi[axis]).max(0.0).powi(2))
            .sum()
    }

    /// Squared distance from `point` to the farthest corner of the box.
    fn farthest_squared(&self, point: [f64; 3]) -> f64 {
        (0..3)
            .map(|axis| (point[axis] - self.lo[axis]).abs().max((self.hi[axis] - point[axis]).abs()).powi(2))
            .sum()
    }
}

/// Interleaves 21 bits of each coordinate (−1 to 1) into a Z-order key.
fn z_order(point: &[f64; 3]) -> u64 {
    let spread = |value: f64| {
        let mut x = (((value + 1.0) / 2.0).clamp(0.0, 1.0) * f64::from((1u32 << 21) - 1)) as u64;
        x = (x | (x << 32)) & 0x001F_0000_0000_FFFF;
        x = (x | (x << 16)) & 0x001F_0000_FF00_00FF;
        x = (x | (x << 8)) & 0x100F_00F0_0F00_F00F;
        x = (x | (x << 4)) & 0x10C3_0C30_C30C_30C3;
        (x | (x << 2)) & 0x1249_2492_4924_9249
    };
    spread(point[0]) | spread(point[1]) << 1 | spread(point[2]) << 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Rng;

    fn random_unit(rng: &mut Rng, spread: f64) -> [f64; 3] {
        // Points around one place (spread small) or anywhere (spread 1).
        let lat = (41.9 + (rng.unit() - 0.5) * 180.0 * spread).clamp(-90.0, 90.0).to_radians();
        let lon = (-87.6 + (rng.unit() - 0.5) * 360.0 * spread).to_radians();
        [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
    }

    #[test]
    fn a_query_returns_exactly_the_points_a_scan_returns() {
        let mut rng = Rng::new(11);
        for (n, spread) in
            [(0, 1.0), (1, 1.0), (15, 0.01), (16, 0.01), (17, 1.0), (300, 0.01), (5000, 0.02), (5000, 1.0)]
        {
            let points: Vec<[f64; 3]> = (0..n).map(|_| random_unit(&mut rng, spread)).collect();
            let near = Near::build(points.iter().copied().zip(0..).collect());
            assert_eq!(near.len(), n);
            for _ in 0..50 {
                let centre = random_unit(&mut rng, spread);
                let max_squared = rng.unit().powi(3) * 0.01;
                let mut found = Vec::new();
                near.for_each_within(centre, max_squared, |at: &usize| found.push(*at));
                found.sort_unstable();
                let expected: Vec<usize> =
                    (0..n).filter(|at| squared_distance(points[*at], centre) <= max_squared).collect();
                assert_eq!(found, expected, "n {n}");
            }
        }
    }

    #[test]
    fn z_order_keeps_each_coordinate() {
        const EVERY_THIRD: u64 = 0x1249_2492_4924_9249;
        let key = z_order(&[1.0, -1.0, 1.0]);
        assert_eq!(key & EVERY_THIRD, EVERY_THIRD);
        assert_eq!(key & (EVERY_THIRD << 1), 0);
        assert_eq!(key & (EVERY_THIRD << 2), EVERY_THIRD << 2);
        assert!(z_order(&[0.5, 0.0, 0.0]) < z_order(&[0.6, 0.0, 0.0]));
    }
}
