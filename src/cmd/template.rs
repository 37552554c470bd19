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
        return Ok(Arg::Lit(v));
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
/// `2.5`, `1e3`, and a character `'a'` (its code point).
fn number_literal(w: &str) -> Option<Value> {
    if let Some(c) = w.strip_prefix('\'').and_then(|c| c.strip_suffix('\'')) {
        let s = go_unquote(c, '\'')?;
        let mut it = s.chars();
        return match (it.next(), it.next()) {
            (Some(ch), None) => Some(Value::from(ch as u32)),
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
    let int = match radix {
        Some(r) => i64::from_str_radix(&body[2..], r).ok(),
        // A leading 0 is octal, as Go reads it (010 is 8; 08 is no number).
        None if all_digits && body.len() > 1 && body.starts_with('0') => {
            return i64::from_str_radix(&body[1..], 8)
                .ok()
                .map(|n| Value::from(if neg { -n } else { n }));
        }
        None => body.parse::<i64>().ok(),
    };
    if let Some(n) = int {
        return Some(Value::from(if neg { -n } else { n }));
    }
    if radix.is_some() {
        return None;
    }
    body.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| Value::from(if neg { -f } else { f }))
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

/// A value of a Go type JSON has no form for.
enum Go<'v> {
    Time(&'v str),
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
        Some(Parts {
            y: r.date[..4].parse().ok()?,
            mo: num(&r.date[5..7])?,
            d: num(&r.date[8..10])?,
            h: num(&r.hms[..2])?,
            mi: num(&r.hms[3..5])?,
            s: num(&r.hms[6..8])?,
            ns,
            off,
        })
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
        "Month" => none(MONTHS[(p.mo as usize).clamp(1, 12) - 1].into()),
        "Day" => none(p.d.into()),
        "Hour" => none(p.h.into()),
        "Minute" => none(p.mi.into()),
        "Second" => none(p.s.into()),
        "Nanosecond" => none(p.ns.into()),
        "YearDay" => none(p.yday().into()),
        "Weekday" => none(DAYS[p.weekday()].into()),
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

/// `p` written by Go's layout rules (reference time Mon Jan 2 15:04:05
/// MST 2006): the common elements; other text as it is.
fn go_format(p: &Parts, layout: &str) -> String {
    let mut out = String::new();
    let mut rest = layout;
    let h12 = if p.h.is_multiple_of(12) { 12 } else { p.h % 12 };
    let off = p.off.unwrap_or(0);
    let (sign, oh, om) = (
        if off < 0 { '-' } else { '+' },
        off.abs() / 3600,
        off.abs() % 3600 / 60,
    );
    let frac = |n: usize, trim: bool| -> String {
        let f = format!("{:09}", p.ns)[..n].to_string();
        if trim {
            let f = f.trim_end_matches('0');
            if f.is_empty() {
                String::new()
            } else {
                format!(".{f}")
            }
        } else {
            format!(".{f}")
        }
    };
    while !rest.is_empty() {
        // Longest elements first.
        let (text, n): (String, usize) = if rest.starts_with("January") {
            (MONTHS[p.mo as usize - 1].into(), 7)
        } else if rest.starts_with("Monday") {
            (DAYS[p.weekday()].into(), 6)
        } else if rest.starts_with("Z07:00") {
            (
                if off == 0 {
                    "Z".into()
                } else {
                    format!("{sign}{oh:02}:{om:02}")
                },
                6,
            )
        } else if rest.starts_with("-07:00") {
            (format!("{sign}{oh:02}:{om:02}"), 6)
        } else if rest.starts_with("Z0700") {
            (
                if off == 0 {
                    "Z".into()
                } else {
                    format!("{sign}{oh:02}{om:02}")
                },
                5,
            )
        } else if rest.starts_with("-0700") {
            (format!("{sign}{oh:02}{om:02}"), 5)
        } else if rest.starts_with("2006") {
            (format!("{:04}", p.y), 4)
        } else if let Some(n) = [
            ".000000000",
            ".000000",
            ".000",
            ".999999999",
            ".999999",
            ".999",
        ]
        .iter()
        .find(|f| rest.starts_with(**f))
        .map(|f| f.len())
        {
            (frac(n - 1, rest.as_bytes()[1] == b'9'), n)
        } else if rest.starts_with("Jan") {
            (MONTHS[p.mo as usize - 1][..3].into(), 3)
        } else if rest.starts_with("Mon") {
            (DAYS[p.weekday()][..3].into(), 3)
        } else if rest.starts_with("MST") {
            (
                if p.off.is_none() {
                    "UTC".into()
                } else {
                    format!("{sign}{oh:02}{om:02}")
                },
                3,
            )
        } else if rest.starts_with("002") {
            (format!("{:03}", p.yday()), 3)
        } else if rest.starts_with("-07") {
            (format!("{sign}{oh:02}"), 3)
        } else if rest.starts_with("01") {
            (format!("{:02}", p.mo), 2)
        } else if rest.starts_with("02") {
            (format!("{:02}", p.d), 2)
        } else if rest.starts_with("_2") {
            (format!("{:>2}", p.d), 2)
        } else if rest.starts_with("06") {
            (format!("{:02}", p.y.rem_euclid(100)), 2)
        } else if rest.starts_with("15") {
            (format!("{:02}", p.h), 2)
        } else if rest.starts_with("03") {
            (format!("{h12:02}"), 2)
        } else if rest.starts_with("04") {
            (format!("{:02}", p.mi), 2)
        } else if rest.starts_with("05") {
            (format!("{:02}", p.s), 2)
        } else if rest.starts_with("PM") {
            ((if p.h >= 12 { "PM" } else { "AM" }).into(), 2)
        } else if rest.starts_with("pm") {
            ((if p.h >= 12 { "pm" } else { "am" }).into(), 2)
        } else if rest.starts_with('1') {
            (p.mo.to_string(), 1)
        } else if rest.starts_with('2') {
            (p.d.to_string(), 1)
        } else if rest.starts_with('3') {
            (h12.to_string(), 1)
        } else if rest.starts_with('4') {
            (p.mi.to_string(), 1)
        } else if rest.starts_with('5') {
            (p.s.to_string(), 1)
        } else {
            let c = rest.chars().next().expect("not empty");
            (c.to_string(), c.len_utf8())
        };
        out.push_str(&text);
        rest = &rest[n..];
    }
    out
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

/// An object of strings only is a map (labels, annotations), and so is a
/// nil map: a key it lacks has no value. Other objects are records,
/// whose fields are fixed.
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

/// A value as the templates of those tools print it (Go's %v).
fn print_value(out: &mut String, v: &Value) {
    match go_kind(v) {
        Some(Go::Time(t)) => {
            out.push_str(&go_time(t).unwrap_or_else(|| t.to_string()));
            return;
        }
        Some(Go::Struct(_, m)) => {
            out.push('{');
            for (i, (_, x)) in struct_fields(m).enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_value(out, x);
            }
            out.push('}');
            return;
        }
        Some(Go::Nil(kind)) => {
            out.push_str(match kind {
                Nil::Map => "map[]",
                Nil::Slice => "[]",
                Nil::Ptr => "<nil>",
            });
            return;
        }
        None => {}
    }
    match v {
        Value::Null => out.push_str("<no value>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => out.push_str(&go_float(f, 'g', None)),
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_value(out, x);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                print_value(out, &m[k]);
            }
            out.push(']');
        }
    }
}

fn num(v: &Value, f: &str) -> Result<f64> {
    v.as_f64()
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

fn compare(a: &Value, b: &Value, f: &str) -> Result<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => num(a, f)?
            .partial_cmp(&num(b, f)?)
            .ok_or_else(|| exec_err(format!("{f}: cannot compare"))),
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        _ => Err(exec_err(format!(
            "{f}: cannot compare {} with {}",
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
                v =
                    match (&v, k) {
                        (Value::Array(x), Value::Number(n)) => {
                            let i = n.as_u64().filter(|&i| (i as usize) < x.len()).ok_or_else(
                                || exec_err(format!("index {n} out of range (length {})", x.len())),
                            )?;
                            x[i as usize].clone()
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
            Value::Bool(rest.iter().any(|b| same(first, b)))
        }
        "ne" => {
            want(a, 2, f)?;
            Value::Bool(!same(&a[0], &a[1]))
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
            Value::String(serde_json::to_string(&go_maps(&a[0])).expect("a value serializes"))
        }
        "join" => {
            want(a, 2, f)?;
            let sep = str_arg(&a[1], f)?;
            let parts: Vec<String> = match &a[0] {
                Value::Array(x) => x.iter().map(text).collect(),
                Value::Null => Vec::new(),
                v => return Err(exec_err(format!("join: {} is not a list", show(v)))),
            };
            Value::String(parts.join(sep))
        }
        "split" => {
            want(a, 2, f)?;
            let s = str_arg(&a[0], f)?;
            let sep = str_arg(&a[1], f)?;
            Value::Array(s.split(sep).map(|x| Value::String(x.into())).collect())
        }
        "lower" | "upper" | "title" => {
            want(a, 1, f)?;
            let s = str_arg(&a[0], f)?;
            Value::String(match f {
                "lower" => s.to_lowercase(),
                "upper" => s.to_uppercase(),
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
        print_value(&mut s, v);
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
        let n = x
            .as_i64()
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

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric() && c != '\'';
    }
    out
}

/// Go's `fmt`: the verbs `%v %s %d %q %x %X %t %f %e %g %c %%`, the
/// flags `-` (left), `0` (zeros), `+` (sign), a width and a precision.
/// The widest field or longest precision taken (Go's fmt takes up to 1e6).
const MAX_WIDTH: usize = 1_000_000;

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
        let (mut left, mut zero, mut plus, mut sharp, mut space) =
            (false, false, false, false, false);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '0' => zero = true,
                '+' => plus = true,
                '#' => sharp = true,
                ' ' => space = true,
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
        let width = if chars.next_if_eq(&'*').is_some() {
            after_index = false;
            match star(&mut next) {
                Some(n) => {
                    if n < 0 {
                        left = true;
                    }
                    n.unsigned_abs() as usize
                }
                None => {
                    out.push_str("%!(BADWIDTH)");
                    0
                }
            }
        } else {
            let w = number(&mut chars);
            if after_index && w.is_some() {
                good = false;
            }
            w.unwrap_or(0)
        };
        // (a dot with nothing after it is the verb)
        let prec = if chars.peek() == Some(&'.') && chars.clone().nth(1).is_some() {
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
        let bad_index = !good;
        if bad_index {
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
        let one = |v: &Value| verb_one(verb, prec, sharp, v);
        // A list or map takes the verb element by element, as Go's fmt
        // (`%q` of ["a"] is ["a"]; of a map, map["k":"v"], keys sorted);
        // %v and %s print them whole.
        let each = |v: &Value| one(v).unwrap_or_else(|| format!("%!{verb}({})", typed(v)));
        let whole = matches!(verb, 'v' | 's');
        let formatted: Option<String> = match v {
            _ if verb == 'T' => Some(go_type(v)),
            _ if whole => one(v),
            Value::Object(m) => match go_kind(v) {
                Some(Go::Nil(Nil::Map)) => Some("map[]".into()),
                Some(Go::Nil(Nil::Slice)) => Some("[]".into()),
                Some(_) => one(v),
                None => {
                    let mut keys: Vec<&String> = m.keys().collect();
                    keys.sort();
                    let pairs: Vec<String> = keys
                        .into_iter()
                        .map(|k| format!("{}:{}", each(&Value::String(k.clone())), each(&m[k])))
                        .collect();
                    Some(format!("map[{}]", pairs.join(" ")))
                }
            },
            Value::Array(a) => Some(format!(
                "[{}]",
                a.iter().map(each).collect::<Vec<_>>().join(" ")
            )),
            _ => one(v),
        };
        let Some(mut s) = formatted else {
            let _ = write!(out, "%!{verb}({})", typed(v));
            continue;
        };
        // An integer's precision is its least number of digits (zeros
        // before; none at all for 0 with precision 0), and the 0 flag
        // goes unheeded.
        if let (Some(p), 'd' | 'x' | 'X', true) = (prec, verb, is_int(v)) {
            let sign = usize::from(s.starts_with('-'));
            let digits = &s[sign..];
            let digits = if p == 0 && digits == "0" {
                String::new()
            } else {
                format!("{}{digits}", "0".repeat(p.saturating_sub(digits.len())))
            };
            s = format!("{}{digits}", &s[..sign]);
            zero = false;
        }
        let numeric = matches!(verb, 'd' | 'f' | 'F' | 'e' | 'g' | 'v') && v.is_number();
        if plus && numeric && !s.starts_with('-') {
            s.insert(0, '+');
        } else if space && numeric && !s.starts_with('-') {
            s.insert(0, ' ');
        }
        let pad = width.saturating_sub(s.chars().count());
        if left {
            out.push_str(&s);
            out.push_str(&" ".repeat(pad));
        } else if zero && numeric {
            // zeros go after the sign
            let sign = usize::from(s.starts_with(['-', '+']));
            out.push_str(&s[..sign]);
            out.push_str(&"0".repeat(pad));
            out.push_str(&s[sign..]);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&s);
        }
    }
    let extra: Vec<String> = all.iter().skip(next).map(typed).collect();
    if !reordered && !extra.is_empty() {
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    Ok(out)
}

/// One value (no list or map) as `verb` prints it, with the precision
/// and the `#` flag; None when the verb does not take such a value.
fn verb_one(verb: char, prec: Option<usize>, sharp: bool, v: &Value) -> Option<String> {
    let float = v.as_f64().filter(|_| v.is_f64());
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serializes");
    match verb {
        // %#v: Go syntax (a string quoted)
        'v' if sharp && v.is_string() => Some(quoted(&text(v))),
        'v' => Some(match (prec, float) {
            (Some(_), Some(f)) => go_float(f, 'g', prec),
            (Some(p), None) if v.is_string() => text(v).chars().take(p).collect(),
            _ => text(v),
        }),
        's' => match v {
            Value::String(s) => Some(match prec {
                Some(p) => s.chars().take(p).collect(),
                None => s.clone(),
            }),
            Value::Array(_) | Value::Object(_) => Some(text(v)),
            _ => None,
        },
        'd' => Some(v.to_string()).filter(|_| is_int(v)),
        'c' => v
            .as_u64()
            .and_then(|n| char::from_u32(n as u32))
            .map(String::from),
        'U' => v
            .as_u64()
            .filter(|&n| n <= u32::MAX as u64)
            .map(|n| format!("U+{n:04X}")),
        't' => v.as_bool().map(|b| b.to_string()),
        'f' | 'F' | 'e' | 'g' => float.map(|f| go_float(f, verb, prec)),
        // (the precision cuts the string, then it is quoted)
        'q' => match v {
            Value::String(t) => Some(quoted(&match prec {
                Some(p) => t.chars().take(p).collect::<String>(),
                None => t.clone(),
            })),
            _ => None,
        },
        'x' | 'X' => {
            let s = match v {
                Value::Number(n) if n.as_u64().is_some() => {
                    Some(format!("{:x}", n.as_u64().unwrap()))
                }
                Value::Number(n) if n.as_i64().is_some() => {
                    Some(format!("-{:x}", n.as_i64().unwrap().unsigned_abs()))
                }
                Value::String(t) => Some(hex::encode(t)),
                _ => None,
            };
            let s = match (sharp, s) {
                (true, Some(s)) => Some(match s.strip_prefix('-') {
                    Some(digits) => format!("-0x{digits}"),
                    None => format!("0x{s}"),
                }),
                (_, s) => s,
            };
            s.map(|s| if verb == 'X' { s.to_uppercase() } else { s })
        }
        _ => None,
    }
}

/// Is `v` a whole number (Go's int)?
fn is_int(v: &Value) -> bool {
    v.as_i64().is_some() || v.as_u64().is_some()
}

/// A value's Go type, as `%T` says it (and fmt, of one it cannot print):
/// the lists and maps of an inspect's output are of strings.
fn go_type(v: &Value) -> String {
    match go_kind(v) {
        Some(Go::Time(_)) => return "*time.Time".into(),
        Some(Go::Nil(Nil::Map)) => return "map[string]string".into(),
        Some(Go::Nil(Nil::Slice)) => return "[]string".into(),
        Some(Go::Nil(Nil::Ptr)) => return "<nil>".into(),
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

/// A float as Go's `strconv.FormatFloat` writes it: `f` (fixed, 6
/// decimals by default), `e` (`1.500000e+06`) or `g` (as many digits as
/// the precision, or the fewest that read back; the exponent form when
/// the exponent is below -4 or at least the precision, 6 for the fewest:
/// `2`, `0.5`, `1e+06`).
fn go_float(f: f64, verb: char, prec: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // The digits and the exponent of the first one.
    let sci = |p: Option<usize>| -> (String, String, i32) {
        let e = match p {
            Some(p) => format!("{:.*e}", p, f),
            None => format!("{f:e}"),
        };
        let (m, x) = e.split_once('e').expect("{:e} writes an exponent");
        let (sign, m) = match m.strip_prefix('-') {
            Some(m) => ("-".to_string(), m),
            None => (String::new(), m),
        };
        (sign, m.replace('.', ""), x.parse().expect("an exponent"))
    };
    let exp_form = |sign: &str, digits: &str, x: i32| {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let xs = if x < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}{rest}e{xs}{:02}", x.unsigned_abs())
    };
    match verb {
        'e' => {
            let (sign, digits, x) = sci(Some(prec.unwrap_or(6)));
            exp_form(&sign, &digits, x)
        }
        'g' => {
            let (sign, digits, x) = sci(prec.map(|p| p.max(1) - 1));
            let digits = match digits.trim_end_matches('0') {
                "" => "0".to_string(),
                d => d.to_string(),
            };
            let nd = digits.len() as i32;
            let eprec = match prec {
                None => 6,
                Some(p) if p as i32 > nd && nd > x => nd,
                Some(p) => p.max(1) as i32,
            };
            if x < -4 || x >= eprec {
                return exp_form(&sign, &digits, x);
            }
            // fixed: the point after x + 1 digits
            let s = if x < 0 {
                format!("0.{}{digits}", "0".repeat((-x - 1) as usize))
            } else if x + 1 >= nd {
                format!("{digits}{}", "0".repeat((x + 1 - nd) as usize))
            } else {
                let (a, b) = digits.split_at((x + 1) as usize);
                format!("{a}.{b}")
            };
            format!("{sign}{s}")
        }
        _ => format!("{:.*}", prec.unwrap_or(6), f),
    }
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

/// A time as Go writes a time.Time in JSON (RFC 3339, the fraction
/// without trailing zeros, `Z` for offset zero); None if it is none.
pub fn go_json_time(s: &str) -> Option<String> {
    let t = Rfc3339::parse(s)?;
    let zone = match t.offset {
        None | Some("+00:00" | "-00:00") => "Z",
        Some(z) => z,
    };
    Some(format!("{}T{}{}{zone}", t.date, t.hms, t.dot_frac()))
}

/// The parts of an RFC 3339 time, as Go's time.Parse reads them.
struct Rfc3339<'a> {
    date: &'a str,
    hms: &'a str,
    /// The fraction's digits without trailing zeros (nanoseconds at most).
    frac: &'a str,
    /// `±hh:mm`, or None for `Z`.
    offset: Option<&'a str>,
}

impl<'a> Rfc3339<'a> {
    fn parse(s: &'a str) -> Option<Self> {
        let (date, rest) = s.split_once('T')?;
        if date.len() != 10 || rest.len() < 9 || !rest.is_char_boundary(8) {
            return None;
        }
        let (hms, mut rest) = rest.split_at(8);
        let mut frac = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            frac = r[..n.min(9)].trim_end_matches('0');
            rest = &r[n..];
        }
        let offset = match rest {
            "Z" | "z" => None,
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
                Some(z)
            }
            _ => return None,
        };
        Some(Rfc3339 {
            date,
            hms,
            frac,
            offset,
        })
    }

    fn dot_frac(&self) -> String {
        if self.frac.is_empty() {
            String::new()
        } else {
            format!(".{}", self.frac)
        }
    }
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
}
