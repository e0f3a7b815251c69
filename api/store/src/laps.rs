//! Where a long write spends its time, for the log: a district's commit writes
//! tens of thousands of rows in one transaction, and which step grew is the first
//! question when it slows down.

use std::fmt;
use std::time::{Duration, Instant};

/// Named steps of one operation, each with the time since the step before.
#[derive(Debug)]
pub struct Laps {
    last: Instant,
    steps: Vec<(&'static str, Duration)>,
}

impl Default for Laps {
    fn default() -> Self {
        Laps::new()
    }
}

impl Laps {
    /// Starts timing now.
    pub fn new() -> Laps {
        Laps { last: Instant::now(), steps: Vec::new() }
    }

    /// Ends the step `name` now.
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.steps.push((name, now - self.last));
        self.last = now;
    }

    /// The steps in order, as timed.
    pub fn steps(&self) -> &[(&'static str, Duration)] {
        &self.steps
    }

    /// All steps together.
    pub fn total(&self) -> Duration {
        self.steps.iter().map(|(_, spent)| *spent).sum()
    }
}

/// `slots 12 ms, matches 840 ms, …`.
impl fmt::Display for Laps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (at, (name, spent)) in self.steps.iter().enumerate() {
            if at > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} {} ms", spent.as_millis())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_add_up_and_read_in_order() {
        let mut laps = Laps::new();
        laps.lap("first");
        std::thread::sleep(Duration::from_millis(2));
        laps.lap("second");
        let names: Vec<&str> = laps.steps().iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["first", "second"]);
        assert!(laps.steps()[1].1 >= Duration::from_millis(2));
        assert_eq!(laps.total(), laps.steps()[0].1 + laps.steps()[1].1);
        let shown = laps.to_string();
        assert!(shown.starts_with("first ") && shown.contains(", second "), "{shown}");
    }
}
