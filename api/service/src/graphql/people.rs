//! Schools and students: `schools`, `students`, `student`, the ADMIN's
//! `disclosures`, and the writes `createSchool`, `createStudent`, `updateStudent`,
//! `importStudents`, `withdrawConsent`.
//!
//! Every resolver asks [`Access`] first; every field of a `Student` asks again
//! ([`Access::student_field`]), so a partner that selects `lastName` gets FORBIDDEN
//! for that field and nothing else. A partner's read is written to the disclosure
//! log before the data leaves: one row per student per operation, naming the
//! minimal fields the query selects (read from the query itself, fragments included).
//!
//! `needs.kind` and `StudentFilter.needKind` are the names of `OpeningKind`
//! (`TUTORING MENTORING INTERNSHIP`) as strings; a wrong one is BAD_USER_INPUT.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::access::{Access, Rows, StudentField, StudentView};
use super::connection::{Page, Window, cost};
use super::error::{ApiError, ApiResult, Code};
use super::matching::{MatchNode, match_page};
use super::{audited, commit, store};
use store::import::{ImportError, Table, import_csv};
use store::matches::MatchFilter;
use store::people::{self, Disclosure, Visible};
use store::records::{Guardian, RawNeed, RawPlace, RawStudent, RawWindow, Role, School, Student};
use store::{StoreError, write};

/// The fields a partner may read, as the disclosure log names them.
const MINIMAL_FIELDS: [&str; 4] = ["id", "firstName", "grade", "languages"];

