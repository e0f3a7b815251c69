//! Reading GraphQL answers in tests, and tokens per role.

use serde_json::Value;
use store::records::Role;

use crate::http::token;

/// The first error's `extensions.code`.
pub fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

/// The first error's `extensions.field`.
pub fn field(response: &Value) -> &str {
    response["errors"][0]["extensions"]["field"].as_str().unwrap_or_else(|| panic!("no field in {response}"))
}

/// Fails unless the response has no errors.
pub fn no_errors(response: &Value) {
    assert!(response.get("errors").is_none(), "{response}");
}

/// The data, or the first error's code.
pub fn outcome(response: &Value) -> Result<&Value, String> {
    match response.get("errors") {
        None => Ok(&response["data"]),
        Some(_) => Err(code(response).to_owned()),
    }
}

pub fn admin() -> String {
    token(Role::Admin, None)
}

pub fn counselor(school: &str) -> String {
    token(Role::Counselor, Some(school))
}

pub fn partner(id: &str) -> String {
    token(Role::Partner, Some(id))
}

pub fn student(id: &str) -> String {
    token(Role::Student, Some(id))
}
