//! Render corpora and the two baselines stencil's renderer is measured
//! against: the original system's regex-per-variable loop and a plain
//! `AhoCorasick::replace_all` (the alternative design).

use aho_corasick::AhoCorasick;
use regex::bytes::{NoExpand, Regex};

/// The ten variable names the corpora use, with values of mixed lengths.
pub const VARIABLES: [(&str, &str); 10] = [
    ("PROJECT_NAME", "rocket-launcher"),
    ("AUTHOR", "Ada Lovelace"),
    ("DATE", "2026-11-21"),
    (
        "PROJECT_DESCRIPTION",
        "A service that launches rockets on schedule.",
    ),
    (
        "ARCHITECTURE_DESCRIPTION",
        "hexagonal, with adapters for storage and queues",
    ),
    ("LICENSE", "MIT OR Apache-2.0"),
    ("REPO_URL", "https://example.com/rocket"),
    ("VERSION", "1.4.2"),
    ("TEAM", "launch"),
    ("EMAIL", "ada@example.com"),
];

const PROSE: &[&str] = &[
    "The quick brown fox jumps over the lazy dog while the build runs. ",
    "Every artifact is rendered once and placed atomically. ",
    "See the `docs/` folder for the architecture and the guarantees. ",
    "- run `cargo test` before you commit\n",
    "## Conventions\n\n",
    "```sh\nmake check && make deploy\n```\n",
    "Tables | have | pipes\n---|---|---\n",
    "> A quote with **bold** and _italic_ text.\n\n",
];

/// Markdown of `size` bytes with `placeholders` placeholders spread evenly
/// over the ten names of [`VARIABLES`].
pub fn markdown(size: usize, placeholders: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 256);
    out.extend_from_slice(b"---\nname: {{PROJECT_NAME}}\ndescription: a skill\n---\n\n");
    let mut placed = 1;
    let step = size / placeholders.max(1);
    let mut next = step;
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(PROSE[i % PROSE.len()].as_bytes());
        i += 1;
        if placed < placeholders && out.len() >= next {
            let name = VARIABLES[placed % VARIABLES.len()].0;
            out.extend_from_slice(format!("{{{{{name}}}}} ").as_bytes());
            placed += 1;
            next += step;
        }
    }
    out.truncate(size);
    out
}

/// `n` variables for the variable-count axis: names of mixed length (about
/// 8 to 25 bytes, so no single length holds them all) and short values. The
/// first ten are the same whatever `n`, so sets of different sizes share
/// their common names.
pub fn many_variables(n: usize) -> Vec<(String, String)> {
    const WORDS: &[&str] = &[
        "PROJECT", "SERVICE", "DB", "API", "QUEUE", "CACHE", "REGION", "TEAM", "OWNER", "BUCKET",
        "TOPIC", "FEATURE", "X",
    ];
    (0..n)
        .map(|i| {
            let (a, b) = (
                WORDS[i % WORDS.len()],
                WORDS[(i / WORDS.len()) % WORDS.len()],
            );
            (format!("{a}_{b}_{i}"), format!("value-{i}"))
        })
        .collect()
}

/// `n` picks from `vars` in a fixed pseudo-random order (xorshift), for
/// [`markdown_over`]: the text then names the same few variables in an
/// order the branch predictor cannot learn, where `markdown_over(vars)`
/// itself cycles through a small set with a short period that it does
/// learn (`docs/performance.md`, stencil-render, "branch predictor").
pub fn shuffled_picks(vars: &[(String, String)], n: usize) -> Vec<(String, String)> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            vars[(x % vars.len() as u64) as usize].clone()
        })
        .collect()
}

