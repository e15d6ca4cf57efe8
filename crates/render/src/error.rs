use std::fmt;

/// Everything that can go wrong while validating variables or rendering.
///
/// Every variant names what it is about — the variables, or the file, line
/// and column of a placeholder — so the message can be shown to a user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A variable name does not match `[A-Za-z_][A-Za-z0-9_]*`.
    #[error(
        "invalid variable name{}: {}; a name is a letter or `_` followed by letters, digits or `_`",
        plural(names.len()),
        quoted(names)
    )]
    InvalidName {
        /// The offending names, sorted.
        names: Vec<String>,
    },
    /// The same variable was given twice.
    #[error("variable{} given more than once: {}", plural(names.len()), quoted(names))]
    Duplicate {
        /// The repeated names, sorted.
        names: Vec<String>,
    },
    /// Variables the spec does not allow were given.
    #[error(
        "variable{} not allowed: {}; allowed: {}",
        plural(names.len()),
        quoted(names),
        quoted(allowed)
    )]
    NotAllowed {
        /// The offending names, sorted.
        names: Vec<String>,
        /// Every name the spec allows, sorted.
        allowed: Vec<String>,
    },
    /// Required variables have no value and no default.
    #[error("missing required variable{}: {}", plural(names.len()), quoted(names))]
    MissingRequired {
        /// The missing names, sorted.
        names: Vec<String>,
    },
    /// Required variables were given an empty or whitespace-only value.
    #[error(
        "required variable{} must not be blank: {}",
        plural(names.len()),
        quoted(names)
    )]
    BlankRequired {
        /// The blank names, sorted.
        names: Vec<String>,
    },
    /// Strict mode met a well-formed `{{NAME}}` whose NAME has no value.
    #[error(
        "{file}:{line}:{column}: {}; {}",
        unknown_what(placeholder, *declared),
        HowToProceed(known)
    )]
    UnknownPlaceholder {
        /// The source name passed to the renderer (usually a file path).
        file: String,
        /// 1-based line of the placeholder's first `{`.
        line: usize,
        /// 1-based column of the placeholder's first `{`, counted in
        /// characters (each invalid UTF-8 byte counts as one).
        column: usize,
        /// The placeholder's name, without braces.
        placeholder: String,
        /// True when the spec declares the name but it has no value.
        declared: bool,
        /// The names that do have a value, sorted.
        known: Vec<String>,
    },
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn quoted(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_what(name: &str, declared: bool) -> String {
    if declared {
        format!("variable `{name}` is declared but has no value (in `{{{{{name}}}}}`)")
    } else {
        format!("unknown placeholder `{{{{{name}}}}}`")
    }
}

struct HowToProceed<'a>(&'a [String]);

impl fmt::Display for HowToProceed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "known variables: {}", quoted(self.0))
    }
}
