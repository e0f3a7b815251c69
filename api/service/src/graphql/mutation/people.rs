//! `createSchool`, `createStudent`, `updateStudent`, `importStudents`,
//! `withdrawConsent`.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use store::import::{Table, import_csv};
use store::records::{District, School, Student};
use store::{Conflict, StoreError, people, strand, write};

use crate::graphql::access::Access;
use crate::graphql::error::{ApiError, ApiResult, Code, all_of};
use crate::graphql::mutation::in_input;
use crate::graphql::mutation::records::stranding;
use crate::graphql::types::school::{DistrictInput, DistrictNode, SchoolInput, SchoolNode};
use crate::graphql::types::student::{
    ImportResult, ImportRowError, StudentInput, StudentNode, StudentPatch, count,
};
use crate::graphql::{audited, commit, store};

/// Writes. Each runs in one transaction with its audit entry; a failing one writes
/// nothing.
#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// A new district (ADMIN): the first step of setting one up from nothing. An id
    /// in use is CONFLICT.
    async fn create_district(&self, ctx: &Context<'_>, input: DistrictInput) -> ApiResult<DistrictNode> {
        let access = Access::of(ctx)?;
        access.admin("creating districts")?;
        let now = Utc::now();
        let txn = store(ctx)?.write().await?;
        if people::district_exists(&txn, &input.id).await? {
            return Err(StoreError::from(Conflict::Taken { entity: "district", id: input.id.0 }).into());
        }
        let district = District { id: input.id.0, name: input.name };
        write::save_district(&txn, &district).await.map_err(in_input)?;
        audited(&txn, &access, "create", "district", &district.id, now).await?;
        commit(txn).await?;
        Ok(DistrictNode(district))
    }

    /// Adds a school to a district (ADMIN); a district that does not exist is
    /// BAD_USER_INPUT naming `input.districtId`. An id in use is CONFLICT.
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
        access.write_students_of(&input.school_id)?;
        let id = input.id.clone().ok_or_else(|| ApiError::bad_input("input.id", "is required"))?;
        let entered = input.into_record(id.0);
        let txn = store(ctx)?.write().await?;
        if people::find_student(&txn, entered.id()).await?.is_some() {
            return Err(ApiError::new(Code::Conflict, format!("student {} already exists", entered.id())));
        }
        let record = entered.parse().map_err(in_input)?;
        let detail = serde_json::json!({ "schoolId": record.school_id });
        save_student(txn, &access, record, "create", Some(detail)).await
    }

    /// Changes a student (ADMIN, or the counselor of the student's school): fields
    /// left out stay as they are, `guardians` only when given. An edit that would
    /// make an open match infeasible (its sessions outside the new availability, no
    /// shared language any more, out of reach, …) is CONFLICT with
    /// `extensions.matches`, and nothing is written; consent is withdrawn with
    /// `withdrawConsent`, which lets open matches go on.
    async fn update_student(&self, ctx: &Context<'_>, id: ID, input: StudentPatch) -> ApiResult<StudentNode> {
        let access = Access::of(ctx)?;
        let txn = store(ctx)?.write().await?;
        let stored = people::find_student(&txn, &id)
            .await?
            .ok_or_else(|| ApiError::from(StoreError::not_found("student", id.as_str())))?;
        access.write_student(&id, &stored.school_id)?;
        let (entered, changed) = input.apply(&stored).map_err(|errors| all_of(ctx, errors))?;
        let record = entered.parse().map_err(in_input)?;
        let stranded = strand::by_student(&txn, &record, store(ctx)?.today(Utc::now())).await?;
        if !stranded.is_empty() {
            return Err(stranding(&stranded));
        }
        let detail = serde_json::json!({ "changed": changed });
        save_student(txn, &access, record, "update", Some(detail)).await
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
        access.write_students_of(&school_id)?;
        let store = store(ctx)?;
        let now = Utc::now();
        let clock = (now, store.today(now));
        match import_csv(
            store.db(),
            Table::Students,
            csv.as_bytes(),
            Some(&school_id),
            &access.actor(),
            clock,
        )
        .await
        {
            Ok(imported) => Ok(ImportResult {
                created: count(imported.created),
                updated: count(imported.updated),
                errors: Vec::new(),
            }),
            Err(StoreError::Rows(rows)) => Ok(ImportResult {
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
            Err(err) => Err(ApiError::from(err)),
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
        Ok(StudentNode::full(record))
    }
}

/// Saves one student in `txn` with its audit entry, commits, and reads it back.
pub(crate) async fn save_student(
    txn: store::Transaction,
    access: &Access<'_>,
    record: Student,
    action: &str,
    detail: Option<serde_json::Value>,
) -> Result<StudentNode, ApiError> {
    let now = Utc::now();
    if people::find_school(&txn, &record.school_id).await?.is_none() {
        return Err(ApiError::bad_input("input.schoolId", "no such school"));
    }
    write::save_students(&txn, std::slice::from_ref(&record), now).await.map_err(in_input)?;
    write::audit(&txn, &access.actor(), action, "student", &record.matching.id, detail, now).await?;
    let saved = people::find_student(&txn, &record.matching.id)
        .await?
        .ok_or_else(|| StoreError::not_found("student", record.matching.id.as_str()))?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(StudentNode::full(saved))
}