/// Markdown of `size` bytes with exactly `placeholders` placeholders (if
/// they fit) spread over `vars`: placeholder `i` names `vars[i * 7919 % n]`,
/// so with enough placeholders every name of the set is looked up and
/// consecutive lookups land far apart in the set.
pub fn markdown_over(vars: &[(String, String)], size: usize, placeholders: usize) -> Vec<u8> {
    let names: Vec<String> = (0..placeholders)
        .map(|i| format!("{{{{{}}}}}", vars[i * 7919 % vars.len()].0))
        .collect();
    let prose = PROSE.concat();
    let prose = prose.as_bytes();
    let placeholder_bytes: usize = names.iter().map(String::len).sum();
    let gap = size.saturating_sub(placeholder_bytes) / placeholders.max(1);
    let mut out = Vec::with_capacity(size + 256);
    let mut from = 0;
    let mut filler = |out: &mut Vec<u8>, len: usize| {
        for _ in 0..len {
            out.push(prose[from % prose.len()]);
            from += 1;
        }
    };
    for name in &names {
        if out.len() + gap + name.len() > size {
            break;
        }
        filler(&mut out, gap);
        out.extend_from_slice(name.as_bytes());
    }
    let rest = size - out.len();
    filler(&mut out, rest);
    out
}

/// Brace-heavy Rust and JSON of `size` bytes with a few placeholders: the
/// input on which a prefilter for `{` degrades.
pub fn code(size: usize) -> Vec<u8> {
    const CHUNKS: &[&str] = &[
        "impl Display for Thing { fn fmt(&self, f: &mut Formatter<'_>) -> Result { write!(f, \"{{{}}}\", self.0) } }\n",
        "let v = json!({\"a\": {\"b\": [1, {\"c\": {\"d\": null}}]}, \"e\": {}});\n",
        "match x { Some(Y { z, .. }) => { if z { f() } else { g() } } None => {} }\n",
        "{\"name\": \"x\", \"deps\": {\"serde\": {\"version\": \"1\", \"features\": [\"derive\"]}}}\n",
        "fn main() { let s = format!(\"{{}} and {{ {} }}\", 1); println!(\"{s}\"); }\n",
        "const T: &str = \"${{ github.ref }} {{ .Values.image }} {% raw %}\";\n",
    ];
    let mut out = Vec::with_capacity(size + 256);
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(CHUNKS[i % CHUNKS.len()].as_bytes());
        if i % 97 == 0 {
            out.extend_from_slice(b"// crate: {{PROJECT_NAME}} by {{AUTHOR}}\n");
        }
        i += 1;
    }
    out.truncate(size);
    out
}

