//! JSON as Go's encoding/json writes it (Go 1.19, skopeo 1.9's), for
//! output that must match Go tools' byte for byte: `<`, `>`, `&`, U+2028
//! and U+2029 escaped in strings, and backspace and form feed as
//! `\u0008` and `\u000c`.

use std::io::Write;

/// How Go writes `c` in a string, where it escapes what JSON does not
/// require escaping (HTML-safe output): None for the rest.
fn html_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '<' => "\\u003c",
        '>' => "\\u003e",
        '&' => "\\u0026",
        '\u{2028}' => "\\u2028",
        '\u{2029}' => "\\u2029",
        _ => return None,
    })
}

/// A serde_json formatter writing strings as Go does, laid out as the
/// inner formatter (pretty, compact) lays them out.
pub struct GoJson<F>(pub F);

macro_rules! go_json_delegate {
    ($($name:ident($($arg:ident: $t:ty),*)),* $(,)?) => {
        $(fn $name<W: ?Sized + Write>(&mut self, w: &mut W $(, $arg: $t)*) -> std::io::Result<()> {
            self.0.$name(w $(, $arg)*)
        })*
    };
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for GoJson<F> {
    go_json_delegate!(
        begin_array(),
        end_array(),
        begin_array_value(first: bool),
        end_array_value(),
        begin_object(),
        end_object(),
        begin_object_key(first: bool),
        begin_object_value(),
        end_object_value(),
    );

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let Some(esc) = html_escape(c) else { continue };
            w.write_all(&fragment.as_bytes()[start..i])?;
            w.write_all(esc.as_bytes())?;
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        e: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape;
        match e {
            CharEscape::Backspace => w.write_all(b"\\u0008"),
            CharEscape::FormFeed => w.write_all(b"\\u000c"),
            e => self.0.write_char_escape(w, e),
        }
    }
}

/// A string as Go's encoding/json writes it (see [`GoJson`]).
pub fn go_quote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, GoJson(serde_json::ser::CompactFormatter));
    serde::Serialize::serialize(s, &mut ser).expect("a string serializes");
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// JSON text as Go's encoding/json writes a raw message: the spaces
/// between tokens taken out, and strings' characters escaped as
/// [`GoJson`] escapes them (the others kept as written). The text is
/// valid JSON.
pub fn go_compact(json: &str) -> String {
    let mut o = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if let Some(esc) = html_escape(c) {
                o.push_str(esc);
                continue;
            }
            o.push(c);
        } else if c == '"' {
            in_string = true;
            o.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            o.push(c);
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_json_text() {
        assert_eq!(
            go_quote("a<b>&\"\\\n\u{1}\u{2028}é"),
            r#""a\u003cb\u003e\u0026\"\\\n\u0001\u2028é""#
        );
        assert_eq!(
            go_compact("{ \"a\" : [1, 2],\n \"b\": \"x <y> & \\\" z\" }"),
            r#"{"a":[1,2],"b":"x \u003cy\u003e \u0026 \" z"}"#
        );
    }
}
