//! Who may see and do what: the access matrix of docs/api.md in one place. Every
//! resolver asks here before it reads or writes, and every field of a student asks
//! here before it answers; nothing else in the service decides access.
//!
//! | | ADMIN | COUNSELOR (school) | PARTNER (partner) | STUDENT (self) |
//! | --- | --- | --- | --- | --- |
//! | partners, agreements | all, write | read | own | public fields |
//! | openings | all, write | read | own, write | read |
//! | schools | all, write | own | — | own |
//! | students | all, write | own school, write | matched to it: minimal | self |
//! | birthDate, home, contacts | yes | own school | never | self |
//! | suggestions | yes | own school | no | self |
//! | runMatching, proposeMatch, match runs | yes | own school | no | no |
//! | matches: read, respondToMatch, recordFeedback | yes | own school | own openings | own |
//! | feedback marked SCHOOL | yes | own school | never | never |
//! | setMatchStatus | yes | own school | own openings | no |
//! | report | all | own school | own partner | no |

use async_graphql::Context;

use super::error::{ApiError, Code};
use crate::auth::Viewer;
use store::matches::Side;
use store::records::Role;
use store::report::FeedbackReader;

/// Which rows of a list the viewer may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rows {
    /// Every row.
    All,
    /// Rows belonging to this id (a partner's, a school's, a student's own).
    Own(String),
    /// Students matched to this partner (minimal fields only).
    MatchedTo(String),
    /// None at all.
    Nothing,
}

/// Which matches a viewer may see, by who they belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchRows {
    /// Every match.
    All,
    /// Matches of this school's students.
    School(String),
    /// Matches to this partner's openings.
    Partner(String),
    /// This student's matches.
    Student(String),
}

/// Who a match concerns: what every decision about it is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Parties<'a> {
    /// The student.
    pub student_id: &'a str,
    /// The student's school.
    pub school_id: &'a str,
    /// The opening's partner.
    pub partner_id: &'a str,
}

/// How much of a student record the viewer may read, decided when the record is
/// loaded and consulted by each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StudentView {
    /// Everything, contacts included (ADMIN, the student's counselor, the student).
    Full,
    /// `id firstName grade languages` only (a partner the student is matched to).
    Minimal,
}

/// The fields of a student, grouped by who may read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StudentField {
    /// `id firstName grade languages`.
    Minimal,
    /// Everything else but the sensitive fields (last name, needs, availability…).
    Profile,
    /// `birthDate home` and guardians' contacts.
    Sensitive,
}

fn forbidden(what: &str) -> ApiError {
    ApiError::new(Code::Forbidden, format!("not allowed: {what}"))
}

/// The answer for a record the viewer may not know of: exactly what a missing
/// record gets, so an id tells nobody whether it exists. (FORBIDDEN stays for a
/// role that may never do the thing, whatever the id, and for a record the viewer
/// sees but may not change.)
pub fn hidden(entity: &str, id: &str) -> ApiError {
    ApiError::new(Code::NotFound, format!("{entity} {id} does not exist"))
}

/// The viewer's rights, for one request.
#[derive(Clone, Copy, Debug)]
pub struct Access<'a> {
    viewer: &'a Viewer,
}

