//! `inspect --format TEMPLATE`: the template language scripts already
//! pass to image tools (`{{.Digest}}`, `{{range .Layers}}{{.}}\n{{end}}`),
//! over the JSON `inspect` prints.
//!
//! What is read: text and `{{ }}` actions (`{{-`/`-}}` trim the spaces
//! beside them, `{{/* */}}` is a comment); fields `.A.B`, `.`, `$`,
//! variables (`$x := …`, `range $i, $v := …`); `if`/`else if`/`else`,
//! `range` (with `else`, `break`, `continue`), `with`; pipes `a | f`;
//! parentheses; string, character, number (Go's: `0x1F`, `1_000`, `2.5`)
//! and boolean literals; the functions `len`, `index`, `printf`,
//! `print`, `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `and`, `or`,
//! `not`, `json`, `join`, `split`, `lower`, `upper`, `title`, `truncate`,
//! `pad`. Values print as those tools print them: lists `[a b]`, maps
//! `map[k:v]` (keys sorted), floats `2`, `0.5`, `1e+06`, a missing
//! value `<no value>`, `Created` as `2024-01-02 03:04:05.123 +0000 UTC`
//! (a time: `json` writes it as RFC 3339, and it has Go's time methods,
//! `.Created.Year`, `.Created.Format "2006-01-02"`, `.Created.Unix`). The literal two-character
//! sequences `\n` and `\t` are a newline and a tab, and a newline ends
//! the output if the template does not.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
pub use crate::model::gotime::go_json_time;
use crate::model::gotime::Rfc3339;

#[derive(Debug)]
enum Arg {
    /// `.A.B` (empty: `.`)
    Field(Vec<String>),
    /// `$x.A` (`$` alone: the top)
    Var(String, Vec<String>),
    Lit(Value),
    Func(String),
    Sub(Box<Pipe>, Vec<String>),
}

#[derive(Debug)]
struct Pipe {
    decl: Vec<String>,
    /// `$x = …`: the variable exists already and is set (not declared).
    assign: bool,
    cmds: Vec<Vec<Arg>>,
}

#[derive(Debug)]
enum Node {
    Text(String),
    Action(Pipe),
    /// (condition, body) in order, then the else body.
    If(Vec<(Pipe, Vec<Node>)>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    With(Pipe, Vec<Node>, Vec<Node>),
    /// `{{break}}` and `{{continue}}`, in a range's body only.
    Break,
    Continue,
}

/// How a list of nodes ended: at its end, or at a `{{break}}` or
/// `{{continue}}` of the innermost range.
#[derive(Clone, Copy, PartialEq)]
enum Flow {
    Next,
    Break,
    Continue,
}

pub struct Template {
    nodes: Vec<Node>,
}

/// `--format json` and `{{json .}}` mean the JSON output itself, and so
/// does an empty one; one of spaces alone is a template (skopeo prints
/// it).
pub fn is_json(format: &str) -> bool {
    let f = format.trim();
    format.is_empty() || f == "json" || f.replace(' ', "") == "{{json.}}"
}

fn usage(msg: impl std::fmt::Display) -> Error {
    Error::usage(format!("--format: {msg}"))
}

fn exec_err(msg: impl std::fmt::Display) -> Error {
    Error::new(format!("--format: {msg}"))
}

/// Longest template read, and deepest nesting.
const MAX_LEN: usize = 64 << 10;
const MAX_DEPTH: usize = 64;
/// Most output, and most steps (nested ranges multiply).
const MAX_OUT: usize = 64 << 20;
const MAX_STEPS: u64 = 1_000_000;
/// The most parts `split` makes.
const MAX_PARTS: usize = 100_000;

impl Template {
    pub fn parse(format: &str) -> Result<Template> {
        if format.len() > MAX_LEN {
            return Err(usage("longer than 64 KiB"));
        }
        let mut text = format.to_string();
        if !text.ends_with('\n') && !text.ends_with("\\n") {
            text.push('\n');
        }
        let items = lex(&text)?;
        let mut it = items.into_iter().peekable();
        let (nodes, end) = parse_list(&mut it, 0, false)?;
        if let Some(e) = end {
            return Err(usage(format!("{{{{{e}}}}} without its block")));
        }
        check_vars(&nodes, &mut vec!["$".to_string()])?;
        Ok(Template { nodes })
    }

    pub fn render(&self, data: &Value) -> Result<String> {
        let mut out = String::new();
        let mut vars = vec![("$".to_string(), data.clone())];
        let mut steps = 0;
        exec(&self.nodes, data, &mut vars, &mut out, &mut steps, 0)?;
        Ok(out)
    }
}

/// Text, or the inside of an action (markers and trimming done).
enum Item {
    Text(String),
    Action(String),
}

/// Text: the two-character `\n` and `\t` are a newline and a tab.
fn text_item(t: &str) -> Item {
    Item::Text(t.replace("\\n", "\n").replace("\\t", "\t"))
}

fn lex(s: &str) -> Result<Vec<Item>> {
    let space = |c: char| c.is_ascii_whitespace();
    let mut items = Vec::new();
    let mut rest = s;
    let mut trim_next = false;
    while !rest.is_empty() {
        let Some(open) = rest.find("{{") else {
            let t = if trim_next {
                rest.trim_start_matches(space)
            } else {
                rest
            };
            items.push(text_item(t));
            break;
        };
        let mut text = &rest[..open];
        if trim_next {
            text = text.trim_start_matches(space);
        }
        let mut inner = &rest[open + 2..];
        if inner.starts_with('-') && inner[1..].starts_with(space) {
            text = text.trim_end_matches(space);
            inner = &inner[1..];
        }
        if !text.is_empty() {
            items.push(text_item(text));
        }
        let close = find_close(inner).ok_or_else(|| usage("an action without }}"))?;
        let mut body = &inner[..close];
        trim_next = false;
        if body.ends_with('-') && body[..body.len() - 1].ends_with(space) {
            body = &body[..body.len() - 1];
            trim_next = true;
        }
        let body = body.trim();
        if !(body.starts_with("/*") && body.ends_with("*/")) {
            items.push(Item::Action(body.to_string()));
        }
        rest = &inner[close + 2..];
    }
    Ok(items)
}

/// The `}}` closing an action, past any string literal holding one.
fn find_close(s: &str) -> Option<usize> {
    // A comment, `{{/* … */}}` (`{{- /* … */ -}}`): whatever it holds.
    let body = s.strip_prefix('-').unwrap_or(s).trim_start();
    if let Some(c) = body.strip_prefix("/*") {
        let end = s.len() - c.len() + c.find("*/")? + 2;
        return s[end..].find("}}").map(|i| end + i);
    }
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
            }
            b'}' if b.get(i + 1) == Some(&b'}') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

type Items = std::iter::Peekable<std::vec::IntoIter<Item>>;

/// The nodes up to an `{{end}}` or `{{else …}}` (returned); `in_range`:
/// inside the body of a range, where `{{break}}`/`{{continue}}` may be.
fn parse_list(it: &mut Items, depth: usize, in_range: bool) -> Result<(Vec<Node>, Option<String>)> {
    if depth > MAX_DEPTH {
        return Err(usage("blocks nested too deep"));
    }
    let mut nodes = Vec::new();
    while let Some(item) = it.next() {
        let a = match item {
            Item::Text(t) => {
                nodes.push(Node::Text(t));
                continue;
            }
            Item::Action(a) => a,
        };
        let (word, rest) = match a.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (a.as_str(), ""),
        };
        match word {
            // The rest as written: an `else if` condition's strings keep
            // their spaces.
            "end" | "else" => {
                let end = if rest.is_empty() {
                    word.to_string()
                } else {
                    format!("{word} {rest}")
                };
                return Ok((nodes, Some(end)));
            }
            "if" => {
                let mut arms = vec![(pipe(rest)?, Vec::new())];
                let mut otherwise = Vec::new();
                loop {
                    let (body, end) = parse_list(it, depth + 1, in_range)?;
                    let end = end.ok_or_else(|| usage("{{if}} without {{end}}"))?;
                    arms.last_mut().expect("an arm").1 = body;
                    if end == "end" {
                        break;
                    }
                    if let Some(cond) = end.strip_prefix("else if ") {
                        arms.push((pipe(cond.trim())?, Vec::new()));
                        continue;
                    }
                    if end != "else" {
                        return Err(usage(format!("{{{{{end}}}}} in {{{{if}}}}")));
                    }
                    let (body, end) = parse_list(it, depth + 1, in_range)?;
                    if end.as_deref() != Some("end") {
                        return Err(usage("{{if}} without {{end}}"));
                    }
                    otherwise = body;
                    break;
                }
                nodes.push(Node::If(arms, otherwise));
            }
            "range" | "with" => {
                let p = pipe(rest)?;
                let (body, end) = parse_list(it, depth + 1, in_range || word == "range")?;
                let (body, otherwise) = match end.as_deref() {
                    Some("end") => (body, Vec::new()),
                    Some("else") => match parse_list(it, depth + 1, in_range)? {
                        (e, Some(x)) if x == "end" => (body, e),
                        _ => return Err(usage(format!("{{{{{word}}}}} without {{{{end}}}}"))),
                    },
                    _ => return Err(usage(format!("{{{{{word}}}}} without {{{{end}}}}"))),
                };
                nodes.push(if word == "range" {
                    Node::Range(p, body, otherwise)
                } else {
                    Node::With(p, body, otherwise)
                });
            }
            "break" | "continue" if rest.is_empty() => {
                if !in_range {
                    return Err(usage(format!("{{{{{word}}}}} outside {{{{range}}}}")));
                }
                nodes.push(if word == "break" {
                    Node::Break
                } else {
                    Node::Continue
                });
            }
            "define" | "template" | "block" => {
                return Err(usage(format!("{{{{{word}}}}} is not supported")))
            }
            _ => nodes.push(Node::Action(pipe(&a)?)),
        }
    }
    Ok((nodes, None))
}

/// Split an action into words: strings, parenthesised groups, `|`.
fn words(s: &str) -> Result<Vec<String>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        match c {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() {
                    return Err(usage("a string without its closing quote"));
                }
                i += 1;
            }
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() {
                    return Err(usage("a character without its closing quote"));
                }
                i += 1;
            }
            b'`' => {
                i += 1;
                while i < b.len() && b[i] != b'`' {
                    i += 1;
                }
                if i >= b.len() {
                    return Err(usage("a string without its closing quote"));
                }
                i += 1;
            }
            b'(' => {
                let mut depth = 0;
                while i < b.len() {
                    match b[i] {
                        b'(' => {
                            depth += 1;
                            if depth > MAX_DEPTH {
                                return Err(usage("parentheses nested too deep"));
                            }
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b'"' => {
                            i += 1;
                            while i < b.len() && b[i] != b'"' {
                                i += if b[i] == b'\\' { 2 } else { 1 };
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                if i >= b.len() {
                    return Err(usage("a ( without its )"));
                }
                i += 1;
                // a field of the group's value: (…).A.B
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'|' && b[i] != b')' {
                    i += 1;
                }
            }
            b'|' => i += 1,
            b':' if b.get(i + 1) == Some(&b'=') => i += 2,
            b'=' => i += 1,
            _ => {
                while i < b.len() && !b[i].is_ascii_whitespace() && !b"|(:=".contains(&b[i]) {
                    i += 1;
                }
                if i == start {
                    return Err(usage(format!("cannot read {s:?}")));
                }
            }
        }
        out.push(s[start..i].to_string());
    }
    Ok(out)
}

fn pipe(s: &str) -> Result<Pipe> {
    let mut w = words(s)?;
    let mut decl = Vec::new();
    let mut assign = false;
    if let Some(pos) = w.iter().position(|x| x == ":=" || x == "=") {
        assign = w[pos] == "=";
        decl = w[..pos]
            .join(" ")
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if decl.is_empty() || decl.len() > 2 || decl.iter().any(|v| !v.starts_with('$')) {
            return Err(usage(format!("cannot read {s:?}")));
        }
        if assign && decl.len() != 1 {
            return Err(usage(format!("cannot read {s:?}")));
        }
        w.drain(..=pos);
    }
    let mut cmds = vec![Vec::new()];
    for x in w {
        if x == "|" {
            cmds.push(Vec::new());
        } else {
            cmds.last_mut().expect("a command").push(arg(&x)?);
        }
    }
    if cmds.iter().any(|c| c.is_empty()) {
        return Err(usage(format!("an empty command in {s:?}")));
    }
    Ok(Pipe { decl, assign, cmds })
}

fn fields(s: &str) -> Result<Vec<String>> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = s.strip_prefix('.') else {
        return Err(usage(format!("cannot read {s:?}")));
    };
    rest.split('.')
        .map(|f| {
            if !f.is_empty() && f.chars().all(|c| c.is_alphanumeric() || c == '_') {
                Ok(f.to_string())
            } else {
                Err(usage(format!("cannot read the field {s:?}")))
            }
        })
        .collect()
}

fn arg(w: &str) -> Result<Arg> {
    if w == "." {
        return Ok(Arg::Field(Vec::new()));
    }
    if w.starts_with('.') {
        return Ok(Arg::Field(fields(w)?));
    }
    if let Some(v) = w.strip_prefix('$') {
        let (name, f) = match v.find('.') {
            Some(i) => (&v[..i], &v[i..]),
            None => (v, ""),
        };
        return Ok(Arg::Var(format!("${name}"), fields(f)?));
    }
    if w.starts_with('"') {
        let s = w
            .strip_suffix('"')
            .filter(|_| w.len() >= 2)
            .and_then(|b| go_unquote(&b[1..], '"'))
            .ok_or_else(|| usage(format!("cannot read {w}")))?;
        return Ok(Arg::Lit(Value::String(s)));
    }
    if let Some(s) = w.strip_prefix('`') {
        return Ok(Arg::Lit(Value::String(s.trim_end_matches('`').to_string())));
    }
    if w.starts_with('(') {
        let close = w.rfind(')').expect("words keeps the group whole");
        return Ok(Arg::Sub(
            Box::new(pipe(&w[1..close])?),
            fields(&w[close + 1..])?,
        ));
    }
    match w {
        "true" => return Ok(Arg::Lit(Value::Bool(true))),
        "false" => return Ok(Arg::Lit(Value::Bool(false))),
        "nil" => return Ok(Arg::Lit(Value::Null)),
        _ => {}
    }
    if let Some(v) = number_literal(w) {
        return Ok(Arg::Lit(v?));
    }
    if FUNCS.contains(&w) {
        return Ok(Arg::Func(w.to_string()));
    }
    Err(usage(format!("function {w:?} not defined")))
}

/// The body of a Go string (quote `"`) or character (`'`) literal, as
/// strconv.Unquote reads it: the escapes \a \b \f \n \r \t \v \\, the quote,
/// \xHH, \ooo (octal), \uHHHH and \UHHHHHHHH; no newline; None if it is not
/// one.
fn go_unquote(body: &str, quote: char) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut bytes = Vec::new();
    let mut it = body.chars();
    let flush = |bytes: &mut Vec<u8>, out: &mut String| {
        // \x and octal escapes are bytes; Go keeps them as they are,
        // which a Rust string cannot hold unless they make UTF-8
        out.push_str(&String::from_utf8_lossy(bytes));
        bytes.clear();
    };
    while let Some(c) = it.next() {
        if c == quote || c == '\n' {
            return None;
        }
        if c != '\\' {
            flush(&mut bytes, &mut out);
            out.push(c);
            continue;
        }
        let e = it.next()?;
        let hex = |it: &mut std::str::Chars, n: usize| -> Option<u32> {
            let h: String = it.by_ref().take(n).collect();
            (h.len() == n && h.chars().all(|c| c.is_ascii_hexdigit())).then_some(())?;
            u32::from_str_radix(&h, 16).ok()
        };
        // (in a character literal, a byte escape is a code point)
        let byte = |v: u32, bytes: &mut Vec<u8>, out: &mut String| {
            if quote == '\'' {
                out.push(char::from_u32(v).expect("a byte is a char"));
            } else {
                bytes.push(v as u8);
            }
        };
        match e {
            'x' => byte(hex(&mut it, 2)?, &mut bytes, &mut out),
            '0'..='7' => {
                let rest: String = it.by_ref().take(2).collect();
                let v = u32::from_str_radix(&format!("{e}{rest}"), 8).ok()?;
                (rest.len() == 2 && v <= 255).then_some(())?;
                byte(v, &mut bytes, &mut out);
            }
            _ => {
                flush(&mut bytes, &mut out);
                out.push(match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    '\\' => '\\',
                    q if q == quote => q,
                    'u' => char::from_u32(hex(&mut it, 4)?)?,
                    'U' => char::from_u32(hex(&mut it, 8)?)?,
                    _ => return None,
                });
            }
        }
    }
    flush(&mut bytes, &mut out);
    Some(out)
}

