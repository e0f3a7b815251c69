//! One kind's open openings shelved by the student grades they take and, for
//! tutoring, by subject: a need visits only the shelves of its grade and its
//! subjects, so most pairs it tests pass the sketch's tests. On a dense district
//! a need met 441 million openings in reach of which 92 million passed them; the
//! spatial tree alone cannot tell a ninth-grader's algebra tutor from a
//! kindergartner's reading one.
//!
//! An opening with several subjects is on each of their shelves. A need with
//! several subjects takes its shelves in bit order and skips, on each, the
//! openings carrying a subject of an earlier one: those were visited there. That
//! needs a bit per subject, so tutoring is shelved by subject only when the kind's
//! subject bits are exact; otherwise (and for other kinds, whose subjects are
//! only rated) one shelf per grade holds every subject.

use super::near::Near;
use super::pair::Sketch;

/// Grades 0 (kindergarten) to 12.
const GRADES: usize = 13;

/// How a kind's openings are shelved.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout {
    /// Shelves per grade: one per subject bit, or one.
    per_grade: usize,
    by_subject: bool,
}

impl Layout {
    /// One shelf per grade and subject bit (`subject_bits` of them, each a bit of
    /// its own) when `by_subject`, else one per grade.
    pub(super) fn new(by_subject: bool, subject_bits: usize) -> Layout {
        let by_subject = by_subject && (1..=64).contains(&subject_bits);
        Layout { per_grade: if by_subject { subject_bits } else { 1 }, by_subject }
    }

    /// The slots a need with subject mask `subjects` visits, as bits.
    pub(super) fn slots(&self, subjects: u64) -> u64 {
        if self.by_subject { subjects } else { 1 }
    }

    /// The shelf of `grade` and `slot`.
    pub(super) fn shelf(&self, grade: u8, slot: u32) -> usize {
        usize::from(grade) * self.per_grade + slot as usize
    }

    fn n_shelves(&self) -> usize {
        GRADES * self.per_grade
    }

    /// The shelves `sketch` is on: none unless it is open.
    fn shelves_of(&self, sketch: &Sketch) -> impl Iterator<Item = usize> + '_ {
        let slots = if self.by_subject { sketch.subject_bits() } else { 1 };
        let open = sketch.is_open();
        let grades = sketch.grades().filter(move |_| open);
        grades.flat_map(move |grade| ones(slots).map(move |slot| self.shelf(grade, slot)))
    }

    /// Lays `items` out on the shelves of their sketches, each shelf in the
    /// given order.
    pub(super) fn shelve<'s, T: Copy>(&self, items: impl Iterator<Item = (&'s Sketch, T)>) -> Vec<Vec<T>> {
        let mut shelves = vec![Vec::new(); self.n_shelves()];
        for (sketch, item) in items {
            for shelf in self.shelves_of(sketch) {
                shelves[shelf].push(item);
            }
        }
        shelves
    }

    /// One spatial tree per shelf of the in-person openings.
    pub(super) fn shelve_in_person(&self, points: &[([f64; 3], Sketch)]) -> Vec<Near<Sketch>> {
        let items = points.iter().map(|(point, sketch)| (sketch, (*point, *sketch)));
        self.shelve(items).into_iter().map(Near::build).collect()
    }
}

/// The positions of the set bits of `bits`, lowest first.
pub(super) fn ones(mut bits: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let at = bits.trailing_zeros();
            bits &= bits - 1;
            at
        })
    })
}

/// The slots below `slot` among `slots`: a sketch carrying one of them was met
/// on its shelf already.
pub(super) fn earlier(slots: u64, slot: u32) -> u64 {
    slots & ((1u64 << slot) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ones_lists_set_bits_lowest_first() {
        assert_eq!(ones(0).count(), 0);
        assert_eq!(ones(0b1010_0001).collect::<Vec<_>>(), vec![0, 5, 7]);
        assert_eq!(ones(1 << 63).collect::<Vec<_>>(), vec![63]);
    }

    #[test]
    fn a_need_meets_each_opening_of_its_subjects_once() {
        // Needs and openings over 5 subject bits: every opening sharing a subject
        // with the need is met exactly once over the need's slots.
        for need in 1u64..32 {
            for opening in 1u64..32 {
                let met =
                    ones(need).filter(|slot| opening >> slot & 1 == 1 && opening & earlier(need, *slot) == 0);
                assert_eq!(
                    met.count(),
                    usize::from(need & opening != 0),
                    "need {need:b} opening {opening:b}"
                );
            }
        }
    }

    #[test]
    fn a_layout_without_exact_bits_has_one_shelf_per_grade() {
        let layout = Layout::new(true, 65);
        assert_eq!(layout.slots(0b110), 1);
        assert_eq!(layout.shelf(12, 0), 12);
        let layout = Layout::new(true, 10);
        assert_eq!(layout.slots(0b110), 0b110);
        assert_eq!(layout.shelf(2, 3), 23);
        assert_eq!(Layout::new(false, 10).slots(0b110), 1);
    }
}
