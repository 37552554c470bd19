//! man/ and completions/ are generated from the clap definition and
//! committed. This test regenerates them and fails when they drift.
//! To update: `LADE_REGEN=1 cargo test --test docs`.

mod common;

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use lade::cli::{Cli, EXIT_CODES, IMAGE_NAMES, TRANSPORTS_HELP};

const REGEN: &str = "LADE_REGEN=1 cargo test --test docs";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Roff for a plain-text section: title line, then indented lines kept as is.
fn roff_section(text: &str) -> String {
    let mut lines = text.lines();
    let title = lines.next().unwrap_or_default();
    let mut s = format!(".SH \"{title}\"\n.nf\n");
    for l in lines {
        let l = l.replace('\\', "\\e").replace('-', "\\-");
        let l = if l.starts_with('.') || l.starts_with('\'') {
            format!("\\&{l}")
        } else {
            l
        };
        s.push_str(&l);
        s.push('\n');
    }
    s.push_str(".fi\n");
    s
}

/// A command's after-help text as man sections: each line that is a
/// heading in capitals (OUTPUT, EXAMPLES) starts one; what comes before
/// the first is NOTES. Lines are kept as --help shows them.
fn after_help_sections(text: &str) -> String {
    let heading = |l: &str| {
        !l.is_empty()
            && !l.starts_with(' ')
            && l.chars().all(|c| c.is_ascii_uppercase() || c == ' ')
    };
    let mut out = String::new();
    let mut title = "NOTES".to_string();
    let mut body: Vec<&str> = Vec::new();
    let mut flush = |title: &str, body: &mut Vec<&str>| {
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        if !body.is_empty() {
            out.push_str(&roff_section(&format!("{title}\n{}", body.join("\n"))));
        }
        body.clear();
    };
    for l in text.lines() {
        if heading(l) {
            flush(&title, &mut body);
            title = l.to_string();
        } else if !(body.is_empty() && l.trim().is_empty()) {
            body.push(l);
        }
    }
    flush(&title, &mut body);
    out
}

