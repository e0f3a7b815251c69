//! `Suggestion` and `NeedReport`, and the sentence that explains a suggestion in
//! English or Spanish (the console's languages, and the families' most common).

use async_graphql::{ComplexObject, SimpleObject};
use matcher::calendar::{Minutes, Weekday, Window};
use matcher::model::TravelMode;
use store::suggest::{self, Travel};

use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::types::common::{Criterion, RuledOut, WeeklyWindow};
use crate::graphql::types::opening::OpeningNode;

/// A feasible opening for a student's need, as a match run would make the pair.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Suggestion {
    /// The opening suggested.
    pub opening: OpeningNode,
    /// The sum of the breakdown's points.
    pub score: i64,
    /// Points per criterion; they add up to `score`.
    pub breakdown: Vec<Criterion>,
    /// The weekly sessions the match would have, on distinct days.
    pub sessions: Vec<WeeklyWindow>,
    /// What the sentence says.
    #[graphql(skip)]
    pub facts: Facts,
}

#[ComplexObject]
impl Suggestion {
    /// Why it fits, in a sentence: "speaks Spanish, 12 min by transit, Tuesdays
    /// 16:00–17:00, covers algebra". `language` is an ISO 639-1 code (a region
    /// such as `es-MX` may follow): Spanish (`es`) or English (the default, and
    /// the fallback for languages the service does not write yet).
    async fn explanation(&self, language: Option<String>) -> ApiResult<String> {
        let language = match language {
            None => Language::English,
            Some(code) => Language::of(&code).ok_or_else(|| {
                ApiError::bad_input("language", format!("{code:?} is not an ISO 639-1 code such as es or en"))
            })?,
        };
        Ok(explain(&self.facts, language))
    }
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

/// What a suggestion's sentence says, kept from the engine's answer.
#[derive(Clone, Debug)]
pub struct Facts {
    language: String,
    travel: Travel,
    sessions: Vec<Window>,
    subjects: Vec<String>,
}

impl Facts {
    /// The facts of a match: the language shared, the way there, its sessions and
    /// the subjects it covers.
    pub(crate) fn new(
        language: String,
        travel: Travel,
        sessions: Vec<Window>,
        subjects: Vec<String>,
    ) -> Facts {
        Facts { language, travel, sessions, subjects }
    }

    /// The facts of one suggestion.
    pub(crate) fn of(suggestion: &suggest::Suggestion) -> Facts {
        Facts {
            language: suggestion.language.clone(),
            travel: suggestion.travel,
            sessions: suggestion.sessions.clone(),
            subjects: suggestion.subjects.clone(),
        }
    }
}

/// A language the service writes sentences in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// English, the default.
    English,
    /// Spanish.
    Spanish,
}

impl Language {
    /// The language of an ISO 639-1 code (`es`, `es-MX`, `EN`); English for a
    /// well-formed code of a language not written yet; `None` for a malformed one.
    pub fn of(code: &str) -> Option<Language> {
        let code = code.trim();
        let primary = code.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        let well_formed = primary.len() == 2
            && primary.bytes().all(|b| b.is_ascii_lowercase())
            && code.len() <= 16
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        match primary.as_str() {
            _ if !well_formed => None,
            "es" => Some(Language::Spanish),
            _ => Some(Language::English),
        }
    }
}

/// "speaks Spanish, 12 min by transit, Tuesdays 16:00–17:00, covers algebra", or
/// "habla español, 12 min en transporte público, los martes 16:00–17:00, cubre algebra".
pub(crate) fn explain(facts: &Facts, language: Language) -> String {
    let words = Words::of(language);
    let mut parts = Vec::new();
    if !facts.language.is_empty() {
        parts.push(format!("{} {}", words.speaks, language_name(&facts.language, language)));
    }
    parts.push(match facts.travel {
        Travel::Online => words.online.to_owned(),
        Travel::Own { minutes, mode } => {
            format!("{} min {}", whole_minutes(minutes), mode_words(mode, language))
        }
        Travel::Pickup { minutes } => format!("{} min {}", whole_minutes(minutes), words.pickup),
    });
    if !facts.sessions.is_empty() {
        parts.push(describe_sessions(&facts.sessions, language));
    }
    if !facts.subjects.is_empty() {
        parts.push(format!("{} {}", words.covers, listed(&facts.subjects, language)));
    }
    parts.join(", ")
}

/// The fixed words of a sentence.
struct Words {
    speaks: &'static str,
    online: &'static str,
    pickup: &'static str,
    covers: &'static str,
    and: &'static str,
}

impl Words {
    fn of(language: Language) -> Words {
        match language {
            Language::English => Words {
                speaks: "speaks",
                online: "online",
                pickup: "by partner pick-up",
                covers: "covers",
                and: "and",
            },
            Language::Spanish => Words {
                speaks: "habla",
                online: "en línea",
                pickup: "con traslado del socio",
                covers: "cubre",
                and: "y",
            },
        }
    }
}

pub(crate) fn whole_minutes(minutes: f64) -> i64 {
    (minutes.round() as i64).max(1)
}