impl<'a> Access<'a> {
    /// The caller's rights, or UNAUTHENTICATED without a token.
    pub fn of(ctx: &Context<'a>) -> Result<Access<'a>, ApiError> {
        ctx.data_opt::<Viewer>()
            .map(|viewer| Access { viewer })
            .ok_or_else(|| ApiError::unauthenticated("a bearer token is required"))
    }

    /// For code that already holds the viewer.
    pub fn for_viewer(viewer: &'a Viewer) -> Access<'a> {
        Access { viewer }
    }

    /// Who is asking.
    pub fn viewer(&self) -> &'a Viewer {
        self.viewer
    }

    /// `role:scope`, as the audit log and `decidedBy` record the actor.
    pub fn actor(&self) -> String {
        match &self.viewer.scope {
            Some(scope) => format!("{}:{scope}", self.viewer.role.as_str().to_lowercase()),
            None => format!("{}:{}", self.viewer.role.as_str().to_lowercase(), self.viewer.subject),
        }
    }

    fn scope(&self) -> String {
        self.viewer.scope.clone().unwrap_or_default()
    }

    fn is(&self, role: Role) -> bool {
        self.viewer.role == role
    }

    fn owns(&self, role: Role, id: &str) -> bool {
        self.is(role) && self.viewer.scope.as_deref() == Some(id)
    }

    /// Who owns the webhooks the viewer registers and lists: ADMIN, a counselor
    /// (hearing about its school) or a partner (its openings); a student may not.
    pub fn webhook_owner(&self) -> Result<store::notify::Owner, ApiError> {
        if self.is(Role::Student) {
            return Err(forbidden("webhooks: they are for ADMIN, counselors and partners"));
        }
        Ok(store::notify::Owner {
            sub: self.viewer.subject.clone(),
            role: self.viewer.role,
            scope: self.viewer.scope.clone(),
        })
    }

    /// Only ADMIN.
    pub fn admin(&self, what: &str) -> Result<(), ApiError> {
        if self.is(Role::Admin) { Ok(()) } else { Err(forbidden(what)) }
    }

    /// Partners the viewer may list.
    pub fn partners(&self) -> Rows {
        match self.viewer.role {
            Role::Partner => Rows::Own(self.scope()),
            Role::Admin | Role::Counselor | Role::Student => Rows::All,
        }
    }

    /// Whether the viewer may read `partner_id`'s record at all.
    pub fn read_partner(&self, partner_id: &str) -> Result<(), ApiError> {
        if !self.is(Role::Partner) || self.owns(Role::Partner, partner_id) {
            Ok(())
        } else {
            Err(forbidden("another partner's record"))
        }
    }

    /// Contacts, status and agreements of a partner: not for students.
    pub fn partner_private(&self, partner_id: &str) -> Result<(), ApiError> {
        match self.viewer.role {
            Role::Admin | Role::Counselor => Ok(()),
            Role::Partner if self.owns(Role::Partner, partner_id) => Ok(()),
            _ => Err(forbidden("a partner's contacts and agreements")),
        }
    }

    /// Creating or changing partners and agreements.
    pub fn write_partner(&self) -> Result<(), ApiError> {
        self.admin("changing partners and agreements")
    }

    /// Openings the viewer may list.
    pub fn openings(&self) -> Rows {
        match self.viewer.role {
            Role::Partner => Rows::Own(self.scope()),
            Role::Admin | Role::Counselor | Role::Student => Rows::All,
        }
    }

    /// Whether the viewer may read an opening of `partner_id`.
    pub fn read_opening(&self, partner_id: &str) -> Result<(), ApiError> {
        self.read_partner(partner_id).map_err(|_| forbidden("another partner's opening"))
    }

    /// Creating (`opening_id` None) or changing an opening of `partner_id`. Another
    /// partner's opening, or partner, is one a partner may not know of.
    pub fn write_opening(&self, partner_id: &str, opening_id: Option<&str>) -> Result<(), ApiError> {
        match self.viewer.role {
            Role::Admin => Ok(()),
            Role::Partner if self.owns(Role::Partner, partner_id) => Ok(()),
            Role::Partner => Err(match opening_id {
                Some(id) => hidden("opening", id),
                None => hidden("partner", partner_id),
            }),
            Role::Counselor | Role::Student => Err(forbidden("changing openings")),
        }
    }

    /// Reading an opening's background check: ADMIN, counselors, the opening's own
    /// partner; not students.
    pub fn read_background_check(&self, partner_id: &str) -> Result<(), ApiError> {
        match self.viewer.role {
            Role::Admin | Role::Counselor => Ok(()),
            Role::Partner if self.owns(Role::Partner, partner_id) => Ok(()),
            Role::Partner | Role::Student => Err(forbidden("an opening's background check")),
        }
    }

    /// Setting an opening's background check: ADMIN only (the district verifies
    /// clearances; a partner certifying its own would make the safety rule
    /// self-service).
    pub fn set_background_check(&self) -> Result<(), ApiError> {
        self.admin("setting a background check (the district verifies clearances)")
            .map_err(|err| err.at("input.backgroundCheck"))
    }

    /// Filters that would tell a partner more about a student than `id firstName
    /// grade languages` (a school, unmet needs, being unmatched): FORBIDDEN for
    /// partners, naming the filter.
    pub fn student_filter(&self, filter: &str) -> Result<(), ApiError> {
        if self.is(Role::Partner) {
            Err(forbidden("this filter: partners see a student's first name, grade and languages only")
                .at(filter))
        } else {
            Ok(())
        }
    }

    /// Schools the viewer may list (a student sees their own school through their
    /// profile, not this list).
    pub fn schools(&self) -> Rows {
        match self.viewer.role {
            Role::Admin => Rows::All,
            Role::Counselor => Rows::Own(self.scope()),
            Role::Partner | Role::Student => Rows::Nothing,
        }
    }

    /// Creating schools.
    pub fn write_school(&self) -> Result<(), ApiError> {
        self.admin("creating schools")
    }

    /// Students the viewer may list.
    pub fn students(&self) -> Rows {
        match self.viewer.role {
            Role::Admin => Rows::All,
            Role::Counselor | Role::Student => Rows::Own(self.scope()),
            Role::Partner => Rows::MatchedTo(self.scope()),
        }
    }

    /// How much of a student (of `school_id`) the viewer may read, given whether the
    /// student is matched to the viewer's partner; `None`: not at all.
    pub fn student_view(
        &self,
        student_id: &str,
        school_id: &str,
        matched_to_viewer: bool,
    ) -> Option<StudentView> {
        match self.viewer.role {
            Role::Admin => Some(StudentView::Full),
            Role::Counselor if self.owns(Role::Counselor, school_id) => Some(StudentView::Full),
            Role::Student if self.owns(Role::Student, student_id) => Some(StudentView::Full),
            Role::Partner if matched_to_viewer => Some(StudentView::Minimal),
            _ => None,
        }
    }

    /// The field guard: whether `view` allows `field`.
    pub fn student_field(&self, view: StudentView, field: StudentField) -> Result<(), ApiError> {
        match (view, field) {
            (StudentView::Full, _) | (StudentView::Minimal, StudentField::Minimal) => Ok(()),
            (StudentView::Minimal, _) => {
                Err(forbidden("partners see a student's first name, grade and languages only"))
            }
        }
    }

    /// Creating or importing students of `school_id` (another school is one a
    /// counselor may not know of).
    pub fn write_students_of(&self, school_id: &str) -> Result<(), ApiError> {
        match self.viewer.role {
            Role::Admin => Ok(()),
            Role::Counselor if self.owns(Role::Counselor, school_id) => Ok(()),
            Role::Counselor => Err(hidden("school", school_id)),
            Role::Partner | Role::Student => Err(forbidden("changing students")),
        }
    }

    /// Changing the student `student_id` of `school_id`.
    pub fn write_student(&self, student_id: &str, school_id: &str) -> Result<(), ApiError> {
        self.write_students_of(school_id).map_err(|err| match err.code {
            Code::NotFound => hidden("student", student_id),
            _ => err,
        })
    }

    /// Something only whoever sees the whole record may do for a student of
    /// `school_id` (ADMIN, the school's counselor, the student): FORBIDDEN for a
    /// partner, whatever the id; a student someone else may not see is hidden.
    fn for_whole_record(&self, student_id: &str, school_id: &str, what: &str) -> Result<(), ApiError> {
        match self.student_view(student_id, school_id, false) {
            Some(StudentView::Full) => Ok(()),
            _ if self.is(Role::Partner) => Err(forbidden(what)),
            _ => Err(hidden("student", student_id)),
        }
    }

    /// Withdrawing a student's guardian consent.
    pub fn withdraw_consent(&self, student_id: &str, school_id: &str) -> Result<(), ApiError> {
        self.for_whole_record(student_id, school_id, "withdrawing a student's consent")
    }

    /// Matches (and their feedback) the viewer may list.
    pub fn matches(&self) -> MatchRows {
        match self.viewer.role {
            Role::Admin => MatchRows::All,
            Role::Counselor => MatchRows::School(self.scope()),
            Role::Partner => MatchRows::Partner(self.scope()),
            Role::Student => MatchRows::Student(self.scope()),
        }
    }

    fn party_to(&self, parties: &Parties<'_>) -> bool {
        match self.viewer.role {
            Role::Admin => true,
            Role::Counselor => self.owns(Role::Counselor, parties.school_id),
            Role::Partner => self.owns(Role::Partner, parties.partner_id),
            Role::Student => self.owns(Role::Student, parties.student_id),
        }
    }

    /// Reading one match: a party to it (its student, its opening's partner, the
    /// student's counselor) or ADMIN; anyone else may not know of it.
    pub fn read_match(&self, match_id: &str, parties: &Parties<'_>) -> Result<(), ApiError> {
        if self.party_to(parties) { Ok(()) } else { Err(hidden("match", match_id)) }
    }

    /// `respondToMatch`: the student (or family, on the student's token), the
    /// partner, the student's counselor, ADMIN.
    pub fn respond_to_match(&self, parties: &Parties<'_>) -> Result<(), ApiError> {
        if self.party_to(parties) { Ok(()) } else { Err(forbidden("answering this match")) }
    }

    /// Which side of a match the viewer answers for: the student, their family (on
    /// the student's token) and their counselor are the student side; the partner
    /// its own side; ADMIN answers for the district, both at once.
    pub fn side(&self) -> Side {
        match self.viewer.role {
            Role::Student | Role::Counselor => Side::Student,
            Role::Partner => Side::Partner,
            Role::Admin => Side::Both,
        }
    }

    /// `clearDecline` for a student of `school_id`: ADMIN, or the school's counselor.
    pub fn clear_decline(&self, student_id: &str, school_id: &str) -> Result<(), ApiError> {
        self.match_student(student_id, school_id, "clearing declines")
    }

    /// `proposeMatch` (and `clearDecline`) for the student `student_id` of
    /// `school_id`: ADMIN, or the school's counselor; another school's student is
    /// one a counselor may not know of.
    pub fn match_student(&self, student_id: &str, school_id: &str, what: &str) -> Result<(), ApiError> {
        match self.viewer.role {
            Role::Admin => Ok(()),
            Role::Counselor if self.owns(Role::Counselor, school_id) => Ok(()),
            Role::Counselor => Err(hidden("student", student_id)),
            Role::Partner | Role::Student => Err(forbidden(what)),
        }
    }

    /// `setMatchStatus` (ACTIVE, COMPLETED, CANCELLED): the people who run the
    /// sessions — the partner, the student's counselor, ADMIN. A student answers
    /// through `respondToMatch`.
    pub fn set_match_status(&self, parties: &Parties<'_>) -> Result<(), ApiError> {
        if self.party_to(parties) && !self.is(Role::Student) {
            Ok(())
        } else {
            Err(forbidden("changing this match's status"))
        }
    }

    /// `recordFeedback` on a match: any party to it.
    pub fn record_feedback(&self, parties: &Parties<'_>) -> Result<(), ApiError> {
        if self.party_to(parties) { Ok(()) } else { Err(forbidden("feedback on this match")) }
    }

    /// `runMatching` for students of `school_id` (None: the whole district): ADMIN,
    /// or the school's counselor; another school is one a counselor may not know of.
    pub fn run_matching(&self, school_id: Option<&str>) -> Result<(), ApiError> {
        match (self.viewer.role, school_id) {
            (Role::Admin, _) => Ok(()),
            (Role::Counselor, Some(school)) if self.owns(Role::Counselor, school) => Ok(()),
            (Role::Counselor, Some(school)) => Err(hidden("school", school)),
            _ => Err(forbidden("matching students of this school")),
        }
    }

    /// The school a counselor's runs default to.
    pub fn home_school(&self) -> Option<String> {
        self.is(Role::Counselor).then(|| self.scope())
    }

    /// Match runs the viewer may list: ADMIN all, a counselor their school's.
    pub fn match_runs(&self) -> Rows {
        match self.viewer.role {
            Role::Admin => Rows::All,
            Role::Counselor => Rows::Own(self.scope()),
            Role::Partner | Role::Student => Rows::Nothing,
        }
    }

    /// Reading (or cancelling) the run `run_id` of `school_id` (None: district-wide),
    /// its progress included; another school's run is one a counselor may not know of.
    pub fn read_run(&self, run_id: &str, school_id: Option<&str>) -> Result<(), ApiError> {
        match self.viewer.role {
            Role::Admin => Ok(()),
            Role::Counselor if school_id.is_some_and(|school| self.owns(Role::Counselor, school)) => Ok(()),
            Role::Counselor => Err(hidden("match run", run_id)),
            Role::Partner | Role::Student => Err(forbidden("match runs")),
        }
    }

    /// `suggestions` and `needReport` for a student of `school_id`: ADMIN, the
    /// school's counselor, the student.
    pub fn suggestions(&self, student_id: &str, school_id: &str) -> Result<(), ApiError> {
        self.for_whole_record(student_id, school_id, "suggestions")
    }

    /// Whether the viewer may say anything about `student_id` at all before its
    /// record is read: a partner never gets suggestions, whatever the id.
    pub fn may_suggest(&self) -> Result<(), ApiError> {
        if self.is(Role::Partner) { Err(forbidden("suggestions")) } else { Ok(()) }
    }

    /// What `report` may cover: ADMIN everything, a counselor their school, a
    /// partner its own openings; students get no report.
    pub fn report(&self) -> Result<MatchRows, ApiError> {
        match self.matches() {
            MatchRows::Student(_) => Err(forbidden("reports")),
            rows => Ok(rows),
        }
    }

    /// A report's match rates (numbers about students and their needs): ADMIN and
    /// counselors; a partner's report covers its openings, not students.
    pub fn report_match_rates(&self) -> Result<(), ApiError> {
        match self.viewer.role {
            Role::Admin | Role::Counselor => Ok(()),
            Role::Partner | Role::Student => Err(forbidden("match rates (they are about students)")),
        }
    }

    /// The feedback this viewer may read (of a match it may read): ADMIN and the
    /// counselor everything; a student or a partner what is visible to the parties,
    /// and what they wrote themselves (never a counselor's `SCHOOL` notes).
    pub fn feedback_reader(&self) -> FeedbackReader {
        match self.viewer.role {
            Role::Admin | Role::Counselor => FeedbackReader::School,
            role => FeedbackReader::Party { role, id: self.author_id() },
        }
    }

    /// The id feedback records as its author: the token's scope, or its subject.
    pub fn author_id(&self) -> String {
        self.viewer.scope.clone().unwrap_or_else(|| self.viewer.subject.clone())
    }

    /// Whether reads by this viewer must be written to the disclosure log.
    pub fn discloses(&self) -> bool {
        self.is(Role::Partner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(role: Role, scope: Option<&str>) -> Viewer {
        Viewer { subject: "t".into(), role, scope: scope.map(str::to_owned) }
    }

    fn refusal(result: Result<(), ApiError>) -> (Code, String) {
        let err = result.expect_err("refused");
        (err.code, err.message)
    }

    #[test]
    fn the_matrix_holds_for_each_role() {
        let admin = viewer(Role::Admin, None);
        let counselor = viewer(Role::Counselor, Some("sch-1"));
        let partner = viewer(Role::Partner, Some("p-1"));
        let student = viewer(Role::Student, Some("s-1"));
        let [a, c, p, s] = [&admin, &counselor, &partner, &student].map(Access::for_viewer);

        assert_eq!(
            [a, c, p, s].map(|x| x.partners()),
            [Rows::All, Rows::All, Rows::Own("p-1".into()), Rows::All]
        );
        assert!(p.read_partner("p-2").is_err() && p.read_partner("p-1").is_ok());
        assert!(s.partner_private("p-1").is_err() && c.partner_private("p-1").is_ok());
        assert!(a.write_partner().is_ok() && [c, p, s].iter().all(|x| x.write_partner().is_err()));
        assert!(p.write_opening("p-1", Some("o-1")).is_ok());
        assert_eq!(
            refusal(p.write_opening("p-2", Some("o-2"))),
            (Code::NotFound, "opening o-2 does not exist".into())
        );
        assert_eq!(refusal(p.write_opening("p-2", None)).0, Code::NotFound);
        assert_eq!(refusal(c.write_opening("p-1", Some("o-1"))).0, Code::Forbidden);
        assert_eq!(
            [a, c, p, s].map(|x| x.schools()),
            [Rows::All, Rows::Own("sch-1".into()), Rows::Nothing, Rows::Nothing]
        );
        assert_eq!(p.students(), Rows::MatchedTo("p-1".into()));

        assert_eq!(c.student_view("s-9", "sch-1", false), Some(StudentView::Full));
        assert_eq!(c.student_view("s-9", "sch-2", false), None);
        assert_eq!(s.student_view("s-1", "sch-2", false), Some(StudentView::Full));
        assert_eq!(s.student_view("s-2", "sch-2", false), None);
        assert_eq!(p.student_view("s-2", "sch-2", true), Some(StudentView::Minimal));
        assert_eq!(p.student_view("s-2", "sch-2", false), None);
        assert!(p.student_field(StudentView::Minimal, StudentField::Minimal).is_ok());
        assert!(p.student_field(StudentView::Minimal, StudentField::Sensitive).is_err());
        assert!(p.student_field(StudentView::Minimal, StudentField::Profile).is_err());
        assert!(c.write_student("s-9", "sch-1").is_ok() && c.write_students_of("sch-1").is_ok());
        assert_eq!(
            refusal(c.write_student("s-9", "sch-2")),
            (Code::NotFound, "student s-9 does not exist".into())
        );
        assert_eq!(
            refusal(c.write_students_of("sch-2")),
            (Code::NotFound, "school sch-2 does not exist".into())
        );
        assert_eq!(refusal(p.write_student("s-9", "sch-1")).0, Code::Forbidden);
        assert!(p.discloses() && !c.discloses());
        assert!(c.withdraw_consent("s-9", "sch-1").is_ok() && c.withdraw_consent("s-9", "sch-2").is_err());
        assert!(s.withdraw_consent("s-1", "sch-2").is_ok() && s.withdraw_consent("s-2", "sch-2").is_err());
        assert_eq!(refusal(p.withdraw_consent("s-2", "sch-2")).0, Code::Forbidden);
        assert_eq!(refusal(c.withdraw_consent("s-9", "sch-2")).0, Code::NotFound);
        assert_eq!(c.actor(), "counselor:sch-1");
        let own = Parties { student_id: "s-1", school_id: "sch-1", partner_id: "p-1" };
        let other = Parties { student_id: "s-2", school_id: "sch-2", partner_id: "p-2" };
        for x in [a, c, p, s] {
            assert!(x.read_match("m-1", &own).is_ok() && x.respond_to_match(&own).is_ok());
            assert!(x.record_feedback(&own).is_ok());
        }
        for x in [c, p, s] {
            assert_eq!(
                refusal(x.read_match("m-2", &other)),
                (Code::NotFound, "match m-2 does not exist".into())
            );
            assert!(x.respond_to_match(&other).is_err());
            assert!(x.record_feedback(&other).is_err() && x.set_match_status(&other).is_err());
        }
        assert!(s.set_match_status(&own).is_err() && p.set_match_status(&own).is_ok());
        assert!(a.run_matching(None).is_ok() && c.run_matching(None).is_err());
        assert!(c.run_matching(Some("sch-1")).is_ok() && c.run_matching(Some("sch-2")).is_err());
        assert!(p.run_matching(Some("sch-1")).is_err() && s.run_matching(Some("sch-1")).is_err());
        assert_eq!(refusal(c.run_matching(Some("sch-2"))).0, Code::NotFound);
        assert_eq!(refusal(p.run_matching(Some("sch-1"))).0, Code::Forbidden);
        assert!(c.read_run("r-1", Some("sch-1")).is_ok() && a.read_run("r-0", None).is_ok());
        assert_eq!(refusal(c.read_run("r-2", Some("sch-2"))).0, Code::NotFound);
        assert_eq!(refusal(c.read_run("r-0", None)).0, Code::NotFound);
        assert_eq!(refusal(p.read_run("r-1", Some("sch-1"))).0, Code::Forbidden);
        assert_eq!(refusal(c.match_student("s-9", "sch-2", "x")).0, Code::NotFound);
        assert_eq!(refusal(s.match_student("s-1", "sch-1", "x")).0, Code::Forbidden);
        assert_eq!(
            [a, c, p, s].map(|x| x.match_runs()),
            [Rows::All, Rows::Own("sch-1".into()), Rows::Nothing, Rows::Nothing]
        );
        assert!(c.suggestions("s-9", "sch-1").is_ok() && c.suggestions("s-9", "sch-2").is_err());
        assert!(s.suggestions("s-1", "sch-2").is_ok() && p.suggestions("s-1", "sch-1").is_err());
        assert_eq!(refusal(s.suggestions("s-2", "sch-2")).0, Code::NotFound);
        assert!(p.may_suggest().is_err() && c.may_suggest().is_ok());
        assert_eq!(p.report().unwrap(), MatchRows::Partner("p-1".into()));
        assert!(s.report().is_err() && a.report().unwrap() == MatchRows::All);
        assert!(
            a.report_match_rates().is_ok()
                && c.report_match_rates().is_ok()
                && p.report_match_rates().is_err()
        );
    }
}
