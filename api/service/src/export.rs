//! CSV exports for the people who live in spreadsheets: `GET /export/matches.csv`,
//! `GET /export/unmatched.csv?run=ID` and `GET /export/report.csv`, with the same
//! bearer token as the API.
//!
//! Each export runs GraphQL queries through the schema as the viewer, page after
//! page, and flattens the answers: the access rules, the field guards and the
//! disclosure log are the API's own, so a partner's file holds only what a partner
//! may read and is logged as a disclosure, whatever the file. Columns are the
//! GraphQL field names (nested ones joined: `studentFirstName`); lists are
//! `;`-separated; a cell starting with `= + - @` gets a leading `'`, so a
//! spreadsheet never runs it as a formula.

use async_graphql::Request;
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::graphql::error::{ApiError, Code};
use crate::graphql::{Deadline, Schemas};
use store::records::Role;

/// Rows per GraphQL page while exporting.
const PAGE: usize = 100;

/// A finished export: CSV text, or the error the API would have given.
pub type Export = Result<String, ApiError>;

/// `matches.csv`: every match the viewer is party to.
pub async fn matches(schemas: &Schemas, viewer: Viewer) -> Export {
    let partner = viewer.role == Role::Partner;
    let student_fields = if partner { "id firstName grade" } else { "id firstName lastName grade" };
    let query = format!(
        "query($after: String) {{ matches(first: {PAGE}, after: $after) {{ pageInfo {{ hasNextPage endCursor }} \
         edges {{ node {{ id status kind score createdAt decidedAt studentAccepted partnerAccepted \
         sessions {{ day start end }} student {{ {student_fields} }} opening {{ id title partner {{ id name }} }} }} }} }} }}"
    );
    let mut header =
        vec!["id", "status", "kind", "score", "createdAt", "decidedAt", "studentAccepted", "partnerAccepted"];
    header.extend(["sessions", "studentId", "studentFirstName"]);
    if !partner {
        header.push("studentLastName");
    }
    header.extend(["studentGrade", "openingId", "openingTitle", "partnerId", "partnerName"]);
    let nodes = pages(schemas, &viewer, &query, &json!({}), "/matches").await?;
    let rows = nodes.iter().map(|node| {
        let mut row = vec![
            text(&node["id"]),
            text(&node["status"]),
            text(&node["kind"]),
            text(&node["score"]),
            text(&node["createdAt"]),
            text(&node["decidedAt"]),
            text(&node["studentAccepted"]),
            text(&node["partnerAccepted"]),
            sessions(&node["sessions"]),
            text(&node["student"]["id"]),
            text(&node["student"]["firstName"]),
        ];
        if !partner {
            row.push(text(&node["student"]["lastName"]));
        }
        row.extend([
            text(&node["student"]["grade"]),
            text(&node["opening"]["id"]),
            text(&node["opening"]["title"]),
            text(&node["opening"]["partner"]["id"]),
            text(&node["opening"]["partner"]["name"]),
        ]);
        row
    });
    write(&header, rows)
}

/// `unmatched.csv?run=ID`: the needs a run left unmatched, and why.
pub async fn unmatched(schemas: &Schemas, viewer: Viewer, run: &str) -> Export {
    let query = format!(
        "query($run: ID!, $after: String) {{ matchRun(id: $run) {{ unmatched(first: {PAGE}, after: $after) {{ \
         pageInfo {{ hasNextPage endCursor }} edges {{ node {{ studentId kind reason ruledOutBy {{ constraint count }} }} }} }} }} }}"
    );
    let nodes = pages(schemas, &viewer, &query, &json!({ "run": run }), "/matchRun/unmatched").await?;
    let rows = nodes.iter().map(|node| {
        let reasons: Vec<String> = node["ruledOutBy"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| format!("{}:{}", text(&item["constraint"]), text(&item["count"])))
            .collect();
        vec![text(&node["studentId"]), text(&node["kind"]), text(&node["reason"]), reasons.join(";")]
    });
    write(&["studentId", "kind", "reason", "ruledOutBy"], rows)
}

