//! Weekdays, clock minutes and weekly windows: the time arithmetic of matching.

use std::fmt;

/// A day of the week; the order is the contract's (`MON` first), and sessions are
/// placed in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: [Weekday; 7] =
        [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

    /// Parses the contract's three-letter upper-case name.
    pub fn parse(text: &str) -> Option<Weekday> {
        Weekday::ALL.into_iter().find(|day| day.as_str() == text)
    }

    /// The contract's name: `MON` … `SUN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "MON",
            Weekday::Tue => "TUE",
            Weekday::Wed => "WED",
            Weekday::Thu => "THU",
            Weekday::Fri => "FRI",
            Weekday::Sat => "SAT",
            Weekday::Sun => "SUN",
        }
    }

    /// 0 for Monday … 6 for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Minutes since midnight. 1440 is allowed so a window can end at 24:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minutes(u16);

impl Minutes {
    /// Midnight at the start of the day.
    pub const MIDNIGHT: Minutes = Minutes(0);
    /// Midnight at the end of the day (24:00).
    pub const END_OF_DAY: Minutes = Minutes(1440);

    /// `None` past 24:00.
    pub fn new(value: u16) -> Option<Minutes> {
        (value <= 1440).then_some(Minutes(value))
    }

    /// Parses `HH:MM` (two digits each), 00:00 to 24:00.
    pub fn parse(text: &str) -> Option<Minutes> {
        let bytes = text.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return None;
        }
        let digit = |index: usize| {
            let byte = bytes[index];
            byte.is_ascii_digit().then(|| u16::from(byte - b'0'))
        };
        let hours = digit(0)? * 10 + digit(1)?;
        let minutes = digit(3)? * 10 + digit(4)?;
        if minutes >= 60 {
            return None;
        }
        Minutes::new(hours * 60 + minutes)
    }

    /// The number of minutes since midnight.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A stretch of one day, `start < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    day: Weekday,
    start: Minutes,
    end: Minutes,
}

impl Window {
    /// `None` unless `start < end`.
    pub fn new(day: Weekday, start: Minutes, end: Minutes) -> Option<Window> {
        (start < end).then_some(Window { day, start, end })
    }

    /// The day.
    pub fn day(&self) -> Weekday {
        self.day
    }

    /// The first minute.
    pub fn start(&self) -> Minutes {
        self.start
    }

    /// The minute just past the end.
    pub fn end(&self) -> Minutes {
        self.end
    }

    /// Length in minutes.
    pub fn minutes(&self) -> u16 {
        self.end.0 - self.start.0
    }
}

/// A person's or an opening's weekly time: windows sorted by day and start, with
/// overlapping or touching windows of one day merged (the contract's rule), so two
/// windows 15:00–16:00 and 16:00–17:00 hold a 90-minute session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WeekWindows {
    windows: Vec<Window>,
    /// `windows[day_starts[d]..day_starts[d + 1]]` are day d's: the hot path of
    /// feasibility looks days up without searching.
    day_starts: [u32; 8],
}

impl WeekWindows {
    /// Sorts and merges any windows.
    pub fn from_windows(mut windows: Vec<Window>) -> WeekWindows {
        windows.sort_unstable();
        let mut merged: Vec<Window> = Vec::with_capacity(windows.len());
        for window in windows {
            match merged.last_mut() {
                Some(last) if last.day == window.day && window.start <= last.end => {
                    last.end = last.end.max(window.end);
                }
                _ => merged.push(window),
            }
        }
        WeekWindows::indexed(merged)
    }

    /// Wraps windows already sorted and merged, indexing their days.
    fn indexed(windows: Vec<Window>) -> WeekWindows {
        let mut day_starts = [0u32; 8];
        for (day, start) in day_starts.iter_mut().enumerate() {
            *start = windows.partition_point(|window| window.day.index() < day) as u32;
        }
        WeekWindows { windows, day_starts }
    }

    /// All windows, sorted and merged.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// The windows of one day, sorted.
    pub fn on(&self, day: Weekday) -> &[Window] {
        let from = self.day_starts[day.index()] as usize;
        let to = self.day_starts[day.index() + 1] as usize;
        &self.windows[from..to]
    }

    /// This time less `taken`: what stays free once a session is held.
    pub fn without(&self, taken: &Window) -> WeekWindows {
        let mut windows = Vec::with_capacity(self.windows.len() + 1);
        for window in &self.windows {
            if window.day != taken.day || window.end <= taken.start || taken.end <= window.start {
                windows.push(*window);
                continue;
            }
            windows.extend(Window::new(window.day, window.start, taken.start));
            windows.extend(Window::new(window.day, taken.end, window.end));
        }
        WeekWindows::indexed(windows)
    }

    /// The earliest start on `day` of a `minutes`-long stretch inside both this time
    /// and `other`, if any. Cost: linear in the two days' windows.
    pub fn earliest_fit(&self, other: &WeekWindows, day: Weekday, minutes: u16) -> Option<Window> {
        let ours = self.on(day);
        let theirs = other.on(day);
        let (mut i, mut j) = (0, 0);
        // Both lists are sorted and disjoint, so a merge walk meets the overlaps in
        // order of start: the first long enough is the earliest.
        while i < ours.len() && j < theirs.len() {
            let start = ours[i].start.max(theirs[j].start);
            let end = ours[i].end.min(theirs[j].end);
            if end.0 >= start.0 && end.0 - start.0 >= minutes {
                let session_end = Minutes(start.0 + minutes);
                return Window::new(day, start, session_end);
            }
            if ours[i].end <= theirs[j].end {
                i += 1;
            } else {
                j += 1;
            }
        }
        None
    }

