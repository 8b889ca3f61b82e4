//! Workspace check, kept in gasq-shared (the crate every other builds on): no crate's
//! sibling modules import each other in a circle. It scans the `src/` trees of all four
//! crates (`lib.rs`, `main.rs` and each `src/bin/*` are separate roots). For each module,
//! its children are the nodes, and A → B when code under A names sibling B by a
//! `crate::…`, `super::…` or `self::…` path (in `use` trees, grouped or not, types or
//! expressions) or names an item the parent imports from B (`pub use b::Item`). A child
//! named `tests` is no node: tests may use anything. Comments and literals are skipped.
//! Not followed: glob imports (only tests use them) and `#[path]` (unused).

#![allow(clippy::unwrap_used)] // a panic in a test is a failed assertion

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: &[&str] = &["shared", "cloud", "edge-agent", "firmware-bridge"];

/// A token (an identifier, `::` or one punctuation character) and its line.
type Tok = (String, usize);
/// A module's path from its crate root.
type Module = Vec<String>;
/// Paths that a use tree or an expression names, each with the name it binds.
type Leaves = Vec<(Module, Option<String>)>;
type Read<'a> = &'a dyn Fn(&Path) -> Option<String>;
/// Edges between a module's children, each with one place that makes it.
type Graph = BTreeMap<(String, String), String>;

/// Reads `src` into tokens, dropping comments, string and char literals and lifetimes.
fn tokenize(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or(' ');
    let find = |from: usize, end: &[char]| {
        let found = (from..c.len()).find(|&j| c[j..].starts_with(end));
        found.map_or(c.len(), |j| j + end.len())
    };
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    while i < c.len() {
        let end = (i..c.len()).find(|&j| !(c[j].is_alphanumeric() || c[j] == '_'));
        let end = end.unwrap_or(c.len()); // of the word at `i`, if one starts there
        let word: String = c[i..end].iter().collect();
        let hashes = (end..c.len()).take_while(|&j| c[j] == '#').count();
        let raw_end: Vec<char> = std::iter::once('"').chain(vec!['#'; hashes]).collect();
        let (token, next) = match (c[i], at(i + 1), word.as_str()) {
            ('/', '/', _) => (None, find(i, &['\n'])),
            ('/', '*', _) => (None, find(i + 2, &['*', '/'])),
            ('"', ..) => (None, close_string(&c, i + 1)),
            ('\'', '\\', _) => (None, find(i + 3, &['\''])),
            ('\'', ..) if at(i + 2) == '\'' => (None, i + 3),
            (.., "r" | "br" | "cr") if at(end + hashes) == '"' => {
                (None, find(end + hashes + 1, &raw_end))
            }
            (':', ':', _) => (Some("::".to_owned()), i + 2),
            (ch, _, "") => (Some(ch.to_string()).filter(|_| !ch.is_whitespace()), i + 1),
            _ => (Some(word), end),
        };
        out.extend(token.map(|token| (token, line)));
        line += c[i..next].iter().filter(|&&ch| ch == '\n').count();
        i = next;
    }
    out
}