fn generate() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut cmd = Cli::command();
    // Built: the global options (--store, skopeo's) are in every page.
    cmd.build();
    let mut top = Vec::new();
    let after = cmd
        .get_after_long_help()
        .or(cmd.get_after_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    clap_mangen::Man::new(
        cmd.clone()
            .after_help(None::<&str>)
            .after_long_help(None::<&str>),
    )
    .render(&mut top)
    .unwrap();
    // lade(1) is where the help's "see lade(1)" points: the sections
    // themselves, and the help's own exit-status note (with signals)
    // after the table.
    let mut extra = String::new();
    for sec in [TRANSPORTS_HELP, IMAGE_NAMES, EXIT_CODES] {
        for part in sec.split("\n\n") {
            extra.push_str(&roff_section(part));
        }
    }
    let own = after_help_sections(&after);
    // (The help's pointer to lade(1) and its short exit-status line are
    // not for lade(1) itself, which has the whole table.)
    let notes = own
        .split(".SH ")
        .filter(|s| {
            !s.is_empty() && !s.starts_with("\"NOTES\"") && !s.starts_with("\"EXIT STATUS\"")
        })
        .map(|s| format!(".SH {s}"));
    extra.extend(notes);
    let mut top = usage_synopsis(tidy_synopsis(top), &cmd.clone().render_usage().to_string());
    // `help` has no page of its own: its entry names the command.
    let top_text = String::from_utf8(top).expect("man page is UTF-8").replace(
        ".TP\nlade\\-help(1)\n",
        ".TP\n\\fBlade help\\fR [\\fICOMMAND\\fR]\n",
    );
    top = top_text.into_bytes();
    top.extend_from_slice(extra.as_bytes());
    files.push((PathBuf::from("man/lade.1"), top));
    // (clap's own `help` has no page: lade(1) says what it does.)
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("lade-{}", sub.get_name());
        let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
        let after = sub
            .get_after_long_help()
            .or(sub.get_after_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        let sub = sub
            .clone()
            .name(static_name)
            .bin_name(format!("lade {}", sub.get_name()))
            .after_help(None::<&str>)
            .after_long_help(None::<&str>);
        let usage = sub.clone().render_usage().to_string();
        let mut buf = Vec::new();
        clap_mangen::Man::new(sub).render(&mut buf).unwrap();
        let mut buf = usage_synopsis(tidy_synopsis(buf), &usage);
        buf.extend_from_slice(after_help_sections(&after).as_bytes());
        buf.extend_from_slice(roff_section(EXIT_CODES).as_bytes());
        files.push((PathBuf::from(format!("man/{name}.1")), buf));
    }
    for (shell, file) in [
        (Shell::Bash, "lade.bash"),
        (Shell::Zsh, "_lade"),
        (Shell::Fish, "lade.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "lade", &mut buf);
        buf = match shell {
            Shell::Bash => bash_transports(bash_equals_values(buf)),
            Shell::Zsh => zsh_transports(buf),
            Shell::Fish => fish_transports(buf),
            _ => buf,
        };
        files.push((PathBuf::from(format!("completions/{file}")), buf));
    }
    files
}

/// Options whose value must follow `=` (`--tls-verify=false`): clap's
/// bash script offers their values after a space, where they would be
/// read as the next argument, and nothing after `=`. Their values are
/// offered after `=` instead (bash splits `--opt=` into `--opt`, `=`).
fn bash_equals_values(script: Vec<u8>) -> Vec<u8> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut script = String::from_utf8(script).expect("the script is UTF-8");
    // By option: the commands (by name; "" for the global ones) that take
    // it with each set of values, and those where it takes anything.
    let mut cases: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut free: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let top = Cli::command();
    let mut cmds = vec![(String::new(), top.clone())];
    cmds.extend(
        top.get_subcommands()
            .map(|c| (c.get_name().to_string(), c.clone())),
    );
    for (name, c) in &cmds {
        // Every option with values is completed after `=` too
        // (`--progress=j`); one that takes its value only so, not after
        // a space.
        for a in c.get_arguments() {
            let Some(long) = a.get_long() else { continue };
            if !a.get_action().takes_values() || (!name.is_empty() && a.is_global_set()) {
                continue;
            }
            let values: Vec<String> = a
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if values.is_empty() {
                free.entry(long.to_string())
                    .or_default()
                    .insert(name.clone());
                continue;
            }
            let values = values.join(" ");
            if a.is_require_equals_set() {
                let after_space = format!(
                    "                --{long})\n                    COMPREPLY=($(compgen -W \"{values}\" -- \"${{cur}}\"))\n                    return 0\n                    ;;\n"
                );
                script = script.replace(&after_space, "");
            }
            cases
                .entry(long.to_string())
                .or_default()
                .entry(values)
                .or_default()
                .insert(name.clone());
        }
    }
    let reply = |values: &str, indent: &str| {
        format!(
            "{indent}COMPREPLY=($(compgen -W \"{values}\" -- \"${{cur}}\"))\n{indent}return 0\n"
        )
    };
    let mut snippet = String::from(
        "    if [[ \"${prev}\" == \"=\" && ${COMP_CWORD} -ge 2 ]]; then\n        case \"${COMP_WORDS[COMP_CWORD-2]}\" in\n",
    );
    for (long, by_values) in &cases {
        snippet.push_str(&format!("            --{long})\n"));
        let global = by_values.values().any(|c| c.contains(""));
        if by_values.len() == 1 && (global || !free.contains_key(long)) {
            // (one set of values wherever the option is taken)
            snippet.push_str(&reply(by_values.keys().next().unwrap(), "                "));
        } else {
            // (values that depend on the command: the first word naming
            // one decides)
            snippet.push_str(
                "                local w\n                for w in \"${COMP_WORDS[@]:1:COMP_CWORD-2}\"; do\n                    case \"${w}\" in\n",
            );
            for (values, names) in by_values {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                snippet.push_str(&format!("                        {})\n", names.join("|")));
                snippet.push_str(&reply(values, "                            "));
                snippet.push_str("                            ;;\n");
            }
            if let Some(names) = free.get(long) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                snippet.push_str(&format!(
                    "                        {}) break ;;\n",
                    names.join("|")
                ));
            }
            snippet.push_str("                    esac\n                done\n");
        }
        snippet.push_str("                ;;\n");
    }
    snippet.push_str("        esac\n    fi\n");
    let anchor = "    prev=\"$3\"\n";
    assert!(script.contains(anchor), "clap's bash script changed");
    script
        .replacen(anchor, &format!("{anchor}{snippet}"), 1)
        .into_bytes()
}

