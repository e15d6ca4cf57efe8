//! Template engines a user might pick instead of stencil's renderer, driven
//! the same way: one variable map, one source text.
//!
//! They are general template languages, so they treat every `{{ … }}` as
//! theirs: on text that holds foreign `{{ }}` syntax (GitHub's
//! `${{ github.ref }}`, Rust's `format!("{{}}")`) they fail or produce
//! something else. [`Peer::check`] says which; the benches report that
//! instead of a number.

use std::collections::BTreeMap;

/// A peer engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// `minijinja` (Jinja2 syntax).
    MiniJinja,
    /// `upon` (a small Jinja-like engine).
    Upon,
}

impl Peer {
    /// Both peers.
    pub const ALL: [Peer; 2] = [Peer::MiniJinja, Peer::Upon];

    /// The crate name.
    pub fn name(self) -> &'static str {
        match self {
            Peer::MiniJinja => "minijinja",
            Peer::Upon => "upon",
        }
    }

    /// Renders `source` once (parse + render), or says why it cannot.
    pub fn render_once(self, source: &str, vars: &BTreeMap<&str, &str>) -> Result<String, String> {
        match self {
            Peer::MiniJinja => minijinja::Environment::new()
                .render_str(
                    source,
                    minijinja::Value::from_pairs(
                        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
                    ),
                )
                .map_err(|e| e.to_string()),
            Peer::Upon => {
                let engine = upon::Engine::new();
                let template = engine.compile(source).map_err(|e| e.to_string())?;
                template
                    .render(&engine, vars)
                    .to_string()
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Whether the peer renders `source` to what stencil produces (`want`).
    /// `Err` carries the reason it does not, for the report.
    pub fn check(
        self,
        source: &str,
        vars: &BTreeMap<&str, &str>,
        want: &[u8],
    ) -> Result<(), String> {
        let got = self.render_once(source, vars)?;
        // minijinja drops one trailing newline by default; that is a
        // configuration difference, not a rendering failure.
        let trimmed = |b: &[u8]| b.strip_suffix(b"\n").unwrap_or(b).to_vec();
        if trimmed(got.as_bytes()) == trimmed(want) {
            Ok(())
        } else {
            Err("renders, but the output differs from stencil's (foreign `{{ }}` syntax is interpreted)".into())
        }
    }
}

/// A template precompiled by a peer, rendered repeatedly.
pub enum Compiled<'a> {
    /// minijinja's environment holding the template.
    MiniJinja(Box<minijinja::Environment<'a>>),
    /// upon's engine and template.
    Upon(Box<upon::Engine<'a>>, upon::Template<'a>),
}

impl<'a> Compiled<'a> {
    /// Compiles `source` with `peer`.
    pub fn new(peer: Peer, source: &'a str) -> Result<Compiled<'a>, String> {
        match peer {
            Peer::MiniJinja => {
                let mut env = minijinja::Environment::new();
                env.add_template("t", source).map_err(|e| e.to_string())?;
                Ok(Compiled::MiniJinja(Box::new(env)))
            }
            Peer::Upon => {
                let engine = Box::new(upon::Engine::new());
                let template = engine.compile(source).map_err(|e| e.to_string())?;
                Ok(Compiled::Upon(engine, template))
            }
        }
    }

    /// Renders the precompiled template.
    pub fn render(&self, vars: &BTreeMap<&str, &str>) -> Result<String, String> {
        match self {
            Compiled::MiniJinja(env) => env
                .get_template("t")
                .and_then(|t| {
                    t.render(minijinja::Value::from_pairs(
                        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
                    ))
                })
                .map_err(|e| e.to_string()),
            Compiled::Upon(engine, template) => template
                .render(engine, vars)
                .to_string()
                .map_err(|e| e.to_string()),
        }
    }
}
