//! `Student` and what hangs off it (needs, guardians), its inputs and filter, CSV
//! import results, and the disclosure log. A student's view (`Full` or a partner's
//! `Minimal`) is decided when it is loaded; every field asks [`crate::graphql::access`]
//! before it answers, and a partner's read is written to the disclosure log before
//! the data leaves.

use std::borrow::Cow;
use std::collections::HashMap;

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use matcher::validate::{RawNeed, RawPlace, RawStudent, RawWindow};
use store::StoreError;
use store::matches::MatchFilter;
use store::people::{self, Disclosure, StudentSort, Visible};
use store::read::Detail;
use store::records::{Guardian, Kind, Role, Student, StudentRecord};

use crate::graphql::access::{Access, Rows, StudentField, StudentView};
use crate::graphql::connection::{OrderDirection, Page, Window, cost, detail_for};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::store;
use crate::graphql::types::common::{Place, PlaceInput, WeeklyWindow, WeeklyWindowInput, nullable, required};
use crate::graphql::types::enums::OpeningKind;
use crate::graphql::types::matches::{MatchNode, MatchOrder, match_page};
use crate::graphql::types::school::SchoolNode;

/// The fields a partner may read, as the disclosure log names them.
pub(crate) const MINIMAL_FIELDS: [&str; 4] = ["id", "firstName", "grade", "languages"];

/// One student as the viewer may see it (the field being resolved is the one whose
/// selection a partner's disclosure names): null when there is none or the viewer
/// may not see it.
pub(crate) async fn student_node(
    ctx: &Context<'_>,
    id: &str,
    operation: &str,
) -> Result<Option<StudentNode>, ApiError> {
    let access = Access::of(ctx)?;
    let db = store(ctx)?.db();
    let detail = detail_for(&ctx.look_ahead(), &STUDENT_CHILDREN);
    let partner = matched_partner(&access);
    let Some(student) = people::students_by_id(db, &[id.to_owned()], detail, partner.as_deref()).await?.pop()
    else {
        return Ok(None);
    };
    let matched = partner.is_some();
    // Not visible reads as absent: the same answer as an unknown id.
    let Some(view) = access.student_view(id, &student.school_id, matched) else {
        return Ok(None);
    };
    let node = StudentNode { record: student, view, detail };
    let selected: Vec<String> = ctx.field().selection_set().map(|field| field.name().to_owned()).collect();
    disclose(ctx, &access, std::slice::from_ref(&node), &selected, operation).await?;
    Ok(Some(node))
}

/// The students of `ids` (repeats allowed: one per match of a page) as the viewer
/// may see them, read together: what [`student_node`] answers for each, in one set of
/// statements, with one disclosure entry per id and per selection of `student` (the
/// page's look-ahead), as the per-match resolver would write them.
pub(crate) async fn student_nodes(
    ctx: &Context<'_>,
    ids: &[String],
    student: &async_graphql::Lookahead<'_>,
    operation: &str,
) -> Result<HashMap<String, StudentNode>, ApiError> {
    let access = Access::of(ctx)?;
    let distinct: Vec<String> =
        ids.iter().cloned().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let detail = detail_for(student, &STUDENT_CHILDREN);
    let partner = matched_partner(&access);
    let records = people::students_by_id(store(ctx)?.db(), &distinct, detail, partner.as_deref()).await?;
    read_nodes(ctx, &access, records, detail, ids, student, Some(operation)).await
}

/// How a page of matches may read its students with its rows
/// ([`store::matches::PageReads::students`]), with the rule [`student_nodes`]'s read
/// applies; `None` when `student` is not selected or selects a field kept in a child
/// table (then [`student_nodes`] reads them).
pub(crate) fn page_students(
    access: &Access<'_>,
    student: &async_graphql::Lookahead<'_>,
) -> Option<store::matches::PageStudents> {
    if !student.exists() || detail_for(student, &STUDENT_CHILDREN) == Detail::Full {
        return None;
    }
    Some(match matched_partner(access) {
        Some(partner) => store::matches::PageStudents::MatchedTo(partner),
        None => store::matches::PageStudents::All,
    })
}