/// The index after the string whose body starts at `i`.
fn close_string(c: &[char], mut i: usize) -> usize {
    while i < c.len() && c[i] != '"' {
        i += if c[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// Parses the path or use tree at `j` below `prefix` into `out`; returns the index after it.
fn tree(t: &[Tok], j: usize, mut prefix: Module, out: &mut Leaves) -> usize {
    let tok = |j: usize| t.get(j).map_or("", |x| x.0.as_str());
    match tok(j) {
        "{" => {
            let mut j = j + 1;
            while !matches!(tok(j), "}" | "") {
                j = tree(t, j, prefix.clone(), out).max(j + 1);
                j += usize::from(tok(j) == ",");
            }
            j + 1
        }
        s if s.starts_with(|c: char| c.is_alphabetic() || c == '_') => {
            prefix.push(s.into());
            if tok(j + 1) == "::" {
                return tree(t, j + 2, prefix, out);
            }
            let alias = (tok(j + 1) == "as").then(|| tok(j + 2).to_owned());
            let name = alias.clone().or(prefix.last().cloned());
            out.push((prefix, name.filter(|n| n != "self")));
            j + 1 + 2 * usize::from(alias.is_some())
        }
        _ => j, // `*`, a turbofish `<`, or the end of the path
    }
}

/// The absolute module path that a `crate`/`super`/`self` path names from module `cur`.
fn resolve(cur: &[String], segs: &[String]) -> Option<Module> {
    let mut abs = match segs.first()?.as_str() {
        "crate" => vec![],
        "self" | "super" => cur.to_vec(),
        _ => return None,
    };
    for s in segs {
        match s.as_str() {
            "crate" | "self" => {}
            "super" => drop(abs.pop()?),
            other => abs.push(other.to_owned()),
        }
    }
    Some(abs)
}

/// What one crate root's files say: children and imports (name → child) per module,
/// and every path to a module, from the module that names it, with where it is written.
#[derive(Debug, Default)]
struct Crate {
    children: BTreeMap<Module, BTreeSet<String>>,
    imports: BTreeMap<Module, BTreeMap<String, String>>,
    refs: Vec<(Module, Module, String)>,
}

impl Crate {
    /// Reads module `cur` from `file` and, through its `mod x;` items (their files under
    /// `dir`), every file below it.
    fn file(&mut self, read: Read, file: &Path, dir: &Path, cur: &[String]) {
        let mod_rs = dir.join("mod.rs"); // `x/mod.rs` when there is no `x.rs`
        let file = if read(file).is_some() { file } else { &mod_rs };
        let t = tokenize(&read(file).unwrap_or_default());
        self.items(read, &t, (file, dir), cur);
    }

    /// Reads the items of module `cur`, tokens `t` of `file`.
    fn items(&mut self, read: Read, t: &[Tok], (file, dir): (&Path, &Path), cur: &[String]) {
        let tok = |j: usize| t.get(j).map_or("", |x| x.0.as_str());
        let mut j = 0;
        while j < t.len() {
            let (word, name, after) = (tok(j), tok(j + 1), tok(j + 2));
            let path_start = ["crate", "super", "self"].contains(&word) && name == "::";
            if word == "mod" && [";", "{"].contains(&after) {
                let mut open = 0; // a module in braces ends where they close
                let end = (j + 2..t.len()).find(|&k| {
                    open += i32::from(tok(k) == "{") - i32::from(tok(k) == "}");
                    open == 0
                });
                let (end, sub) = (end.unwrap_or(t.len()), dir.join(name));
                let child = [cur, &[name.into()]].concat();
                if name != "tests" {
                    let children = self.children.entry(cur.to_vec()).or_default();
                    children.insert(name.into());
                    match after {
                        "{" => self.items(read, &t[j + 3..end], (file, &sub), &child),
                        _ => self.file(read, &sub.with_extension("rs"), &sub, &child),
                    }
                }
                j = end + 1;
            } else if word == "use" || path_start {
                let (mut leaves, line) = (Vec::new(), t[j].1);
                j = tree(t, j + usize::from(!path_start), vec![], &mut leaves).max(j + 1);
                for (segs, name) in leaves {
                    let abs = resolve(cur, &segs);
                    let to = abs.clone().unwrap_or_else(|| [cur, &segs].concat());
                    if word == "use" && to.len() == cur.len() + 2 && to.starts_with(cur) {
                        let imports = self.imports.entry(cur.to_vec()).or_default();
                        imports.extend(name.map(|name| (name, to[cur.len()].clone())));
                    }
                    let at = format!("{}:{line} {}", file.display(), segs.join("::"));
                    self.refs.extend(abs.map(|abs| (cur.to_vec(), abs, at)));
                }
            } else {
                j += 1;
            }
        }
    }
}

/// A cycle in `g` through nodes not yet `done`, found depth first from `n`.
fn cycle(g: &Graph, n: &str, stack: &mut Module, done: &mut BTreeSet<String>) -> Option<Module> {
    if let Some(i) = stack.iter().position(|s| s == n) {
        return Some(stack[i..].to_vec());
    }
    if !done.insert(n.to_owned()) {
        return None;
    }
    stack.push(n.to_owned());
    let next = g.keys().filter(|(a, _)| a == n);
    let found = next.into_iter().find_map(|(_, b)| cycle(g, b, stack, done));
    stack.pop();
    found
}

/// A report for each module of crate `root` that has a cycle among its children.
fn cycles(root: &Path, read: Read) -> Vec<String> {
    let mut krate = Crate::default();
    let dir = match root.file_stem() {
        Some(stem) if stem == "lib" || stem == "main" => root.parent().unwrap().to_owned(),
        _ => root.with_extension(""), // `src/bin/x.rs` keeps its modules in `src/bin/x/`
    };
    krate.file(read, root, &dir, &[]);
    let mut graphs = BTreeMap::<Module, Graph>::new(); // the edges among each module's children
    for (from, to, at) in &krate.refs {
        let k = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        let (Some(a), Some(n), parent) = (from.get(k), to.get(k), &from[..k]) else {
            continue;
        };
        let is_child = |c: &&String| krate.children[parent].contains(*c);
        let imported = krate.imports.get(parent).and_then(|i| i.get(n));
        let b = Some(n).filter(is_child).or(imported.filter(is_child));
        if let Some(b) = b.filter(|b| *b != a) {
            let g = graphs.entry(parent.to_vec()).or_default();
            g.entry((a.clone(), b.clone())).or_insert(at.clone());
        }
    }
    let mut reports = Vec::new();
    for (parent, g) in graphs {
        let (mut stack, mut done) = (vec![], BTreeSet::new());
        let mut search = |(n, _): &(String, String)| cycle(&g, n, &mut stack, &mut done);
        let Some(c) = g.keys().find_map(&mut search) else {
            continue;
        };
        let place = [vec!["crate".to_owned()], parent].concat().join("::");
        let path = c.join(" → ");
        let mut text = format!("{}, in {place}: {path} → {}", root.display(), c[0]);
        for (a, b) in c.iter().zip(c.iter().cycle().skip(1)) {
            text += &format!("\n    {a} → {b}: {}", g[&(a.clone(), b.clone())]);
        }
        reports.push(text);
    }
    reports
}

#[test]
fn no_crate_has_an_import_cycle_between_sibling_modules() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let read = |p: &Path| std::fs::read_to_string(workspace.join(p)).ok();
    let mut reports = Vec::new();
    for krate in CRATES {
        let src = Path::new(krate).join("src");
        let bin = src.join("bin");
        let entries = std::fs::read_dir(workspace.join(&bin)).into_iter();
        let bins = entries.flatten().flatten().map(|e| bin.join(e.file_name()));
        let roots = bins.flat_map(|p| [p.join("main.rs"), p]); // `x.rs` or `x/main.rs`
        let roots = roots.chain([src.join("lib.rs"), src.join("main.rs")]);
        for root in roots.filter(|r| read(r).is_some()) {
            reports.extend(cycles(&root, &read));
        }
    }
    let reports = reports.join("\n");
    assert!(reports.is_empty(), "import cycles:\n{reports}");
}

/// The check on a crate given as text: each `== path` line starts a file.
fn check(text: &str) -> String {
    let files = text.split("== ").skip(1);
    let files = files.map(|f| f.split_once('\n').unwrap());
    let files: BTreeMap<PathBuf, &str> = files.map(|(p, s)| (p.into(), s)).collect();
    let read = |p: &Path| files.get(p).map(|s| s.to_string());
    cycles(Path::new("src/lib.rs"), &read).join("\n")
}

/// Modules `a`, `b`, `c` with `a` → `b`; each test adds `b` and `c`.
const AB: &str = "== src/lib.rs\nmod a; mod b; mod c;\n== src/a.rs\nuse crate::b::Thing;\n";

#[test]
fn a_cycle_is_found_and_named_and_comments_literals_and_tests_do_not_count() {
    // Had they counted, b's decoys would close the shorter cycle a → b → a first.
    let bc = r##"== src/b.rs
fn f(_: super::c::X) { /* crate::a */ "\"crate::a"; } // crate::a
const Q: (char, &str) = ('"', r#"crate::a"#); fn s() -> &'static str { "" }
mod tests { use crate::a; }
== src/c.rs

fn g() { crate::a::f() }"##;
    let report = check(&[AB, bc].concat());
    assert!(report.contains("in crate: a → b → c → a\n"), "{report}");
    assert!(report.contains("c → a: src/c.rs:2 crate::a::f"), "{report}");
}

#[test]
fn a_grouped_import_is_resolved() {
    let tokens = tokenize("crate::{a, b::{c, d as e}, f::{self}}");
    let mut leaves = Vec::new();
    tree(&tokens, 0, vec![], &mut leaves);
    let want = r#"[(["crate", "a"], Some("a")), (["crate", "b", "c"], Some("c")), "#.to_owned()
        + r#"(["crate", "b", "d"], Some("e")), (["crate", "f", "self"], None)]"#;
    assert_eq!(format!("{leaves:?}"), want);
    let bc = "== src/b.rs\nuse crate::{x, c::{y, z}};\n== src/c.rs\nuse super::a;";
    assert!(check(&[AB, bc].concat()).contains("a → b → c → a"));
}

#[test]
fn super_super_resolves_from_the_module_depth() {
    let path = |p: &str| p.split("::").map(String::from).collect::<Vec<_>>();
    let up = resolve(&path("a::b::c"), &path("super::super::x"));
    assert_eq!(up, Some(path("a::x")));
    let bc = "== src/b.rs\npub mod d;\n== src/b/d.rs\nmod e { use super::super::super::c; }";
    let report = check(&[AB, bc, "\n== src/c.rs\nuse crate::a;"].concat());
    assert!(report.contains("a → b → c → a"), "{report}");
}

#[test]
fn an_item_the_parent_re_exports_counts_as_its_child() {
    let lib = "== src/lib.rs\nmod a; mod b;\npub use b::{Thing as Alias, Other};\n";
    let ab = "== src/a.rs\nfn f(_: crate::Alias) {}\n== src/b.rs\nuse super::a;";
    assert!(check(&[lib, ab].concat()).contains("a → b → a"));
}