/// Go's number literals: `12`, `-3`, `0x1F`, `0o17`, `0b101`, `1_000`,
/// `2.5`, `1e3`, and a character `'a'` (its code point); an error for an
/// integer beyond Go's int.
fn number_literal(w: &str) -> Option<Result<Value>> {
    if let Some(c) = w.strip_prefix('\'').and_then(|c| c.strip_suffix('\'')) {
        let s = go_unquote(c, '\'')?;
        let mut it = s.chars();
        return match (it.next(), it.next()) {
            (Some(ch), None) => Some(Ok(Value::from(ch as u32))),
            _ => None,
        };
    }
    let (neg, body) = match w.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, w.strip_prefix('+').unwrap_or(w)),
    };
    if body.is_empty() || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let body = body.replace('_', "");
    let radix = match body.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    let all_digits = body.bytes().all(|b| b.is_ascii_digit());
    let (radix, digits) = match radix {
        Some(r) => (r, &body[2..]),
        // A leading 0 is octal, as Go reads it (010 is 8; 08 is no number).
        None if all_digits && body.len() > 1 && body.starts_with('0') => (8, &body[1..]),
        None if all_digits => (10, body.as_str()),
        None => {
            return body
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| Ok(Value::from(if neg { -f } else { f })))
        }
    };
    // Exactly, as Go's int (int64): one beyond it is an error, not a float.
    let n = u128::from_str_radix(digits, radix).ok()?;
    let n = if neg { -(n as i128) } else { n as i128 };
    Some(
        i64::try_from(n)
            .map(Value::from)
            .map_err(|_| usage(format!("{w} overflows int"))),
    )
}

const FUNCS: &[&str] = &[
    "len", "index", "printf", "print", "println", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
    "not", "json", "join", "split", "lower", "upper", "title", "truncate", "pad", "slice", "html",
    "js", "urlquery",
];

/// Every variable used is declared before, in scope, as Go's parser
/// finds it (so a template naming one that is not fails before anything
/// is fetched): a declaration lasts to the end of the `if`, `with` or
/// `range` it is in (its condition's too), or of the template.
fn check_vars(nodes: &[Node], scope: &mut Vec<String>) -> Result<()> {
    for n in nodes {
        match n {
            Node::Text(_) | Node::Break | Node::Continue => {}
            Node::Action(p) => check_pipe(p, scope)?,
            Node::If(arms, otherwise) => {
                let mark = scope.len();
                for (cond, body) in arms {
                    check_pipe(cond, scope)?;
                    check_vars(body, scope)?;
                }
                check_vars(otherwise, scope)?;
                scope.truncate(mark);
            }
            Node::Range(p, body, otherwise) | Node::With(p, body, otherwise) => {
                let mark = scope.len();
                check_pipe(p, scope)?;
                check_vars(body, scope)?;
                check_vars(otherwise, scope)?;
                scope.truncate(mark);
            }
        }
    }
    Ok(())
}

/// [`check_vars`] of a pipe; what it declares is in scope after it.
fn check_pipe(p: &Pipe, scope: &mut Vec<String>) -> Result<()> {
    let known = |name: &String, scope: &Vec<String>| match scope.contains(name) {
        true => Ok(()),
        false => Err(usage(format!("undefined variable {name}"))),
    };
    for arg in p.cmds.iter().flatten() {
        match arg {
            Arg::Var(name, _) => known(name, scope)?,
            Arg::Sub(inner, _) => check_pipe(inner, scope)?,
            Arg::Field(_) | Arg::Lit(_) | Arg::Func(_) => {}
        }
    }
    for name in &p.decl {
        match p.assign {
            true => known(name, scope)?,
            false => scope.push(name.clone()),
        }
    }
    Ok(())
}

type Vars = Vec<(String, Value)>;

fn exec(
    nodes: &[Node],
    dot: &Value,
    vars: &mut Vars,
    out: &mut String,
    steps: &mut u64,
    depth: usize,
) -> Result<Flow> {
    if depth > MAX_DEPTH {
        return Err(exec_err("too deep"));
    }
    for n in nodes {
        *steps += 1;
        if *steps > MAX_STEPS || out.len() > MAX_OUT {
            return Err(exec_err("the output would be too large"));
        }
        let mark = vars.len();
        let flow = match n {
            Node::Text(t) => {
                out.push_str(t);
                Flow::Next
            }
            Node::Break => Flow::Break,
            Node::Continue => Flow::Continue,
            Node::Action(p) => {
                let v = eval_pipe(p, dot, vars)?;
                if p.decl.is_empty() {
                    print_value(out, &v);
                    Flow::Next
                } else {
                    // A declaration prints nothing; it lasts to the block's end.
                    continue;
                }
            }
            Node::If(arms, otherwise) => {
                let mut chosen = otherwise;
                for (cond, body) in arms {
                    if truth(&eval_pipe(cond, dot, vars)?) {
                        chosen = body;
                        break;
                    }
                }
                exec(chosen, dot, vars, out, steps, depth + 1)?
            }
            Node::With(p, body, otherwise) => {
                let v = eval_pipe(p, dot, vars)?;
                if truth(&v) {
                    exec(body, &v, vars, out, steps, depth + 1)?
                } else {
                    exec(otherwise, dot, vars, out, steps, depth + 1)?
                }
            }
            Node::Range(p, body, otherwise) => {
                // The range's variables are bound per item, not to the list.
                let v = eval_cmds(p, dot, vars)?;
                let items: Vec<(Value, &Value)> = match (go_kind(&v), &v) {
                    (Some(Go::Nil(Nil::Map | Nil::Slice)), _) => Vec::new(),
                    (Some(_), other) => {
                        return Err(exec_err(format!(
                            "range can't iterate over {}",
                            show(other)
                        )))
                    }
                    (None, Value::Array(a)) => a
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (Value::from(i), x))
                        .collect(),
                    (None, Value::Object(m)) => {
                        let mut keys: Vec<&String> = m.keys().collect();
                        keys.sort();
                        keys.into_iter()
                            .map(|k| (Value::String(k.clone()), &m[k]))
                            .collect()
                    }
                    (None, Value::Null) => Vec::new(),
                    (None, other) => {
                        return Err(exec_err(format!(
                            "range can't iterate over {}",
                            show(other)
                        )))
                    }
                };
                let mut flow = Flow::Next;
                if items.is_empty() {
                    flow = exec(otherwise, dot, vars, out, steps, depth + 1)?;
                }
                for (k, x) in items {
                    let m = vars.len();
                    match p.decl.as_slice() {
                        [v] => vars.push((v.clone(), x.clone())),
                        [i, v] => {
                            vars.push((i.clone(), k));
                            vars.push((v.clone(), x.clone()));
                        }
                        _ => {}
                    }
                    let f = exec(body, x, vars, out, steps, depth + 1)?;
                    vars.truncate(m);
                    if f == Flow::Break {
                        break;
                    }
                }
                flow
            }
        };
        vars.truncate(mark);
        if flow != Flow::Next {
            return Ok(flow);
        }
    }
    Ok(Flow::Next)
}

/// The value of the pipe's commands, each given the one before.
fn eval_cmds(p: &Pipe, dot: &Value, vars: &mut Vars) -> Result<Value> {
    let mut last: Option<Value> = None;
    for cmd in &p.cmds {
        last = Some(eval_cmd(cmd, dot, vars, last)?);
    }
    Ok(last.unwrap_or(Value::Null))
}

/// The pipe's value, bound to its variable if it declares or sets one.
fn eval_pipe(p: &Pipe, dot: &Value, vars: &mut Vars) -> Result<Value> {
    let v = eval_cmds(p, dot, vars)?;
    if let Some(name) = p.decl.first() {
        if p.assign {
            let slot = vars
                .iter_mut()
                .rev()
                .find(|(n, _)| n == name)
                .ok_or_else(|| exec_err(format!("undefined variable {name}")))?;
            slot.1 = v.clone();
        } else {
            vars.push((name.clone(), v.clone()));
        }
    }
    Ok(v)
}

fn eval_cmd(cmd: &[Arg], dot: &Value, vars: &mut Vars, piped: Option<Value>) -> Result<Value> {
    if let Arg::Func(f) = &cmd[0] {
        if f == "and" || f == "or" {
            // Arguments are evaluated until one decides.
            let mut last = Value::Null;
            let args = cmd[1..].iter().map(Some).chain(piped.iter().map(|_| None));
            for a in args {
                last = match a {
                    Some(a) => eval_arg(a, dot, vars)?,
                    None => piped.clone().expect("piped"),
                };
                if truth(&last) == (f == "or") {
                    return Ok(last);
                }
            }
            return Ok(last);
        }
        let mut args = cmd[1..]
            .iter()
            .map(|a| eval_arg(a, dot, vars))
            .collect::<Result<Vec<_>>>()?;
        args.extend(piped);
        let v = call(f, &args)?;
        if v.as_str().is_some_and(|s| s.len() > MAX_OUT) {
            return Err(exec_err("the output would be too large"));
        }
        return Ok(v);
    }
    if cmd.len() > 1 || piped.is_some() {
        // A time's method with arguments: `.Created.Format "2006-01-02"`.
        let (base, path): (Value, &[String]) = match &cmd[0] {
            Arg::Field(p) if !p.is_empty() => (dot.clone(), p),
            Arg::Var(name, p) if !p.is_empty() => {
                (eval_arg(&Arg::Var(name.clone(), Vec::new()), dot, vars)?, p)
            }
            _ => return Err(exec_err("an argument given to a value, not a function")),
        };
        let (last, prefix) = path.split_last().expect("not empty");
        let owner = walk(&base, prefix)?;
        let Some(t) = as_time(&owner) else {
            return Err(exec_err("an argument given to a value, not a function"));
        };
        let mut args = cmd[1..]
            .iter()
            .map(|a| eval_arg(a, dot, vars))
            .collect::<Result<Vec<_>>>()?;
        args.extend(piped);
        return time_method(t, last, &args);
    }
    eval_arg(&cmd[0], dot, vars)
}

/// The keys that make an object a value of a Go type JSON has no form
/// for. Each ends in a number drawn when lade starts: an image's own data
/// (a label named "\0time", say) cannot pass for one.
struct Keys {
    /// A time (`inspect`'s `Created`): it prints as Go prints a
    /// time.Time, `json` writes it as RFC 3339, and it has a time's
    /// methods (`Year`, `Format "2006-01-02"`, `Unix`, …).
    time: String,
    /// A Go struct: its value is the struct's JSON (what `json` writes:
    /// JSON names, empty fields left out), the other keys are its fields
    /// by Go name, in the struct's order (it prints as Go prints a
    /// struct, `{v1 v2 …}`).
    strukt: String,
    /// A nil map (`"map"`), slice (`"slice"`) or pointer (`"ptr"`, a time
    /// that is not there): it prints `map[]`, `[]` or `<nil>`, a map or
    /// slice has no items, as an empty one, and `json` writes it as null.
    nil: String,
    /// A Go integer type with a String method (`["time.Month", 11]`): it
    /// prints as its name (`November`) and is a number to compare or for
    /// `%d`.
    named: String,
}

fn keys() -> &'static Keys {
    static K: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let n = h.finish();
        Keys {
            time: format!("\u{0}time-{n:016x}"),
            strukt: format!("\u{0}struct-{n:016x}"),
            nil: format!("\u{0}nil-{n:016x}"),
            named: format!("\u{0}named-{n:016x}"),
        }
    })
}

/// A time value of RFC 3339 text.
pub fn time_value(rfc3339: &str) -> Value {
    let mut m = Map::new();
    m.insert(keys().time.clone(), Value::String(rfc3339.into()));
    Value::Object(m)
}

fn as_time(v: &Value) -> Option<&str> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get(&keys().time).and_then(Value::as_str),
        _ => None,
    }
}

/// A Go struct of `json` (its JSON) and `fields` (by Go name, in order).
pub fn struct_value(json: Value, fields: Map<String, Value>) -> Value {
    let mut m = Map::with_capacity(fields.len() + 1);
    m.insert(keys().strukt.clone(), json);
    m.extend(fields);
    Value::Object(m)
}

/// A nil map, slice or pointer.
pub fn nil_value(kind: Nil) -> Value {
    let name = match kind {
        Nil::Map => "map",
        Nil::Slice => "slice",
        Nil::Ptr => "ptr",
    };
    let mut m = Map::new();
    m.insert(keys().nil.clone(), json!(name));
    Value::Object(m)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nil {
    Map,
    Slice,
    Ptr,
}

/// A month (January is 1) or a weekday (Sunday is 0), as Go's time.Month
/// and time.Weekday.
#[derive(Clone, Copy)]
struct Named {
    month: bool,
    n: i64,
}

impl Named {
    fn name(&self) -> &'static str {
        let name = match self.month {
            true => MONTHS.get((self.n - 1) as usize),
            false => DAYS.get(self.n as usize),
        };
        name.copied().unwrap_or("%!Month(BADVALUE)")
    }

    fn type_name(&self) -> &'static str {
        if self.month {
            "time.Month"
        } else {
            "time.Weekday"
        }
    }

    fn value(self) -> Value {
        let mut m = Map::new();
        m.insert(keys().named.clone(), json!([self.type_name(), self.n]));
        Value::Object(m)
    }
}

/// A value of a Go type JSON has no form for.
enum Go<'v> {
    Time(&'v str),
    Named(Named),
    /// JSON, fields
    Struct(&'v Value, &'v Map<String, Value>),
    Nil(Nil),
}

fn go_kind(v: &Value) -> Option<Go<'_>> {
    let Value::Object(m) = v else { return None };
    if let Some(t) = as_time(v) {
        return Some(Go::Time(t));
    }
    match m.iter().next() {
        Some((k, j)) if *k == keys().strukt => Some(Go::Struct(j, m)),
        Some((k, n)) if *k == keys().named && m.len() == 1 => Some(Go::Named(Named {
            month: n[0] == "time.Month",
            n: n[1].as_i64().unwrap_or(0),
        })),
        Some((k, kind)) if *k == keys().nil && m.len() == 1 => Some(Go::Nil(match kind.as_str() {
            Some("map") => Nil::Map,
            Some("slice") => Nil::Slice,
            _ => Nil::Ptr,
        })),
        _ => None,
    }
}

/// A struct's fields, its marker left out.
fn struct_fields(m: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    m.iter().filter(|(k, _)| **k != keys().strukt)
}

/// A time's parts: date, clock, nanoseconds, and offset east of UTC in
/// seconds (None: UTC).
#[derive(Clone, Copy)]
struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    ns: u32,
    off: Option<i32>,
}

impl Parts {
    fn of(t: &str) -> Option<Parts> {
        let r = Rfc3339::parse(t)?;
        let num = |x: &str| x.parse::<u32>().ok();
        let (date, hms) = (r.date.as_bytes(), r.hms.as_bytes());
        if date[4] != b'-' || date[7] != b'-' || hms[2] != b':' || hms[5] != b':' {
            return None;
        }
        let ns = if r.frac.is_empty() {
            0
        } else {
            num(&format!("{:0<9}", r.frac))?
        };
        let off = match r.offset {
            None => None,
            Some(z) => {
                let sign = if z.starts_with('-') { -1 } else { 1 };
                Some(sign * (num(&z[1..3])? * 3600 + num(&z[4..6])? * 60) as i32)
            }
        };
        let p = Parts {
            y: r.date[..4].parse().ok()?,
            mo: num(&r.date[5..7])?,
            d: num(&r.date[8..10])?,
            h: num(&r.hms[..2])?,
            mi: num(&r.hms[3..5])?,
            s: num(&r.hms[6..8])?,
            ns,
            off,
        };
        // (Go's time.Parse refuses a month 13 or an hour 24; so does this,
        // and a layout's month name is always there)
        let valid = (1..=12).contains(&p.mo) && (1..=31).contains(&p.d);
        (valid && p.h < 24 && p.mi < 60 && p.s < 60).then_some(p)
    }

