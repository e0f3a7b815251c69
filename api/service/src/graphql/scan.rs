//! A look at GraphQL source text before the parser builds anything: bracket nesting
//! (the parser recurses on it) and input objects with a repeated field (the parser
//! keeps objects in a map, so by the time a document exists the repeat is gone).
//! Loops, not recursion: any text can be scanned.

use std::collections::HashSet;

/// A significant piece of source text; strings, comments, commas and white space
/// are not (a string is a value, reported as [`Token::Value`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'t> {
    Open(u8),
    Close,
    Name(&'t str),
    Colon,
    Value,
}

/// Tokens with their byte offsets.
struct Tokens<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Iterator for Tokens<'t> {
    type Item = (usize, Token<'t>);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            let start = self.at;
            let rest = &bytes[start..];
            if rest.starts_with(b"\"\"\"") {
                self.at += 3;
                while self.at < bytes.len() {
                    if bytes[self.at..].starts_with(b"\\\"\"\"") {
                        self.at += 4;
                    } else if bytes[self.at..].starts_with(b"\"\"\"") {
                        self.at += 3;
                        break;
                    } else {
                        self.at += 1;
                    }
                }
                return Some((start, Token::Value));
            }
            match rest[0] {
                b'"' => {
                    self.at += 1;
                    while self.at < bytes.len() {
                        match bytes[self.at] {
                            b'\\' => self.at += 2,
                            b'"' => {
                                self.at += 1;
                                break;
                            }
                            // An unterminated string: the parser will say so.
                            b'\n' | b'\r' => break,
                            _ => self.at += 1,
                        }
                    }
                    return Some((start, Token::Value));
                }
                b'#' => {
                    while self.at < bytes.len() && !matches!(bytes[self.at], b'\n' | b'\r') {
                        self.at += 1;
                    }
                }
                b'{' | b'[' | b'(' => {
                    self.at += 1;
                    return Some((start, Token::Open(rest[0])));
                }
                b'}' | b']' | b')' => {
                    self.at += 1;
                    return Some((start, Token::Close));
                }
                b':' => {
                    self.at += 1;
                    return Some((start, Token::Colon));
                }
                b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                    while self.at < bytes.len()
                        && (bytes[self.at] == b'_' || bytes[self.at].is_ascii_alphanumeric())
                    {
                        self.at += 1;
                    }
                    return Some((start, Token::Name(&self.text[start..self.at])));
                }
                b'-' | b'0'..=b'9' => {
                    self.at += 1;
                    while self.at < bytes.len()
                        && (bytes[self.at].is_ascii_alphanumeric() || b".+-".contains(&bytes[self.at]))
                    {
                        self.at += 1;
                    }
                    return Some((start, Token::Value));
                }
                // White space, commas, `$ ! = @ | & ...`, and bytes the parser will refuse.
                _ => self.at += 1,
            }
        }
        None
    }
}

fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, at: 0 }
}

/// The deepest nesting of `{`, `[` and `(` outside strings, block strings and comments.
pub fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for (_, token) in tokens(text) {
        match token {
            Token::Open(_) => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Token::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// An input object field given twice in one object literal.
#[derive(Debug, PartialEq, Eq)]
pub struct Repeated {
    /// The field's name.
    pub field: String,
    /// Line and column (from 1) of its second occurrence.
    pub line: usize,
    /// See `line`.
    pub column: usize,
}

/// The first input object literal that names a field twice (spec: Input Object Field
/// Uniqueness). A `{` opens an input object where a value is expected: inside
/// arguments, a list, another object or a variable's default; elsewhere it opens a
/// selection set. In an object, a name followed by `:` is a field name.
pub fn repeated_input_field(text: &str) -> Option<Repeated> {
    enum Frame<'t> {
        Selection,
        Arguments,
        List,
        Object(HashSet<&'t str>),
    }
    let mut frames: Vec<Frame<'_>> = Vec::new();
    let mut last_name: Option<(usize, &str)> = None;
    for (offset, token) in tokens(text) {
        match token {
            Token::Open(b'(') => frames.push(Frame::Arguments),
            Token::Open(b'[') => frames.push(Frame::List),
            Token::Open(_) => {
                let in_value =
                    matches!(frames.last(), Some(Frame::Arguments | Frame::List | Frame::Object(_)));
                frames.push(if in_value { Frame::Object(HashSet::new()) } else { Frame::Selection });
            }
            Token::Close => {
                frames.pop();
            }
            Token::Colon => {
                if let (Some((at, name)), Some(Frame::Object(seen))) = (last_name, frames.last_mut())
                    && !seen.insert(name)
                {
                    let (line, column) = position(text, at);
                    return Some(Repeated { field: name.to_owned(), line, column });
                }
            }
            _ => {}
        }
        last_name = match token {
            Token::Name(name) => Some((offset, name)),
            _ => None,
        };
    }
    None
}

/// Line and column (from 1, in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert_eq!(nesting("{ viewer { role } }"), 2);
        assert_eq!(nesting("{ a(x: [[1], [2]]) { b } }"), 4);
        assert_eq!(nesting(r#"{ a(x: "{{{[[[") }"#), 2);
        assert_eq!(nesting(r#"{ a(x: "\"{{{") }"#), 2);
        assert_eq!(nesting("{ a(x: \"\"\"{{{ \\\"\"\" {{{ \"\"\") }"), 2);
        assert_eq!(nesting("# {{{{\n{ a }"), 1);
        assert_eq!(nesting("}}}{"), 1);
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(nesting(&deep), 5002);
    }

    #[test]
    fn repeated_fields_are_found_in_input_objects_only() {
        let found = repeated_input_field("{ openings(filter: { kind: TUTORING, kind: MENTORING }) { id } }");
        assert_eq!(found, Some(Repeated { field: "kind".into(), line: 1, column: 38 }));
        // Nested, in a list, in a variable's default, in a directive's argument.
        assert!(repeated_input_field("{ a(x: { y: { z: 1, z: 2 } }) { b } }").is_some());
        assert!(repeated_input_field("{ a(x: [{ y: 1 }, { y: 1, y: 2 }]) { b } }").is_some());
        assert!(repeated_input_field("query($v: In = { a: 1\n a: 2 }) { b }").is_some_and(|r| r.line == 2));
        assert!(repeated_input_field("{ a @d(x: { k: 1, k: 1 }) }").is_some());
        // Not repeats: one field per object, aliases and selections repeating names,
        // enum values and variables named like fields, names inside strings.
        assert_eq!(repeated_input_field("{ a(x: { y: 1 }, z: { y: 2 }) { b } }"), None);
        assert_eq!(repeated_input_field("{ a: viewer { role } b: viewer { role } }"), None);
        assert_eq!(repeated_input_field("{ a(x: [{ y: 1 }, { y: 2 }]) { y y } }"), None);
        assert_eq!(repeated_input_field("query($y: In) { a(x: { y: $y, z: y }) { b } }"), None);
        assert_eq!(repeated_input_field(r#"{ a(x: { y: "y: 1", z: """y:""" }) { b } }"#), None);
        assert_eq!(repeated_input_field("{ a(x: { y: 1 # y: 2\n }) { b } }"), None);
    }
}