/// The disclosure entries of a page whose students [`page_students`] reads with its
/// rows, for the store to write in the same statement
/// ([`store::matches::PageReads::log`]): the entries [`read_nodes`] would write for
/// the first `shown` rows. `None` when the viewer's reads are not logged or no
/// selection of `student` reads a logged field.
pub(crate) fn page_log(
    access: &Access<'_>,
    student: &async_graphql::Lookahead<'_>,
    shown: u64,
    operation: &str,
) -> Option<store::matches::PageLog> {
    if !access.discloses() {
        return None;
    }
    let selections: Vec<Vec<String>> = student
        .selection_fields()
        .into_iter()
        .map(|field| disclosed_fields(&selection_names(&field)))
        .filter(|fields| !fields.is_empty())
        .collect();
    (!selections.is_empty()).then(|| store::matches::PageLog {
        shown,
        selections,
        partner_id: disclosed_to(access),
        actor: access.actor(),
        operation: operation.to_owned(),
        occurred_at: Utc::now(),
    })
}

/// [`student_nodes`] for students a page read with its rows as [`page_students`]
/// asked; the store wrote their disclosure entries with the page ([`page_log`]).
pub(crate) async fn page_student_nodes(
    ctx: &Context<'_>,
    records: Vec<Student>,
    ids: &[String],
    student: &async_graphql::Lookahead<'_>,
) -> Result<HashMap<String, StudentNode>, ApiError> {
    let access = Access::of(ctx)?;
    read_nodes(ctx, &access, records, Detail::Row, ids, student, None).await
}

/// The nodes of `records` the viewer may see, each page entry of `ids` disclosed as
/// read by the operation `log` (`None`: already logged).
async fn read_nodes(
    ctx: &Context<'_>,
    access: &Access<'_>,
    records: Vec<Student>,
    detail: Detail,
    ids: &[String],
    student: &async_graphql::Lookahead<'_>,
    log: Option<&str>,
) -> Result<HashMap<String, StudentNode>, ApiError> {
    let matched = matched_partner(access).is_some();
    let nodes: HashMap<String, StudentNode> = records
        .into_iter()
        .filter_map(|record| {
            let id = record.matching.id.clone();
            let view = access.student_view(&id, &record.school_id, matched)?;
            Some((id, StudentNode { record, view, detail }))
        })
        .collect();
    let Some(operation) = log else { return Ok(nodes) };
    let seen: Vec<StudentNode> = ids.iter().filter_map(|id| nodes.get(id).cloned()).collect();
    for field in student.selection_fields() {
        disclose(ctx, access, &seen, &selection_names(&field), operation).await?;
    }
    Ok(nodes)
}

/// The partner whose matches bound the viewer's students: the read keeps only
/// students matched to them, so every student it returns is matched to the viewer.
fn matched_partner(access: &Access<'_>) -> Option<String> {
    match access.students() {
        Rows::MatchedTo(partner) => Some(partner),
        Rows::All | Rows::Own(_) | Rows::Nothing => None,
    }
}

/// The fields of a student kept in its child tables ([`detail_for`]).
const STUDENT_CHILDREN: [&str; 4] = ["languages", "availability", "needs", "guardians"];

/// A student, with how much of it the viewer may read.
#[derive(Clone, Debug)]
pub struct StudentNode {
    pub(crate) record: Student,
    pub(crate) view: StudentView,
    /// Whether `record` holds its child tables ([`STUDENT_CHILDREN`]).
    pub(crate) detail: Detail,
}

impl StudentNode {
    /// A student read whole, for a viewer who may read all of it.
    pub(crate) fn full(record: Student) -> StudentNode {
        StudentNode { record, view: StudentView::Full, detail: Detail::Full }
    }

    pub(crate) fn allow(&self, ctx: &Context<'_>, field: StudentField) -> Result<&StudentRecord, ApiError> {
        Access::of(ctx)?.student_field(self.view, field)?;
        Ok(&self.record.matching)
    }