/// The commands that take image names, with the transports each takes
/// (every positional argument of the first five is an image name; unpack's
/// first, which may also be a store ref).
const IMAGE_COMMANDS: &[&str] = &["copy", "sync", "inspect", "list-tags", "delete", "unpack"];

/// The transports as an image name of `cmd` begins with them
/// (`docker://`, `oci:`).
fn transport_words(cmd: &str) -> Vec<String> {
    let takes: &[&str] = match cmd {
        "list-tags" => &["docker", "docker-archive"],
        "delete" => &["docker", "oci", "docker-daemon"],
        // (sources and destinations both; no Docker Engine either way)
        "sync" => &["docker", "docker-archive", "oci", "oci-archive", "dir"],
        _ => &[],
    };
    lade::transport::TRANSPORTS
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| takes.is_empty() || takes.contains(t))
        .map(|t| match t {
            "docker" => "docker://".to_string(),
            t => format!("{t}:"),
        })
        .collect()
}

/// The options (long and short, with dashes) of `cmd` and the global
/// ones that take a value: the word after one is no image name.
fn valued_options(cmd: &str) -> Vec<String> {
    let top = Cli::command();
    let sub = top.find_subcommand(cmd).expect("a command").clone();
    let mut out = Vec::new();
    for a in top.get_arguments().chain(sub.get_arguments()) {
        if a.is_positional() || !a.get_action().takes_values() {
            continue;
        }
        out.extend(a.get_long().map(|l| format!("--{l}")));
        out.extend(a.get_short().map(|s| format!("-{s}")));
    }
    out.sort();
    out.dedup();
    out
}

/// The bash completion offers the transports (`docker://`, `oci:`, …)
/// where one of those commands' image names begins (a word begun, with no
/// colon yet, not an option's value: an empty one gets the options, as
/// before). unpack's image may be a store ref, and its other argument is
/// a directory: files are offered too.
fn bash_transports(script: Vec<u8>) -> Vec<u8> {
    let script = String::from_utf8(script).expect("the script is UTF-8");
    let mut snippet = String::from("    case \"${cmd}\" in\n");
    for c in IMAGE_COMMANDS {
        let name = format!("lade__subcmd__{}", c.replace('-', "__subcmd__"));
        let files = if *c == "unpack" {
            " $(compgen -f -- \"${cur}\")"
        } else {
            ""
        };
        snippet.push_str(&format!(
            "        {name})\n            case \"${{prev}}\" in\n                {}) ;;\n                *)\n                    if [[ -n \"${{cur}}\" && \"${{cur}}\" != -* && \"${{cur}}\" != *:* && \"${{prev}}\" != \"=\" ]]; then\n                        local t\n                        t=$(compgen -W \"{}\" -- \"${{cur}}\")\n                        if [[ -n \"${{t}}\" ]]; then\n                            COMPREPLY=(${{t}}{files})\n                            compopt -o nospace 2>/dev/null\n                            return 0\n                        fi\n                    fi\n                    ;;\n            esac\n            ;;\n",
            valued_options(c).join("|"),
            transport_words(c).join(" ")
        ));
    }
    snippet.push_str("    esac\n");
    let anchor = "    case \"${cmd}\" in\n";
    assert!(script.contains(anchor), "clap's bash script changed");
    script
        .replacen(anchor, &format!("{snippet}{anchor}"), 1)
        .into_bytes()
}

