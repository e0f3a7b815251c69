//! "Today": the date in the district's time zone (`PARTNERMATCH_TIMEZONE`, an IANA
//! name, default UTC). Agreements, background checks and ages are judged on it, so a
//! clearance that ends today still counts until midnight where the district is, not
//! at midnight in Greenwich.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The district's time zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    /// The zone an IANA name (`America/Chicago`) names; the empty name is UTC.
    pub fn parse(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(Zone::default());
        }
        name.parse::<Tz>().map(Zone).map_err(|_| {
            format!("{name:?} is not an IANA time zone name (for example America/Chicago or UTC)")
        })
    }

    /// The date at `now` in this zone.
    pub fn today(self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.0).date_naive()
    }

    /// The zone's IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_local_date() {
        let evening: DateTime<Utc> = "2026-12-02T03:30:00Z".parse().unwrap();
        assert_eq!(Zone::default().today(evening).to_string(), "2026-12-02");
        let chicago = Zone::parse("America/Chicago").unwrap();
        assert_eq!(chicago.today(evening).to_string(), "2026-12-01", "21:30 the evening before");
        assert_eq!(Zone::parse("Asia/Tokyo").unwrap().today(evening).to_string(), "2026-12-02");
        assert_eq!(Zone::parse(" ").unwrap(), Zone::default());
        assert_eq!(chicago.name(), "America/Chicago");
        assert!(Zone::parse("Mars/Olympus").unwrap_err().contains("IANA"));
    }
}