    /// [`StudentNode::allow`], for a field kept in a child table: the record as read,
    /// or read whole now when its read took the row alone.
    async fn allow_whole(
        &self,
        ctx: &Context<'_>,
        field: StudentField,
    ) -> Result<Cow<'_, Student>, ApiError> {
        self.allow(ctx, field)?;
        match self.detail {
            Detail::Full => Ok(Cow::Borrowed(&self.record)),
            Detail::Head | Detail::Row => people::find_student(store(ctx)?.db(), &self.record.matching.id)
                .await?
                .map(Cow::Owned)
                .ok_or_else(|| {
                    ApiError::from(store::StoreError::not_found("student", self.record.matching.id.as_str()))
                }),
        }
    }
}

/// A student. Each field asks the field guard: a partner the student is matched to
/// reads `id firstName grade languages` and gets FORBIDDEN for the rest.
#[Object(name = "Student")]
impl StudentNode {
    pub(crate) async fn id(&self, ctx: &Context<'_>) -> ApiResult<ID> {
        Ok(ID(self.allow(ctx, StudentField::Minimal)?.id.clone()))
    }

    pub(crate) async fn first_name(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        self.allow(ctx, StudentField::Minimal)?;
        Ok(&self.record.first_name)
    }

    pub(crate) async fn last_name(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        self.allow(ctx, StudentField::Profile)?;
        Ok(&self.record.last_name)
    }

    /// 0 (kindergarten) to 12.
    pub(crate) async fn grade(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(i64::from(self.allow(ctx, StudentField::Minimal)?.grade.get()))
    }

    /// `YYYY-MM-DD`.
    pub(crate) async fn birth_date(&self, ctx: &Context<'_>) -> ApiResult<Option<NaiveDate>> {
        Ok(self.allow(ctx, StudentField::Sensitive)?.birth_date)
    }

    /// Preferred first.
    pub(crate) async fn languages(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(self.allow_whole(ctx, StudentField::Minimal).await?.matching.languages.clone())
    }

    /// Stored coarsely (3 decimals, about 100 m).
    pub(crate) async fn home(&self, ctx: &Context<'_>) -> ApiResult<Place> {
        Ok(Place::of(self.allow(ctx, StudentField::Sensitive)?.home))
    }

    /// `WALK BIKE TRANSIT CAR`.
    pub(crate) async fn travel_modes(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let modes = &self.allow(ctx, StudentField::Profile)?.travel_modes;
        Ok(modes.iter().map(|mode| mode.as_str().to_owned()).collect())
    }

    pub(crate) async fn max_travel_minutes(&self, ctx: &Context<'_>) -> ApiResult<f64> {
        Ok(self.allow(ctx, StudentField::Profile)?.max_travel_minutes)
    }