/// zsh: the image names of those commands complete as their transports
/// (no space after) as well as files, through `_lade_image_names CMD`.
fn zsh_transports(script: Vec<u8>) -> Vec<u8> {
    let script = String::from_utf8(script).expect("the script is UTF-8");
    let mut cases = String::new();
    for c in IMAGE_COMMANDS {
        cases.push_str(&format!(
            "        {c}) words=({}) ;;\n",
            transport_words(c).join(" ")
        ));
    }
    let func = format!(
        "_lade_image_names() {{\n    local -a words\n    # (the command: the last argument, after the options _arguments adds)\n    case ${{@[-1]}} in\n{cases}    esac\n    \
         if [[ $PREFIX != *:* && $PREFIX != -* ]]; then\n        \
         compadd -S '' -- $words\n    fi\n    \
         # (a path after a transport's prefix)\n    \
         if compset -P '(oci|oci-archive|docker-archive|dir):'; then\n        \
         _files\n        return\n    fi\n    _default\n}}\n\n"
    );
    let mut out = String::new();
    let mut block = "";
    let mut changed = 0;
    for line in script.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('(') && t.ends_with(')') {
            block = IMAGE_COMMANDS
                .iter()
                .find(|c| t == format!("({c})"))
                .copied()
                .unwrap_or("");
        }
        let positional = line.starts_with("':") || line.starts_with("'*::");
        if !block.is_empty() && positional && line.ends_with(":_default' \\\n") {
            // (`*::` would hand _default the image names alone, the first
            // taken for a command: program names were offered.)
            out.push_str(&line.replacen("'*::", "'*:", 1).replace(
                ":_default' \\\n",
                &format!(":_lade_image_names {block}' \\\n"),
            ));
            changed += 1;
        } else {
            out.push_str(line);
        }
    }
    assert_eq!(
        changed, 7,
        "clap's zsh script changed: {changed} image arguments found"
    );
    let anchor = "_lade() {\n";
    assert!(out.contains(anchor), "clap's zsh script changed");
    out.replacen(anchor, &format!("{func}{anchor}"), 1)
        .into_bytes()
}

/// fish: the transports where those commands take an image name (fish
/// adds no space after one ending in `:` or `/`), not as an option's
/// value.
fn fish_transports(script: Vec<u8>) -> Vec<u8> {
    let mut script = fish_help_commands(fish_equals_values(fish_dotted_option(script)));
    for c in IMAGE_COMMANDS {
        let words = transport_words(c).join(" ");
        script.extend_from_slice(
            format!("complete -c lade -n \"__fish_lade_using_subcommand {c}\" -a \"{words}\"\n")
                .as_bytes(),
        );
    }
    script
}

/// fish: `lade help <TAB>` offers the commands. clap's script offers
/// them while none of them is seen on the line, `help` among them: as
/// `help` itself is always there, nothing was offered (files instead).
/// A command seen after `help` still ends the offer.
fn fish_help_commands(script: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(script).unwrap();
    let prefix = "complete -c lade -n \"__fish_lade_using_subcommand help; and not __fish_seen_subcommand_from ";
    let mut out = String::with_capacity(text.len());
    let mut changed = 0;
    for line in text.split_inclusive('\n') {
        match line
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('"'))
        {
            Some((seen, rest)) if seen.split(' ').any(|w| w == "help") => {
                let seen: Vec<&str> = seen.split(' ').filter(|w| *w != "help").collect();
                out.push_str(&format!("{prefix}{}\"{rest}", seen.join(" ")));
                changed += 1;
            }
            _ => out.push_str(line),
        }
    }
    assert!(changed > 0, "clap's fish script changed");
    out.into_bytes()
}