/// A real-world-shaped tree: a `.claude/` folder of Markdown with YAML
/// frontmatter (skills, commands, agents, rules), a `CLAUDE.md`, and a GitHub
/// Actions workflow full of `${{ }}` expressions. About 26 KiB in 14 files.
pub fn claude_tree() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let skill = |name: &str| {
        format!(
            "---\nname: {name}\ndescription: Use when working on {{{{PROJECT_NAME}}}} {name} tasks.\n\
             allowed-tools: Read, Grep, Bash(cargo test:*)\n---\n\n# {name}\n\n\
             Owner: {{{{AUTHOR}}}}. Last reviewed {{{{DATE}}}}.\n\n\
             {body}\n\n## Steps\n\n1. Read `docs/architecture.md`.\n2. Run `cargo test -p {{{{PROJECT_NAME}}}}`.\n\
             3. Summarise in the PR description for {{{{PROJECT_NAME}}}}.\n",
            body = PROSE.concat().repeat(6)
        )
    };
    for name in ["review", "release", "triage", "migrate"] {
        files.push((
            format!(".claude/skills/{name}/SKILL.md"),
            skill(name).into_bytes(),
        ));
    }
    for name in ["fix-issue", "write-tests", "bench"] {
        files.push((
            format!(".claude/commands/{name}.md"),
            format!(
                "---\ndescription: {name} for {{{{PROJECT_NAME}}}}\nargument-hint: [issue]\n---\n\n\
                 Work on $ARGUMENTS in {{{{PROJECT_NAME}}}}. {}\n",
                PROSE.concat().repeat(3)
            )
            .into_bytes(),
        ));
    }
    for name in ["architect", "reviewer"] {
        files.push((
            format!(".claude/agents/{name}.md"),
            format!(
                "---\nname: {name}\ndescription: The {name} of {{{{PROJECT_NAME}}}}\ntools: Read, Grep\n---\n\n\
                 You are the {name}. Architecture: {{{{ARCHITECTURE_DESCRIPTION}}}}. {}\n",
                PROSE.concat().repeat(4)
            )
            .into_bytes(),
        ));
    }
    for name in ["api", "style", "security"] {
        files.push((
            format!(".claude/rules/{name}.md"),
            format!(
                "# {name} rules for {{{{PROJECT_NAME}}}}\n\n{}\n",
                PROSE.concat().repeat(3)
            )
            .into_bytes(),
        ));
    }
    files.push((
        "CLAUDE.md".to_string(),
        format!(
            "# {{{{PROJECT_NAME}}}}\n\n{{{{PROJECT_DESCRIPTION}}}}\n\nMaintainer: {{{{AUTHOR}}}} <{{{{EMAIL}}}}>\n\n{}",
            PROSE.concat().repeat(5)
        )
        .into_bytes(),
    ));
    let mut workflow = String::from("name: ci\non: [push, pull_request]\njobs:\n");
    for i in 0..12 {
        workflow.push_str(&format!(
            "  job{i}:\n    runs-on: ${{{{ matrix.os }}}}\n    strategy:\n      matrix:\n        os: [ubuntu-latest, macos-latest]\n\
             \x20   steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{{{ github.ref }}}}\n\
             \x20     - run: cargo test -p {{{{PROJECT_NAME}}}}\n        env:\n          TOKEN: ${{{{ secrets.TOKEN }}}}\n\
             \x20         SHA: ${{{{ github.sha }}}}\n      - if: ${{{{ failure() && github.event_name == 'push' }}}}\n\
             \x20       run: echo \"failed on ${{{{ runner.os }}}}\"\n"
        ));
    }
    files.push((
        ".github/workflows/ci.yml".to_string(),
        workflow.into_bytes(),
    ));
    files
}

/// The original system's algorithm: one regex per variable, applied in
/// sequence over the whole text (each pass rescans what earlier passes
/// inserted, which is its correctness bug as well as its cost).
pub struct RegexLoop {
    passes: Vec<(Regex, Vec<u8>)>,
}

impl RegexLoop {
    /// Compiles one regex per variable.
    pub fn new(vars: &[(&str, &str)]) -> RegexLoop {
        let passes = vars
            .iter()
            .map(|(k, v)| {
                let re = Regex::new(&format!(r"\{{\{{{}\}}\}}", regex::escape(k)))
                    .expect("variable names are valid regex literals");
                (re, v.as_bytes().to_vec())
            })
            .collect();
        RegexLoop { passes }
    }

    /// Applies every pass in order.
    pub fn render(&self, input: &[u8]) -> Vec<u8> {
        let mut text = input.to_vec();
        for (re, value) in &self.passes {
            if let std::borrow::Cow::Owned(next) = re.replace_all(&text, NoExpand(value)) {
                text = next;
            }
        }
        text
    }
}

/// The alternative design: `AhoCorasick::replace_all` over `{{NAME}}`
/// patterns (its prefilter degrades to `memchr(b'{')` on brace-heavy code).
pub struct AcReplaceAll {
    ac: AhoCorasick,
    values: Vec<Vec<u8>>,
}

impl AcReplaceAll {
    /// Builds the automaton over `{{NAME}}` for every variable.
    pub fn new(vars: &[(&str, &str)]) -> AcReplaceAll {
        let patterns: Vec<String> = vars.iter().map(|(k, _)| format!("{{{{{k}}}}}")).collect();
        let ac = AhoCorasick::new(&patterns).expect("ten short patterns build");
        let values = vars.iter().map(|(_, v)| v.as_bytes().to_vec()).collect();
        AcReplaceAll { ac, values }
    }