    pub(crate) async fn remote_ok(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.allow(ctx, StudentField::Profile)?.remote_ok)
    }

    /// Weekly free time, touching windows merged.
    pub(crate) async fn availability(&self, ctx: &Context<'_>) -> ApiResult<Vec<WeeklyWindow>> {
        Ok(WeeklyWindow::all(&self.allow_whole(ctx, StudentField::Profile).await?.matching.availability))
    }

    pub(crate) async fn needs(&self, ctx: &Context<'_>) -> ApiResult<Vec<Need>> {
        let whole = self.allow_whole(ctx, StudentField::Profile).await?;
        Ok(whole
            .matching
            .needs
            .iter()
            .map(|need| Need {
                kind: need.kind.into(),
                subjects: need.subjects.clone(),
                waiting_since: whole.waiting_since.get(&need.kind).copied(),
            })
            .collect())
    }

    /// Equity priority, 0–3.
    pub(crate) async fn priority(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(i64::from(self.allow(ctx, StudentField::Profile)?.priority))
    }

    pub(crate) async fn consent_on_file(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.allow(ctx, StudentField::Profile)?.consent_on_file)
    }

    pub(crate) async fn school(&self, ctx: &Context<'_>) -> ApiResult<Option<SchoolNode>> {
        self.allow(ctx, StudentField::Profile)?;
        let school = people::find_school(store(ctx)?.db(), &self.record.school_id).await?;
        Ok(school.map(SchoolNode))
    }

    /// Guardians and family contacts.
    pub(crate) async fn guardians(&self, ctx: &Context<'_>) -> ApiResult<Vec<GuardianNode>> {
        let whole = self.allow_whole(ctx, StudentField::Sensitive).await?;
        Ok(whole.guardians.iter().cloned().map(GuardianNode::from).collect())
    }

    /// The student's matches, as far as the viewer is party to them (a partner:
    /// matches to its own openings).
    #[graphql(complexity = "cost(first.or(last), child_complexity)")]
    pub(crate) async fn matches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<MatchOrder>,
    ) -> ApiResult<Page<MatchNode>> {
        let window = Window::either(first, after, last, before)?;
        let filter =
            MatchFilter { student_id: Some(self.record.matching.id.clone()), ..MatchFilter::default() };
        Ok(match_page(ctx, filter, order_by.unwrap_or_default(), &window).await?)
    }
}

/// A need: a kind (`TUTORING MENTORING INTERNSHIP`) and subjects or interests.
#[derive(Clone, Debug, SimpleObject)]
pub struct Need {
    pub(crate) kind: OpeningKind,
    pub(crate) subjects: Vec<String>,
    /// The day a committed match run first left this need unmatched; `null` when it
    /// is not on the waitlist. A match of the need takes it off. Each day waited
    /// (that day counted) earns the `WAITING` criterion's points in the next run.
    pub(crate) waiting_since: Option<NaiveDate>,
}

/// Changes to a student: an absent field stays as it is, an explicit `null` clears
/// a field that may be empty, lists given replace the list whole (`guardians` only
/// when given). `schoolId` and the id do not change.
#[derive(Clone, Debug, Default, InputObject)]
pub struct StudentPatch {
    pub(crate) first_name: MaybeUndefined<String>,
    pub(crate) last_name: MaybeUndefined<String>,
    /// 0 (kindergarten) to 12.
    pub(crate) grade: MaybeUndefined<i32>,
    /// `null` clears it.
    pub(crate) birth_date: MaybeUndefined<NaiveDate>,
    /// Preferred first.
    pub(crate) languages: MaybeUndefined<Vec<String>>,
    pub(crate) home: MaybeUndefined<PlaceInput>,
    /// `WALK BIKE TRANSIT CAR`; `null` clears them.
    pub(crate) travel_modes: MaybeUndefined<Vec<String>>,
    pub(crate) max_travel_minutes: MaybeUndefined<f64>,
    pub(crate) remote_ok: MaybeUndefined<bool>,
    pub(crate) availability: MaybeUndefined<Vec<WeeklyWindowInput>>,
    pub(crate) needs: MaybeUndefined<Vec<NeedInput>>,
    /// 0–3.
    pub(crate) priority: MaybeUndefined<i32>,
    /// Consent is withdrawn with `withdrawConsent` (open matches go on); here it
    /// may also be given.
    pub(crate) consent_on_file: MaybeUndefined<bool>,
    /// Replaces every guardian when given; `null` or `[]` removes them all.
    pub(crate) guardians: MaybeUndefined<Vec<GuardianInput>>,
}