/// fish: an option whose value must follow `=` (`--tls-verify=false`)
/// is declared without `-r`, so its values are offered after `=` only,
/// not after a space, where they would be read as the next argument.
fn fish_equals_values(script: Vec<u8>) -> Vec<u8> {
    let mut longs = std::collections::BTreeSet::new();
    let top = Cli::command();
    for c in std::iter::once(&top).chain(top.get_subcommands()) {
        for a in c.get_arguments() {
            if let (Some(l), true) = (a.get_long(), a.is_require_equals_set()) {
                longs.insert(format!(" -l {l} "));
            }
        }
    }
    let text = String::from_utf8(script).unwrap();
    let mut out = String::with_capacity(text.len());
    let mut changed = 0;
    for line in text.split_inclusive('\n') {
        if longs.iter().any(|l| line.contains(l.as_str())) && line.contains("' -r -f -a ") {
            out.push_str(&line.replacen("' -r -f -a ", "' -f -a ", 1));
            changed += 1;
        } else {
            out.push_str(line);
        }
    }
    assert!(changed > 0, "clap's fish script changed");
    out.into_bytes()
}

/// fish: argparse takes no `.` in an option's name, and fails on the
/// whole optspec with skopeo's `--registries.d` in it (nothing was
/// completed after `lade copy`): the spec names it `registries-d`, and
/// the command line is read with that spelling.
fn fish_dotted_option(script: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(script).unwrap();
    let (spec, anchor) = (" registries.d= ", "    set -e cmd[1]\n");
    assert!(
        text.contains(spec) && text.contains(anchor),
        "clap's fish script changed"
    );
    text.replacen(spec, " registries-d= ", 1)
        .replacen(
            anchor,
            &format!(
                "{anchor}    set cmd (string replace -r -- '^--registries\\.d' '--registries-d' $cmd)\n"
            ),
            1,
        )
        .into_bytes()
}

