//! Rules for text a user types, shared by every way in (GraphQL arguments and
//! variables, CSV cells): no control characters but tab, newline and carriage
//! return. PostgreSQL text cannot hold NUL, and a SQLite district holding one could
//! never move to PostgreSQL; the other controls are never meant and hide in logs.

/// The first control character in `text` that is refused, if any.
pub fn refused_control(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// What to say about a refused character.
pub fn control_message(refused: char) -> String {
    format!("contains the control character U+{:04X}", u32::from(refused))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tab_newline_and_return_pass() {
        assert_eq!(refused_control("a\tb\nc\r\n"), None);
        assert_eq!(refused_control("s-\0"), Some('\0'));
        assert_eq!(refused_control("bell\u{7}"), Some('\u{7}'));
        assert_eq!(refused_control("del\u{7f}"), Some('\u{7f}'));
        assert_eq!(refused_control("c1\u{85}"), Some('\u{85}'));
        assert_eq!(refused_control("é ü ß 中"), None);
        assert_eq!(control_message('\0'), "contains the control character U+0000");
    }
}