    /// Days since 1970-01-01 of the (local) date.
    fn days(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = if self.mo <= 2 { self.y - 1 } else { self.y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (self.mo as i64 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + self.d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    fn unix(&self) -> i64 {
        self.days() * 86400 + (self.h * 3600 + self.mi * 60 + self.s) as i64
            - self.off.unwrap_or(0) as i64
    }

    fn weekday(&self) -> usize {
        (self.days() + 4).rem_euclid(7) as usize
    }

    fn yday(&self) -> i64 {
        let jan1 = Parts {
            mo: 1,
            d: 1,
            ..*self
        };
        self.days() - jan1.days() + 1
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A method of the time `t` (RFC 3339), as Go's time.Time has it.
fn time_method(t: &str, name: &str, args: &[Value]) -> Result<Value> {
    let p = Parts::of(t).ok_or_else(|| exec_err(format!("{t:?} is not a time")))?;
    let none = |v: Value| -> Result<Value> {
        if args.is_empty() {
            Ok(v)
        } else {
            Err(exec_err(format!("{name} takes no arguments")))
        }
    };
    match name {
        "Year" => none(p.y.into()),
        "Month" => none(
            Named {
                month: true,
                n: p.mo.into(),
            }
            .value(),
        ),
        "Day" => none(p.d.into()),
        "Hour" => none(p.h.into()),
        "Minute" => none(p.mi.into()),
        "Second" => none(p.s.into()),
        "Nanosecond" => none(p.ns.into()),
        "YearDay" => none(p.yday().into()),
        "Weekday" => none(
            Named {
                month: false,
                n: p.weekday() as i64,
            }
            .value(),
        ),
        "Unix" => none(p.unix().into()),
        "UnixMilli" => none((p.unix() * 1000 + (p.ns / 1_000_000) as i64).into()),
        "UnixNano" => none(
            p.unix()
                .checked_mul(1_000_000_000)
                .and_then(|n| n.checked_add(p.ns as i64))
                .map_or(Value::Null, Value::from),
        ),
        "IsZero" => none(
            (p.y == 1
                && p.mo == 1
                && p.d == 1
                && p.h == 0
                && p.mi == 0
                && p.s == 0
                && p.ns == 0
                && p.off.is_none())
            .into(),
        ),
        "String" => none(go_time(t).unwrap_or_default().into()),
        "UTC" => none(time_value(&utc_rfc3339(&p))),
        "Format" => match args {
            [Value::String(layout)] => Ok(Value::String(go_format(&p, layout))),
            _ => Err(exec_err("Format takes one string, a Go layout")),
        },
        _ => Err(exec_err(format!(
            "can't evaluate field {name} in type time.Time"
        ))),
    }
}

/// The time `p` in UTC, as RFC 3339.
fn utc_rfc3339(p: &Parts) -> String {
    let secs = p.unix();
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // civil_from_days
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    let frac = if p.ns == 0 {
        String::new()
    } else {
        format!(".{:09}", p.ns).trim_end_matches('0').to_string()
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// An element of a Go time layout (Go's nextStdChunk); its length.
#[derive(Clone, Copy, PartialEq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    /// A numeric offset: `Z` for UTC (the ISO 8601 forms), `:` between
    /// the parts, with minutes, with seconds.
    Offset {
        iso: bool,
        colon: bool,
        minutes: bool,
        seconds: bool,
    },
    /// Fractional seconds: the separator, how many digits, trailing zeros
    /// cut (`.999`) or not (`.000`).
    Frac(char, usize, bool),
}

/// The layout element at the start of `l` (a byte string), as Go's
/// nextStdChunk finds it.
fn std_at(l: &[u8]) -> Option<(Std, usize)> {
    let has = |p: &str| l.starts_with(p.as_bytes());
    let lower_after = |n: usize| l.get(n).is_some_and(u8::is_ascii_lowercase);
    let off = |iso, colon, minutes, seconds| Std::Offset {
        iso,
        colon,
        minutes,
        seconds,
    };
    Some(match l[0] {
        b'J' if has("January") => (Std::LongMonth, 7),
        b'J' if has("Jan") && !lower_after(3) => (Std::Month, 3),
        b'M' if has("Monday") => (Std::LongWeekDay, 6),
        b'M' if has("Mon") && !lower_after(3) => (Std::WeekDay, 3),
        b'M' if has("MST") => (Std::Tz, 3),
        b'0' if matches!(l.get(1), Some(b'1'..=b'6')) => {
            let std = [
                Std::ZeroMonth,
                Std::ZeroDay,
                Std::ZeroHour12,
                Std::ZeroMinute,
                Std::ZeroSecond,
                Std::Year,
            ];
            (std[(l[1] - b'1') as usize], 2)
        }
        b'0' if has("002") => (Std::ZeroYearDay, 3),
        b'1' if has("15") => (Std::Hour, 2),
        b'1' => (Std::NumMonth, 1),
        b'2' if has("2006") => (Std::LongYear, 4),
        b'2' => (Std::Day, 1),
        // (`_2006` is an underscore and the year: found at the 2)
        b'_' if has("_2") && !has("_2006") => (Std::UnderDay, 2),
        b'_' if has("__2") => (Std::UnderYearDay, 3),
        b'3' => (Std::Hour12, 1),
        b'4' => (Std::Minute, 1),
        b'5' => (Std::Second, 1),
        b'P' if has("PM") => (Std::PM, 2),
        b'p' if has("pm") => (Std::Pm, 2),
        b'-' if has("-070000") => (off(false, false, true, true), 7),
        b'-' if has("-07:00:00") => (off(false, true, true, true), 9),
        b'-' if has("-0700") => (off(false, false, true, false), 5),
        b'-' if has("-07:00") => (off(false, true, true, false), 6),
        b'-' if has("-07") => (off(false, false, false, false), 3),
        b'Z' if has("Z070000") => (off(true, false, true, true), 7),
        b'Z' if has("Z07:00:00") => (off(true, true, true, true), 9),
        b'Z' if has("Z0700") => (off(true, false, true, false), 5),
        b'Z' if has("Z07:00") => (off(true, true, true, false), 6),
        b'Z' if has("Z07") => (off(true, false, false, false), 3),
        // `.000`, `,999`: repeated digits, then no digit
        sep @ (b'.' | b',') if matches!(l.get(1), Some(b'0' | b'9')) => {
            let d = l[1];
            let n = l[1..].iter().take_while(|&&c| c == d).count();
            if l.get(1 + n).is_some_and(u8::is_ascii_digit) {
                return None;
            }
            (Std::Frac(sep as char, n, d == b'9'), 1 + n)
        }
        _ => return None,
    })
}

/// `p` written by Go's layout rules (reference time Mon Jan 2 15:04:05
/// MST 2006), as Go's Time.Format; other text as it is.
fn go_format(p: &Parts, layout: &str) -> String {
    let mut out = String::new();
    let h12 = if p.h.is_multiple_of(12) { 12 } else { p.h % 12 };
    let mut rest = layout;
    while !rest.is_empty() {
        let Some((std, n)) = std_at(rest.as_bytes()) else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        rest = &rest[n..];
        let _ = match std {
            Std::LongMonth => write!(out, "{}", MONTHS[p.mo as usize - 1]),
            Std::Month => write!(out, "{}", &MONTHS[p.mo as usize - 1][..3]),
            Std::NumMonth => write!(out, "{}", p.mo),
            Std::ZeroMonth => write!(out, "{:02}", p.mo),
            Std::LongWeekDay => write!(out, "{}", DAYS[p.weekday()]),
            Std::WeekDay => write!(out, "{}", &DAYS[p.weekday()][..3]),
            Std::Day => write!(out, "{}", p.d),
            Std::UnderDay => write!(out, "{:>2}", p.d),
            Std::ZeroDay => write!(out, "{:02}", p.d),
            Std::UnderYearDay => write!(out, "{:>3}", p.yday()),
            Std::ZeroYearDay => write!(out, "{:03}", p.yday()),
            Std::Hour => write!(out, "{:02}", p.h),
            Std::Hour12 => write!(out, "{h12}"),
            Std::ZeroHour12 => write!(out, "{h12:02}"),
            Std::Minute => write!(out, "{}", p.mi),
            Std::ZeroMinute => write!(out, "{:02}", p.mi),
            Std::Second => write!(out, "{}", p.s),
            Std::ZeroSecond => write!(out, "{:02}", p.s),
            Std::LongYear => write!(out, "{:04}", p.y),
            Std::Year => write!(out, "{:02}", p.y.rem_euclid(100)),
            Std::PM => write!(out, "{}", if p.h >= 12 { "PM" } else { "AM" }),
            Std::Pm => write!(out, "{}", if p.h >= 12 { "pm" } else { "am" }),
            // (a fixed offset has no name: Go writes it -0700)
            Std::Tz if p.off.is_none() => write!(out, "UTC"),
            Std::Tz => write_offset(&mut out, p.off.unwrap_or(0), false, true, false),
            Std::Offset { iso: true, .. } if p.off.unwrap_or(0) == 0 => write!(out, "Z"),
            Std::Offset {
                colon,
                minutes,
                seconds,
                ..
            } => write_offset(&mut out, p.off.unwrap_or(0), colon, minutes, seconds),
            Std::Frac(sep, n, trim) => {
                // (more than nine digits: nine)
                let digits = format!("{:09}", p.ns);
                let mut f = digits[..n.min(9)].to_string();
                if trim {
                    f.truncate(f.trim_end_matches('0').len());
                }
                if !f.is_empty() {
                    out.push(sep);
                    out.push_str(&f);
                }
                Ok(())
            }
        };
    }
    out
}

/// An offset east of UTC (seconds) as Go's layouts write it: `+hh`, then
/// `mm` and `ss` if asked, `:` between them if asked.
fn write_offset(
    out: &mut String,
    off: i32,
    colon: bool,
    minutes: bool,
    seconds: bool,
) -> std::fmt::Result {
    let a = off.unsigned_abs();
    let sep = if colon { ":" } else { "" };
    write!(out, "{}{:02}", if off < 0 { '-' } else { '+' }, a / 3600)?;
    if minutes {
        write!(out, "{sep}{:02}", a % 3600 / 60)?;
    }
    if seconds {
        write!(out, "{sep}{:02}", a % 60)?;
    }
    Ok(())
}

fn eval_arg(a: &Arg, dot: &Value, vars: &mut Vars) -> Result<Value> {
    match a {
        Arg::Field(f) => walk(dot, f),
        Arg::Var(name, f) => {
            let (_, v) = vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .ok_or_else(|| exec_err(format!("undefined variable {name}")))?;
            walk(v, f)
        }
        Arg::Lit(v) => Ok(v.clone()),
        Arg::Func(f) => call(f, &[]),
        Arg::Sub(p, f) => {
            let v = eval_pipe(p, dot, vars)?;
            walk(&v, f)
        }
    }
}

/// The value at `fields` under `v` (cloned once, at the end).
fn walk(v: &Value, fields: &[String]) -> Result<Value> {
    let mut v = v;
    for (i, f) in fields.iter().enumerate() {
        // A time's methods (`.Created.Year`): on from what it gives.
        if let Some(t) = as_time(v) {
            let r = time_method(t, f, &[])?;
            return walk(&r, &fields[i + 1..]);
        }
        v = match v {
            Value::Object(m) => match m.get(f) {
                Some(x) if !f.starts_with('\0') => x,
                _ if is_map(v) => return Ok(Value::Null),
                _ => return Err(no_field(f, v)),
            },
            Value::Null => return Ok(Value::Null),
            other => return Err(no_field(f, other)),
        };
    }
    Ok(v.clone())
}

/// `.f` of `v`, which has no such field: the fields it has, or what it is.
fn no_field(f: &str, v: &Value) -> Error {
    let fields: Vec<&str> = match (go_kind(v), v) {
        (Some(Go::Struct(_, m)), _) => struct_fields(m).map(|(k, _)| k.as_str()).collect(),
        (None, Value::Object(m)) => m.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    if fields.is_empty() {
        let kind = match v {
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Array(_) => "a list",
            _ => "a value",
        };
        return exec_err(format!("can't evaluate field {f} in {kind} ({})", show(v)));
    }
    exec_err(format!(
        "can't evaluate field {f} (the fields there: {})",
        fields.join(", ")
    ))
}

/// An object of strings only is a map (labels, annotations), and so is a
/// nil map: a key it lacks has no value. Other objects are records,
/// whose fields are fixed.
fn is_map(v: &Value) -> bool {
    match (go_kind(v), v) {
        (Some(Go::Nil(kind)), _) => kind == Nil::Map,
        (Some(_), _) => false,
        (None, Value::Object(m)) => m.values().all(Value::is_string),
        _ => false,
    }
}

fn truth(v: &Value) -> bool {
    match go_kind(v) {
        Some(Go::Nil(_)) => return false,
        Some(Go::Named(n)) => return n.n != 0,
        Some(_) => return true,
        None => {}
    }
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

fn text(v: &Value) -> String {
    let mut s = String::new();
    print_value(&mut s, v);
    s
}

fn show(v: &Value) -> String {
    let t = text(v);
    if t.len() > 60 {
        format!("{}…", t.chars().take(60).collect::<String>())
    } else {
        t
    }
}

/// A value as the templates of those tools print it (Go's %v); no
/// value at all (a key a map lacks) is `<no value>`.
fn print_value(out: &mut String, v: &Value) {
    if v.is_null() {
        out.push_str("<no value>");
    } else {
        fmt_arg(out, &Spec::default(), 'v', v, 0, false);
    }
}

fn num(v: &Value, f: &str) -> Result<f64> {
    int_of(v)
        .map(|n| n as f64)
        .or_else(|| v.as_f64())
        .ok_or_else(|| exec_err(format!("{f}: {} is not a number", show(v))))
}

fn str_arg<'a>(v: &'a Value, f: &str) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| exec_err(format!("{f}: {} is not a string", show(v))))
}

fn want(args: &[Value], n: usize, f: &str) -> Result<()> {
    if args.len() == n {
        Ok(())
    } else {
        Err(exec_err(format!(
            "{f} takes {n} arguments, not {}",
            args.len()
        )))
    }
}

/// A value as Go's template comparisons see it (its basicKind).
#[derive(PartialEq, PartialOrd)]
enum Basic<'v> {
    Bool(bool),
    /// int and uint alike (Go compares them by value)
    Int(i128),
    Float(f64),
    Str(&'v str),
    Other,
}

fn basic(v: &Value) -> Basic<'_> {
    if let Some(n) = int_of(v) {
        return Basic::Int(n);
    }
    match v {
        Value::Bool(b) => Basic::Bool(*b),
        Value::Number(n) => Basic::Float(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Basic::Str(s),
        _ => Basic::Other,
    }
}

/// Go's lt: integers (exactly, however large), floats or strings, each
/// with its own kind.
fn compare(a: &Value, b: &Value, f: &str) -> Result<std::cmp::Ordering> {
    let bad = |why: &str| exec_err(format!("{f}: {why} ({} and {})", show(a), show(b)));
    match (basic(a), basic(b)) {
        (Basic::Int(x), Basic::Int(y)) => Ok(x.cmp(&y)),
        (Basic::Str(x), Basic::Str(y)) => Ok(x.cmp(y)),
        // (NaN: neither less nor greater, as Go's < and > on it)
        (Basic::Float(x), Basic::Float(y)) => {
            Ok(x.partial_cmp(&y).unwrap_or(if f == "lt" || f == "ge" {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Less
            }))
        }
        (Basic::Bool(_), Basic::Bool(_)) | (Basic::Other, Basic::Other) => {
            Err(bad("invalid type for comparison"))
        }
        _ => Err(bad("incompatible types for comparison")),
    }
}

/// Go's eq of two values: of the same kind (integers exactly), or either
/// one nil (then unequal); other kinds do not compare.
fn same(a: &Value, b: &Value, f: &str) -> Result<bool> {
    match (basic(a), basic(b)) {
        (Basic::Other, Basic::Other) => Ok(a == b),
        (x @ (Basic::Bool(_) | Basic::Int(_) | Basic::Str(_) | Basic::Float(_)), y)
            if std::mem::discriminant(&x) == std::mem::discriminant(&y) =>
        {
            Ok(x == y)
        }
        _ if a.is_null() || b.is_null() => Ok(false),
        _ => Err(exec_err(format!(
            "{f}: incompatible types for comparison ({} and {})",
            show(a),
            show(b)
        ))),
    }
}

fn call(f: &str, a: &[Value]) -> Result<Value> {
    use std::cmp::Ordering::*;
    Ok(match f {
        "len" => {
            want(a, 1, f)?;
            match go_kind(&a[0]) {
                Some(Go::Nil(Nil::Map | Nil::Slice)) => return Ok(Value::from(0)),
                Some(_) => return Err(exec_err(format!("len of {}", show(&a[0])))),
                None => {}
            }
            Value::from(match &a[0] {
                Value::String(s) => s.len(),
                Value::Array(x) => x.len(),
                Value::Object(m) => m.len(),
                Value::Null => 0,
                v => return Err(exec_err(format!("len of {}", show(v)))),
            })
        }
        "index" => {
            let (first, keys) = a
                .split_first()
                .ok_or_else(|| exec_err("index takes arguments"))?;
            let mut v = first.clone();
            for k in keys {
                match go_kind(&v) {
                    // a nil map gives its values' zero value
                    Some(Go::Nil(Nil::Map)) => {
                        v = Value::String(String::new());
                        continue;
                    }
                    Some(Go::Nil(Nil::Slice)) => {
                        return Err(exec_err(format!(
                            "index {} out of range (length 0)",
                            show(k)
                        )))
                    }
                    Some(_) => {
                        return Err(exec_err(format!(
                            "cannot index {} with {}",
                            show(&v),
                            show(k)
                        )))
                    }
                    None => {}
                }
                v = match (&v, k) {
                    // (a month is an int too)
                    (Value::Array(x), k) if int_of(k).is_some() => {
                        let n = int_of(k).unwrap_or(-1);
                        let i = usize::try_from(n)
                            .ok()
                            .filter(|&i| i < x.len())
                            .ok_or_else(|| {
                                exec_err(format!("index {n} out of range (length {})", x.len()))
                            })?;
                        x[i].clone()
                    }
                    (Value::Object(m), Value::String(s)) => {
                        m.get(s).cloned().unwrap_or_else(|| {
                            // a map of strings gives the empty string
                            if is_map(&v) {
                                Value::String(String::new())
                            } else {
                                Value::Null
                            }
                        })
                    }
                    // a string's byte (Go's uint8)
                    (Value::String(s), k) if int_of(k).is_some() => {
                        let n = int_of(k).unwrap_or(-1);
                        let b = usize::try_from(n).ok().and_then(|i| s.as_bytes().get(i));
                        Value::from(*b.ok_or_else(|| exec_err(format!("index out of range: {n}")))?)
                    }
                    (Value::Null, _) => Value::Null,
                    (v, k) => {
                        return Err(exec_err(format!(
                            "cannot index {} with {}",
                            show(v),
                            show(k)
                        )))
                    }
                };
            }
            v
        }
        "print" | "println" => Value::String(sprint(a, f == "println")),
        // Go's escapers: of the one string given, or of the values printed
        "html" | "js" | "urlquery" => {
            let s = match a {
                [Value::String(s)] => s.clone(),
                _ => sprint(a, false),
            };
            Value::String(match f {
                "html" => html_escape(&s),
                "js" => js_escape(&s),
                _ => query_escape(&s),
            })
        }
        "slice" => {
            let (item, ix) = a
                .split_first()
                .ok_or_else(|| exec_err("slice takes arguments"))?;
            slice(item, ix)?
        }
        "printf" => {
            let (fmt, rest) = a
                .split_first()
                .ok_or_else(|| exec_err("printf takes a format"))?;
            Value::String(printf(str_arg(fmt, f)?, rest)?)
        }
        "eq" => {
            let (first, rest) = a
                .split_first()
                .ok_or_else(|| exec_err("eq takes arguments"))?;
            if rest.is_empty() {
                return Err(exec_err("eq takes two arguments or more"));
            }
            for b in rest {
                if same(first, b, f)? {
                    return Ok(Value::Bool(true));
                }
            }
            Value::Bool(false)
        }
        "ne" => {
            want(a, 2, f)?;
            Value::Bool(!same(&a[0], &a[1], f)?)
        }
        "lt" | "le" | "gt" | "ge" => {
            want(a, 2, f)?;
            let o = compare(&a[0], &a[1], f)?;
            Value::Bool(match f {
                "lt" => o == Less,
                "le" => o != Greater,
                "gt" => o == Greater,
                _ => o != Less,
            })
        }
        "and" => a
            .iter()
            .find(|v| !truth(v))
            .or(a.last())
            .cloned()
            .unwrap_or(Value::Null),
        "or" => a
            .iter()
            .find(|v| truth(v))
            .or(a.last())
            .cloned()
            .unwrap_or(Value::Null),
        "not" => {
            want(a, 1, f)?;
            Value::Bool(!truth(&a[0]))
        }
        "json" => {
            want(a, 1, f)?;
            Value::String(go_json(&go_maps(&a[0])))
        }
        "join" => {
            want(a, 2, f)?;
            let sep = str_arg(&a[1], f)?;
            let parts: Vec<String> = match &a[0] {
                Value::Array(x) => x.iter().map(text).collect(),
                Value::Null => Vec::new(),
                v => return Err(exec_err(format!("join: {} is not a list", show(v)))),
            };
            // (its length known first: a long separator between a
            // million parts is refused, not allocated)
            let len = parts
                .iter()
                .map(String::len)
                .sum::<usize>()
                .saturating_add(sep.len().saturating_mul(parts.len().saturating_sub(1)));
            if len > MAX_OUT {
                return Err(exec_err("the output would be too large"));
            }
            Value::String(parts.join(sep))
        }
        "split" => {
            want(a, 2, f)?;
            let s = str_arg(&a[0], f)?;
            let sep = str_arg(&a[1], f)?;
            let parts = go_split(s, sep);
            // (each part a value of its own: a million of them take
            // hundreds of megabytes)
            if parts.len() > MAX_PARTS {
                return Err(exec_err(format!(
                    "split: {} parts, more than the {MAX_PARTS} a template may hold",
                    parts.len()
                )));
            }
            Value::Array(parts.into_iter().map(Value::from).collect())
        }
        "lower" | "upper" | "title" => {
            want(a, 1, f)?;
            let s = str_arg(&a[0], f)?;
            Value::String(match f {
                "lower" => s.chars().map(simple_lower).collect(),
                "upper" => s.chars().map(simple_upper).collect(),
                _ => title(s),
            })
        }
        "truncate" => {
            want(a, 2, f)?;
            let s = str_arg(&a[0], f)?;
            let n = num(&a[1], f)? as usize;
            Value::String(s.chars().take(n).collect())
        }
        "pad" => {
            want(a, 3, f)?;
            let s = str_arg(&a[0], f)?;
            let l = num(&a[1], f)? as usize;
            let r = num(&a[2], f)? as usize;
            Value::String(format!(
                "{}{s}{}",
                " ".repeat(l.min(MAX_WIDTH)),
                " ".repeat(r.min(MAX_WIDTH))
            ))
        }
        _ => return Err(exec_err(format!("function {f:?} not defined"))),
    })
}

/// Values as Go's fmt.Sprint (and Sprintln) writes them: a space between
/// two operands when neither is a string (Sprintln: always), then a
/// newline.
fn sprint(a: &[Value], ln: bool) -> String {
    let mut s = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 && (ln || (!v.is_string() && !a[i - 1].is_string())) {
            s.push(' ');
        }
        // (an argument that is no value is Go's nil: <nil>)
        fmt_arg(&mut s, &Spec::default(), 'v', v, 0, false);
    }
    if ln {
        s.push('\n');
    }
    s
}

/// Go's template.HTMLEscapeString.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's template.JSEscapeString: quotes and backslashes escaped with a
/// backslash; `< > & =`, control characters and what does not print as
/// \uXXXX.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' | '>' | '&' | '=' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if (c as u32) < 0x20 || (!c.is_ascii() && !go_printable(c)) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Near enough Go's unicode.IsPrint for what images hold: not a control,
/// format, separator (other than the space), surrogate or private-use
/// character, nor a noncharacter.
fn go_printable(c: char) -> bool {
    let u = c as u32;
    !(c.is_control()
        || matches!(
            u,
            0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x180E
        )
        || matches!(u, 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x206F | 0xFEFF)
        || matches!(u, 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
        || matches!(
            u,
            0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000
        )
        || (u & 0xFFFE) == 0xFFFE
        || matches!(u, 0xFDD0..=0xFDEF))
}

/// Go's url.QueryEscape: unreserved bytes as they are, a space as `+`,
/// every other byte as %XX.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Go's template `slice`: item[i:j] of a string (by bytes) or a list,
/// item[i:j:k] of a list.
fn slice(item: &Value, ix: &[Value]) -> Result<Value> {
    if ix.len() > 3 {
        return Err(exec_err(format!("too many slice indexes: {}", ix.len())));
    }
    let len = match (go_kind(item), item) {
        (Some(Go::Nil(Nil::Slice)), _) => 0,
        (None, Value::String(_)) if ix.len() == 3 => {
            return Err(exec_err("cannot 3-index slice a string"))
        }
        (None, Value::String(s)) => s.len(),
        (None, Value::Array(a)) => a.len(),
        (None, Value::Null) => return Err(exec_err("slice of untyped nil")),
        _ => return Err(exec_err(format!("can't slice item {}", show(item)))),
    };
    let mut idx = [0, len, len];
    for (i, x) in ix.iter().enumerate() {
        let n = int_of(x)
            .and_then(|n| i64::try_from(n).ok())
            .ok_or_else(|| exec_err(format!("cannot index slice/array with {}", show(x))))?;
        if n < 0 || n as u64 > len as u64 {
            return Err(exec_err(format!("index out of range: {n}")));
        }
        idx[i] = n as usize;
    }
    if idx[0] > idx[1] {
        return Err(exec_err(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    if ix.len() == 3 && idx[1] > idx[2] {
        return Err(exec_err(format!(
            "invalid slice index: {} > {}",
            idx[1], idx[2]
        )));
    }
    Ok(match item {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::Array(a) => Value::Array(a[idx[0]..idx[1]].to_vec()),
        nil => nil.clone(),
    })
}

/// Objects of strings only (labels, annotations: maps, which those tools
/// print with their keys sorted) sorted; others (records) as they are.
fn go_maps(v: &Value) -> Value {
    match go_kind(v) {
        Some(Go::Time(t)) => {
            return Value::String(go_json_time(t).unwrap_or_else(|| t.to_string()))
        }
        Some(Go::Struct(j, _)) => return j.clone(),
        Some(Go::Named(n)) => return Value::from(n.n),
        Some(Go::Nil(_)) => return Value::Null,
        None => {}
    }
    match v {
        Value::Array(a) => Value::Array(a.iter().map(go_maps).collect()),
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            if is_map(v) {
                entries.sort_by(|x, y| x.0.cmp(y.0));
            }
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), go_maps(v)))
                    .collect(),
            )
        }
        v => v.clone(),
    }
}

/// Go's strings.Split: an empty separator splits after each character
/// (none for an empty string).
fn go_split<'s>(s: &'s str, sep: &str) -> Vec<&'s str> {
    if sep.is_empty() {
        return s
            .char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect();
    }
    s.split(sep).collect()
}

/// Go's unicode.ToUpper: one character for one (its simple mapping, so
/// `ß` stays), where Rust's maps some to several.
fn simple_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        // Greek with a iota subscript: the capital with it
        _ => match c as u32 {
            0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => {
                char::from_u32(c as u32 + 8).unwrap_or(c)
            }
            0x1FB3 | 0x1FC3 | 0x1FF3 => char::from_u32(c as u32 + 9).unwrap_or(c),
            _ => c,
        },
    }
}