    /// How many days hold a `minutes`-long stretch inside both this time and `other`.
    pub fn fitting_days(&self, other: &WeekWindows, minutes: u16) -> u8 {
        let mut days = 0;
        for day in Weekday::ALL {
            if self.earliest_fit(other, day, minutes).is_some() {
                days += 1;
            }
        }
        days
    }

    /// The sessions of a match: on the first `count` days (Monday first) that hold a
    /// fit, the earliest fitting `minutes`; `None` when fewer days fit.
    pub fn place_sessions(&self, other: &WeekWindows, minutes: u16, count: u8) -> Option<Vec<Window>> {
        let mut sessions = Vec::with_capacity(usize::from(count));
        for day in Weekday::ALL {
            if sessions.len() == usize::from(count) {
                break;
            }
            sessions.extend(self.earliest_fit(other, day, minutes));
        }
        (sessions.len() == usize::from(count)).then_some(sessions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(day: Weekday, start: &str, end: &str) -> Window {
        Window::new(day, Minutes::parse(start).unwrap(), Minutes::parse(end).unwrap()).unwrap()
    }

    #[test]
    fn clock_bounds() {
        assert_eq!(Minutes::parse("00:00").map(Minutes::get), Some(0));
        assert_eq!(Minutes::parse("24:00").map(Minutes::get), Some(1440));
        assert_eq!(Minutes::parse("23:59").map(Minutes::get), Some(1439));
        for bad in ["24:01", "9:00", "09:60", "0900", "09:0a", " 9:00", "25:00", ""] {
            assert_eq!(Minutes::parse(bad), None, "{bad}");
        }
        assert_eq!(Minutes::new(1441), None);
        assert_eq!(Minutes::parse("07:05").unwrap().to_string(), "07:05");
    }

    #[test]
    fn windows_need_start_before_end() {
        let at = |text| Minutes::parse(text).unwrap();
        assert!(Window::new(Weekday::Mon, at("10:00"), at("10:00")).is_none());
        assert!(Window::new(Weekday::Mon, at("10:01"), at("10:00")).is_none());
        assert!(Window::new(Weekday::Mon, at("10:00"), at("10:01")).is_some());
    }

    #[test]
    fn touching_and_overlapping_windows_merge_per_day() {
        let merged = WeekWindows::from_windows(vec![
            window(Weekday::Tue, "16:00", "17:00"),
            window(Weekday::Tue, "15:00", "16:00"),
            window(Weekday::Tue, "16:30", "18:00"),
            window(Weekday::Wed, "18:00", "19:00"),
            window(Weekday::Mon, "18:00", "24:00"),
        ]);
        assert_eq!(
            merged.windows(),
            &[
                window(Weekday::Mon, "18:00", "24:00"),
                window(Weekday::Tue, "15:00", "18:00"),
                window(Weekday::Wed, "18:00", "19:00"),
            ]
        );
        // A Monday ending at midnight does not merge with Tuesday's start.
        let split = WeekWindows::from_windows(vec![
            window(Weekday::Mon, "23:00", "24:00"),
            window(Weekday::Tue, "00:00", "01:00"),
        ]);
        assert_eq!(split.windows().len(), 2);
    }

    #[test]
    fn fit_needs_contiguous_overlap() {
        let student = WeekWindows::from_windows(vec![
            window(Weekday::Tue, "15:00", "16:00"),
            window(Weekday::Tue, "16:00", "17:00"),
        ]);
        let opening = WeekWindows::from_windows(vec![window(Weekday::Tue, "15:30", "18:00")]);
        assert_eq!(
            student.earliest_fit(&opening, Weekday::Tue, 90),
            Some(window(Weekday::Tue, "15:30", "17:00"))
        );
        assert_eq!(student.earliest_fit(&opening, Weekday::Tue, 91), None);
        assert_eq!(student.earliest_fit(&opening, Weekday::Wed, 1), None);
        // Two separate stretches of 30 minutes do not hold a 60-minute session.
        let gappy = WeekWindows::from_windows(vec![
            window(Weekday::Fri, "10:00", "10:30"),
            window(Weekday::Fri, "10:45", "11:15"),
        ]);
        let long = WeekWindows::from_windows(vec![window(Weekday::Fri, "09:00", "12:00")]);
        assert_eq!(gappy.earliest_fit(&long, Weekday::Fri, 60), None);
        assert_eq!(gappy.earliest_fit(&long, Weekday::Fri, 30), Some(window(Weekday::Fri, "10:00", "10:30")));
    }

    #[test]
    fn sessions_take_the_first_fitting_days_and_leave_the_rest_free() {
        let student = WeekWindows::from_windows(vec![
            window(Weekday::Mon, "15:00", "16:00"),
            window(Weekday::Wed, "15:00", "18:00"),
            window(Weekday::Thu, "15:00", "18:00"),
            window(Weekday::Sat, "09:00", "12:00"),
        ]);
        let opening = WeekWindows::from_windows(vec![
            window(Weekday::Mon, "15:00", "18:00"),
            window(Weekday::Wed, "16:00", "18:00"),
            window(Weekday::Thu, "15:30", "18:00"),
        ]);
        assert_eq!(student.fitting_days(&opening, 90), 2);
        let sessions = student.place_sessions(&opening, 90, 2).unwrap();
        assert_eq!(
            sessions,
            vec![window(Weekday::Wed, "16:00", "17:30"), window(Weekday::Thu, "15:30", "17:00")]
        );
        assert_eq!(student.place_sessions(&opening, 90, 3), None);
        let free = student.without(&sessions[0]);
        assert_eq!(
            free.on(Weekday::Wed),
            &[window(Weekday::Wed, "15:00", "16:00"), window(Weekday::Wed, "17:30", "18:00")]
        );
        assert_eq!(free.on(Weekday::Mon), student.on(Weekday::Mon));
    }
}
