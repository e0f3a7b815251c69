//! Each schedule rule's fitting days for one free time, worked out on first use
//! and shared by every need whose student has that free time: the students of a
//! dense 100k district have 120 distinct weeks of availability, and their needs
//! meet the same few hundred (schedule, session length) rules again and again.
//! `ruledOutBy`'s schedule count reads the same tables.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use crate::calendar::WeekWindows;

/// Not worked out yet (a week has 7 days).
const UNKNOWN: u8 = u8::MAX;

/// Free times remembered per kind; past this, a need's table is its own. Bounds
/// memory at a few hundred bytes (one per rule) times this.
const MAX_TABLES: usize = 1 << 16;

/// One free time's fitting days per rule.
pub(super) struct Days(Box<[AtomicU8]>);

impl Days {
    fn new(rules: usize) -> Days {
        Days((0..rules).map(|_| AtomicU8::new(UNKNOWN)).collect())
    }

    /// The days of `rule`, from `compute` the first time. Threads that race on a
    /// rule compute the same value: nothing orders them.
    pub(super) fn get(&self, rule: u32, compute: impl FnOnce() -> u8) -> u8 {
        let slot = &self.0[rule as usize];
        let known = slot.load(Ordering::Relaxed);
        if known != UNKNOWN {
            return known;
        }
        let days = compute();
        slot.store(days, Ordering::Relaxed);
        days
    }
}

/// The tables of one kind's rules, by free time.
pub(super) struct DayTables {
    rules: usize,
    by_free: RwLock<HashMap<WeekWindows, Arc<Days>>>,
}

impl DayTables {
    pub(super) fn new(rules: usize) -> DayTables {
        DayTables { rules, by_free: RwLock::new(HashMap::new()) }
    }

    /// The table of `free`, shared while there is room for it.
    pub(super) fn of(&self, free: &WeekWindows) -> Arc<Days> {
        let full = match self.by_free.read() {
            Ok(tables) => match tables.get(free) {
                Some(days) => return Arc::clone(days),
                None => tables.len() >= MAX_TABLES,
            },
            Err(_) => true,
        };
        let days = Arc::new(Days::new(self.rules));
        // Once full, a miss takes no write lock: it would find no room.
        if full {
            return days;
        }
        match self.by_free.write() {
            Ok(mut tables) if tables.len() < MAX_TABLES => {
                Arc::clone(tables.entry(free.clone()).or_insert(days))
            }
            _ => days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{Minutes, Weekday, Window};

    #[test]
    fn a_rule_is_worked_out_once_per_free_time() {
        let tables = DayTables::new(3);
        let monday = WeekWindows::from_windows(vec![
            Window::new(Weekday::Mon, Minutes::new(540).unwrap(), Minutes::new(600).unwrap()).unwrap(),
        ]);
        let first = tables.of(&monday);
        let mut calls = 0;
        assert_eq!(
            first.get(1, || {
                calls += 1;
                4
            }),
            4
        );
        assert_eq!(
            tables.of(&monday).get(1, || {
                calls += 1;
                5
            }),
            4
        );
        assert_eq!(calls, 1);
        // Another free time has its own table.
        let other = WeekWindows::from_windows(Vec::new());
        assert_eq!(tables.of(&other).get(1, || 2), 2);
        assert_eq!(first.get(1, || 6), 4);
    }
}