/// Go's unicode.ToLower: one character for one (`İ` is `i`), and no
/// final-sigma rule (`ΣΑΣ` is `σασ`).
fn simple_lower(c: char) -> char {
    // (İ's full mapping is i and a combining dot; its simple one, i)
    c.to_lowercase().next().unwrap_or(c)
}

/// Go's unicode.ToTitle: as upper, but the digraphs `Ǆ ǆ` (and kin) are `ǅ`.
fn simple_title(c: char) -> char {
    match c as u32 {
        0x01C4..=0x01C6 => '\u{01C5}',
        0x01C7..=0x01C9 => '\u{01C8}',
        0x01CA..=0x01CC => '\u{01CB}',
        0x01F1..=0x01F3 => '\u{01F2}',
        _ => simple_upper(c),
    }
}

/// Go's strings.Title: the first letter of each word in title case, a
/// word starting after a separator (an ASCII character other than a
/// letter, digit or `_`; a space).
fn title(s: &str) -> String {
    let separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let t = if separator(prev) { simple_title(c) } else { c };
            prev = c;
            t
        })
        .collect()
}

/// JSON as Go's encoding/json writes it (HTML characters as they are, as
/// the tools' `json` does): U+2028 and U+2029 escaped, and backspace and
/// form feed as \u0008 and \u000c (Go 1.19 has no \b or \f).
fn go_json(v: &Value) -> String {
    use serde::Serialize;
    use serde_json::ser::{CharEscape, Formatter};
    struct GoFormatter;
    impl Formatter for GoFormatter {
        fn write_string_fragment<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            fragment: &str,
        ) -> std::io::Result<()> {
            let mut rest = fragment;
            while let Some(i) = rest.find(['\u{2028}', '\u{2029}']) {
                w.write_all(&rest.as_bytes()[..i])?;
                let c = rest[i..].chars().next().expect("found");
                write!(w, "\\u{:04x}", c as u32)?;
                rest = &rest[i + c.len_utf8()..];
            }
            w.write_all(rest.as_bytes())
        }

        fn write_char_escape<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            escape: CharEscape,
        ) -> std::io::Result<()> {
            match escape {
                CharEscape::Backspace => w.write_all(b"\\u0008"),
                CharEscape::FormFeed => w.write_all(b"\\u000c"),
                other => serde_json::ser::CompactFormatter.write_char_escape(w, other),
            }
        }
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    v.serialize(&mut ser).expect("a value serializes");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Go's `fmt`: every verb Go's has but `%p`, the flags `-` (left), `0`
/// (zeros), `+` (sign; `%+q` ASCII only), `#` (alternate form; `%#v` Go
/// syntax), ` ` (a space for the sign; `% x` spaced bytes), a width and a
/// precision, each as Go's fmt does them: a list, map or struct takes them
/// element by element.
/// The widest field or longest precision taken (Go's fmt takes up to 1e6).
const MAX_WIDTH: usize = 1_000_000;

/// The flags, width and precision of one verb, as Go's fmt holds them.
#[derive(Clone, Copy, Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    /// `%+v` (field names) and `%#v` (Go syntax): `+` and `#` are these
    /// for `v`, as in Go.
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