/// `report.csv`: the report's sections as the viewer may see them, one row per
/// line of each, a `section` column saying which.
pub async fn report(schemas: &Schemas, viewer: Viewer) -> Export {
    let counts_students = matches!(viewer.role, Role::Admin | Role::Counselor);
    let rates = "key needs matched proposed rate";
    let about_students = if counts_students {
        format!(
            "matchRateBySchool {{ {rates} }} matchRateByKind {{ {rates} }} matchRateByPriority {{ {rates} }} \
             medianTravelMinutes"
        )
    } else {
        String::new()
    };
    let query = format!(
        "{{ report {{ {about_students} capacityByPartner {{ partnerId partnerName openings capacity filled use }} \
         feedback {{ count averageRating averageSessionsAttended byRole {{ role count averageRating }} }} }} }}"
    );
    let data = run(schemas, &viewer, &query, json!({})).await?;
    let report = &data["report"];
    let header = [
        "section",
        "key",
        "needs",
        "matched",
        "proposed",
        "rate",
        "partnerId",
        "partnerName",
        "openings",
        "capacity",
        "filled",
        "use",
        "count",
        "averageRating",
        "averageSessionsAttended",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let blank = |section: &str| {
        let mut row = vec![String::new(); header.len()];
        row[0] = section.to_owned();
        row
    };
    let at = |name: &str| header.iter().position(|column| *column == name).unwrap_or(0);
    for section in ["matchRateBySchool", "matchRateByKind", "matchRateByPriority"] {
        for line in report[section].as_array().into_iter().flatten() {
            let mut row = blank(section);
            for column in ["key", "needs", "matched", "proposed", "rate"] {
                row[at(column)] = text(&line[column]);
            }
            rows.push(row);
        }
    }
    for line in report["capacityByPartner"].as_array().into_iter().flatten() {
        let mut row = blank("capacityByPartner");
        for column in ["partnerId", "partnerName", "openings", "capacity", "filled", "use"] {
            row[at(column)] = text(&line[column]);
        }
        rows.push(row);
    }
    if counts_students {
        let mut row = blank("medianTravelMinutes");
        row[at("key")] = "medianTravelMinutes".to_owned();
        row[at("rate")] = text(&report["medianTravelMinutes"]);
        rows.push(row);
    }
    let feedback = &report["feedback"];
    let mut row = blank("feedback");
    row[at("key")] = "all".to_owned();
    for column in ["count", "averageRating", "averageSessionsAttended"] {
        row[at(column)] = text(&feedback[column]);
    }
    rows.push(row);
    for line in feedback["byRole"].as_array().into_iter().flatten() {
        let mut row = blank("feedback");
        row[at("key")] = text(&line["role"]);
        row[at("count")] = text(&line["count"]);
        row[at("averageRating")] = text(&line["averageRating"]);
        rows.push(row);
    }
    write(&header, rows)
}

/// Runs `query` as `viewer`; its `data`, or its first error.
async fn run(schemas: &Schemas, viewer: &Viewer, query: &str, variables: Value) -> Result<Value, ApiError> {
    let request = Request::new(query).variables(async_graphql::Variables::from_json(variables));
    let response = schemas.execute(request, Some(viewer.clone()), Deadline::from_now()).await;
    if let Some(error) = response.errors.first() {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(code) => Some(code.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let code = match code.as_str() {
            "UNAUTHENTICATED" => Code::Unauthenticated,
            "FORBIDDEN" => Code::Forbidden,
            "NOT_FOUND" => Code::NotFound,
            "BAD_USER_INPUT" => Code::BadUserInput,
            "CONFLICT" => Code::Conflict,
            _ => Code::Internal,
        };
        return Err(ApiError::new(code, error.message.clone()));
    }
    serde_json::to_value(response.data).map_err(ApiError::internal)
}

/// Every node of the connection at `pointer` (a JSON pointer into `data`), page
/// after page; the query takes `$after`.
async fn pages(
    schemas: &Schemas,
    viewer: &Viewer,
    query: &str,
    variables: &Value,
    pointer: &str,
) -> Result<Vec<Value>, ApiError> {
    let mut nodes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut vars = variables.clone();
        vars["after"] = after.clone().map_or(Value::Null, Value::String);
        let data = run(schemas, viewer, query, vars).await?;
        let Some(connection) = data.pointer(pointer) else {
            // A run the viewer may not see reads as absent, as in the API.
            return Err(ApiError::new(
                Code::NotFound,
                "nothing to export: no such record the viewer may see",
            ));
        };
        if connection.is_null() {
            return Err(ApiError::new(
                Code::NotFound,
                "nothing to export: no such record the viewer may see",
            ));
        }
        nodes.extend(connection["edges"].as_array().into_iter().flatten().map(|edge| edge["node"].clone()));
        let info = &connection["pageInfo"];
        if info["hasNextPage"] != Value::Bool(true) {
            return Ok(nodes);
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
}

/// A JSON value as a cell: strings as they are, numbers and booleans as written,
/// null as empty.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn sessions(value: &Value) -> String {
    let list: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| format!("{} {}-{}", text(&w["day"]), text(&w["start"]), text(&w["end"])))
        .collect();
    list.join(";")
}

/// A cell a spreadsheet would read as a formula gets a leading `'`.
fn defused(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@']) { format!("'{cell}") } else { cell }
}

fn write(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Export {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(ApiError::internal)?;
    for row in rows {
        out.write_record(row.into_iter().map(defused)).map_err(ApiError::internal)?;
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_look_like_formulas_are_defused() {
        assert_eq!(defused("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(defused("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(defused("+1".into()), "'+1");
        assert_eq!(defused("-2".into()), "'-2");
        assert_eq!(defused("Maria".into()), "Maria");
        let csv = write(&["a", "b"], vec![vec!["x,y".into(), "=1+1".into()]]).unwrap();
        assert_eq!(csv, "a,b\n\"x,y\",'=1+1\n");
        assert_eq!(text(&json!(null)), "");
        assert_eq!(text(&json!(4.5)), "4.5");
        assert_eq!(sessions(&json!([{"day": "TUE", "start": "16:00", "end": "17:00"}])), "TUE 16:00-17:00");
    }
}