    /// Replaces every known placeholder into `out`.
    pub fn render_into(&self, input: &[u8], out: &mut Vec<u8>) {
        self.ac.replace_all_with_bytes(input, out, |m, _, dst| {
            dst.extend_from_slice(&self.values[m.pattern().as_usize()]);
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    #[test]
    fn corpora_have_the_stated_shape() {
        let md = markdown(64 * 1024, 200);
        assert_eq!(md.len(), 64 * 1024);
        let n: usize = VARIABLES
            .iter()
            .map(|(k, _)| count(&md, format!("{{{{{k}}}}}").as_bytes()))
            .sum();
        assert!((195..=200).contains(&n), "{n} placeholders");
        let big = markdown(1024 * 1024, 20);
        let n: usize = VARIABLES
            .iter()
            .map(|(k, _)| count(&big, format!("{{{{{k}}}}}").as_bytes()))
            .sum();
        assert!((18..=20).contains(&n), "{n} placeholders");
        let code = code(64 * 1024);
        assert!(count(&code, b"{") > 64 * 1024 / 20);
    }

    #[test]
    fn many_variables_corpus_uses_every_name_at_the_stated_density() {
        for n in [10, 100, 1_000, 10_000] {
            let vars = many_variables(n);
            let lens: std::collections::BTreeSet<usize> =
                vars.iter().map(|(k, _)| k.len()).collect();
            assert!(lens.len() >= 3.min(n), "{n} variables, lengths {lens:?}");
            let md = markdown_over(&vars, 64 * 1024, 2_260);
            assert_eq!(md.len(), 64 * 1024);
            let used = vars
                .iter()
                .filter(|(k, _)| count(&md, format!("{{{{{k}}}}}").as_bytes()) > 0)
                .count();
            assert_eq!(used, n.min(2_260), "{n} variables");
            assert_eq!(count(&md, b"{{"), 2_260, "{n} variables");
        }
        assert_eq!(many_variables(10), many_variables(1_000)[..10]);
    }

    #[test]
    fn claude_tree_has_markdown_frontmatter_and_workflow_expressions() {
        let tree = claude_tree();
        assert_eq!(tree.len(), 14);
        let total: usize = tree.iter().map(|(_, b)| b.len()).sum();
        assert!((20 * 1024..40 * 1024).contains(&total), "{total} bytes");
        let (_, wf) = tree.iter().find(|(p, _)| p.ends_with("ci.yml")).unwrap();
        assert!(count(wf, b"${{ github.ref }}") >= 12);
        assert!(tree.iter().all(|(_, b)| count(b, b"{{PROJECT_NAME}}") >= 1));
    }

    #[test]
    fn peers_fail_on_foreign_syntax_and_agree_on_plain_markdown() {
        use crate::peers::Peer;
        let vars: std::collections::BTreeMap<&str, &str> = VARIABLES.into_iter().collect();
        let v = stencil::render::VariableSpec::open()
            .validate(VARIABLES)
            .unwrap();
        let r = stencil::render::Renderer::new(&v, Default::default()).unwrap();
        let md = markdown(16 * 1024, 40);
        let want = r.render("md", &md).unwrap();
        let code = code(16 * 1024);
        let want_code = r.render("code", &code).unwrap();
        for peer in Peer::ALL {
            peer.check(std::str::from_utf8(&md).unwrap(), &vars, &want)
                .unwrap();
            assert!(
                peer.check(std::str::from_utf8(&code).unwrap(), &vars, &want_code)
                    .is_err()
            );
        }
    }

    #[test]
    fn baselines_agree_with_stencil_on_the_corpora() {
        let vars = stencil::render::VariableSpec::open()
            .validate(VARIABLES)
            .unwrap();
        let r = stencil::render::Renderer::new(&vars, Default::default()).unwrap();
        let regex = RegexLoop::new(&VARIABLES);
        let ac = AcReplaceAll::new(&VARIABLES);
        for input in [markdown(64 * 1024, 200), code(64 * 1024)] {
            let want = r.render("corpus", &input).unwrap().into_owned();
            assert_ne!(want, input);
            assert_eq!(regex.render(&input), want);
            let mut out = Vec::new();
            ac.render_into(&input, &mut out);
            assert_eq!(out, want);
        }
    }
}