fn printf(fmt: &str, all: &[Value]) -> Result<String> {
    type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;
    let mut out = String::new();
    // The next argument, as Go's fmt counts: `%[n]` sets it (from 1), and
    // an index that names no argument makes the verb BADINDEX.
    let mut next = 0usize;
    let mut reordered = false;
    let number = |chars: &mut Chars| {
        let mut n = None;
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            chars.next();
            n = Some((n.unwrap_or(0) * 10 + d as usize).min(MAX_WIDTH));
        }
        n
    };
    // `[n]`: Some(Some(i)) for a good index, Some(None) for a bad one.
    let index = |chars: &mut Chars| -> Option<Option<usize>> {
        if chars.peek() != Some(&'[') {
            return None;
        }
        chars.next();
        // as Go: `[` with no `]` after it is a bad index of one character;
        // what is not `[digits]` is one up to the `]`
        if !chars.clone().any(|c| c == ']') {
            return Some(None);
        }
        let n = number(chars);
        if chars.next_if_eq(&']').is_none() {
            for c in chars.by_ref() {
                if c == ']' {
                    break;
                }
            }
            return Some(None);
        }
        Some(n.filter(|&n| n >= 1 && n <= all.len()).map(|n| n - 1))
    };
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                // (Go: zeros pad on the left only)
                '-' => (spec.minus, spec.zero) = (true, false),
                '0' => spec.zero = !spec.minus,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        // As Go's doPrintf: an index, a width, a precision (an index after
        // its dot), an index unless one came just before, the verb. An
        // index followed by a number (`%[2]2d`, `%[2].2f`) is a bad one.
        let mut good = true;
        let mut after_index = false;
        // Some(whether good) where an index is
        let mut take_index = |chars: &mut Chars, next: &mut usize| {
            let found = index(chars)?;
            reordered = true;
            if let Some(i) = found {
                *next = i;
            }
            Some(found.is_some())
        };
        // A `*` takes an int argument, no bigger than 1e6.
        // (an argument there is used up, an int or not)
        let star = |next: &mut usize| -> Option<i64> {
            let v = all.get(*next)?;
            *next += 1;
            v.as_i64().filter(|n| n.unsigned_abs() <= MAX_WIDTH as u64)
        };
        if let Some(ok) = take_index(&mut chars, &mut next) {
            good &= ok;
            after_index = true;
        }
        spec.wid = if chars.next_if_eq(&'*').is_some() {
            after_index = false;
            match star(&mut next) {
                Some(n) => {
                    if n < 0 {
                        (spec.minus, spec.zero) = (true, false);
                    }
                    Some(n.unsigned_abs() as usize)
                }
                None => {
                    out.push_str("%!(BADWIDTH)");
                    None
                }
            }
        } else {
            let w = number(&mut chars);
            if after_index && w.is_some() {
                good = false;
            }
            w
        };
        // (a dot with nothing after it is the verb)
        spec.prec = if chars.peek() == Some(&'.') && chars.clone().nth(1).is_some() {
            chars.next();
            if after_index {
                good = false;
            }
            after_index = match take_index(&mut chars, &mut next) {
                Some(ok) => {
                    good &= ok;
                    true
                }
                None => false,
            };
            if chars.next_if_eq(&'*').is_some() {
                after_index = false;
                match star(&mut next).filter(|&n| n >= 0) {
                    Some(n) => Some(n as usize),
                    None => {
                        out.push_str("%!(BADPREC)");
                        None
                    }
                }
            } else {
                Some(number(&mut chars).unwrap_or(0))
            }
        } else {
            None
        };
        if !after_index {
            if let Some(ok) = take_index(&mut chars, &mut next) {
                good &= ok;
            }
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good {
            let _ = write!(out, "%!{verb}(BADINDEX)");
            continue;
        }
        // As Go's fmt: a value missing or of the wrong kind is said in the
        // output (%!d(string=x)), not an error.
        let Some(v) = all.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        if verb == 'v' {
            (spec.sharp_v, spec.sharp) = (spec.sharp, false);
            (spec.plus_v, spec.plus) = (spec.plus, false);
        }
        if verb == 'T' {
            fmt_s(&mut out, &spec, &go_type(v));
            continue;
        }
        fmt_arg(&mut out, &spec, verb, v, 0, false);
        if out.len() > MAX_OUT {
            return Err(exec_err("the output would be too large"));
        }
    }
    let extra: Vec<String> = all.iter().skip(next).map(typed).collect();
    if !reordered && !extra.is_empty() {
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    Ok(out)
}

/// Go's printArg and printValue: `v` as `verb` writes it. A list, map or
/// struct takes the verb and flags element by element; `erroring`: inside
/// a `%!verb(…)`, where Go calls no String method (a month is its number).
fn fmt_arg(out: &mut String, spec: &Spec, verb: char, v: &Value, depth: usize, erroring: bool) {
    match go_kind(v) {
        Some(Go::Time(t)) => {
            let s = go_time(t).unwrap_or_else(|| t.to_string());
            match verb {
                // (Go's Time.GoString: time.Date(…))
                'v' if spec.sharp_v => pad(out, spec, &go_string_time(t).unwrap_or(s)),
                'v' | 's' | 'x' | 'X' | 'q' => fmt_string(out, spec, verb, &s),
                // (inside a %!verb(…) already: as %v, never again %!)
                _ if erroring => pad(out, spec, &s),
                _ => bad_verb(out, spec, verb, v),
            }
        }
        Some(Go::Named(n)) => match verb {
            'v' | 's' | 'x' | 'X' | 'q' if !spec.sharp_v && !erroring => {
                fmt_string(out, spec, verb, n.name())
            }
            _ if !fmt_int(out, spec, verb, n.n as i128) => bad_verb(out, spec, verb, v),
            _ => {}
        },
        Some(Go::Struct(_, m)) => {
            out.push('{');
            for (i, (k, x)) in struct_fields(m).enumerate() {
                if i > 0 {
                    out.push_str(if spec.sharp_v { ", " } else { " " });
                }
                if spec.plus_v || spec.sharp_v {
                    let _ = write!(out, "{k}:");
                }
                fmt_arg(out, spec, verb, x, depth + 1, erroring);
            }
            out.push('}');
        }
        Some(Go::Nil(kind)) => match (kind, spec.sharp_v) {
            (Nil::Map, false) => out.push_str("map[]"),
            (Nil::Slice, false) => out.push_str("[]"),
            (Nil::Ptr, false) if verb == 'v' => fmt_s(out, spec, "<nil>"),
            (Nil::Ptr, false) => bad_verb(out, spec, verb, v),
            (_, true) => {
                let _ = write!(out, "({})(nil)", go_type(v));
            }
        },
        None => match v {
            // (a nil interface: Go says <nil> to %v, and inside a list to
            // any verb)
            Value::Null if verb == 'v' || depth > 0 => fmt_s(out, spec, "<nil>"),
            Value::Null => bad_verb(out, spec, verb, v),
            Value::Bool(b) => match verb {
                't' | 'v' => fmt_s(out, spec, if *b { "true" } else { "false" }),
                _ => bad_verb(out, spec, verb, v),
            },
            Value::Number(n) => {
                let done = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => fmt_int(out, spec, verb, i as i128),
                    (None, Some(u), _) => fmt_int(out, spec, verb, u as i128),
                    (_, _, Some(f)) => fmt_float(out, spec, verb, f),
                    _ => false,
                };
                if !done {
                    bad_verb(out, spec, verb, v);
                }
            }
            Value::String(s) => match verb {
                'v' if spec.sharp_v => fmt_q(out, spec, s),
                'v' | 's' | 'x' | 'X' | 'q' => fmt_string(out, spec, verb, s),
                _ => bad_verb(out, spec, verb, v),
            },
            Value::Array(a) => {
                let sharp = spec.sharp_v;
                if sharp {
                    let _ = write!(out, "{}{{", go_type(v));
                } else {
                    out.push('[');
                }
                for (i, x) in a.iter().enumerate() {
                    if out.len() > MAX_OUT {
                        return;
                    }
                    if i > 0 {
                        out.push_str(if sharp { ", " } else { " " });
                    }
                    fmt_arg(out, spec, verb, x, depth + 1, erroring);
                }
                out.push(if sharp { '}' } else { ']' });
            }
            Value::Object(m) => {
                let sharp = spec.sharp_v;
                if sharp {
                    let _ = write!(out, "{}{{", go_type(v));
                } else {
                    out.push_str("map[");
                }
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                for (i, k) in keys.into_iter().enumerate() {
                    if out.len() > MAX_OUT {
                        return;
                    }
                    if i > 0 {
                        out.push_str(if sharp { ", " } else { " " });
                    }
                    fmt_arg(
                        out,
                        spec,
                        verb,
                        &Value::String(k.clone()),
                        depth + 1,
                        erroring,
                    );
                    out.push(':');
                    fmt_arg(out, spec, verb, &m[k], depth + 1, erroring);
                }
                out.push(if sharp { '}' } else { ']' });
            }
        },
    }
}

/// Go's badVerb: `%!d(string=x)`, the value as %v with the same flags.
fn bad_verb(out: &mut String, spec: &Spec, verb: char, v: &Value) {
    let _ = write!(out, "%!{verb}(");
    if v.is_null() {
        out.push_str("<nil>");
    } else {
        let _ = write!(out, "{}=", go_type(v));
        fmt_arg(out, spec, 'v', v, 0, true);
    }
    out.push(')');
}

/// Go's fmt.pad: `s` in the width (runes), spaces or zeros on its left,
/// spaces on its right.
fn pad(out: &mut String, spec: &Spec, s: &str) {
    // (past the output's limit nothing more is written: printf then
    // fails, before a list of padded elements takes gigabytes)
    if out.len() > MAX_OUT {
        return;
    }
    let n = spec.wid.unwrap_or(0).saturating_sub(s.chars().count());
    let fill = if spec.zero { "0" } else { " " };
    if spec.minus {
        out.push_str(s);
        out.push_str(&" ".repeat(n));
    } else {
        out.push_str(&fill.repeat(n));
        out.push_str(s);
    }
}

/// [`pad`] with spaces whatever the `0` flag says (the number's zeros
/// are in it already).
fn pad_spaces(out: &mut String, spec: &Spec, s: &str) {
    pad(
        out,
        &Spec {
            zero: false,
            ..*spec
        },
        s,
    );
}

/// A string for `%v %s %x %X %q`.
fn fmt_string(out: &mut String, spec: &Spec, verb: char, s: &str) {
    match verb {
        'x' => fmt_sx(out, spec, s, false),
        'X' => fmt_sx(out, spec, s, true),
        'q' => fmt_q(out, spec, s),
        _ => fmt_s(out, spec, s),
    }
}

/// The precision cuts a string (runes).
fn cut(spec: &Spec, s: &str) -> String {
    match spec.prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn fmt_s(out: &mut String, spec: &Spec, s: &str) {
    pad(out, spec, &cut(spec, s));
}

/// Go's fmtSbx: hex of the string's bytes (as many as the precision);
/// `#` puts 0x before, ` ` a space between bytes (with `#`, 0x before each).
fn fmt_sx(out: &mut String, spec: &Spec, s: &str, upper: bool) {
    let bytes = &s.as_bytes()[..spec.prec.unwrap_or(usize::MAX).min(s.len())];
    let x = if upper { "0X" } else { "0x" };
    let mut body = String::with_capacity(bytes.len() * 5 + 2);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && spec.space {
            body.push(' ');
        }
        if spec.sharp && (i == 0 || spec.space) {
            body.push_str(x);
        }
        let _ = if upper {
            write!(body, "{b:02X}")
        } else {
            write!(body, "{b:02x}")
        };
    }
    // an empty string is the padding alone
    pad(out, spec, &body);
}

/// Go's fmtQ: strconv.Quote of the string cut to the precision; `+`:
/// ASCII only; `#`: backquoted if it can be.
fn fmt_q(out: &mut String, spec: &Spec, s: &str) {
    let s = cut(spec, s);
    if spec.sharp && can_backquote(&s) {
        return pad(out, spec, &format!("`{s}`"));
    }
    pad(out, spec, &go_quote(&s, '"', spec.plus));
}

/// Go's strconv.CanBackquote.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '\u{FEFF}' && !((c < ' ' && c != '\t') || c == '`' || c == '\u{7F}'))
}

/// Go's strconv.Quote (QuoteToASCII with `ascii`; quote `'` for a rune).
fn go_quote(s: &str, quote: char, ascii: bool) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push(quote);
    for c in s.chars() {
        go_escape(&mut q, c, quote, ascii);
    }
    q.push(quote);
    q
}

/// Go's appendEscapedRune.
fn go_escape(q: &mut String, c: char, quote: char, ascii: bool) {
    if c == quote || c == '\\' {
        q.push('\\');
        q.push(c);
        return;
    }
    let printable = c == ' ' || (!c.is_whitespace() && go_printable(c));
    if printable && (!ascii || c.is_ascii()) {
        q.push(c);
        return;
    }
    let _ = match c {
        '\u{7}' => write!(q, "\\a"),
        '\u{8}' => write!(q, "\\b"),
        '\u{c}' => write!(q, "\\f"),
        '\n' => write!(q, "\\n"),
        '\r' => write!(q, "\\r"),
        '\t' => write!(q, "\\t"),
        '\u{b}' => write!(q, "\\v"),
        c if c < ' ' || c == '\u{7f}' => write!(q, "\\x{:02x}", c as u32),
        c if (c as u32) < 0x10000 => write!(q, "\\u{:04x}", c as u32),
        c => write!(q, "\\U{:08x}", c as u32),
    };
}