impl StudentPatch {
    /// `before` with the patch applied, and the names of the fields it gave; or one
    /// error per field that may not be null but was.
    pub(crate) fn apply(self, before: &Student) -> Result<(Entered, Vec<&'static str>), Vec<ApiError>> {
        let mut errors = Vec::new();
        let mut after = Entered::of(before);
        let mut changed = Vec::new();
        macro_rules! set {
            ($name:literal, $slot:expr, $value:expr) => {
                if let Some(value) = $value {
                    $slot = value;
                    changed.push($name);
                }
            };
        }
        set!("firstName", after.first_name, required("firstName", self.first_name, &mut errors));
        set!("lastName", after.last_name, required("lastName", self.last_name, &mut errors));
        set!(
            "guardians",
            after.guardians,
            nullable(self.guardians).map(|list| {
                list.unwrap_or_default().into_iter().map(GuardianInput::into_record).collect()
            })
        );
        let s = &mut after.matching;
        set!("grade", s.grade, required("grade", self.grade, &mut errors).map(i64::from));
        set!("birthDate", s.birth_date, nullable(self.birth_date).map(|date| date.map(|d| d.to_string())));
        set!("languages", s.languages, required("languages", self.languages, &mut errors));
        set!(
            "home",
            s.home,
            required("home", self.home, &mut errors).map(|p| RawPlace { lat: p.lat, lon: p.lon })
        );
        set!("travelModes", s.travel_modes, nullable(self.travel_modes));
        set!(
            "maxTravelMinutes",
            s.max_travel_minutes,
            required("maxTravelMinutes", self.max_travel_minutes, &mut errors)
        );
        set!("remoteOk", s.remote_ok, required("remoteOk", self.remote_ok, &mut errors).map(Some));
        set!(
            "availability",
            s.availability,
            required("availability", self.availability, &mut errors)
                .map(|list| list.into_iter().map(RawWindow::from).collect())
        );
        set!(
            "needs",
            s.needs,
            required("needs", self.needs, &mut errors).map(|list| list
                .into_iter()
                .map(|n| RawNeed { kind: n.kind, subjects: n.subjects, waiting_days: None })
                .collect())
        );
        set!(
            "priority",
            s.priority,
            required("priority", self.priority, &mut errors).map(|p| Some(i64::from(p)))
        );
        set!(
            "consentOnFile",
            s.consent_on_file,
            required("consentOnFile", self.consent_on_file, &mut errors).map(Some)
        );
        if errors.is_empty() { Ok((after, changed)) } else { Err(errors) }
    }
}

/// A guardian or family contact.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "Guardian")]
pub struct GuardianNode {
    pub(crate) name: String,
    pub(crate) relationship: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    /// The language mail to them is written in (ISO 639-1, like `es`).
    pub(crate) language: Option<String>,
}

impl From<Guardian> for GuardianNode {
    fn from(guardian: Guardian) -> GuardianNode {
        GuardianNode {
            name: guardian.name,
            relationship: guardian.relationship,
            email: guardian.email,
            phone: guardian.phone,
            language: guardian.language,
        }
    }
}

/// One read of a student's data by a partner.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "Disclosure")]
pub struct DisclosureNode {
    pub(crate) id: ID,
    pub(crate) occurred_at: DateTime<Utc>,
    pub(crate) partner_id: ID,
    /// Who asked, as `role:scope`.
    pub(crate) actor: String,
    pub(crate) student_id: ID,
    /// The fields read, by their API names.
    pub(crate) fields: Vec<String>,
    /// The operation that read them.
    pub(crate) operation: Option<String>,
}

impl From<Disclosure> for DisclosureNode {
    fn from(entry: Disclosure) -> DisclosureNode {
        DisclosureNode {
            id: ID(entry.id.to_string()),
            occurred_at: entry.occurred_at,
            partner_id: ID(entry.partner_id),
            actor: entry.actor,
            student_id: ID(entry.student_id),
            fields: entry.fields,
            operation: entry.operation,
        }
    }
}

/// What an import wrote, or why it wrote nothing.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(complex)]
pub struct ImportResult {
    /// Students with a new id.
    pub(crate) created: i64,
    /// Students whose id was already stored, now replaced.
    pub(crate) updated: i64,
    /// Every bad row; when any, nothing was written.
    pub(crate) errors: Vec<ImportRowError>,
}

