//! The README's tour runs as written: every `q TOKEN 'BODY'` line of its shell
//! blocks is sent, in order, to a server holding the demo district, with the
//! tokens its `pm token` lines mint and the match id its `MATCH=…` line captures.
//! The comment after each line is what the reader is told to expect: an error code
//! shown there must come back, and a line shown without one must succeed with the
//! data field it names.

use std::collections::HashMap;

use cli::demo::seed;
use serde_json::Value;
use store::records::Role;

use crate::db::sqlite;
use crate::http::{TestServer, token};

const README: &str = include_str!("../../README.md");

/// The lines of the README's ```sh blocks, each with the comment lines after it.
fn shell_lines() -> Vec<(String, Vec<String>)> {
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_shell = false;
    for line in README.lines() {
        match line.trim_end() {
            "```sh" => in_shell = true,
            "```" => in_shell = false,
            text if in_shell => match text.strip_prefix('#') {
                Some(comment) => {
                    if let Some((_, comments)) = lines.last_mut() {
                        comments.push(comment.trim().to_owned());
                    }
                }
                None if !text.trim().is_empty() => lines.push((text.to_owned(), Vec::new())),
                None => {}
            },
            _ => {}
        }
    }
    lines
}

/// The token `pm token --role R [--scope S]` prints, from the arguments after `token`.
fn minted(arguments: &str) -> String {
    let words: Vec<&str> = arguments.split_whitespace().collect();
    let after = |flag: &str| words.iter().position(|w| *w == flag).map(|at| words[at + 1]);
    let role = Role::parse(after("--role").expect("--role")).expect("a role");
    token(role, after("--scope"))
}

/// The body of a `q TOKEN 'BODY'` call, shell quoting undone with `variables`.
fn body(quoted: &str, variables: &HashMap<String, String>) -> String {
    // '…'$NAME'…' closes the quote, expands NAME, and opens it again.
    let mut text = quoted.trim().trim_start_matches('\'').trim_end_matches('\'').to_owned();
    for (name, value) in variables {
        text = text.replace(&format!("'${name}'"), value);
    }
    assert!(!text.contains('$'), "an unknown shell variable in {quoted}");
    text
}

/// What `grep -o 'm-[0-9]*-[0-9a-f]*'` prints for `text`: the first match id.
fn match_id(text: &str) -> Option<String> {
    text.match_indices("m-").find_map(|(at, _)| {
        let rest = &text[at + 2..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let rest = rest[digits..].strip_prefix('-')?;
        let hex = rest.chars().take_while(char::is_ascii_hexdigit).count();
        (digits > 0 && hex > 0).then(|| text[at..at + 2 + digits + 1 + hex].to_owned())
    })
}

/// The `"code":"X"` values a comment shows.
fn codes(comments: &[String]) -> Vec<String> {
    let text = comments.join(" ");
    text.match_indices("\"code\":\"")
        .map(|(at, needle)| text[at + needle.len()..].split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_readme_tour_runs_as_written() {
    let db = sqlite().await;
    seed(&db.store, chrono::Utc::now()).await.unwrap();
    let server = TestServer::start(db, false).await;
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut variables: HashMap<String, String> = HashMap::new();
    let mut outputs: HashMap<String, String> = HashMap::new();
    let mut sent = 0;
    for (line, comments) in shell_lines() {
        // NAME=$(pm token …)
        if let Some((name, rest)) = line.split_once("=$(pm token ") {
            tokens.insert(name.to_owned(), minted(rest.trim_end_matches(')')));
            continue;
        }
        // MATCH=$(echo "$PICK" | grep -o 'm-…')
        if let Some((name, rest)) = line.split_once("=$(echo \"$") {
            let from = rest.split('"').next().unwrap();
            let id = match_id(&outputs[from]).unwrap_or_else(|| panic!("no match id in {}", outputs[from]));
            variables.insert(name.to_owned(), id);
            continue;
        }
        // q TOKEN 'BODY', or NAME=$(q TOKEN 'BODY'); echo "$NAME"
        let (captured, call) = match line.split_once("=$(q ") {
            Some((name, rest)) => {
                (Some(name.to_owned()), rest.split("'); echo").next().unwrap().to_owned() + "'")
            }
            None => match line.strip_prefix("q ") {
                Some(call) => (None, call.to_owned()),
                None => continue,
            },
        };
        let (bearer, quoted) = match call.strip_prefix("$(pm token ") {
            Some(rest) => {
                let (arguments, quoted) = rest.split_once(") ").unwrap();
                (minted(arguments), quoted.to_owned())
            }
            None => {
                let (name, quoted) = call.split_once(' ').unwrap();
                let bearer =
                    tokens.get(name.trim_start_matches('$')).unwrap_or_else(|| panic!("no token {name}"));
                (bearer.clone(), quoted.to_owned())
            }
        };
        let request: Value = serde_json::from_str(&body(&quoted, &variables))
            .unwrap_or_else(|err| panic!("the README's body is not JSON ({err}): {line}"));
        let reply = server.post(Some(&bearer), request.to_string().as_bytes()).await;
        assert_eq!(reply.status, 200, "{line}");
        let response = reply.json();
        sent += 1;
        let shown = codes(&comments);
        let got: Vec<String> = response["errors"]
            .as_array()
            .map(|errors| {
                errors.iter().map(|e| e["extensions"]["code"].as_str().unwrap().to_owned()).collect()
            })
            .unwrap_or_default();
        assert_eq!(got, shown, "{line}\nthe README shows {comments:?}\ngot {response}");
        let expected = comments
            .first()
            .and_then(|c| c.strip_prefix("{\"data\":{\""))
            .map(|rest| rest.split('"').next().unwrap());
        if let Some(field) = expected {
            assert!(!response["data"][field].is_null(), "{line}: no {field} in {response}");
        }
        if let Some(name) = captured {
            outputs.insert(name, response.to_string());
        }
    }
    assert!(sent >= 11, "the tour sends {sent} requests: did its shape change?");
    assert!(variables.contains_key("MATCH"), "the tour captures the match it proposes");
    server.stop().await;
}