/// The rune Go's fmt takes an integer for (%c, %q, %U): U+FFFD if none.
fn rune_of(n: i128) -> char {
    u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

/// An integer for a verb, as Go's fmtInteger, fmtC, fmtQc and fmtUnicode
/// write it; false if the verb takes no integer.
fn fmt_int(out: &mut String, spec: &Spec, verb: char, n: i128) -> bool {
    // Go's fmt takes the int's bits as a uint64 for %c %q %U.
    let bits = n as i64 as u64 as i128;
    let bits = if n > i64::MAX as i128 { n } else { bits };
    let (base, upper) = match verb {
        'v' | 'd' => (10, false),
        'b' => (2, false),
        'o' | 'O' => (8, false),
        'x' => (16, false),
        'X' => (16, true),
        'c' => {
            pad(out, spec, &rune_of(bits).to_string());
            return true;
        }
        'q' => {
            pad(
                out,
                spec,
                &go_quote(&rune_of(bits).to_string(), '\'', spec.plus),
            );
            return true;
        }
        'U' => {
            fmt_unicode(out, spec, bits as u64);
            return true;
        }
        _ => return false,
    };
    let neg = n < 0;
    let u = n.unsigned_abs();
    // An integer's precision is its least number of digits (none at all
    // for 0 with precision 0); else the 0 flag makes the width so.
    let min = match spec.prec {
        Some(0) if u == 0 => {
            out.push_str(&" ".repeat(spec.wid.unwrap_or(0)));
            return true;
        }
        Some(p) => p,
        None if spec.zero && spec.wid.is_some() => {
            spec.wid.unwrap_or(0)
                - usize::from(neg || spec.plus || spec.space).min(spec.wid.unwrap_or(0))
        }
        None => 0,
    };
    let mut digits = match base {
        2 => format!("{u:b}"),
        8 => format!("{u:o}"),
        16 if upper => format!("{u:X}"),
        16 => format!("{u:x}"),
        _ => u.to_string(),
    };
    if digits.len() < min {
        digits.insert_str(0, &"0".repeat(min - digits.len()));
    }
    let mut s = String::new();
    if neg {
        s.push('-');
    } else if spec.plus {
        s.push('+');
    } else if spec.space {
        s.push(' ');
    }
    if verb == 'O' {
        s.push_str("0o");
    }
    if spec.sharp {
        match base {
            2 => s.push_str("0b"),
            8 if !digits.starts_with('0') => s.push('0'),
            16 => s.push_str(if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    s.push_str(&digits);
    // (the zeros are in already, or not wanted beside a precision)
    pad_spaces(out, spec, &s);
    true
}

/// Go's fmtUnicode: `U+0041`, and with `#` the rune quoted if it prints.
fn fmt_unicode(out: &mut String, spec: &Spec, u: u64) {
    // (zeros added here: Rust's widths stop at 65535)
    let hex = format!("{u:X}");
    let zeros = spec
        .prec
        .filter(|&p| p > 4)
        .unwrap_or(4)
        .saturating_sub(hex.len());
    let mut s = format!("U+{}{hex}", "0".repeat(zeros));
    let c = u32::try_from(u).ok().and_then(char::from_u32);
    if let Some(c) =
        c.filter(|&c| spec.sharp && (c == ' ' || (!c.is_whitespace() && go_printable(c))))
    {
        let _ = write!(s, " '{c}'");
    }
    pad_spaces(out, spec, &s);
}

/// A float for a verb, as Go's fmt.fmtFloat writes it; false if the verb
/// takes no float.
fn fmt_float(out: &mut String, spec: &Spec, verb: char, f: f64) -> bool {
    let (verb, default) = match verb {
        'v' => ('g', None),
        'b' | 'g' | 'G' | 'x' | 'X' => (verb, None),
        'f' | 'F' => ('f', Some(6)),
        'e' | 'E' => (verb, Some(6)),
        _ => return false,
    };
    let prec = spec.prec.or(default);
    let mut num = go_float(f, verb, prec);
    if !num.starts_with(['-', '+']) {
        num.insert(0, '+');
    }
    if spec.space && num.starts_with('+') && !spec.plus {
        num.replace_range(..1, " ");
    }
    // Inf and NaN: no zeros; NaN's + only if asked for.
    if num[1..].starts_with(['I', 'N']) {
        if num.ends_with("NaN") && !spec.space && !spec.plus {
            num.remove(0);
        }
        pad(
            out,
            &Spec {
                zero: false,
                ..*spec
            },
            &num,
        );
        return true;
    }
    if spec.sharp && verb != 'b' {
        num = sharp_float(num, verb, prec);
    }
    if spec.plus || !num.starts_with('+') {
        // zeros after the sign
        let w = spec.wid.unwrap_or(0);
        if spec.zero && w > num.len() {
            out.push_str(&num[..1]);
            out.push_str(&"0".repeat(w - num.len()));
            out.push_str(&num[1..]);
        } else {
            pad(out, spec, &num);
        }
    } else {
        pad(out, spec, &num[1..]);
    }
    true
}

/// Go's `#` on a float: a decimal point always, and for %g (and %x) the
/// trailing zeros kept up to the precision (6 when none is given).
fn sharp_float(num: String, verb: char, prec: Option<usize>) -> String {
    let mut digits: i64 = match verb {
        'g' | 'G' | 'x' => prec.map_or(6, |p| p as i64),
        _ => 0,
    };
    let hex = matches!(verb, 'x' | 'X');
    let cut = num[1..]
        .find(|c| matches!(c, 'p' | 'P') || (!hex && matches!(c, 'e' | 'E')))
        .map_or(num.len(), |i| i + 1);
    let (body, tail) = num.split_at(cut);
    let mut body = body.to_string();
    let mut saw_nonzero = false;
    for c in body[1..].chars() {
        if c == '.' {
            continue;
        }
        saw_nonzero |= c != '0';
        if saw_nonzero {
            digits -= 1;
        }
    }
    if !body.contains('.') {
        // a lone 0 counts once
        if body.len() == 2 && body.ends_with('0') {
            digits -= 1;
        }
        body.push('.');
    }
    if digits > 0 {
        body.push_str(&"0".repeat(digits as usize));
    }
    body + tail
}

/// `v` as an integer (a month, a weekday too), if it is one.
fn int_of(v: &Value) -> Option<i128> {
    if let Some(Go::Named(n)) = go_kind(v) {
        return Some(n.n as i128);
    }
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    }
}

/// A value's Go type, as `%T` says it (and fmt, of one it cannot print):
/// the lists and maps of an inspect's output are of strings.
fn go_type(v: &Value) -> String {
    match go_kind(v) {
        Some(Go::Time(_)) => return "*time.Time".into(),
        Some(Go::Named(n)) => return n.type_name().into(),
        Some(Go::Nil(Nil::Map)) => return "map[string]string".into(),
        Some(Go::Nil(Nil::Slice)) => return "[]string".into(),
        Some(Go::Nil(Nil::Ptr)) => return "*time.Time".into(),
        Some(Go::Struct(..)) => return "struct".into(),
        None => {}
    }
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(a) if a.iter().all(Value::is_string) => "[]string",
        Value::Array(_) => "[]interface {}",
        Value::Object(m) if m.values().all(Value::is_string) => "map[string]string",
        Value::Object(_) => "map[string]interface {}",
    }
    .to_string()
}

/// A value as Go's fmt names one it cannot print as asked: `int=5`,
/// `string=x`, `<nil>`.
fn typed(v: &Value) -> String {
    match go_type(v) {
        t if t == "<nil>" => t,
        t => format!("{t}={}", text(v)),
    }
}

/// Beyond these, an f64's exact decimal expansion has only zeros: at most
/// 767 significant digits, 1074 after the point. (Rust's precision is a
/// u16: longer ones are written with zeros added.)
const EXACT_SIG: usize = 800;
const EXACT_FRAC: usize = 1100;

/// A float as Go's `strconv.FormatFloat` writes it (`prec` None: the
/// fewest digits that read back): `f` (fixed), `e`/`E` (`1.500000e+06`),
/// `g`/`G` (as many digits as the precision; the exponent form when the
/// exponent is below -4 or at least the precision, 6 for the fewest: `2`,
/// `0.5`, `1e+06`), `b` (`4503599627370496p-52`), `x`/`X` (`0x1.8p+00`).
fn go_float(f: f64, verb: char, prec: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    match verb {
        'b' => return float_b(f),
        'x' | 'X' => return float_x(f, prec, verb == 'X'),
        _ => {}
    }
    // The digits and the exponent of the first one.
    let sci = |p: Option<usize>| -> (String, String, i32) {
        let e = match p {
            Some(p) => format!("{:.*e}", p.min(EXACT_SIG), f),
            None => format!("{f:e}"),
        };
        let (m, x) = e.split_once('e').expect("{:e} writes an exponent");
        let (sign, m) = match m.strip_prefix('-') {
            Some(m) => ("-".to_string(), m),
            None => (String::new(), m),
        };
        let mut digits = m.replace('.', "");
        if let Some(p) = p.filter(|&p| p > EXACT_SIG) {
            digits.push_str(&"0".repeat(p - EXACT_SIG));
        }
        (sign, digits, x.parse().expect("an exponent"))
    };
    let exp_form = |sign: &str, digits: &str, x: i32, e: char| {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let xs = if x < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}{rest}{e}{xs}{:02}", x.unsigned_abs())
    };
    match verb {
        'e' | 'E' => {
            let (sign, digits, x) = sci(Some(prec.unwrap_or(6)));
            exp_form(&sign, &digits, x, verb)
        }
        'g' | 'G' => {
            let (sign, digits, x) = sci(prec.map(|p| p.max(1) - 1));
            let digits = match digits.trim_end_matches('0') {
                "" => "0".to_string(),
                d => d.to_string(),
            };
            let nd = digits.len() as i64;
            let x64 = i64::from(x);
            let eprec = match prec {
                None => 6,
                Some(p) if p as i64 > nd && nd > x64 => nd,
                Some(p) => p.max(1) as i64,
            };
            if x64 < -4 || x64 >= eprec {
                let e = if verb == 'G' { 'E' } else { 'e' };
                return exp_form(&sign, &digits, x, e);
            }
            // fixed: the point after x + 1 digits
            let s = if x < 0 {
                format!("0.{}{digits}", "0".repeat((-x - 1) as usize))
            } else if x64 + 1 >= nd {
                format!("{digits}{}", "0".repeat((x64 + 1 - nd) as usize))
            } else {
                let (a, b) = digits.split_at((x + 1) as usize);
                format!("{a}.{b}")
            };
            format!("{sign}{s}")
        }
        _ => match prec {
            None => format!("{f}"),
            Some(p) if p > EXACT_FRAC => {
                format!("{:.*}{}", EXACT_FRAC, f, "0".repeat(p - EXACT_FRAC))
            }
            Some(p) => format!("{:.*}", p, f),
        },
    }
}

/// Go's %b of a float: the mantissa, `p`, the binary exponent.
fn float_b(f: f64) -> String {
    let bits = f.to_bits();
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    let exp = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    let exp = if exp == 0 {
        1
    } else {
        mant |= 1 << 52;
        exp
    };
    let e = exp - 1023 - 52;
    format!("{sign}{mant}p{}{e}", if e >= 0 { "+" } else { "" })
}

/// Go's %x of a float (strconv's fmtX): `-0x1.8p+00`, the mantissa's hex
/// digits rounded to the precision (the fewest when none is given).
fn float_x(f: f64, prec: Option<usize>, upper: bool) -> String {
    let bits = f.to_bits();
    let neg = bits >> 63 == 1;
    let raw_exp = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1 << 52) - 1);
    let mut exp = if raw_exp == 0 {
        1 - 1023
    } else {
        mant |= 1 << 52;
        raw_exp - 1023
    };
    if mant == 0 {
        exp = 0;
    }
    // The leading 1 (if any) at bit 60.
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec.filter(|&p| p < 15) {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex = |d: u64| {
        let c = char::from_digit(d as u32, 16).expect("a hex digit");
        if upper {
            c.to_ascii_uppercase()
        } else {
            c
        }
    };
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push('0');
    s.push(if upper { 'X' } else { 'x' });
    s.push(if (mant >> 60) & 1 == 1 { '1' } else { '0' });
    mant <<= 4;
    match prec {
        None if mant != 0 => {
            s.push('.');
            while mant != 0 {
                s.push(hex((mant >> 60) & 15));
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            s.push('.');
            for _ in 0..p {
                s.push(hex((mant >> 60) & 15));
                mant <<= 4;
            }
        }
        _ => {}
    }
    s.push(if upper { 'P' } else { 'p' });
    s.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(s, "{:02}", exp.unsigned_abs());
    s
}

/// An RFC 3339 time as those tools print one: `2024-01-02 03:04:05.5
/// +0000 UTC` (the fraction without its trailing zeros; a fixed offset
/// named by itself, `+0200 +0200`).
pub fn go_time(s: &str) -> Option<String> {
    let t = Rfc3339::parse(s)?;
    let zone = match t.offset {
        None => "+0000 UTC".to_string(),
        Some(z) => {
            let o = format!("{}{}", &z[..3], &z[4..]);
            format!("{o} {o}")
        }
    };
    Some(format!("{} {}{} {zone}", t.date, t.hms, t.dot_frac()))
}

/// A time as Go's Time.GoString writes it (`%#v`):
/// `time.Date(2024, time.January, 2, 3, 4, 5, 0, time.UTC)`; a time with
/// an offset has a zone without a name, as Go's time.Parse makes it.
fn go_string_time(s: &str) -> Option<String> {
    let p = Parts::of(s)?;
    let loc = match p.off {
        None => "time.UTC",
        Some(_) => "time.Location(\"\")",
    };
    Some(format!(
        "time.Date({}, time.{}, {}, {}, {}, {}, {}, {loc})",
        p.y,
        MONTHS[p.mo as usize - 1],
        p.d,
        p.h,
        p.mi,
        p.s,
        p.ns
    ))
}

/// The data of `inspect`'s JSON for a template: fields its output leaves
/// out when empty are there, empty; `Created` as a time prints.
pub fn inspect_data(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        for k in ["Name", "Tag", "Variant"] {
            m.entry(k.to_string())
                .or_insert(Value::String(String::new()));
        }
        // Go's nil maps and slices (map[] and [], null under json).
        for k in ["Labels", "Env", "RepoTags", "Layers", "LayersData"] {
            if m.get(k).is_some_and(Value::is_null) {
                let kind = if k == "Labels" { Nil::Map } else { Nil::Slice };
                m.insert(k.into(), nil_value(kind));
            }
        }
        // Layers are structs (ImageInspectLayer), their annotations a map.
        if let Some(Value::Array(layers)) = m.get_mut("LayersData") {
            for l in layers.iter_mut() {
                if let Value::Object(f) = l {
                    let mut f = f.clone();
                    if f.get("Annotations").is_some_and(Value::is_null) {
                        f.insert("Annotations".into(), nil_value(Nil::Map));
                    }
                    *l = struct_value(l.clone(), f);
                }
            }
        }
        if let Some(t) = m
            .get("Created")
            .and_then(Value::as_str)
            .filter(|t| Parts::of(t).is_some())
            .map(time_value)
        {
            m.insert("Created".into(), t);
        }
        // A time.Time pointer that is nil.
        if m.get("Created").is_some_and(Value::is_null) {
            m.insert("Created".into(), nil_value(Nil::Ptr));
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(t: &str, v: &Value) -> String {
        Template::parse(t).unwrap().render(v).unwrap()
    }

    #[test]
    fn inspect_maps_without_entries_print_empty() {
        let v = inspect_data(json!({"Labels": null, "LayersData": [
            {"MIMEType": "m", "Digest": "sha256:ab", "Size": 1, "Annotations": null},
            {"MIMEType": "m", "Digest": "sha256:cd", "Size": 2, "Annotations": {"k": "v"}}]}));
        assert_eq!(
            r(
                "{{.Labels}}|{{range .LayersData}}{{.Annotations}} {{end}}",
                &v
            ),
            "map[]|map[] map[k:v] \n"
        );
        // Nil maps and slices are empty, but null under json; layers are
        // structs: printed {v1 v2 …}, written as their JSON.
        let v = inspect_data(json!({"Labels": null, "Env": null, "LayersData": [
            {"MIMEType": "m", "Digest": "sha256:ab", "Size": 1, "Annotations": null}]}));
        assert_eq!(
            r(
                "{{json .Labels}} {{json .Env}} {{len .Labels}} {{len .Env}} {{.Env}} [{{index .Labels \"k\"}}] {{.Labels.k}} {{if .Labels}}y{{else}}n{{end}} {{range .Env}}x{{else}}e{{end}}",
                &v
            ),
            "null null 0 0 [] [] <no value> n e\n"
        );
        assert_eq!(
            r("{{.LayersData}} {{json .LayersData}}", &v),
            "[{m sha256:ab 1 map[]}] [{\"MIMEType\":\"m\",\"Digest\":\"sha256:ab\",\"Size\":1,\"Annotations\":null}]\n"
        );
        // An image's own keys cannot pass for those values.
        for key in ["\u{0}struct", "\u{0}nil", "\u{0}time"] {
            let v = inspect_data(json!({"Labels": {key: "map", "a": "b"}}));
            assert_eq!(
                r("{{len .Labels}} {{index .Labels \"a\"}}", &v),
                "2 b\n",
                "{key:?}"
            );
            let only = inspect_data(json!({"Labels": {key: "map"}}));
            assert_eq!(r("{{len .Labels}}", &only), "1\n", "{key:?}");
            assert!(r("{{json .Labels}}", &only).contains("map"), "{key:?}");
        }
        for (f, e) in [
            ("{{index .Env 0}}", "index 0 out of range (length 0)"),
            (
                "{{range index .LayersData 0}}{{end}}",
                "range can't iterate over {m",
            ),
            ("{{len (index .LayersData 0)}}", "len of {m"),
            (
                "{{(index .LayersData 0).Nope}}",
                "can't evaluate field Nope (the fields there: MIMEType, Digest, Size, Annotations)",
            ),
            (
                "{{.Nope}}",
                "can't evaluate field Nope (the fields there: Labels, Env, ",
            ),
            (
                "{{(index .LayersData 0).Digest.Nope}}",
                "can't evaluate field Nope in a string (sha256:ab)",
            ),
        ] {
            let t = Template::parse(f).unwrap();
            let err = t.render(&v).unwrap_err();
            assert!(err.message().contains(e), "{f}: {}", err.message());
        }
    }

    /// printf's verbs take a list or map element by element, as Go's fmt
    /// (outputs as skopeo 1.9 prints them); %T names the type; `#`, ` `,
    /// %U and a %q precision as Go.
    #[test]
    fn printf_verbs_on_lists_and_maps_and_flags_as_go() {
        let v = inspect_data(json!({"Os": "linux", "Env": ["A=<&>"], "Layers": [],
            "Labels": {"zeta": "1", "Mid": "a b", "q": "\"x\""}}));
        for (f, want) in [
            (r#"{{printf "%q" .Env}}"#, r#"["A=<&>"]"#),
            (
                r#"{{printf "%q" .Labels}}"#,
                r#"map["Mid":"a b" "q":"\"x\"" "zeta":"1"]"#,
            ),
            (r#"{{printf "%x" .Env}}"#, "[413d3c263e]"),
            (r#"{{printf "%d" .Layers}}"#, "[]"),
            (r#"{{printf "%d" .Env}}"#, "[%!d(string=A=<&>)]"),
            (r#"{{printf "%.3q" .Os}}"#, r#""lin""#),
            (r#"{{printf "%5.2q" .Os}}"#, r#" "li""#),
            (r#"{{printf "%#x" 255}}"#, "0xff"),
            (r#"{{printf "%#v" .Os}}"#, r#""linux""#),
            (
                r#"{{printf "%T %T %T" .Env .Labels .Os}}"#,
                "[]string map[string]string string",
            ),
            (r#"{{printf "%U" 65}}"#, "U+0041"),
            (r#"{{printf "% d|%+d" 5 5}}"#, " 5|+5"),
            (
                r#"{{printf "%s %v" .Env .Labels}}"#,
                "[A=<&>] map[Mid:a b q:\"x\" zeta:1]",
            ),
        ] {
            assert_eq!(r(f, &v), format!("{want}\n"), "{f}");
        }
        let nil = inspect_data(json!({"Labels": null, "Env": null}));
        assert_eq!(r(r#"{{printf "%q %q" .Labels .Env}}"#, &nil), "map[] []\n");
    }

    #[test]
    fn slice_and_escapers_as_go() {
        let v = inspect_data(json!({"Os": "linux", "Env": null, "Layers": ["a", "b", "c"]}));
        assert_eq!(
            r(
                "{{slice .Env}} {{slice .Env 0 0}} {{slice .Layers 1 2}} {{slice \"héllo\" 0 2}}",
                &v
            ),
            "[] [] [b] h\u{FFFD}\n"
        );
        assert_eq!(
            r(
                "{{js \"\\x01\\u2028x\"}} {{html \"\\x00\"}} {{urlquery \"+%\"}}",
                &v
            ),
            "\\u0001\\u2028x \u{FFFD} %2B%25\n"
        );
        // A comment holds anything.
        assert_eq!(
            r("{{/* it's \"x */}}{{.Os}}{{- /* '}} */ -}} ", &v),
            "linux"
        );
        // Go's literals: its escapes, a brace in a character
        assert_eq!(
            r(
                "{{\"a\\x41\\101\\u00e9\\U0001F600\\t\\\"\"}} {{'\\x41'}} {{'}'}} {{'\\''}}",
                &v
            ),
            "aAAé😀\t\" 65 125 39\n"
        );
        for bad in [
            "{{\"\\/\"}}",
            "{{\"\\x4\"}}",
            "{{\"\\'\"}}",
            "{{'ab'}}",
            "{{\"\\400\"}}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
        for (f, e) in [
            ("{{slice .Os 3 1}}", "invalid slice index: 3 > 1"),
            ("{{slice .Os 9}}", "index out of range: 9"),
            ("{{slice .Os -1}}", "index out of range: -1"),
            ("{{slice .Os 0 1 2}}", "cannot 3-index slice a string"),
            ("{{slice .Layers 0 2 1}}", "invalid slice index: 2 > 1"),
            ("{{slice .Layers 0 1 2 3}}", "too many slice indexes: 4"),
            ("{{slice .Layers \"a\"}}", "cannot index slice/array with a"),
            ("{{slice nil 1}}", "slice of untyped nil"),
            ("{{slice 5 1}}", "can't slice item 5"),
        ] {
            let err = Template::parse(f).unwrap().render(&v).unwrap_err();
            assert!(err.message().contains(e), "{f}: {}", err.message());
        }
    }

    #[test]
    fn fields_lists_maps_blocks() {
        let v = json!({"Digest": "sha256:ab", "Layers": ["a", "b"], "Labels": {"z": "1", "a": "2"},
                       "Size": 42, "Empty": [], "N": null, "Os": "linux"});
        assert_eq!(r("{{.Digest}}", &v), "sha256:ab\n");
        assert_eq!(
            r("{{.Layers}} {{.Labels}} {{.Size}}", &v),
            "[a b] map[a:2 z:1] 42\n"
        );
        assert_eq!(r("{{range .Layers}}{{.}}\\n{{end}}", &v), "a\nb\n\n");
        assert_eq!(
            r("{{range $i, $l := .Layers}}{{$i}}={{$l}} {{end}}", &v),
            "0=a 1=b \n"
        );
        assert_eq!(r("{{range .Empty}}x{{else}}none{{end}}", &v), "none\n");
        assert_eq!(
            r("{{if .Empty}}y{{else if .Labels}}L{{else}}n{{end}}", &v),
            "L\n"
        );
        assert_eq!(r("{{with .Labels}}{{.a}}{{end}}", &v), "2\n");
        assert_eq!(
            r(
                "{{len .Layers}} {{index .Layers 1}} {{index .Labels \"z\"}}",
                &v
            ),
            "2 b 1\n"
        );
        assert_eq!(
            r("{{printf \"%s-%5d|%-3s|\" .Os .Size \"x\"}}", &v),
            "linux-   42|x  |\n"
        );
        assert_eq!(r("{{json .Labels}}", &v), "{\"a\":\"2\",\"z\":\"1\"}\n");
        assert_eq!(
            r("{{join .Layers \",\"}} {{.Os | upper}}", &v),
            "a,b LINUX\n"
        );
        assert_eq!(
            r("{{if eq .Os \"darwin\" \"linux\"}}yes{{end}}", &v),
            "yes\n"
        );
        assert_eq!(r("{{.N}}", &v), "<no value>\n");
        assert_eq!(r("  {{- .Os -}}  \n", &v), "linux");
        assert_eq!(r("{{/* note */}}{{$x := .Os}}{{$x}}", &v), "linux\n");
        assert_eq!(r("{{(index .Layers 0) | upper}}", &v), "A\n");
        // maps: a missing key is no value (index: empty); records: an error
        assert_eq!(
            r("{{.Labels.nope}}|{{index .Labels \"nope\"}}|", &v),
            "<no value>||\n"
        );
        // and/or stop at the argument that decides
        assert_eq!(r("{{and .Empty .Nope}} {{or .Os .Nope}}", &v), "[] linux\n");
        // = sets the variable declared outside the block
        assert_eq!(
            r("{{$n := 0}}{{range .Layers}}{{$n = .}}{{end}}{{$n}}", &v),
            "b\n"
        );
        assert_eq!(r("{{$x:=.Os}}{{$x}}", &v), "linux\n");
        assert_eq!(r("a {{-\t.Os\t-}}\n b", &v), "alinuxb\n");
        assert_eq!(r("{{printf \"%s\\n\" .Os}}", &v), "linux\n\n");
        assert_eq!(r("{{if .Empty}}x{{else  if .Os}}y{{end}}", &v), "y\n");
    }

    #[test]
    fn mistakes() {
        let v = json!({"A": 1});
        let deep = format!("{{{{{}.A{}}}}}", "(".repeat(30_000), ")".repeat(30_000));
        assert!(Template::parse(&deep).is_err());
        for bad in [
            "{{.A",
            "{{if .A}}x",
            "{{end}}",
            "{{nope .A}}",
            "{{\"x}}",
            "{{define \"a\"}}{{end}}",
        ] {
            let e = Template::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad}"));
            assert_eq!(e.kind(), crate::error::Kind::Usage, "{bad}");
        }
        // A variable used or set where none is declared: refused when
        // read, as Go's parser refuses it (before anything is fetched).
        for bad in [
            "{{$x = 1}}",
            "{{$x}}",
            "{{$x := $x}}",
            "{{if .A}}{{$x := 1}}{{end}}{{$x}}",
            "{{range $i, $v := .A}}{{end}}{{$v}}",
            "{{with $x := .A}}{{end}}{{len $x}}",
            "{{(print $y) | len}}",
        ] {
            let e = Template::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad}"));
            assert_eq!(e.kind(), crate::error::Kind::Usage, "{bad}");
            assert!(e.to_string().contains("undefined variable $"), "{bad}: {e}");
        }
        for good in [
            "{{$x := 1}}{{$x = 2}}{{$x}}",
            "{{if $x := .A}}{{$x}}{{else}}{{$x}}{{end}}",
            "{{range $i, $v := .A}}{{$i}}{{$v}}{{$}}{{end}}",
            "{{$x := 1}}{{if .A}}{{$x = 2}}{{end}}{{$x}}",
            "{{with $x := .A}}{{$x}}{{end}}",
        ] {
            Template::parse(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        // A value doubled until it would not fit: stopped.
        let t = format!(
            "{{{{$x := \"aaaaaaaaaaaaaaaa\"}}}}{}",
            "{{$x = print $x $x}}".repeat(40)
        );
        let e = Template::parse(&t).unwrap().render(&v).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
        for bad in ["{{.B}}", "{{index .A 1}}", "{{range .A}}{{end}}"] {
            let e = Template::parse(bad).unwrap().render(&v).unwrap_err();
            assert!(e.to_string().starts_with("--format:"), "{bad}: {e}");
        }
        assert!(is_json("json") && is_json("{{ json . }}") && !is_json("{{json .A}}"));
        assert!(is_json("") && !is_json(" ") && !is_json("\n"));
        // Nested ranges multiply: stopped, not run for ever.
        let v = json!({"L": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]});
        let t = "{{range $.L}}".repeat(12) + "x" + &"{{end}}".repeat(12);
        let e = Template::parse(&t).unwrap().render(&v).unwrap_err();
        assert!(e.to_string().contains("too large"), "{e}");
    }

    #[test]
    fn numbers_and_printf_as_go_writes_them() {
        let v = json!({"L": [1, 2, 3], "F": 2.0, "N": 7});
        // Wide fields, as wide as asked (up to Go's 1e6).
        assert_eq!(r("{{printf \"%2000d\" .N}}", &v).trim_end().len(), 2000);
        for (t, want) in [
            ("{{2.0}} {{.F}} {{0.5}} {{1e6}} {{1e21}} {{123456.0}}", "2 2 0.5 1e+06 1e+21 123456"),
            ("{{1.5e-5}} {{0.0001}} {{-0.25}} {{0.0}}", "1.5e-05 0.0001 -0.25 0"),
            ("{{0x1F}} {{0o17}} {{0b101}} {{1_000}} {{-0x10}} {{'a'}} {{'\\n'}}", "31 15 5 1000 -16 97 10"),
            ("{{printf \"%t %v\" false .N}}", "false 7"),
            ("{{printf \"%5.2f|%.0f|%f\" 3.14159 2.5 1.0}}", " 3.14|2|1.000000"),
            ("{{printf \"%e|%.2e|%g|%.3g|%g\" 1500000.0 0.000123 0.000012 3.14159 100.0}}", "1.500000e+06|1.23e-04|1.2e-05|3.14|100"),
            ("{{printf \"%x|%X|%x|%c|%+d|%05d|%-4s|%.3s\" 255 255 -255 65 7 -42 \"ab\" \"abcdef\"}}", "ff|FF|-ff|A|+7|-0042|ab  |abc"),
            ("{{range .L}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", "1"),
            // an else-if condition's string keeps its spaces
            ("{{$s := \"a  b\"}}{{if eq .N 0}}x{{else if eq $s \"a  b\"}}y{{end}}", "y"),
            ("{{range .L}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", "13"),
            ("{{range $i, $x := .L}}{{with $x}}{{if gt . 1}}{{break}}{{end}}{{end}}{{$i}}{{end}}", "0"),
        ] {
            assert_eq!(r(t, &v), format!("{want}\n"), "{t}");
        }
        for bad in [
            "{{break}}",
            "{{if .N}}{{continue}}{{end}}",
            "{{range .L}}{{else}}{{break}}{{end}}",
            "{{'ab'}}",
            "{{0x}}",
            "{{1__0}}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
        // Go's fmt says what it cannot print, in the output.
        for (t, want) in [
            (
                "{{printf \"%t|%f|%d|%s|%d\" 1 \"x\" 2.5 3 nil}}",
                "%!t(int=1)|%!f(string=x)|%!d(float64=2.5)|%!s(int=3)|%!d(<nil>)",
            ),
            ("{{printf \"%d %d\" 1}}", "1 %!d(MISSING)"),
            (
                "{{printf \"%d\" 1 \"a\" 2.5}}",
                "1%!(EXTRA string=a, float64=2.5)",
            ),
            ("{{printf \"%.1f|%+c\" 1234 65}}", "%!f(int=1234)|A"),
            ("{{010}} {{0}} {{-017}}", "8 0 -15"),
        ] {
            assert_eq!(r(t, &v), format!("{want}\n"), "{t}");
        }
        for bad in ["{{08}}", "{{1x}}", "{{'ab'}}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_print_as_go_does() {
        assert_eq!(
            go_time("2026-11-28T13:48:45.067505406Z").unwrap(),
            "2026-11-28 13:48:45.067505406 +0000 UTC"
        );
        assert_eq!(
            go_time("2024-01-02T03:04:05.500Z").unwrap(),
            "2024-01-02 03:04:05.5 +0000 UTC"
        );
        assert_eq!(
            go_time("2024-01-02T03:04:05Z").unwrap(),
            "2024-01-02 03:04:05 +0000 UTC"
        );
        assert_eq!(
            go_time("2024-01-02T03:04:05+02:00").unwrap(),
            "2024-01-02 03:04:05 +0200 +0200"
        );
        assert!(go_time("yesterday").is_none());
    }

    #[test]
    fn a_time_has_go_time_methods_and_writes_json_as_go() {
        // Figures from skopeo inspect --format on the same times.
        let v = inspect_data(json!({"Created": "2026-11-28T13:48:45.067505406Z"}));
        for (t, want) in [
            ("{{.Created}}", "2026-11-28 13:48:45.067505406 +0000 UTC"),
            ("{{json .Created}}", "\"2026-11-28T13:48:45.067505406Z\""),
            (
                "{{.Created.Year}} {{.Created.Month}} {{.Created.Day}}",
                "2026 November 28",
            ),
            (
                "{{.Created.Weekday}} {{.Created.YearDay}} {{.Created.Unix}}",
                "Saturday 332 1795873725",
            ),
            (
                "{{.Created.Format \"2006-01-02T15:04:05Z07:00 Mon Jan _2 3PM .000\"}}",
                "2026-11-28T13:48:45Z Sat Nov 28 1PM .067",
            ),
            ("{{with .Created}}{{.Hour}}:{{.Minute}}{{end}}", "13:48"),
            ("{{$t := .Created}}{{$t.Format \"02/01/06\"}}", "28/11/26"),
        ] {
            assert_eq!(r(t, &v).trim_end(), want, "{t}");
        }
        // A time with an offset keeps it; UTC turns it.
        let v = inspect_data(json!({"Created": "2024-03-01T01:30:00+02:00"}));
        assert_eq!(
            r("{{.Created.Format \"2006-01-02 15:04 -0700\"}}", &v).trim_end(),
            "2024-03-01 01:30 +0200"
        );
        assert_eq!(
            r("{{.Created.UTC}}", &v).trim_end(),
            "2024-02-29 23:30:00 +0000 UTC"
        );
        assert_eq!(r("{{.Created.Unix}}", &v).trim_end(), "1709249400");
        // Not a method of a time: an error naming it.
        let e = Template::parse("{{.Created.Nope}}")
            .unwrap()
            .render(&v)
            .unwrap_err();
        assert!(e.message().contains("Nope"), "{}", e.message());
    }

    /// The image skopeo's figures are of (tiny-docker20.tar).
    fn tiny() -> Value {
        inspect_data(json!({
            "Created": "2026-11-28T13:48:39.094048648Z",
            "Os": "linux",
            "Labels": {"org.opencontainers.image.title": "tiny"},
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TINY=1"],
        }))
    }

    /// `%#v` of a time is Go's GoString (it recursed until the stack
    /// overflowed, a fuzzer found), and lists the template makes are
    /// bounded: a split into more than MAX_PARTS parts, a join or a
    /// padded list past the output's limit are errors, not gigabytes.
    #[test]
    fn sharp_v_times_and_big_lists_end_cleanly() {
        let v = tiny();
        for (t, want) in [
            (
                r#"{{printf "%#v" .Created}}"#,
                "time.Date(2026, time.November, 28, 13, 48, 39, 94048648, time.UTC)",
            ),
            (
                r#"{{printf "%#d|%d" .Created .Created.Year}}"#,
                "%!d(*time.Time=2026-11-28 13:48:39.094048648 +0000 UTC)|2026",
            ),
        ] {
            let got = Template::parse(t).unwrap().render(&v).unwrap();
            assert_eq!(got.trim_end_matches('\n'), want, "{t}");
        }
        for t in [
            r#"{{len (split (printf "%200000s" "") "")}}"#,
            r#"{{$l := split (printf "%90000s" "") ""}}{{len (join $l (printf "%1000000s" ""))}}"#,
            r#"{{$l := split (printf "%90000s" "") ""}}{{printf "%1000000v" $l}}"#,
        ] {
            let e = Template::parse(t).unwrap().render(&v).unwrap_err();
            assert!(
                e.to_string().contains("too large") || e.to_string().contains("parts"),
                "{t}: {e}"
            );
        }
    }

    /// Rust formats a precision up to 65535 and panics beyond; Go writes
    /// any up to 1e6, exactly (an f64's expansion ends: zeros after).
    #[test]
    fn huge_precisions_are_written_as_go_without_panicking() {
        let v = tiny();
        let zeros = |n: usize| "0".repeat(n);
        for (t, want) in [
            (
                r#"{{printf "%.65536f" 1.0}}"#,
                format!("1.{}", zeros(65536)),
            ),
            (
                r#"{{printf "%.65535e" 1.0}}"#,
                format!("1.{}e+00", zeros(65535)),
            ),
            (r#"{{printf "%.65536g" 0.0}}"#, "0".into()),
            (r#"{{printf "%.70000v" 1.5}}"#, "1.5".into()),
            (
                r#"{{printf "%.*f" 70000 1.0}}"#,
                format!("1.{}", zeros(70000)),
            ),
            (
                r#"{{printf "%#.70000g" 1.5}}"#,
                format!("1.5{}", zeros(69998)),
            ),
            (
                r#"{{printf "%.70000U" 65}}"#,
                format!("U+{}41", zeros(69998)),
            ),
            (
                r#"{{printf "%.70000x" 1.0}}"#,
                format!("0x1.{}p+00", zeros(70000)),
            ),
        ] {
            assert_eq!(r(t, &v), format!("{want}\n"), "{t}");
        }
        // skopeo's: the exact digits, then zeros
        let e = r(r#"{{printf "%.65535e" 1e-308}}"#, &v);
        assert!(e.starts_with("9.9999999999999990932662533724846199547048873403204569370722"));
        assert!(
            e.ends_with("0000000000e-309\n") && e.len() == 65543,
            "{}",
            e.len()
        );
        let f = r(r#"{{printf "%.1100f" 1e-308}}"#, &v);
        assert!(f.ends_with("452392578125000000000000000000000000000\n") && f.len() == 1103);
        let d = r(r#"{{printf "%.2000e" 5e-324}}"#, &v);
        assert!(d.starts_with("4.9406564584124654417656879286822137236505980261432476442558"));
        assert!(d.ends_with("0000e-324\n") && d.len() == 2008);
    }

    /// time.Month and time.Weekday: their names to print, ints to compare
    /// and for %d (skopeo's figures).
    #[test]
    fn months_and_weekdays_are_go_ints_that_print_as_names() {
        let v = tiny();
        for (t, want) in [
            (r#"{{printf "%d-%02d" .Created.Year .Created.Month}}"#, "2026-11"),
            (
                "{{eq .Created.Month 11}} {{gt .Created.Month 6}} {{lt .Created.Weekday 7}} {{ne .Created.Month 12}}",
                "true true true true",
            ),
            ("{{.Created.Month}} {{.Created.Weekday}} {{print .Created.Month 1}}", "November Saturday November 1"),
            (
                r#"{{printf "%q %x %v %s %T %.2v" .Created.Month .Created.Month .Created.Month .Created.Month .Created.Month .Created.Month}}"#,
                r#""November" 4e6f76656d626572 November November time.Month No"#,
            ),
            (r#"{{printf "%d %05d %T %f" .Created.Weekday .Created.Weekday .Created.Weekday .Created.Month}}"#, "6 00006 time.Weekday %!f(time.Month=11)"),
            ("{{json .Created.Month}} {{if .Created.Month}}y{{end}} {{index .Env 0 | len}}", "11 y 65"),
        ] {
            assert_eq!(r(t, &v), format!("{want}\n"), "{t}");
        }
        let e = Template::parse(r#"{{eq .Created.Month "November"}}"#)
            .unwrap()
            .render(&v)
            .unwrap_err();
        assert!(
            e.message().contains("incompatible types for comparison"),
            "{e}"
        );
    }

    /// Go's layout elements, as skopeo formats the same time.
    #[test]
    fn time_layouts_as_go() {
        let v = tiny();
        for (layout, want) in [
            (
                "15:04:05.9999|15:04:05,000|15:04:05,999|Z07|Z07:00:00|-07:00:00|-070000|Z070000|__2|002|.0 .9|.99999999999|.0000000000",
                "13:48:39.094|13:48:39,094|13:48:39,094|Z|Z|+00:00:00|+000000|Z|332|332|.0 |.094048648|.094048648",
            ),
            (
                "Jan Janet Mon Monday Mond MST _2006 _2 2006 06 1 01 3 03 15 PM pm 4 04 5 05",
                "Nov Janet Sat Saturday Mond UTC _2026 28 2026 26 11 11 1 01 13 PM pm 48 48 39 39",
            ),
            ("05.000x 05.0001 .9a ,9 ,0 Z07:00 -07 -0700", "39.094x 39.0011 a  ,0 Z +00 +0000"),
        ] {
            let t = format!("{{{{.Created.Format \"{layout}\"}}}}");
            assert_eq!(r(&t, &v), format!("{want}\n"), "{layout}");
        }
        let v = inspect_data(json!({"Created": "2024-01-05T03:04:05-02:30"}));
        assert_eq!(
            r(
                r#"{{.Created.Format "Z07 Z07:00:00 -070000 MST __2 .9"}}"#,
                &v
            ),
            "-02 -02:30:00 -023000 -0230   5 \n"
        );
    }

    /// Integers stay integers (int64), as Go's: exact above 2^53; an int
    /// and a float do not compare.
    #[test]
    fn integers_are_exact_and_compare_as_go() {
        let v = tiny();
        for (t, want) in [
            ("{{eq 9007199254740993 9007199254740992}} {{lt 9007199254740992 9007199254740993}} {{ne 9007199254740993 9007199254740992}}", "false true true"),
            (r#"{{printf "%d" -9223372036854775808}} {{-9223372036854775808}} {{0x7fffffffffffffff}}"#, "-9223372036854775808 -9223372036854775808 9223372036854775807"),
            (r#"{{eq 1.5 1.5}} {{lt "a" "b"}} {{eq .Os nil}} {{eq 2 1 2}}"#, "true true false true"),
        ] {
            assert_eq!(r(t, &v), format!("{want}\n"), "{t}");
        }
        for (t, e) in [
            (
                "{{9223372036854775808}}",
                "9223372036854775808 overflows int",
            ),
            ("{{18446744073709551615}}", "overflows int"),
        ] {
            let err = Template::parse(t).err().unwrap_or_else(|| panic!("{t}"));
            assert!(err.to_string().contains(e), "{t}: {err}");
        }
        for (t, e) in [
            ("{{eq 1 1.0}}", "incompatible types for comparison"),
            ("{{lt 1 1.5}}", "incompatible types for comparison"),
            ("{{lt true false}}", "invalid type for comparison"),
        ] {
            let err = Template::parse(t).unwrap().render(&v).unwrap_err();
            assert!(err.message().contains(e), "{t}: {err}");
        }
    }

    /// Go's fmt verb by verb and flag by flag; a list or map takes them
    /// element by element. Figures from skopeo on the same values.
    #[test]
    fn printf_verbs_and_flags_as_go_fmt() {
        let v = tiny();
        for (t, want) in [
            (
                r##"{{printf "%q|%+q|%#q|%#U|%#g|%08s|% x|%c" 65 "é\a" "a`b" 65 1.0 "ab" "abc" 1114112}}"##,
                r##"'A'|"\u00e9\a"|"a`b"|U+0041 'A'|1.00000|000000ab|61 62 63|�"##,
            ),
            (
                r##"{{printf "%q %#q %+q" "\a\x7f\u00a0" "abc" "日本"}}"##,
                r##""\a\x7f\u00a0" `abc` "\u65e5\u672c""##,
            ),
            (
                r##"{{printf "%q|%q|%q|%+q|%#q|%#+q|%#q|%q" "\x00\x01" "é日\u200b" "\U0001F600" "\U0001F600" "a\x01b" "é" "é" "\x7f"}}"##,
                r##""\x00\x01"|"é日\u200b"|"😀"|"\U0001f600"|"a\x01b"|`é`|`é`|"\x7f""##,
            ),
            (
                r##"{{printf "%o %O %b %#o %#b %#O" 8 8 5 8 5 8}}"##,
                r##"10 0o10 101 010 0b101 0o010"##,
            ),
            (
                r##"{{printf "%e %E %G %x %X" 1.5 1.5 1e21 1.5 1.5}}"##,
                r##"1.500000e+00 1.500000E+00 1E+21 0x1.8p+00 0X1.8P+00"##,
            ),
            (
                r##"{{printf "%#.0f %#.0e %#v %#x %+.3g % .2f %08.3f %-8.3f|" 1.0 1.0 1.0 1.0 1.0 1.0 -1.0 1.0}}"##,
                r##"1. 1.e+00 1 0x1.0000p+00 +1  1.00 -001.000 1.000   |"##,
            ),
            (
                r##"{{printf "%6.2s|%-6q|%06d|%+06d|%x|% X" "abc" "a" -12 12 "hi" "hi"}}"##,
                r##"    ab|"a"   |-00012|+00012|6869|68 69"##,
            ),
            (
                r##"{{printf "%c|%U|%#U|%q" 0x1F600 0x1F600 0x1F600 0x1F600}}"##,
                r##"😀|U+1F600|U+1F600 '😀'|'😀'"##,
            ),
            (
                r##"{{printf "%x %X %#X %08x % x" -255 255 255 255 255}}"##,
                r##"-ff FF 0XFF 000000ff  ff"##,
            ),
            (
                r##"{{printf "%.3d %8.3d %-8.3d %+.3d %.0d|" 7 7 7 7 0}}"##,
                r##"007      007 007      +007 |"##,
            ),
            (
                r##"{{printf "%+v|%+v|% v|%+d|%+s|%+q|%+x" 5 1.5 5 5 "a" "a" 5}}"##,
                r##"5|1.5| 5|+5|a|"a"|+5"##,
            ),
            (
                r##"{{printf "%#v|%#v|%#v|%#v|%#x|%#q" 5 1.5 .Env .Labels "ab" 65}}"##,
                r##"5|1.5|[]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TINY=1"}|map[string]string{"org.opencontainers.image.title":"tiny"}|0x6162|'A'"##,
            ),
            (
                r##"{{printf "%010.3f|%-010d|%+010d|%x|%X|%#x|% #x" -1.5 5 5 -1.5 255.5 "ab" "ab"}}"##,
                r##"-00001.500|5         |+000000005|-0x1.8p+00|0X1.FFP+07|0x6162|0x61 0x62"##,
            ),
            (
                r##"{{printf "%c|%c|%q|%q|%#q|%+q|%q|%U|%#U" -1 55296 -1 10 10 200 39 -1 10}}"##,
                r##"�|�|'�'|'\n'|'\n'|'\u00c8'|'\''|U+FFFFFFFFFFFFFFFF|U+000A"##,
            ),
            (
                r##"{{printf "%5.1q|%-8U|%08.3d|%08c|%-08d|" "abc" 65 5 65 5}}"##,
                r##"  "a"|U+0041  |     005|0000000A|5       |"##,
            ),
            (
                r##"{{printf "%6.2f|%-8.1e|%+.2e|%g|%g|%g|%G|%.3G" 3.14159 1234.5 -0.001 1e-5 123456789.0 1e20 1e-7 0.00001234}}"##,
                r##"  3.14|1.2e+03 |-1.00e-03|1e-05|1.23456789e+08|1e+20|1E-07|1.23E-05"##,
            ),
            (
                r##"{{printf "%x|%.2x|%X|%x|%x" 0.0 3.0 -100.25 1e300 5e-324}}"##,
                r##"0x0p+00|0x1.80p+01|-0X1.91P+06|0x1.7e43c8800759cp+996|0x1p-1074"##,
            ),
            (
                r##"{{printf "%5.0f|%.0e|%#.3g|%#g|%#g|%#.4g|%#v" 2.5 2.5 1.0 100000.0 1e-7 123.0 1e6}}"##,
                r##"    2|2e+00|1.00|100000.|1.00000e-07|123.0|1e+06"##,
            ),
            (
                r##"{{printf "%08.3e|%+08.2f|% 08.2f|%08v|%-08v|%08q|%08x" 1.5 1.5 1.5 1.5 1.5 "a" "ab"}}"##,
                r##"1.500e+00|+0001.50| 0001.50|000001.5|1.5     |00000"a"|00006162"##,
            ),
            (
                r##"{{printf "%b|%o|%O|%#O|%#b|%.5b|%#.5o|%b" -5 -8 -8 8 -5 5 8 1.0}}"##,
                r##"-101|-10|-0o10|0o010|-0b101|00101|00010|4503599627370496p-52"##,
            ),
            (
                r##"{{printf "%t|%v|%5t|%q|%v %d" 1 true false true true true}}"##,
                r##"%!t(int=1)|true|false|%!q(bool=true)|true %!d(bool=true)"##,
            ),
            (
                r##"{{printf "%!|%z|%-5z" 5 "a"}}"##,
                r##"%!!(int=5)|%!z(string=a)|%!z(MISSING)"##,
            ),
            (
                r##"{{printf "%5d|%-5s|" "x" 3}}"##,
                r##"%!d(string=    x)|%!s(int=3    )|"##,
            ),
            (
                r##"{{printf "%.1s|%5s|%.1x|%.2x|% .2x|%5x|%-5x|" .Env .Labels "abc" "abc" "abc" "ab" "ab"}}"##,
                r##"[P T]|map[org.opencontainers.image.title: tiny]|61|6162|61 62| 6162|6162 |"##,
            ),
            (
                r##"{{printf "%.3v|%.0s|%.1q|%5.3v" .Env .Os .Env .Os}}"##,
                r##"[PAT TIN]||["P" "T"]|  lin"##,
            ),
            (
                r##"{{printf "%x|% #x" .Env .Os}}"##,
                r##"[504154483d2f7573722f6c6f63616c2f7362696e3a2f7573722f6c6f63616c2f62696e3a2f7573722f7362696e3a2f7573722f62696e3a2f7362696e3a2f62696e 54494e593d31]|0x6c 0x69 0x6e 0x75 0x78"##,
            ),
        ] {
            assert_eq!(r(t, &v), format!("{want}\n"), "{t}");
        }
    }

    /// The string functions as Go's strings package and encoding/json.
    #[test]
    fn string_functions_as_go_strings() {
        let v = tiny();
        for (t, want) in [
            (
                r#"{{split "linux" ""}} {{len (split "" "")}} {{len (split "" "x")}} {{split "a,b" ","}}"#,
                "[l i n u x] 0 1 [a b]",
            ),
            (
                r#"{{upper "straße"}} {{lower "ΣΑΣ"}} {{lower "İ"}} {{upper "ᾳ"}}"#,
                "STRAßE σασ i ᾼ",
            ),
            (
                r#"{{title "foo_bar don't x·y ǆa élan"}}"#,
                "Foo_bar Don'T X·y ǅa Élan",
            ),
            (
                "{{json \"<&>\\u2028\\u2029\\b\\f\\n\"}}",
                r#""<&>\u2028\u2029\u0008\u000c\n""#,
            ),
        ] {
            assert_eq!(r(t, &v), format!("{want}\n"), "{t}");
        }
    }

    /// nil prints as Go's <nil> (an absent value as <no value> only when
    /// it is the action's); a string indexes to a byte.
    #[test]
    fn nil_prints_as_go_nil_and_a_string_indexes_to_a_byte() {
        let v = tiny();
        assert_eq!(
            r(
                r#"{{print nil}} {{printf "%v" nil}} {{print .Labels.nope}} {{.Labels.nope | print}} {{.Labels.nope}}"#,
                &v
            ),
            "<nil> <nil> <nil> <nil> <no value>\n"
        );
        assert_eq!(r("{{index .Os 0}} {{index .Os 4}}", &v), "108 120\n");
        let e = Template::parse("{{index .Os 5}}")
            .unwrap()
            .render(&v)
            .unwrap_err();
        assert!(e.message().contains("index out of range: 5"), "{e}");
    }
}