#[ComplexObject]
impl ImportResult {
    /// Whether the file was written.
    pub(crate) async fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A bad row of an import.
#[derive(Clone, Debug, SimpleObject)]
pub struct ImportRowError {
    /// 1-based; the header is row 1.
    pub(crate) row: i64,
    /// The CSV column, when one cell is wrong.
    pub(crate) column: Option<String>,
    pub(crate) message: String,
}

/// Which students to list.
#[derive(Clone, Debug, Default, InputObject)]
pub struct StudentFilter {
    pub(crate) school_id: Option<ID>,
    pub(crate) grade: Option<i32>,
    /// Only students with a need of this kind.
    pub(crate) need_kind: Option<OpeningKind>,
    /// Only students with a need (of `needKind`, when given) that no open match
    /// fills; `false`: only students without one.
    pub(crate) unmatched: Option<bool>,
    /// Only students whose full name contains this text, ignoring case: "ana" finds
    /// Ana García and Mariana Ruiz (counselors and ADMIN).
    pub(crate) name: Option<String>,
    /// Only students with a need (of `needKind`, when given) on the waitlist (see
    /// `Need.waitingSince`), longest waiting first unless `orderBy` says otherwise;
    /// `false`: only students without one.
    pub(crate) waiting: Option<bool>,
}

impl StudentFilter {
    pub(crate) fn into_store(self) -> people::StudentFilter {
        people::StudentFilter {
            school_id: self.school_id.map(|id| id.0),
            grade: self.grade,
            need_kind: self.need_kind.map(|kind| kind.as_str().to_owned()),
            unmatched: self.unmatched,
            name: self.name,
            waiting: self.waiting,
        }
    }
}

/// Which disclosures to list.
#[derive(Clone, Debug, Default, InputObject)]
pub struct DisclosureFilter {
    pub(crate) student_id: Option<ID>,
    pub(crate) partner_id: Option<ID>,
}

/// A student's whole record, as docs/matching.md describes a student plus who they are.
#[derive(Clone, Debug, InputObject)]
pub struct StudentInput {
    /// Required by `createStudent`; `updateStudent` takes it from its `id`.
    pub(crate) id: Option<ID>,
    pub(crate) school_id: ID,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    /// 0 (kindergarten) to 12.
    pub(crate) grade: i32,
    /// `YYYY-MM-DD`.
    pub(crate) birth_date: Option<NaiveDate>,
    /// Preferred first.
    pub(crate) languages: Vec<String>,
    pub(crate) home: PlaceInput,
    /// `WALK BIKE TRANSIT CAR`.
    pub(crate) travel_modes: Option<Vec<String>>,
    pub(crate) max_travel_minutes: f64,
    pub(crate) remote_ok: Option<bool>,
    pub(crate) availability: Vec<WeeklyWindowInput>,
    pub(crate) needs: Vec<NeedInput>,
    /// 0–3.
    pub(crate) priority: Option<i32>,
    pub(crate) consent_on_file: Option<bool>,
    pub(crate) guardians: Option<Vec<GuardianInput>>,
}

impl StudentInput {
    pub(crate) fn into_record(self, id: String) -> Entered {
        Entered {
            school_id: self.school_id.0,
            first_name: self.first_name,
            last_name: self.last_name,
            guardians: self
                .guardians
                .unwrap_or_default()
                .into_iter()
                .map(GuardianInput::into_record)
                .collect(),
            waiting_since: Default::default(),
            matching: RawStudent {
                id,
                grade: i64::from(self.grade),
                birth_date: self.birth_date.map(|date| date.to_string()),
                languages: self.languages,
                home: RawPlace { lat: self.home.lat, lon: self.home.lon },
                travel_modes: self.travel_modes,
                max_travel_minutes: self.max_travel_minutes,
                remote_ok: self.remote_ok,
                availability: self.availability.into_iter().map(RawWindow::from).collect(),
                needs: self
                    .needs
                    .into_iter()
                    .map(|n| RawNeed { kind: n.kind, subjects: n.subjects, waiting_days: None })
                    .collect(),
                priority: self.priority.map(i64::from),
                consent_on_file: self.consent_on_file,
            },
        }
    }
}

/// A student as entered: who they are, and the matching fields still as given.
pub(crate) struct Entered {
    school_id: String,
    first_name: String,
    last_name: String,
    guardians: Vec<Guardian>,
    waiting_since: std::collections::BTreeMap<Kind, NaiveDate>,
    matching: RawStudent,
}

impl Entered {
    /// A stored student, to be changed.
    fn of(student: &Student) -> Entered {
        Entered {
            school_id: student.school_id.clone(),
            first_name: student.first_name.clone(),
            last_name: student.last_name.clone(),
            guardians: student.guardians.clone(),
            waiting_since: student.waiting_since.clone(),
            matching: student.matching.to_raw(),
        }
    }