/// Reads.
#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// Schools the viewer may see: ADMIN all, a counselor their own, others none.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn schools(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<SchoolNode>> {
        let access = Access::of(ctx)?;
        let window = Window::new(first, after)?;
        let only = match access.schools() {
            Rows::All => None,
            Rows::Own(id) => Some(id),
            Rows::MatchedTo(_) | Rows::Nothing => {
                return Ok(window.page(Vec::new(), 0, |s: &SchoolNode| s.id()));
            }
        };
        let listed =
            people::list_schools(store(ctx)?.db(), only.as_deref(), window.after.as_deref(), window.fetch())
                .await?;
        let nodes = listed.rows.into_iter().map(SchoolNode).collect();
        Ok(window.page(nodes, listed.total, SchoolNode::id))
    }

    /// Students the viewer may see (see the access matrix of API.md).
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn students(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<StudentFilter>,
    ) -> ApiResult<Page<StudentNode>> {
        if let Some(given) = &filter {
            let access = Access::of(ctx)?;
            let named = [
                ("filter.schoolId", given.school_id.is_some()),
                ("filter.needKind", given.need_kind.is_some()),
                ("filter.unmatched", given.unmatched.is_some()),
            ];
            for (name, _) in named.iter().filter(|(_, is_given)| *is_given) {
                access.student_filter(name)?;
            }
        }
        let filter = filter.map(StudentFilter::into_store).transpose()?.unwrap_or_default();
        Ok(list_students(ctx, filter, first, after, "students").await?)
    }

    /// One student: null when there is none or the viewer may not see it.
    async fn student(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<StudentNode>> {
        Ok(student_node(ctx, &id, "student").await?)
    }

    /// The disclosure log, oldest first (ADMIN only).
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn disclosures(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<DisclosureFilter>,
    ) -> ApiResult<Page<DisclosureNode>> {
        let access = Access::of(ctx)?;
        access.admin("reading the disclosure log")?;
        let window = Window::new(first, after)?;
        let after = window
            .after
            .as_deref()
            .map(|id| {
                id.parse::<i64>().map_err(|_| ApiError::bad_input("after", "not a cursor of this list"))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let filter = people::DisclosureFilter {
            student_id: filter.student_id.map(|id| id.0),
            partner_id: filter.partner_id.map(|id| id.0),
        };
        let listed = people::list_disclosures(store(ctx)?.db(), &filter, after, window.fetch()).await?;
        let nodes = listed.rows.into_iter().map(DisclosureNode::from).collect();
        Ok(window.page(nodes, listed.total, |node: &DisclosureNode| node.id.as_str()))
    }
}

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
    let Some(student) = people::find_student(db, id).await? else {
        return Ok(None);
    };
    let matched = match access.students() {
        Rows::MatchedTo(partner) => people::is_matched_to(db, id, &partner).await?,
        Rows::All | Rows::Own(_) | Rows::Nothing => false,
    };
    // Not visible reads as absent: the same answer as an unknown id.
    let Some(view) = access.student_view(id, &student.school_id, matched) else {
        return Ok(None);
    };
    let node = StudentNode { record: student, view };
    let selected: Vec<String> = ctx.field().selection_set().map(|field| field.name().to_owned()).collect();
    disclose(ctx, &access, std::slice::from_ref(&node), &selected, operation).await?;
    Ok(Some(node))
}

/// Writes. Each runs in one transaction with its audit entry; a failing one writes
/// nothing.
#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Adds a school to a district (ADMIN). An id in use is CONFLICT.
    async fn create_school(&self, ctx: &Context<'_>, input: SchoolInput) -> ApiResult<SchoolNode> {
        let access = Access::of(ctx)?;
        access.write_school()?;
        let now = Utc::now();
        let txn = store(ctx)?.write().await?;
        if people::find_school(&txn, &input.id).await?.is_some() {
            return Err(ApiError::new(
                Code::Conflict,
                format!("school {} already exists", input.id.as_str()),
            ));
        }
        if !people::district_exists(&txn, &input.district_id).await? {
            return Err(ApiError::bad_input("input.districtId", "no such district"));
        }
        let school = School { id: input.id.0, district_id: input.district_id.0, name: input.name };
        write::save_schools(&txn, std::slice::from_ref(&school)).await.map_err(in_input)?;
        audited(&txn, &access, "create", "school", &school.id, now).await?;
        commit(txn).await?;
        Ok(SchoolNode(school))
    }

    /// Adds a student (ADMIN, or the counselor of the student's school). `input.id`
    /// is required; an id in use is CONFLICT.
    async fn create_student(&self, ctx: &Context<'_>, input: StudentInput) -> ApiResult<StudentNode> {
        let access = Access::of(ctx)?;
        access.write_student(&input.school_id)?;
        let id = input.id.clone().ok_or_else(|| ApiError::bad_input("input.id", "is required"))?;
        let record = input.into_record(id.0);
        let txn = store(ctx)?.write().await?;
        if people::find_student(&txn, &record.matching.id).await?.is_some() {
            return Err(ApiError::new(
                Code::Conflict,
                format!("student {} already exists", record.matching.id),
            ));
        }
        Ok(save_student(txn, &access, record, "create").await?)
    }

    /// Replaces a student's record (ADMIN, or the counselor of the student's school;
    /// only ADMIN may move a student to another school). `input.id`, when given,
    /// must be `id`.
    async fn update_student(&self, ctx: &Context<'_>, id: ID, input: StudentInput) -> ApiResult<StudentNode> {
        let access = Access::of(ctx)?;
        if input.id.as_ref().is_some_and(|given| *given != id) {
            return Err(ApiError::bad_input("input.id", "differs from the id of the student to update"));
        }
        let txn = store(ctx)?.write().await?;
        let stored = people::find_student(&txn, &id)
            .await?
            .ok_or_else(|| ApiError::from(StoreError::not_found("student", id.as_str())))?;
        access.write_student(&stored.school_id)?;
        access.write_student(&input.school_id)?;
        let record = input.into_record(id.0);
        Ok(save_student(txn, &access, record, "update").await?)
    }

    /// Imports a CSV file of students into one school (ADMIN, or its counselor): all
    /// rows or none. A file with bad rows writes nothing and comes back with every
    /// bad row in `errors` (and `created`, `updated` zero).
    async fn import_students(
        &self,
        ctx: &Context<'_>,
        school_id: ID,
        csv: String,
    ) -> ApiResult<ImportResult> {
        let access = Access::of(ctx)?;
        access.write_student(&school_id)?;
        let db = store(ctx)?.db();
        match import_csv(db, Table::Students, csv.as_bytes(), Some(&school_id), &access.actor(), Utc::now())
            .await
        {
            Ok(imported) => Ok(ImportResult {
                created: count(imported.created),
                updated: count(imported.updated),
                errors: Vec::new(),
            }),
            Err(ImportError::Rows(rows)) => Ok(ImportResult {
                created: 0,
                updated: 0,
                errors: rows
                    .into_iter()
                    .map(|row| ImportRowError {
                        row: count(row.row),
                        column: row.column,
                        message: row.message,
                    })
                    .collect(),
            }),
            Err(ImportError::Store(err)) => Err(ApiError::from(err)),
        }
    }

    /// Records that guardian consent is withdrawn (ADMIN, the student's counselor, or
    /// the student): `consentOnFile` becomes false, so the matcher proposes no new
    /// match; existing matches are left as they are.
    async fn withdraw_consent(&self, ctx: &Context<'_>, student_id: ID) -> ApiResult<StudentNode> {
        let access = Access::of(ctx)?;
        let now = Utc::now();
        let txn = store(ctx)?.write().await?;
        let stored = people::find_student(&txn, &student_id)
            .await?
            .ok_or_else(|| ApiError::from(StoreError::not_found("student", student_id.as_str())))?;
        access.withdraw_consent(&student_id, &stored.school_id)?;
        people::set_consent(&txn, &student_id, false, now).await?;
        audited(&txn, &access, "withdraw_consent", "student", &student_id, now).await?;
        let record = people::find_student(&txn, &student_id)
            .await?
            .ok_or_else(|| ApiError::from(StoreError::not_found("student", student_id.as_str())))?;
        commit(txn).await?;
        Ok(StudentNode { record, view: StudentView::Full })
    }
}

