//! The layout stays easy to find one's way in: no source file past ~600 lines, and no import
//! cycle between service modules (a cycle means a shared piece lives in the wrong file).
//!
//! Imports are read from the source: every `crate::services::…` path outside a file's tests is
//! an edge from that module to the module the path names (a domain's re-exports are followed to
//! the file that defines the item). Method calls on `Quiver` made across modules are not
//! imports and are not seen here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_is_past_600_lines() {
    let mut files = Vec::new();
    for dir in ["src", "server/src", "app/src", "tests", "server/tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.strip_prefix(root()).unwrap().display()))
        })
        .collect();
    assert!(files.len() > 100, "the walk found the sources");
    assert!(long.is_empty(), "split these by meaning: {long:?}");
}

/// A service module's name (`registry::models`, `db`, `registry` for a folder's mod.rs).
fn module_of(services: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(services).unwrap().with_extension("");
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().to_string()).collect();
    let parts = if parts.last().is_some_and(|p| p == "mod") { &parts[..parts.len() - 1] } else { &parts[..] };
    if parts.is_empty() { "services".into() } else { parts.join("::") }
}

/// The code of a file above its unit tests, without comments (a doc link is no import).
fn code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

struct Modules {
    files: BTreeMap<String, String>,
}

impl Modules {
    /// The module `crate::services::<segments>` refers to: the longest module prefix, and for an
    /// item of a folder (re-exported by its mod.rs) the module that defines it.
    fn resolve(&self, segments: &[&str]) -> Option<String> {
        // An item the services root re-exports (`crate::services::Quiver`): its defining module.
        if let Some(first) = segments.first().filter(|s| !self.files.contains_key(**s)) {
            return self.reexported("services", first);
        }
        let mut best = None;
        for n in (1..=segments.len()).rev() {
            let name = segments[..n].join("::");
            if self.files.contains_key(&name) {
                best = Some((name, n));
                break;
            }
        }
        let (module, n) = best?;
        let Some(item) = segments.get(n) else { return Some(module) };
        if !self.files.contains_key(&module) || !self.is_folder(&module) {
            return Some(module);
        }
        // An item of a folder: the child that defines it.
        let prefix = format!("{module}::");
        let definition = |code: &str| {
            ["pub struct ", "pub enum ", "pub fn ", "pub const ", "pub type ", "pub trait ", "pub async fn "]
                .iter()
                .any(|k| {
                    code.contains(&format!("{k}{item}")) && {
                        let at = code.find(&format!("{k}{item}")).unwrap() + k.len() + item.len();
                        !code[at..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    }
                })
        };
        for (name, code) in &self.files {
            if name.strip_prefix(&prefix).is_some_and(|rest| !rest.contains("::")) && definition(code) {
                return Some(name.clone());
            }
        }
        Some(module)
    }

    /// The module a folder's `mod.rs` re-exports `item` from (`pub use handle::{Quiver, …}`).
    fn reexported(&self, folder: &str, item: &str) -> Option<String> {
        let code = self.files.get(folder)?;
        for line in code.lines().map(str::trim).filter(|l| l.starts_with("pub use ")) {
            let path = line.trim_start_matches("pub use ").trim_end_matches(';');
            let (module, items) = path.split_once("::")?;
            let names = items.trim_matches(|c| c == '{' || c == '}');
            if names.split(',').any(|n| n.trim() == item) {
                let child = if folder == "services" { module.to_string() } else { format!("{folder}::{module}") };
                return Some(child);
            }
        }
        None
    }

    fn is_folder(&self, module: &str) -> bool {
        let prefix = format!("{module}::");
        self.files.keys().any(|k| k.starts_with(&prefix))
    }
}

#[test]
fn service_modules_import_each_other_without_cycles() {
    let services = root().join("src/services");
    let mut files = Vec::new();
    rust_files(&services, &mut files);
    let modules = Modules { files: files.iter().map(|f| (module_of(&services, f), code(f))).collect() };
    let path = regex_lite_paths();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in &modules.files {
        for segments in path(code) {
            let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
            if let Some(target) = modules.resolve(&refs) {
                // A folder's mod.rs naming its children (declaring and re-exporting) is no import.
                let child_of_self = target.starts_with(&format!("{module}::")) || module == "services";
                if target != *module && !child_of_self {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    assert!(edges.values().map(BTreeSet::len).sum::<usize>() > 50, "imports were found: {edges:?}");
    let cycles = cycles(&edges);
    assert!(cycles.is_empty(), "import cycles between service modules: {cycles:?}");
}

/// Every `crate::services::a::b::{c, d}` path in `code`, expanded: `[a, b, c]`, `[a, b, d]`.
fn regex_lite_paths() -> impl Fn(&str) -> Vec<Vec<String>> {
    |code: &str| {
        let mut out = Vec::new();
        let mut rest = code;
        while let Some(i) = rest.find("crate::services::") {
            rest = &rest[i + "crate::services::".len()..];
            let mut prefix = Vec::new();
            let mut s = rest;
            loop {
                let ident: String = s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if ident.is_empty() {
                    if let Some(group) = s.strip_prefix('{') {
                        let end = group.find('}').unwrap_or(group.len());
                        for part in group[..end].split(',') {
                            let leaf = part.trim().split("::").next().unwrap_or("").trim();
                            if !leaf.is_empty() && leaf != "self" {
                                let mut p = prefix.clone();
                                p.push(leaf.to_string());
                                out.push(p);
                            }
                        }
                        if group[..end].split(',').any(|p| p.trim() == "self") {
                            out.push(prefix.clone());
                        }
                    } else if !prefix.is_empty() {
                        out.push(prefix.clone());
                    }
                    break;
                }
                s = &s[ident.len()..];
                prefix.push(ident);
                match s.strip_prefix("::") {
                    Some(next) => s = next,
                    None => {
                        out.push(prefix.clone());
                        break;
                    }
                }
            }
        }
        out
    }
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        out: Vec<Vec<String>>,
    }
    fn visit(s: &mut State, v: &str) {
        let n = s.index.len();
        s.index.insert(v.to_string(), n);
        s.low.insert(v.to_string(), n);
        s.stack.push(v.to_string());
        s.on_stack.insert(v.to_string());
        for w in s.edges.get(v).cloned().unwrap_or_default() {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let low = s.low[&w].min(s.low[v]);
                s.low.insert(v.to_string(), low);
            } else if s.on_stack.contains(&w) {
                let low = s.index[&w].min(s.low[v]);
                s.low.insert(v.to_string(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let edges: BTreeMap<String, BTreeSet<String>> =
        [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")].iter().fold(BTreeMap::new(), |mut m, (f, t)| {
            m.entry(f.to_string()).or_insert_with(BTreeSet::new).insert(t.to_string());
            m
        });
    assert_eq!(cycles(&edges), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
}