    /// The student's id as entered.
    pub(crate) fn id(&self) -> &str {
        &self.matching.id
    }

    /// The record, its matching fields read by docs/matching.md's rules and the
    /// rest checked as the store checks them; an error's field is its path.
    pub(crate) fn parse(self) -> Result<Student, StoreError> {
        let student = Student {
            matching: store::write::parse_student(&self.matching)?,
            school_id: self.school_id,
            first_name: self.first_name,
            last_name: self.last_name,
            guardians: self.guardians,
            waiting_since: self.waiting_since,
        };
        store::write::check_student(&student)?;
        Ok(student)
    }
}

/// A need: `TUTORING` with `["algebra"]`.
#[derive(Clone, Debug, InputObject)]
pub struct NeedInput {
    pub(crate) kind: String,
    pub(crate) subjects: Option<Vec<String>>,
}

/// A guardian or family contact.
#[derive(Clone, Debug, InputObject)]
pub struct GuardianInput {
    pub(crate) name: String,
    pub(crate) relationship: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    /// The language mail to them is written in: ISO 639-1 (`es`); mail is in English
    /// or Spanish, English for any other language.
    pub(crate) language: Option<String>,
}

impl GuardianInput {
    pub(crate) fn into_record(self) -> Guardian {
        Guardian {
            name: self.name,
            relationship: self.relationship,
            email: self.email,
            phone: self.phone,
            language: self.language,
        }
    }
}

pub(crate) fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Which students the viewer's rows are, as the store filters them.
pub(crate) fn visible_students(access: &Access<'_>) -> Visible {
    match access.students() {
        Rows::All => Visible::All,
        Rows::Own(id) if access.viewer().role == Role::Student => Visible::Student(id),
        Rows::Own(id) => Visible::School(id),
        Rows::MatchedTo(partner) => Visible::MatchedTo(partner),
        Rows::Nothing => Visible::Nothing,
    }
}

/// How `students` may be sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Enum)]
pub enum StudentOrderField {
    /// When the student was recorded.
    #[default]
    CreatedAt,
    /// Last name, then first name, ignoring case (a partner, who never sees last
    /// names: first name).
    Name,
    /// Grade.
    Grade,
    /// Longest waiting first: the day the student's earliest need (of the filter's
    /// `needKind`) went on the waitlist; students not waiting come after those
    /// waiting (before them in `DESC`).
    WaitingSince,
}

/// The order of a student list: a field, then the id breaks ties.
#[derive(Clone, Copy, Debug, Default, InputObject)]
pub struct StudentOrder {
    /// What to sort by.
    pub field: StudentOrderField,
    /// Which way.
    #[graphql(default)]
    pub direction: OrderDirection,
}

/// One page of the students the viewer may see, disclosed when the viewer is a partner.
pub(crate) async fn list_students(
    ctx: &Context<'_>,
    filter: people::StudentFilter,
    order: StudentOrder,
    window: &Window,
    operation: &str,
) -> Result<Page<StudentNode>, ApiError> {
    let access = Access::of(ctx)?;
    let visible = visible_students(&access);
    let is_matched = matches!(visible, Visible::MatchedTo(_));
    let sort = match order.field {
        StudentOrderField::CreatedAt => StudentSort::CreatedAt,
        // A partner never sees last names, so its name order is by first name.
        StudentOrderField::Name if is_matched => StudentSort::FirstName,
        StudentOrderField::Name => StudentSort::Name,
        StudentOrderField::Grade => StudentSort::Grade,
        StudentOrderField::WaitingSince => {
            // The order itself would tell a partner who is waiting.
            access.student_filter("orderBy.field")?;
            StudentSort::WaitingSince
        }
    };
    let listed = people::list_students(
        store(ctx)?.db(),
        &visible,
        &filter,
        sort,
        &window.seek(order.direction.into()),
        !access.discloses(),
    )
    .await?;
    let nodes: Vec<StudentNode> = listed
        .rows
        .into_iter()
        .filter_map(|record| {
            let view = access.student_view(&record.matching.id, &record.school_id, is_matched)?;
            Some(StudentNode { record, view, detail: Detail::Full })
        })
        .collect();
    let shown = nodes.len().min(usize::try_from(window.count).unwrap_or(usize::MAX));
    let selected = node_fields(ctx);
    disclose(ctx, &access, &nodes[..shown], &selected, operation).await?;
    Ok(window.page(nodes, listed.total, |node| node.record.matching.id.as_str()))
}

/// The fields a connection's query selects on its nodes (`edges { node }` and
/// `nodes`). A cursor is a position in the list, which is the student's id: asking
/// for one (`edges { cursor }`, `pageInfo { startCursor endCursor }`) reads `id`.
pub(crate) fn node_fields(ctx: &Context<'_>) -> Vec<String> {
    let mut names = Vec::new();
    for field in ctx.field().selection_set() {
        match field.name() {
            "edges" => {
                for edge in field.selection_set() {
                    match edge.name() {
                        "node" => names.extend(edge.selection_set().map(|node| node.name().to_owned())),
                        "cursor" => names.push("id".to_owned()),
                        _ => {}
                    }
                }
            }
            "nodes" => names.extend(field.selection_set().map(|node| node.name().to_owned())),
            "pageInfo"
                if field.selection_set().any(|info| matches!(info.name(), "startCursor" | "endCursor")) =>
            {
                names.push("id".to_owned());
            }
            _ => {}
        }
    }
    names
}

/// Appends one disclosure per student when the viewer is a partner and the query
/// selects any field a partner may read. Written before the data leaves: when the
/// log cannot be written, nothing is read.
pub(crate) async fn disclose(
    ctx: &Context<'_>,
    access: &Access<'_>,
    students: &[StudentNode],
    selected: &[String],
    operation: &str,
) -> Result<(), ApiError> {
    if !access.discloses() || students.is_empty() {
        return Ok(());
    }
    let fields = disclosed_fields(selected);
    if fields.is_empty() {
        return Ok(());
    }
    let partner_id = disclosed_to(access);
    let now = Utc::now();
    let entries: Vec<Disclosure> = students
        .iter()
        .map(|student| Disclosure {
            id: 0,
            occurred_at: now,
            partner_id: partner_id.clone(),
            actor: access.actor(),
            student_id: student.record.matching.id.clone(),
            fields: fields.clone(),
            operation: Some(operation.to_owned()),
        })
        .collect();
    people::log_disclosures(store(ctx)?.db(), &entries).await?;
    Ok(())
}

/// The fields a partner may read among `selected`, as a disclosure names them.
fn disclosed_fields(selected: &[String]) -> Vec<String> {
    MINIMAL_FIELDS
        .iter()
        .filter(|field| selected.iter().any(|name| name == *field))
        .map(|field| (*field).to_owned())
        .collect()
}

/// The partner a viewer's reads are disclosed to.
fn disclosed_to(access: &Access<'_>) -> String {
    match access.students() {
        Rows::MatchedTo(partner) => partner,
        Rows::All | Rows::Own(_) | Rows::Nothing => access.viewer().scope.clone().unwrap_or_default(),
    }
}

/// The names one selection of a field reads.
fn selection_names(field: &async_graphql::SelectionField<'_>) -> Vec<String> {
    field.selection_set().map(|field| field.name().to_owned()).collect()
}
