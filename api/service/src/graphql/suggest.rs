//! `suggestions`: the best feasible openings for one student's need, each with its
//! score, breakdown, sessions and a sentence a family can read; and `needReport`:
//! why a need has the suggestions it has (how many openings fail each constraint).
//! Both for ADMIN, the student's counselor and the student (see [`Access`]).

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{NaiveDate, Utc};
use matcher::model::TravelMode;

use super::access::Access;
use super::error::{ApiError, ApiResult};
use super::matching::{Criterion, criteria};
use super::records::{OpeningKind, OpeningNode, WeeklyWindow};
use super::store;
use store::records::{Kind, RawWindow, Student};
use store::suggest::{self, Travel};
use store::{Store, StoreError};

/// Suggestions a query returns unless asked otherwise.
pub const DEFAULT_SUGGESTIONS: i32 = 5;
/// Most suggestions a query may ask for.
pub const MAX_SUGGESTIONS: i32 = 20;

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
    pub feasible: i32,
    /// Openings failing each constraint (one failing several counts under each), in
    /// the order of MATCHING.md's `ruledOutBy`; constraints nothing fails are left out.
    pub ruled_out_by: Vec<RuledOut>,
}

/// Openings one constraint rules out.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct RuledOut {
    /// `SUBJECTS GRADE AGE LANGUAGE SCHEDULE TRAVEL CONSENT AGREEMENT
    /// BACKGROUND_CHECK DECLINED FULL`.
    pub constraint: String,
    /// How many openings of the kind fail it.
    pub count: i32,
}

/// Reads.
#[derive(Default)]
pub struct SuggestQuery;

#[Object]
impl SuggestQuery {
    /// The best feasible openings for the student's need of `kind`, highest score
    /// first (then opening id); `first` 1–20, default 5. Empty when an open match
    /// already fills the need or nothing is feasible (`needReport` says why).
    #[graphql(complexity = "suggestion_cost(first, child_complexity)")]
    async fn suggestions(
        &self,
        ctx: &Context<'_>,
        student_id: ID,
        kind: OpeningKind,
        first: Option<i32>,
    ) -> ApiResult<Vec<Suggestion>> {
        let access = Access::of(ctx)?;
        let limit = limit(first)?;
        let store = store(ctx)?;
        let (student, kind) = need(store, &access, &student_id, kind).await?;
        let found = suggest::suggestions(store.db(), &student, kind, today(), limit).await?;
        Ok(found
            .into_iter()
            .map(|item| Suggestion {
                explanation: explain(&item),
                score: i64::from(item.score),
                breakdown: criteria(&item.breakdown),
                sessions: item.sessions.iter().map(WeeklyWindow::from).collect(),
                opening: OpeningNode::new(store, item.opening),
            })
            .collect())
    }

    /// Why the student's need of `kind` has the suggestions it has: over every
    /// opening of the kind, how many are feasible and how many fail each constraint.
    async fn need_report(
        &self,
        ctx: &Context<'_>,
        student_id: ID,
        kind: OpeningKind,
    ) -> ApiResult<NeedReport> {
        let access = Access::of(ctx)?;
        let store = store(ctx)?;
        let (student, kind) = need(store, &access, &student_id, kind).await?;
        let report = suggest::need_report(store.db(), &student, kind, today()).await?;
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(NeedReport {
            filled: report.filled,
            feasible: count(report.feasible),
            ruled_out_by: report
                .ruled_out_by
                .into_iter()
                .map(|(constraint, n)| RuledOut {
                    constraint: constraint.as_str().to_owned(),
                    count: count(n),
                })
                .collect(),
        })
    }
}

/// `first` × what each suggestion asks for.
fn suggestion_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.unwrap_or(DEFAULT_SUGGESTIONS).clamp(1, MAX_SUGGESTIONS) as usize;
    first.saturating_mul(child_complexity).max(1)
}

fn limit(first: Option<i32>) -> Result<usize, ApiError> {
    let first = first.unwrap_or(DEFAULT_SUGGESTIONS);
    if !(1..=MAX_SUGGESTIONS).contains(&first) {
        return Err(ApiError::bad_input("first", format!("must be 1 to {MAX_SUGGESTIONS}, not {first}")));
    }
    Ok(first as usize)
}

/// Matching is judged on today's date (UTC), as a run started now would be.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The student, if the viewer may ask about them, and their need of `kind`.
async fn need(
    store: &Store,
    access: &Access<'_>,
    student_id: &str,
    kind: OpeningKind,
) -> Result<(Student, Kind), ApiError> {
    let student = suggest::student(store.db(), student_id).await?;
    access.suggestions(student_id, &student.school_id)?;
    let kind = Kind::from(kind);
    if suggest::need_of(&student, kind).is_none() {
        return Err(StoreError::invalid("kind", format!("the student has no {} need", kind.as_str())).into());
    }
    Ok((student, kind))
}

/// "speaks Spanish, 12 min by transit, Tuesdays 16:00–17:00, covers algebra".
fn explain(suggestion: &suggest::Suggestion) -> String {
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

fn whole_minutes(minutes: f64) -> i64 {
    (minutes.round() as i64).max(1)
}

fn mode_words(mode: TravelMode) -> &'static str {
    match mode {
        TravelMode::Walk => "on foot",
        TravelMode::Bike => "by bike",
        TravelMode::Transit => "by transit",
        TravelMode::Car => "by car",
    }
}

/// Days that share a time read together: "Mondays and Wednesdays 16:00–17:00".
fn describe_sessions(sessions: &[RawWindow]) -> String {
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

fn day_name(day: &str) -> &str {
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
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The English name of an ISO 639-1 code, for the languages families in the district
/// speak most; other codes stay codes.
fn language_name(code: &str) -> &str {
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

    fn window(day: &str, start: &str, end: &str) -> RawWindow {
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

    #[test]
    fn limits_are_checked() {
        assert_eq!(limit(None).unwrap(), 5);
        assert_eq!(limit(Some(20)).unwrap(), 20);
        assert_eq!(limit(Some(0)).unwrap_err().field.as_deref(), Some("first"));
        assert!(limit(Some(21)).is_err());
        assert_eq!(suggestion_cost(Some(99), 3), 60);
    }
}