/// A school.
#[derive(Clone, Debug)]
pub struct SchoolNode(School);

impl SchoolNode {
    fn id(&self) -> &str {
        &self.0.id
    }
}

/// A school of the district.
#[Object(name = "School")]
impl SchoolNode {
    #[graphql(name = "id")]
    async fn id_field(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The school's students, as far as the viewer may see them.
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn students(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<StudentFilter>,
    ) -> ApiResult<Page<StudentNode>> {
        let mut filter = filter.map(StudentFilter::into_store).transpose()?.unwrap_or_default();
        if filter.school_id.as_ref().is_some_and(|given| *given != self.0.id) {
            let window = Window::new(first, after)?;
            return Ok(window.page(Vec::new(), 0, |node: &StudentNode| node.record.matching.id.as_str()));
        }
        filter.school_id = Some(self.0.id.clone());
        Ok(list_students(ctx, filter, first, after, "School.students").await?)
    }
}

/// A student, with how much of it the viewer may read.
#[derive(Clone, Debug)]
pub struct StudentNode {
    record: Student,
    view: StudentView,
}

impl StudentNode {
    fn allow(&self, ctx: &Context<'_>, field: StudentField) -> Result<&RawStudent, ApiError> {
        Access::of(ctx)?.student_field(self.view, field)?;
        Ok(&self.record.matching)
    }
}

/// A student. Each field asks the field guard: a partner the student is matched to
/// reads `id firstName grade languages` and gets FORBIDDEN for the rest.
#[Object(name = "Student")]
impl StudentNode {
    async fn id(&self, ctx: &Context<'_>) -> ApiResult<ID> {
        Ok(ID(self.allow(ctx, StudentField::Minimal)?.id.clone()))
    }

    async fn first_name(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        self.allow(ctx, StudentField::Minimal)?;
        Ok(&self.record.first_name)
    }

    async fn last_name(&self, ctx: &Context<'_>) -> ApiResult<&str> {
        self.allow(ctx, StudentField::Profile)?;
        Ok(&self.record.last_name)
    }

    /// 0 (kindergarten) to 12.
    async fn grade(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.allow(ctx, StudentField::Minimal)?.grade)
    }

    /// `YYYY-MM-DD`.
    async fn birth_date(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        Ok(self.allow(ctx, StudentField::Sensitive)?.birth_date.as_deref())
    }

    /// Preferred first.
    async fn languages(&self, ctx: &Context<'_>) -> ApiResult<&[String]> {
        Ok(&self.allow(ctx, StudentField::Minimal)?.languages)
    }

    /// Stored coarsely (3 decimals, about 100 m).
    async fn home(&self, ctx: &Context<'_>) -> ApiResult<Home> {
        let home = self.allow(ctx, StudentField::Sensitive)?.home;
        Ok(Home { lat: home.lat, lon: home.lon })
    }

