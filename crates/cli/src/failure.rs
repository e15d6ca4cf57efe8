//! How a failed command is reported: one line on stderr, and with `--json`
//! also one JSON object on stdout,
//! `{"error": {"kind": "...", "message": "...", ...}}`, so that a script
//! reading stdout always gets exactly one document.
//!
//! The kind is read from the typed library error inside the `anyhow`
//! chain, never parsed out of a message.

use std::fmt;
use std::io::{self, Write};

use serde_json::{Map, Value, json};
use stencil::deploy::{DeployError, PathError, PlanError};
use stencil::import::ImportError;
use stencil::render::RenderError;
use stencil::store;

/// A message the CLI wrote for a library error (with the hints that name
/// its flags), keeping the error itself for `--json`. Its `source` is not
/// exposed, so the one-line message says everything once.
#[derive(Debug)]
pub struct Explained {
    message: String,
    error: Typed,
}

/// The library errors a CLI message can stand for.
#[derive(Debug)]
enum Typed {
    Facade(stencil::Error),
    Render(RenderError),
    Import(ImportError),
    Store(store::Error),
}

impl Explained {
    /// `message` for the facade's error `e`.
    pub fn facade(message: String, e: stencil::Error) -> anyhow::Error {
        Explained {
            message,
            error: Typed::Facade(e),
        }
        .into()
    }

    /// `message` for the renderer's error `e`.
    pub fn render(message: String, e: RenderError) -> anyhow::Error {
        Explained {
            message,
            error: Typed::Render(e),
        }
        .into()
    }

    /// `message` for the catalogue's error `e`.
    pub fn store(message: String, e: store::Error) -> anyhow::Error {
        Explained {
            message,
            error: Typed::Store(e),
        }
        .into()
    }

    /// `message` for the import's error `e`.
    pub fn import(message: String, e: ImportError) -> anyhow::Error {
        Explained {
            message,
            error: Typed::Import(e),
        }
        .into()
    }
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Explained {}

/// The error and its causes on one line, each cause said once: library
/// errors often repeat their source in their own message.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let tail = text.rsplit(": ").next().unwrap_or(&text);
        if line.contains(&text) || (!line.is_empty() && line.contains(tail)) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
}

/// The `--json` document of a failed command: `kind` (see
/// [`kind_and_details`]), `message` (the line printed on stderr, without
/// `error: `) and the kind's details.
pub fn error_json(e: &anyhow::Error) -> Value {
    let (kind, details) = kind_and_details(e);
    error_document(kind, &one_line(e), details)
}

/// `{"error": {"kind", "message", ...details}}`.
pub fn error_document(kind: &str, message: &str, details: Map<String, Value>) -> Value {
    let mut error = Map::new();
    error.insert("kind".into(), kind.into());
    error.insert("message".into(), message.into());
    error.extend(details);
    json!({ "error": error })
}

/// Prints the document on stdout; a failure to print is ignored (the human
/// line on stderr still says what went wrong).
pub fn print_json(doc: &Value) {
    let mut out = io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, doc)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

/// The outermost typed error in the chain decides the kind.
fn kind_and_details(e: &anyhow::Error) -> (&'static str, Map<String, Value>) {
    for cause in e.chain() {
        if let Some(x) = cause.downcast_ref::<Explained>() {
            return match &x.error {
                Typed::Facade(e) => facade(e),
                Typed::Render(e) => render(e),
                Typed::Import(e) => import(e),
                Typed::Store(e) => catalogue(e),
            };
        }
        if let Some(e) = cause.downcast_ref::<stencil::Error>() {
            return facade(e);
        }
        if let Some(e) = cause.downcast_ref::<RenderError>() {
            return render(e);
        }
        if let Some(e) = cause.downcast_ref::<store::Error>() {
            return catalogue(e);
        }
        if let Some(e) = cause.downcast_ref::<ImportError>() {
            return import(e);
        }
        if cause.is::<DeployError>() {
            return ("deploy", Map::new());
        }
        if cause.is::<PathError>() || cause.is::<PlanError>() {
            return ("path", Map::new());
        }
        if cause.is::<io::Error>() {
            return ("io", Map::new());
        }
    }
    ("failed", Map::new())
}