pub(crate) fn mode_words(mode: TravelMode, language: Language) -> &'static str {
    match (language, mode) {
        (Language::English, TravelMode::Walk) => "on foot",
        (Language::English, TravelMode::Bike) => "by bike",
        (Language::English, TravelMode::Transit) => "by transit",
        (Language::English, TravelMode::Car) => "by car",
        (Language::Spanish, TravelMode::Walk) => "a pie",
        (Language::Spanish, TravelMode::Bike) => "en bicicleta",
        (Language::Spanish, TravelMode::Transit) => "en transporte público",
        (Language::Spanish, TravelMode::Car) => "en coche",
    }
}

/// Days that share a time read together: "Mondays and Wednesdays 16:00–17:00",
/// "los lunes y miércoles 16:00–17:00".
pub(crate) fn describe_sessions(sessions: &[Window], language: Language) -> String {
    let mut groups: Vec<(Minutes, Minutes, Vec<String>)> = Vec::new();
    for session in sessions {
        let day = day_plural(session.day(), language);
        match groups.iter_mut().find(|(start, end, _)| *start == session.start() && *end == session.end()) {
            Some((_, _, days)) => days.push(day),
            None => groups.push((session.start(), session.end(), vec![day])),
        }
    }
    let article = match language {
        Language::English => "",
        Language::Spanish => "los ",
    };
    let groups: Vec<String> = groups
        .into_iter()
        .map(|(start, end, days)| format!("{article}{} {start}–{end}", listed(&days, language)))
        .collect();
    listed(&groups, language)
}

/// "Tuesdays", "martes".
fn day_plural(day: Weekday, language: Language) -> String {
    let (english, spanish) = match day {
        Weekday::Mon => ("Mondays", "lunes"),
        Weekday::Tue => ("Tuesdays", "martes"),
        Weekday::Wed => ("Wednesdays", "miércoles"),
        Weekday::Thu => ("Thursdays", "jueves"),
        Weekday::Fri => ("Fridays", "viernes"),
        Weekday::Sat => ("Saturdays", "sábados"),
        Weekday::Sun => ("Sundays", "domingos"),
    };
    match language {
        Language::English => english.to_owned(),
        Language::Spanish => spanish.to_owned(),
    }
}

/// "a", "a and b", "a, b and c" (or "y").
pub(crate) fn listed(items: &[String], language: Language) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} {} {last}", init.join(", "), Words::of(language).and),
    }
}

/// The name of an ISO 639-1 code, for the languages families in the district speak
/// most; other codes stay codes.
pub(crate) fn language_name(code: &str, language: Language) -> &str {
    let (english, spanish) = match code {
        "en" => ("English", "inglés"),
        "es" => ("Spanish", "español"),
        "so" => ("Somali", "somalí"),
        "zh" => ("Chinese", "chino"),
        "vi" => ("Vietnamese", "vietnamita"),
        "ar" => ("Arabic", "árabe"),
        "tl" => ("Tagalog", "tagalo"),
        "fr" => ("French", "francés"),
        "ru" => ("Russian", "ruso"),
        "ht" => ("Haitian Creole", "criollo haitiano"),
        "pt" => ("Portuguese", "portugués"),
        "pl" => ("Polish", "polaco"),
        "ko" => ("Korean", "coreano"),
        "hi" => ("Hindi", "hindi"),
        "ur" => ("Urdu", "urdu"),
        "uk" => ("Ukrainian", "ucraniano"),
        "fa" => ("Persian", "persa"),
        "de" => ("German", "alemán"),
        "it" => ("Italian", "italiano"),
        "ja" => ("Japanese", "japonés"),
        "bn" => ("Bengali", "bengalí"),
        "am" => ("Amharic", "amárico"),
        "sw" => ("Swahili", "suajili"),
        "ne" => ("Nepali", "nepalí"),
        "my" => ("Burmese", "birmano"),
        other => (other, other),
    };
    match language {
        Language::English => english,
        Language::Spanish => spanish,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(day: &str, start: &str, end: &str) -> Window {
        let raw = matcher::validate::RawWindow { day: day.into(), start: start.into(), end: end.into() };
        matcher::record::parse_window("window", &raw).unwrap()
    }

    #[test]
    fn a_sentence_in_english_and_in_spanish() {
        let facts = Facts {
            language: "es".into(),
            travel: Travel::Own { minutes: 11.6, mode: TravelMode::Transit },
            sessions: vec![window("MON", "16:00", "17:00"), window("WED", "16:00", "17:00")],
            subjects: vec!["algebra".into(), "geometry".into()],
        };
        assert_eq!(
            explain(&facts, Language::English),
            "speaks Spanish, 12 min by transit, Mondays and Wednesdays 16:00–17:00, covers algebra and geometry"
        );
        assert_eq!(
            explain(&facts, Language::Spanish),
            "habla español, 12 min en transporte público, los lunes y miércoles 16:00–17:00, cubre algebra y geometry"
        );
        let online = Facts { travel: Travel::Online, sessions: vec![], subjects: vec![], ..facts };
        assert_eq!(explain(&online, Language::Spanish), "habla español, en línea");
    }

    #[test]
    fn language_codes() {
        assert_eq!(Language::of("es"), Some(Language::Spanish));
        assert_eq!(Language::of("es-MX"), Some(Language::Spanish));
        assert_eq!(Language::of("ES"), Some(Language::Spanish));
        assert_eq!(Language::of("en"), Some(Language::English));
        assert_eq!(Language::of("so"), Some(Language::English), "not written yet: English");
        assert_eq!(Language::of("spanish"), None);
        assert_eq!(Language::of(""), None);
        assert_eq!(Language::of("e1"), None);
    }
}