    /// `WALK BIKE TRANSIT CAR`.
    async fn travel_modes(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(self.allow(ctx, StudentField::Profile)?.travel_modes.clone().unwrap_or_default())
    }

    async fn max_travel_minutes(&self, ctx: &Context<'_>) -> ApiResult<f64> {
        Ok(self.allow(ctx, StudentField::Profile)?.max_travel_minutes)
    }

    async fn remote_ok(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.allow(ctx, StudentField::Profile)?.remote_ok.unwrap_or(true))
    }

    /// Weekly free time, touching windows merged.
    async fn availability(&self, ctx: &Context<'_>) -> ApiResult<Vec<AvailabilityWindow>> {
        let student = self.allow(ctx, StudentField::Profile)?;
        Ok(student.availability.iter().map(AvailabilityWindow::from).collect())
    }

    async fn needs(&self, ctx: &Context<'_>) -> ApiResult<Vec<Need>> {
        let student = self.allow(ctx, StudentField::Profile)?;
        Ok(student
            .needs
            .iter()
            .map(|need| Need { kind: need.kind.clone(), subjects: need.subjects.clone().unwrap_or_default() })
            .collect())
    }

    /// Equity priority, 0–3.
    async fn priority(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.allow(ctx, StudentField::Profile)?.priority.unwrap_or(0))
    }

    async fn consent_on_file(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.allow(ctx, StudentField::Profile)?.consent_on_file.unwrap_or(false))
    }

    async fn school(&self, ctx: &Context<'_>) -> ApiResult<Option<SchoolNode>> {
        self.allow(ctx, StudentField::Profile)?;
        let school = people::find_school(store(ctx)?.db(), &self.record.school_id).await?;
        Ok(school.map(SchoolNode))
    }

    /// Guardians and family contacts.
    async fn guardians(&self, ctx: &Context<'_>) -> ApiResult<Vec<GuardianNode>> {
        self.allow(ctx, StudentField::Sensitive)?;
        Ok(self.record.guardians.iter().cloned().map(GuardianNode::from).collect())
    }

    /// The student's matches, as far as the viewer is party to them (a partner:
    /// matches to its own openings).
    #[graphql(complexity = "cost(first, child_complexity)")]
    async fn matches(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<MatchNode>> {
        let filter =
            MatchFilter { student_id: Some(self.record.matching.id.clone()), ..MatchFilter::default() };
        Ok(match_page(ctx, filter, first, after).await?)
    }
}

/// A home location.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct Home {
    lat: f64,
    lon: f64,
}

/// A weekly window: `day` is `MON` … `SUN`, times are `HH:MM`.
#[derive(Clone, Debug, SimpleObject)]
pub struct AvailabilityWindow {
    day: String,
    start: String,
    end: String,
}

impl From<&RawWindow> for AvailabilityWindow {
    fn from(window: &RawWindow) -> AvailabilityWindow {
        AvailabilityWindow { day: window.day.clone(), start: window.start.clone(), end: window.end.clone() }
    }
}

/// A need: a kind (`TUTORING MENTORING INTERNSHIP`) and subjects or interests.
#[derive(Clone, Debug, SimpleObject)]
pub struct Need {
    kind: String,
    subjects: Vec<String>,
}