fn facade(e: &stencil::Error) -> (&'static str, Map<String, Value>) {
    match e {
        stencil::Error::Store(e) => catalogue(e),
        stencil::Error::Render(e) => render(e),
        stencil::Error::RenderFile {
            artifact,
            file,
            source,
            ..
        } => {
            let (kind, mut details) = render(source);
            details.insert("artifact".into(), artifact.as_str().into());
            details.insert("stored_path".into(), file.as_str().into());
            (kind, details)
        }
        stencil::Error::UnknownPlaceholders {
            placeholders,
            total,
            ..
        } => {
            let list: Vec<Value> = placeholders
                .iter()
                .map(|p| {
                    json!({
                        "file": p.file,
                        "line": p.line,
                        "column": p.column,
                        "placeholder": p.name,
                        "artifact": p.artifact,
                        "stored_path": p.stored_path,
                        "in_path": p.part == stencil::FilePart::Path,
                    })
                })
                .collect();
            // The first one's fields at the top, as for a single render.
            let mut out = match list.first() {
                Some(Value::Object(first)) => first.clone(),
                _ => Map::new(),
            };
            out.remove("in_path");
            out.insert("placeholders".into(), Value::Array(list));
            out.insert("total".into(), json!(total));
            ("unknown_placeholder", out)
        }
        stencil::Error::MissingRequired { missing, .. } => {
            ("selection", details([("missing_entities", json!(missing))]))
        }
        stencil::Error::UnknownEntity { unknown, .. } => {
            ("selection", details([("unknown_entities", json!(unknown))]))
        }
        stencil::Error::Path { .. } | stencil::Error::Profile { .. } | stencil::Error::Plan(_) => {
            ("path", Map::new())
        }
        stencil::Error::Deploy(_) => ("deploy", Map::new()),
        stencil::Error::Import(e) => import(e),
        _ => ("failed", Map::new()),
    }
}

fn render(e: &RenderError) -> (&'static str, Map<String, Value>) {
    match e {
        RenderError::UnknownPlaceholder {
            file,
            line,
            column,
            placeholder,
            ..
        } => (
            "unknown_placeholder",
            details([
                ("file", json!(file)),
                ("line", json!(line)),
                ("column", json!(column)),
                ("placeholder", json!(placeholder)),
            ]),
        ),
        RenderError::MissingRequired { names } => {
            ("variables", details([("missing", json!(names))]))
        }
        RenderError::NotAllowed { names, allowed } => (
            "variables",
            details([("not_allowed", json!(names)), ("allowed", json!(allowed))]),
        ),
        _ => ("variables", Map::new()),
    }
}

fn import(e: &ImportError) -> (&'static str, Map<String, Value>) {
    let path = match e {
        ImportError::NotADirectory { path }
        | ImportError::NoRoot { path }
        | ImportError::Read { path, .. }
        | ImportError::NonUtf8Name { path }
        | ImportError::Artifact { path, .. }
        | ImportError::Store { path, .. }
        | ImportError::CollectionFill { path, .. } => path.display().to_string(),
        ImportError::Glob { glob, .. } => {
            return ("import", details([("glob", json!(glob))]));
        }
        _ => return ("import", Map::new()),
    };
    ("import", details([("path", json!(path))]))
}

fn catalogue(e: &store::Error) -> (&'static str, Map<String, Value>) {
    match e {
        store::Error::NotFound { kind, key } => (
            "not_found",
            details([("what", json!(kind.to_string())), ("name", json!(key))]),
        ),
        store::Error::AlreadyExists { kind, key } => (
            "already_exists",
            details([("what", json!(kind.to_string())), ("name", json!(key))]),
        ),
        store::Error::InUse { templates, .. } => {
            ("in_use", details([("templates", json!(templates))]))
        }
        store::Error::Followed {
            collection,
            templates,
        } => (
            "in_use",
            details([
                ("collection", json!(collection)),
                ("templates", json!(templates)),
            ]),
        ),
        store::Error::Invalid { what, value, .. } => (
            "invalid",
            details([("what", json!(what)), ("value", json!(value))]),
        ),
        _ => ("catalogue", Map::new()),
    }
}

fn details<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_said_are_not_repeated() {
        let e = anyhow::anyhow!("Error code 26: file is not a database")
            .context("database error while opening: file is not a database")
            .context("cannot open catalogue c.db");
        assert_eq!(
            one_line(&e),
            "cannot open catalogue c.db: database error while opening: file is not a database"
        );
        let e = anyhow::anyhow!("two\nlines").context("outer");
        assert_eq!(one_line(&e), "outer: two lines");
    }

    #[test]
    fn the_kind_comes_from_the_typed_error_under_any_context() {
        let e = anyhow::Error::new(store::Error::NotFound {
            kind: store::ObjectKind::Template,
            key: "web".into(),
        })
        .context("cannot deploy template `web`");
        let doc = error_json(&e);
        assert_eq!(doc["error"]["kind"], "not_found");
        assert_eq!(doc["error"]["what"], "template");
        assert_eq!(doc["error"]["name"], "web");
        assert_eq!(doc["error"]["message"], one_line(&e));
        let plain = anyhow::anyhow!("no catalogue at x.db");
        assert_eq!(error_json(&plain)["error"]["kind"], "failed");
    }

    #[test]
    fn an_explained_error_keeps_its_kind_and_says_its_message_once() {
        let e = Explained::render(
            "f:1:1: unknown placeholder `{{X}}`; use --lenient".into(),
            RenderError::UnknownPlaceholder {
                file: "f".into(),
                line: 1,
                column: 1,
                placeholder: "X".into(),
                declared: false,
                known: vec![],
            },
        );
        assert_eq!(
            one_line(&e),
            "f:1:1: unknown placeholder `{{X}}`; use --lenient"
        );
        let doc = error_json(&e);
        assert_eq!(doc["error"]["kind"], "unknown_placeholder");
        assert_eq!(doc["error"]["line"], 1);
    }
}