/// The SYNOPSIS is the usage line --help shows. clap_mangen's listed
/// every option without its value (`[--store]`), the global ones among
/// the command's, and a repeated argument once: `lade copy … <IMAGE>`,
/// where copy takes SOURCE-IMAGE... DESTINATION-IMAGE, `du … [REF]`.
fn usage_synopsis(page: Vec<u8>, usage: &str) -> Vec<u8> {
    let page = String::from_utf8(page).unwrap();
    let usage = usage.strip_prefix("Usage: ").expect("clap's usage line");
    let esc = |s: &str| s.replace('\\', "\\e").replace('-', "\\-");
    let lines: Vec<String> = usage
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            // The command's name in bold (up to the first placeholder),
            // the placeholders in italics, brackets and dots as they are.
            let mut words = line.split(' ').peekable();
            let mut name = Vec::new();
            while let Some(w) =
                words.next_if(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
            {
                name.push(w);
            }
            let rest = words.map(|w| {
                let start = w.find(|c: char| c.is_ascii_alphanumeric()).unwrap_or(0);
                let end = w
                    .rfind(|c: char| c.is_ascii_alphanumeric())
                    .map_or(w.len(), |i| i + 1);
                format!(
                    "{}\\fI{}\\fR{}",
                    &w[..start],
                    esc(&w[start..end]),
                    &w[end..]
                )
            });
            std::iter::once(format!("\\fB{}\\fR", esc(&name.join(" "))))
                .chain(rest)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let head = ".SH SYNOPSIS\n";
    let at = page.find(head).expect("a SYNOPSIS") + head.len();
    let end = at + page[at..].find("\n.SH ").expect("a section after SYNOPSIS") + 1;
    format!("{}{}\n{}", &page[..at], lines.join("\n.br\n"), &page[end..]).into_bytes()
}

/// clap_mangen writes a short-only flag in the synopsis as `[-w ]`: the
/// space goes.
fn tidy_synopsis(page: Vec<u8>) -> Vec<u8> {
    String::from_utf8(page)
        .unwrap()
        .replace(" \\fR]", "\\fR]")
        .into_bytes()
}

#[test]
fn man_pages_and_completions_are_current() {
    let files = generate();
    if std::env::var_os("LADE_REGEN").is_some() {
        // Each file replaced whole, and those no longer generated removed,
        // not the directories emptied: the other tests read the man pages
        // meanwhile.
        for dir in ["man", "completions"] {
            std::fs::create_dir_all(root().join(dir)).unwrap();
            for e in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
                let rel = Path::new(dir).join(e.file_name());
                if !files.iter().any(|(p, _)| *p == rel) {
                    std::fs::remove_file(e.path()).unwrap();
                }
            }
        }
        for (p, bytes) in &files {
            let path = root().join(p);
            if std::fs::read(&path).is_ok_and(|have| &have == bytes) {
                continue;
            }
            let tmp = PathBuf::from(format!("{}.regen-tmp", path.display()));
            std::fs::write(&tmp, bytes).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
        }
        return;
    }
    let mut stale = Vec::new();
    for (p, bytes) in &files {
        match std::fs::read(root().join(p)) {
            Ok(have) if &have == bytes => {}
            _ => stale.push(p.display().to_string()),
        }
    }
    // Files no longer generated (a removed command) are stale too.
    for dir in ["man", "completions"] {
        if let Ok(rd) = std::fs::read_dir(root().join(dir)) {
            for e in rd.flatten() {
                let rel = Path::new(dir).join(e.file_name());
                if !files.iter().any(|(p, _)| *p == rel) {
                    stale.push(rel.display().to_string());
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated docs are out of date ({}); regenerate with: {REGEN}",
        stale.join(", ")
    );
}

#[test]
fn every_command_has_a_man_page_with_exit_codes() {
    let files = generate();
    for sub in Cli::command().get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let p = PathBuf::from(format!("man/lade-{}.1", sub.get_name()));
        let (_, text) = files.iter().find(|(f, _)| *f == p).expect("page generated");
        let text = String::from_utf8_lossy(text);
        assert!(
            text.contains("EXIT STATUS"),
            "{} lacks EXIT STATUS",
            p.display()
        );
        // The synopsis spells the command as it is typed.
        let typed = format!("\\fBlade {}\\fR", sub.get_name().replace('-', "\\-"));
        assert!(text.contains(&typed), "{}: no {typed}", p.display());
        // ... and is the usage line --help shows (`SOURCE-IMAGE...
        // DESTINATION-IMAGE`, `[FILE]...`), not clap_mangen's list.
        let synopsis = text
            .split(".SH SYNOPSIS\n")
            .nth(1)
            .and_then(|t| t.split("\n.SH ").next())
            .unwrap()
            .replace("\\fB", "")
            .replace("\\fI", "")
            .replace("\\fR", "")
            .replace("\\-", "-");
        let usage = common::ok_str(common::lade().args([sub.get_name(), "--help"]));
        let usage = usage
            .lines()
            .find_map(|l| l.strip_prefix("Usage: "))
            .expect("a usage line");
        assert_eq!(synopsis.trim(), usage, "{}", p.display());
    }
    let (_, top) = &files[0];
    let top = String::from_utf8_lossy(top);
    for s in ["IMAGE NAMES", "STORE", "EXIT STATUS"] {
        assert!(top.contains(s), "lade.1 lacks {s}");
    }
}

/// The bash completion offers an `=`-only option's values after `=`
/// (`--dest-tls-verify=f` → `false`), and not after a space, where they
/// would be read as the next argument.
#[test]
fn bash_completes_equals_only_values_after_the_equals_sign() {
    let script = root().join("completions/lade.bash");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}'
             COMP_WORDS=(lade copy --dest-tls-verify = f); COMP_CWORD=4
             _lade lade f =; echo \"eq:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade inspect --tls-verify ''); COMP_CWORD=3
             _lade lade '' --tls-verify; echo \"space:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade copy --progress = j); COMP_CWORD=4
             _lade lade j =; echo \"progress:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade sync --src = ''); COMP_CWORD=4
             _lade lade '' =; echo \"src:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade copy doc); COMP_CWORD=2
             _lade lade doc copy; echo \"tr:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade --debug inspect oc); COMP_CWORD=3
             _lade lade oc inspect; echo \"tr-oci:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade list-tags d); COMP_CWORD=2
             _lade lade d list-tags; echo \"tr-list:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade copy --authfile d); COMP_CWORD=3
             _lade lade d --authfile; echo \"valued:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade copy --format = ''); COMP_CWORD=4
             _lade lade '' =; echo \"format:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade --store s unpack docker-d); COMP_CWORD=4
             _lade lade docker-d unpack; echo \"unpack:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade delete d); COMP_CWORD=2
             _lade lade d delete; echo \"delete:${{COMPREPLY[*]}}\"
             COMP_WORDS=(lade sync oci:a d); COMP_CWORD=3
             _lade lade d oci:a; echo \"sync:${{COMPREPLY[*]}}\"",
            script.display()
        ))
        .output()
        .expect("bash runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("eq:false\n"), "{text}");
    // The transports where an image name begins.
    assert!(
        text.contains("tr:docker:// docker-daemon: docker-archive:\n"),
        "{text}"
    );
    assert!(text.contains("tr-oci:oci: oci-archive:\n"), "{text}");
    // Only those the command takes; none where an option's value goes;
    // copy's --format= values, not inspect's free template.
    assert!(
        text.contains("tr-list:docker:// docker-archive:\n"),
        "{text}"
    );
    let valued = text.lines().find(|l| l.starts_with("valued:")).unwrap();
    assert!(!valued.contains("docker://"), "{text}");
    assert!(text.contains("format:oci v2s2\n"), "{text}");
    assert!(text.contains("unpack:docker-daemon:"), "{text}");
    // delete takes a Docker Engine's name; sync reads and writes none.
    assert!(text.contains("delete:docker:// docker-daemon:\n"), "{text}");
    assert!(
        text.contains("sync:dir: docker:// docker-archive:\n"),
        "{text}"
    );
    // Every option's values after `=` (`--progress=json`, as the docs spell it).
    assert!(text.contains("progress:json\n"), "{text}");
    assert!(text.contains("src:docker dir yaml\n"), "{text}");
    let space = text.lines().find(|l| l.starts_with("space:")).unwrap();
    assert!(
        !space
            .split(' ')
            .any(|w| w == "false" || w.ends_with(":true")),
        "{space}"
    );
}

