//! `Suggestion` and `NeedReport`, and the sentence that explains a suggestion.

use async_graphql::SimpleObject;
use matcher::model::TravelMode;
use store::records::RawWindow;
use store::suggest::{self, Travel};

use crate::graphql::types::common::{Criterion, RuledOut, WeeklyWindow};
use crate::graphql::types::opening::OpeningNode;

/// A feasible opening for a student's need, as a match run would make the pair.
#[derive(SimpleObject)]
pub struct Suggestion {
    /// The opening suggested.
    pub opening: OpeningNode,
    /// The sum of the breakdown's points.
    pub score: i64,
    /// Points per criterion; they add up to `score`.
    pub breakdown: Vec<Criterion>,
    /// The weekly sessions the match would have, on distinct days.
    pub sessions: Vec<WeeklyWindow>,
    /// Why it fits, in a sentence: "speaks Spanish, 12 min by transit, Tuesdays
    /// 16:00–17:00, covers algebra".
    pub explanation: String,
}

/// How many openings of a kind suit a need, and how many fail each constraint.
#[derive(Clone, Debug, SimpleObject)]
pub struct NeedReport {
    /// An open match of the kind already fills the need: nothing is suggested.
    pub filled: bool,
    /// Openings that pass every constraint.
    pub feasible: i64,
    /// Openings failing each constraint (one failing several counts under each), in
    /// the order of docs/matching.md's `ruledOutBy`; constraints nothing fails are left out.
    pub ruled_out_by: Vec<RuledOut>,
}

/// "speaks Spanish, 12 min by transit, Tuesdays 16:00–17:00, covers algebra".
pub(crate) fn explain(suggestion: &suggest::Suggestion) -> String {
    let mut parts = Vec::new();
    if !suggestion.language.is_empty() {
        parts.push(format!("speaks {}", language_name(&suggestion.language)));
    }
    parts.push(match suggestion.travel {
        Travel::Online => "online".to_owned(),
        Travel::Own { minutes, mode } => format!("{} min {}", whole_minutes(minutes), mode_words(mode)),
        Travel::Pickup { minutes } => format!("{} min by partner pick-up", whole_minutes(minutes)),
    });
    if !suggestion.sessions.is_empty() {
        parts.push(describe_sessions(&suggestion.sessions));
    }
    if !suggestion.subjects.is_empty() {
        parts.push(format!("covers {}", listed(&suggestion.subjects)));
    }
    parts.join(", ")
}

pub(crate) fn whole_minutes(minutes: f64) -> i64 {
    (minutes.round() as i64).max(1)
}

pub(crate) fn mode_words(mode: TravelMode) -> &'static str {
    match mode {
        TravelMode::Walk => "on foot",
        TravelMode::Bike => "by bike",
        TravelMode::Transit => "by transit",
        TravelMode::Car => "by car",
    }
}

/// Days that share a time read together: "Mondays and Wednesdays 16:00–17:00".
pub(crate) fn describe_sessions(sessions: &[RawWindow]) -> String {
    let mut groups: Vec<(&str, &str, Vec<String>)> = Vec::new();
    for session in sessions {
        let day = format!("{}s", day_name(&session.day));
        match groups.iter_mut().find(|(start, end, _)| *start == session.start && *end == session.end) {
            Some((_, _, days)) => days.push(day),
            None => groups.push((&session.start, &session.end, vec![day])),
        }
    }
    let groups: Vec<String> =
        groups.into_iter().map(|(start, end, days)| format!("{} {start}–{end}", listed(&days))).collect();
    listed(&groups)
}

pub(crate) fn day_name(day: &str) -> &str {
    match day {
        "MON" => "Monday",
        "TUE" => "Tuesday",
        "WED" => "Wednesday",
        "THU" => "Thursday",
        "FRI" => "Friday",
        "SAT" => "Saturday",
        "SUN" => "Sunday",
        other => other,
    }
}

/// "a", "a and b", "a, b and c".
pub(crate) fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The English name of an ISO 639-1 code, for the languages families in the district
/// speak most; other codes stay codes.
pub(crate) fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "es" => "Spanish",
        "so" => "Somali",
        "zh" => "Chinese",
        "vi" => "Vietnamese",
        "ar" => "Arabic",
        "tl" => "Tagalog",
        "fr" => "French",
        "ru" => "Russian",
        "ht" => "Haitian Creole",
        "pt" => "Portuguese",
        "pl" => "Polish",
        "ko" => "Korean",
        "hi" => "Hindi",
        "ur" => "Urdu",
        "uk" => "Ukrainian",
        "fa" => "Persian",
        "de" => "German",
        "it" => "Italian",
        "ja" => "Japanese",
        "bn" => "Bengali",
        "am" => "Amharic",
        "sw" => "Swahili",
        "ne" => "Nepali",
        "my" => "Burmese",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn window(day: &str, start: &str, end: &str) -> RawWindow {
        RawWindow { day: day.into(), start: start.into(), end: end.into() }
    }

    #[test]
    fn sessions_read_as_days_and_times() {
        assert_eq!(describe_sessions(&[window("TUE", "16:00", "17:00")]), "Tuesdays 16:00–17:00");
        assert_eq!(
            describe_sessions(&[
                window("MON", "16:00", "17:00"),
                window("WED", "16:00", "17:00"),
                window("THU", "15:00", "16:00"),
            ]),
            "Mondays and Wednesdays 16:00–17:00 and Thursdays 15:00–16:00"
        );
        assert_eq!(listed(&["a".into(), "b".into(), "c".into()]), "a, b and c");
    }

    #[test]
    fn languages_are_named_and_unknown_codes_kept() {
        for code in ["en", "es", "so", "zh", "vi", "ar", "tl", "fr", "ru", "ht", "pt"] {
            assert_ne!(language_name(code), code);
        }
        assert_eq!(language_name("xh"), "xh");
        assert_eq!(whole_minutes(11.6), 12);
        assert_eq!(whole_minutes(0.0), 1);
    }
}