/// A guardian or family contact.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "Guardian")]
pub struct GuardianNode {
    name: String,
    relationship: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl From<Guardian> for GuardianNode {
    fn from(guardian: Guardian) -> GuardianNode {
        GuardianNode {
            name: guardian.name,
            relationship: guardian.relationship,
            email: guardian.email,
            phone: guardian.phone,
        }
    }
}

/// One read of a student's data by a partner.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "Disclosure")]
pub struct DisclosureNode {
    id: ID,
    occurred_at: DateTime<Utc>,
    partner_id: ID,
    /// Who asked, as `role:scope`.
    actor: String,
    student_id: ID,
    /// The fields read, by their API names.
    fields: Vec<String>,
    /// The operation that read them.
    operation: Option<String>,
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
    created: i64,
    /// Students whose id was already stored, now replaced.
    updated: i64,
    /// Every bad row; when any, nothing was written.
    errors: Vec<ImportRowError>,
}

#[ComplexObject]
impl ImportResult {
    /// Whether the file was written.
    async fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A bad row of an import.
#[derive(Clone, Debug, SimpleObject)]
pub struct ImportRowError {
    /// 1-based; the header is row 1.
    row: i64,
    /// The CSV column, when one cell is wrong.
    column: Option<String>,
    message: String,
}

/// Which students to list.
#[derive(Clone, Debug, Default, InputObject)]
pub struct StudentFilter {
    school_id: Option<ID>,
    grade: Option<i32>,
    /// `TUTORING`, `MENTORING` or `INTERNSHIP`.
    need_kind: Option<String>,
    /// Only students with a need (of `needKind`, when given) that no open match
    /// fills; `false`: only students without one.
    unmatched: Option<bool>,
}

impl StudentFilter {
    fn into_store(self) -> Result<people::StudentFilter, ApiError> {
        if let Some(kind) = &self.need_kind
            && matcher::model::Kind::parse(kind).is_none()
        {
            return Err(ApiError::bad_input("filter.needKind", "must be TUTORING, MENTORING or INTERNSHIP"));
        }
        Ok(people::StudentFilter {
            school_id: self.school_id.map(|id| id.0),
            grade: self.grade,
            need_kind: self.need_kind,
            unmatched: self.unmatched,
        })
    }
}

/// Which disclosures to list.
#[derive(Clone, Debug, Default, InputObject)]
pub struct DisclosureFilter {
    student_id: Option<ID>,
    partner_id: Option<ID>,
}

/// A new school.
#[derive(Clone, Debug, InputObject)]
pub struct SchoolInput {
    id: ID,
    district_id: ID,
    name: String,
}

/// A student's whole record, as MATCHING.md describes a student plus who they are.
#[derive(Clone, Debug, InputObject)]
pub struct StudentInput {
    /// Required by `createStudent`; `updateStudent` takes it from its `id`.
    id: Option<ID>,
    school_id: ID,
    first_name: String,
    last_name: String,
    /// 0 (kindergarten) to 12.
    grade: i32,
    /// `YYYY-MM-DD`.
    birth_date: Option<String>,
    /// Preferred first.
    languages: Vec<String>,
    home: HomeInput,
    /// `WALK BIKE TRANSIT CAR`.
    travel_modes: Option<Vec<String>>,
    max_travel_minutes: f64,
    remote_ok: Option<bool>,
    availability: Vec<AvailabilityInput>,
    needs: Vec<NeedInput>,
    /// 0–3.
    priority: Option<i32>,
    consent_on_file: Option<bool>,
    guardians: Option<Vec<GuardianInput>>,
}

impl StudentInput {
    fn into_record(self, id: String) -> Student {
        Student {
            school_id: self.school_id.0,
            first_name: self.first_name,
            last_name: self.last_name,
            guardians: self
                .guardians
                .unwrap_or_default()
                .into_iter()
                .map(|g| Guardian {
                    name: g.name,
                    relationship: g.relationship,
                    email: g.email,
                    phone: g.phone,
                })
                .collect(),
            matching: RawStudent {
                id,
                grade: i64::from(self.grade),
                birth_date: self.birth_date,
                languages: self.languages,
                home: RawPlace { lat: self.home.lat, lon: self.home.lon },
                travel_modes: self.travel_modes,
                max_travel_minutes: self.max_travel_minutes,
                remote_ok: self.remote_ok,
                availability: self
                    .availability
                    .into_iter()
                    .map(|w| RawWindow { day: w.day, start: w.start, end: w.end })
                    .collect(),
                needs: self
                    .needs
                    .into_iter()
                    .map(|n| RawNeed { kind: n.kind, subjects: n.subjects })
                    .collect(),
                priority: self.priority.map(i64::from),
                consent_on_file: self.consent_on_file,
            },
        }
    }
}

/// A home location.
#[derive(Clone, Copy, Debug, InputObject)]
pub struct HomeInput {
    lat: f64,
    lon: f64,
}

/// A weekly window: `TUE`, `15:30`, `18:00`.
#[derive(Clone, Debug, InputObject)]
pub struct AvailabilityInput {
    day: String,
    start: String,
    end: String,
}

/// A need: `TUTORING` with `["algebra"]`.
#[derive(Clone, Debug, InputObject)]
pub struct NeedInput {
    kind: String,
    subjects: Option<Vec<String>>,
}

/// A guardian or family contact.
#[derive(Clone, Debug, InputObject)]
pub struct GuardianInput {
    name: String,
    relationship: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A record's invalid field as a path of the mutation's `input`.
fn in_input(err: StoreError) -> ApiError {
    match err {
        StoreError::Invalid { field, message } if field == "$" => ApiError::bad_input("input", message),
        StoreError::Invalid { field, message } => ApiError::bad_input(format!("input.{field}"), message),
        other => ApiError::from(other),
    }
}

/// Saves one student in `txn` with its audit entry, commits, and reads it back.
async fn save_student(
    txn: store::Transaction,
    access: &Access<'_>,
    record: Student,
    action: &str,
) -> Result<StudentNode, ApiError> {
    let now = Utc::now();
    if people::find_school(&txn, &record.school_id).await?.is_none() {
        return Err(ApiError::bad_input("input.schoolId", "no such school"));
    }
    write::save_students(&txn, std::slice::from_ref(&record), now).await.map_err(in_input)?;
    let detail = serde_json::json!({ "schoolId": record.school_id });
    write::audit(&txn, &access.actor(), action, "student", &record.matching.id, Some(detail), now).await?;
    let saved = people::find_student(&txn, &record.matching.id)
        .await?
        .ok_or_else(|| StoreError::not_found("student", record.matching.id.as_str()))?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(StudentNode { record: saved, view: StudentView::Full })
}

/// Which students the viewer's rows are, as the store filters them.
fn visible_students(access: &Access<'_>) -> Visible {
    match access.students() {
        Rows::All => Visible::All,
        Rows::Own(id) if access.viewer().role == Role::Student => Visible::Student(id),
        Rows::Own(id) => Visible::School(id),
        Rows::MatchedTo(partner) => Visible::MatchedTo(partner),
        Rows::Nothing => Visible::Nothing,
    }
}

/// One page of the students the viewer may see, disclosed when the viewer is a partner.
async fn list_students(
    ctx: &Context<'_>,
    filter: people::StudentFilter,
    first: Option<i32>,
    after: Option<String>,
    operation: &str,
) -> Result<Page<StudentNode>, ApiError> {
    let access = Access::of(ctx)?;
    let window = Window::new(first, after)?;
    let visible = visible_students(&access);
    let is_matched = matches!(visible, Visible::MatchedTo(_));
    let listed = people::list_students(
        store(ctx)?.db(),
        &visible,
        &filter,
        window.after.as_deref(),
        window.fetch(),
        !access.discloses(),
    )
    .await?;
    let nodes: Vec<StudentNode> = listed
        .rows
        .into_iter()
        .filter_map(|record| {
            let view = access.student_view(&record.matching.id, &record.school_id, is_matched)?;
            Some(StudentNode { record, view })
        })
        .collect();
    let shown = nodes.len().min(usize::try_from(window.first).unwrap_or(usize::MAX));
    let selected = node_fields(ctx);
    disclose(ctx, &access, &nodes[..shown], &selected, operation).await?;
    Ok(window.page(nodes, listed.total, |node| node.record.matching.id.as_str()))
}

/// The fields a connection's query selects on its nodes (`edges { node }` and
/// `nodes`). A cursor is a position in the list, which is the student's id: asking
/// for one (`edges { cursor }`, `pageInfo { startCursor endCursor }`) reads `id`.
fn node_fields(ctx: &Context<'_>) -> Vec<String> {
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
async fn disclose(
    ctx: &Context<'_>,
    access: &Access<'_>,
    students: &[StudentNode],
    selected: &[String],
    operation: &str,
) -> Result<(), ApiError> {
    if !access.discloses() || students.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = MINIMAL_FIELDS
        .iter()
        .filter(|field| selected.iter().any(|name| name == *field))
        .map(|field| (*field).to_owned())
        .collect();
    if fields.is_empty() {
        return Ok(());
    }
    let partner_id = match access.students() {
        Rows::MatchedTo(partner) => partner,
        Rows::All | Rows::Own(_) | Rows::Nothing => access.viewer().scope.clone().unwrap_or_default(),
    };
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