/// `lade help --help` says what help does, like every command's --help.
#[test]
fn help_of_help() {
    for flag in ["--help", "-h"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lade"))
            .args(["help", flag])
            .output()
            .unwrap();
        assert!(out.status.success(), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: lade help [COMMAND]"), "{text}");
    }
}

/// `-v` prints the version, as skopeo's does (and `-V`, clap's, still
/// does); a command's own `-v` (login's --verbose) stays the command's.
#[test]
fn dash_v_is_the_version() {
    let lade = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_lade"))
            .args(args)
            .output()
            .unwrap()
    };
    let want = format!("lade {}\n", env!("CARGO_PKG_VERSION"));
    for flag in ["-v", "-V", "--version"] {
        let out = lade(&[flag]);
        assert!(out.status.success(), "{flag}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{flag}");
    }
    let out = lade(&["login", "-v"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<REGISTRY>"), "{err}");
}

/// zsh and fish complete the transports where an image name of copy,
/// sync, inspect, list-tags or delete begins, and no space follows one;
/// a command taking no image name is not offered them. (Run in an empty
/// directory, so that no file name matches.)
#[test]
fn zsh_and_fish_complete_transports() {
    let empty = tempfile::tempdir().unwrap();
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir(tree.path().join("sub-dir")).unwrap();
    let completions = root().join("completions");
    if common::require_tool("fish") {
        let out = std::process::Command::new("fish")
            .current_dir(empty.path())
            .arg("-c")
            .arg(format!(
                "source '{}'
                 complete -C 'lade copy doc'; echo ---
                 complete -C 'lade --debug inspect oc'; echo ---
                 complete -C 'lade sync docker://r/a di'; echo ---
                 complete -C 'lade cat-blob doc'; echo ---
                 complete -C 'lade --registries.d /d copy doc'; echo ---
                 complete -C 'lade inspect --tls-verify '; echo ---
                 complete -C 'lade inspect --tls-verify='; echo ---
                 complete -C 'lade delete d'; echo ---
                 complete -C 'lade sync oci:a d'; echo ---
                 complete -C 'lade help co'; echo ---
                 complete -C 'lade help copy '; echo ---",
                completions.join("lade.fish").display()
            ))
            .output()
            .expect("fish runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let parts: Vec<&str> = text.split("---\n").collect();
        assert_eq!(
            parts[0], "docker://\ndocker-archive:\ndocker-daemon:\n",
            "{text}"
        );
        assert_eq!(parts[1], "oci:\noci-archive:\n", "{text}");
        assert_eq!(parts[2], "dir:\n", "{text}");
        assert_eq!(parts[3], "", "{text}");
        assert_eq!(
            parts[4], "docker://\ndocker-archive:\ndocker-daemon:\n",
            "{text}"
        );
        // An `=`-only option's values after `=`, not after a space (the
        // image name goes there).
        assert!(!parts[5].contains("true"), "{text}");
        assert!(parts[5].contains("docker://"), "{text}");
        assert_eq!(
            parts[6], "--tls-verify=false\n--tls-verify=true\n",
            "{text}"
        );
        assert_eq!(parts[7], "docker://\ndocker-daemon:\n", "{text}");
        assert_eq!(parts[8], "dir:\ndocker://\ndocker-archive:\n", "{text}");
        // `lade help` offers the commands (it offered files); a command
        // named, nothing more.
        let names: Vec<&str> = parts[9]
            .lines()
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        assert_eq!(names, ["convert", "copy"], "{text}");
        assert!(!parts[10].lines().any(|l| l.starts_with("copy")), "{text}");
    }
    if common::require_tool("zsh") {
        // An interactive zsh on a pseudo-terminal: TAB lists the
        // candidates; a unique one is inserted whole, with no space after
        // it (`lade` here prints its arguments).
        let script = format!(
            r#"zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; fpath=({} $fpath); autoload -U compinit; compinit -u -D; lade() {{ print -r -- "ARGS:$*" }}'
sleep 1
zpty -n -w z $'lade copy doc\t'
sleep 1
zpty -n -w z $'\t'
sleep 1
zpty -n -w z $'\C-u'
zpty -n -w z $'lade inspect docker-d\t'
sleep 1
zpty -n -w z $'X\n'
sleep 1
zpty -n -w z $'lade ls-refs doc\t\t'
sleep 1
zpty -n -w z $'\C-u'
zpty -n -w z $'lade inspect oci:sub\t'
sleep 1
zpty -n -w z $'X\n'
sleep 1
out=
while zpty -r -t z chunk; do out+=$chunk; done
print -r -- "$out"
zpty -d z
"#,
            completions.display()
        );
        let out = std::process::Command::new("zsh")
            .current_dir(tree.path())
            .args(["-f", "-c", &script])
            .output()
            .expect("zsh runs");
        let text = String::from_utf8_lossy(&out.stdout);
        for t in ["docker://", "docker-daemon:", "docker-archive:"] {
            assert!(text.contains(t), "{t}: {text}");
        }
        assert!(text.contains("ARGS:inspect docker-daemon:X"), "{text}");
        // ls-refs takes no image name: nothing offered, nothing inserted.
        assert!(!text.contains("ls-refs docker"), "{text}");
        // Not program names (docker, dockerd) where an image goes; a path
        // after a transport's prefix.
        assert!(!text.contains("dockerd"), "{text}");
        assert!(text.contains("ARGS:inspect oci:sub-dir/X"), "{text}");
    }
}
