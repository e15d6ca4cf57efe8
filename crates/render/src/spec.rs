use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::RenderError;

/// Returns true when `name` is a valid variable name: `[A-Za-z_][A-Za-z0-9_]*`.
///
/// ```
/// use stencil_render::is_valid_name;
///
/// assert!(is_valid_name("PROJECT_NAME"));
/// assert!(is_valid_name("_x1"));
/// assert!(!is_valid_name("1X"));
/// assert!(!is_valid_name("A-B"));
/// assert!(!is_valid_name(""));
/// ```
pub fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    match b.first() {
        Some(c) if is_ident_start(*c) => b[1..].iter().all(|c| is_ident_continue(*c)),
        _ => false,
    }
}

pub(crate) const fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

pub(crate) const fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Where a default value comes from.
#[derive(Clone)]
enum DefaultValue {
    Value(String),
    Computed(Arc<dyn Fn() -> String + Send + Sync>),
}

impl DefaultValue {
    fn get(&self) -> String {
        match self {
            DefaultValue::Value(v) => v.clone(),
            DefaultValue::Computed(f) => f(),
        }
    }
}

impl fmt::Debug for DefaultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultValue::Value(v) => f.debug_tuple("Value").field(v).finish(),
            DefaultValue::Computed(_) => f.write_str("Computed(..)"),
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Declared {
    required: bool,
    default: Option<DefaultValue>,
}

/// Which variables a template accepts: allowed names, required names and
/// defaults.
///
/// Built once with [`VariableSpec::builder`] (or [`VariableSpec::open`] for
/// "any name"), then used to [`validate`](VariableSpec::validate) what a user
/// supplies. Validation is where a user's mistakes are caught, so its errors
/// name every offending variable and, for disallowed ones, the allowed set.
///
/// # Example
///
/// ```
/// use stencil_render::VariableSpec;
///
/// let spec = VariableSpec::builder()
///     .required("PROJECT_NAME")
///     .optional("AUTHOR")
///     .default_value("LICENSE", "MIT")
///     // Computed at each validation (the `stencil` facade passes its
///     // `today`; this crate reads no clock).
///     .default_with("DATE", || "2026-12-01".to_string())
///     .build()?;
///
/// let vars = spec.validate([("PROJECT_NAME", "demo")])?;
/// assert_eq!(vars.get("PROJECT_NAME"), Some("demo"));
/// assert_eq!(vars.get("LICENSE"), Some("MIT"));
/// assert_eq!(vars.get("DATE"), Some("2026-12-01"));
/// assert_eq!(vars.get("AUTHOR"), None); // declared, but no value
///
/// let err = spec.validate([("PROJECT_NAME", "x"), ("COLOR", "red")]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "variable not allowed: `COLOR`; allowed: `AUTHOR`, `DATE`, `LICENSE`, `PROJECT_NAME`",
/// );
/// # Ok::<(), stencil_render::RenderError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct VariableSpec {
    declared: BTreeMap<String, Declared>,
    open: bool,
}

/// Builds a [`VariableSpec`].
#[derive(Debug, Clone, Default)]
pub struct VariableSpecBuilder {
    spec: VariableSpec,
    invalid: BTreeSet<String>,
}

impl VariableSpecBuilder {
    fn entry(&mut self, name: &str) -> &mut Declared {
        if !is_valid_name(name) {
            self.invalid.insert(name.to_string());
        }
        self.spec.declared.entry(name.to_string()).or_default()
    }

    /// Declares a variable that must be given a non-blank value (unless it
    /// also has a default).
    pub fn required(mut self, name: &str) -> Self {
        self.entry(name).required = true;
        self
    }

    /// Declares a variable that may be given; without a value it stays unset,
    /// and a `{{NAME}}` using it is reported as declared-but-unset.
    pub fn optional(mut self, name: &str) -> Self {
        self.entry(name);
        self
    }

    /// Declares a variable with a fixed default value.
    pub fn default_value(mut self, name: &str, value: impl Into<String>) -> Self {
        self.entry(name).default = Some(DefaultValue::Value(value.into()));
        self
    }

    /// Declares a variable whose default is computed at validation time,
    /// such as today's date for `DATE` (the `stencil` facade's `today`).
    pub fn default_with<F>(mut self, name: &str, f: F) -> Self
    where
        F: Fn() -> String + Send + Sync + 'static,
    {
        self.entry(name).default = Some(DefaultValue::Computed(Arc::new(f)));
        self
    }

    /// Allows any valid name besides the declared ones.
    pub fn allow_any(mut self, yes: bool) -> Self {
        self.spec.open = yes;
        self
    }

    /// Finishes the spec.
    ///
    /// # Errors
    ///
    /// [`RenderError::InvalidName`] when a declared name is not a valid
    /// variable name.
    pub fn build(self) -> Result<VariableSpec, RenderError> {
        if !self.invalid.is_empty() {
            return Err(RenderError::InvalidName {
                names: self.invalid.into_iter().collect(),
            });
        }
        Ok(self.spec)
    }
}

impl VariableSpec {
    /// Starts building a spec that allows only the names it declares.
    pub fn builder() -> VariableSpecBuilder {
        VariableSpecBuilder::default()
    }

    /// A spec that allows any valid name and requires none.
    pub fn open() -> VariableSpec {
        VariableSpec {
            declared: BTreeMap::new(),
            open: true,
        }
    }

    /// The declared names, sorted.
    pub fn declared(&self) -> impl Iterator<Item = &str> {
        self.declared.keys().map(String::as_str)
    }

    /// The declared required names, sorted.
    pub fn required(&self) -> impl Iterator<Item = &str> {
        self.declared
            .iter()
            .filter(|(_, d)| d.required)
            .map(|(n, _)| n.as_str())
    }

    /// Checks what a user supplied against the spec and fills in defaults.
    ///
    /// Checks run in this order and the first failing one is returned, naming
    /// every variable it concerns: invalid names, names given twice,
    /// disallowed names (with the allowed set), missing required names, blank
    /// required values.
    ///
    /// # Errors
    ///
    /// [`RenderError::InvalidName`], [`RenderError::Duplicate`],
    /// [`RenderError::NotAllowed`], [`RenderError::MissingRequired`] or
    /// [`RenderError::BlankRequired`].
    pub fn validate<I, K, V>(&self, given: I) -> Result<Variables, RenderError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut invalid = BTreeSet::new();
        let mut duplicate = BTreeSet::new();
        let mut disallowed = BTreeSet::new();
        for (k, v) in given {
            let k = k.into();
            if !is_valid_name(&k) {
                invalid.insert(k);
                continue;
            }
            if !self.open && !self.declared.contains_key(&k) {
                disallowed.insert(k.clone());
            }
            pairs.push((k, v.into()));
        }
        // Sorted once and built in bulk: for 10,000 variables that is a
        // fraction of 10,000 map inserts (`docs/performance.md`). The sort
        // is stable, so of a name given twice the first comes first.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        for w in pairs.windows(2) {
            if w[0].0 == w[1].0 {
                duplicate.insert(w[0].0.clone());
            }
        }
        if !invalid.is_empty() {
            return Err(RenderError::InvalidName {
                names: invalid.into_iter().collect(),
            });
        }
        if !duplicate.is_empty() {
            return Err(RenderError::Duplicate {
                names: duplicate.into_iter().collect(),
            });
        }
        if !disallowed.is_empty() {
            return Err(RenderError::NotAllowed {
                names: disallowed.into_iter().collect(),
                allowed: self.declared.keys().cloned().collect(),
            });
        }
        let mut values: BTreeMap<String, String> = pairs.into_iter().collect();
        let mut missing = Vec::new();
        let mut blank = Vec::new();
        let mut unset = BTreeSet::new();
        for (name, decl) in &self.declared {
            match values.get(name) {
                Some(v) if decl.required && v.trim().is_empty() => blank.push(name.clone()),
                Some(_) => {}
                None => match &decl.default {
                    Some(d) => {
                        values.insert(name.clone(), d.get());
                    }
                    None if decl.required => missing.push(name.clone()),
                    None => {
                        unset.insert(name.clone());
                    }
                },
            }
        }
        if !missing.is_empty() {
            return Err(RenderError::MissingRequired { names: missing });
        }
        if !blank.is_empty() {
            return Err(RenderError::BlankRequired { names: blank });
        }
        Ok(Variables {
            values: Arc::new(values),
            unset: Arc::new(unset),
        })
    }
}

/// A validated set of variable values, ready to build a
/// [`Renderer`](crate::Renderer).
///
/// Obtained from [`VariableSpec::validate`]; every name in it is valid.
/// Cloning is cheap: the names and values are shared, not copied (a
/// [`Renderer`](crate::Renderer) keeps a clone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: Arc<BTreeMap<String, String>>,
    unset: Arc<BTreeSet<String>>,
}

impl Variables {
    /// The value of `name`, if it has one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every `(name, value)` pair, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many variables have a value.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when no variable has a value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Declared names that have no value, sorted.
    pub fn unset(&self) -> impl Iterator<Item = &str> {
        self.unset.iter().map(String::as_str)
    }

    pub(crate) fn is_unset(&self, name: &str) -> bool {
        self.unset.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> VariableSpec {
        VariableSpec::builder()
            .required("PROJECT_NAME")
            .optional("AUTHOR")
            .default_value("X", "dx")
            .build()
            .unwrap()
    }

    #[test]
    fn invalid_declared_name_is_an_error() {
        let err = VariableSpec::builder()
            .required("OK")
            .optional("no-dash")
            .optional("1st")
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            RenderError::InvalidName {
                names: vec!["1st".into(), "no-dash".into()]
            }
        );
    }

    #[test]
    fn missing_required_is_named() {
        let err = spec().validate([("AUTHOR", "me")]).unwrap_err();
        assert_eq!(
            err,
            RenderError::MissingRequired {
                names: vec!["PROJECT_NAME".into()]
            }
        );
        assert_eq!(err.to_string(), "missing required variable: `PROJECT_NAME`");
    }

    #[test]
    fn blank_required_is_an_error() {
        let err = spec().validate([("PROJECT_NAME", " \t\n")]).unwrap_err();
        assert_eq!(
            err,
            RenderError::BlankRequired {
                names: vec!["PROJECT_NAME".into()]
            }
        );
    }

    #[test]
    fn disallowed_names_and_allowed_set_are_sorted() {
        let err = spec()
            .validate([("PROJECT_NAME", "p"), ("ZED", "1"), ("ALPHA", "2")])
            .unwrap_err();
        assert_eq!(
            err,
            RenderError::NotAllowed {
                names: vec!["ALPHA".into(), "ZED".into()],
                allowed: vec!["AUTHOR".into(), "PROJECT_NAME".into(), "X".into()],
            }
        );
    }

    #[test]
    fn invalid_given_name_is_an_error_even_in_open_spec() {
        let err = VariableSpec::open().validate([("a b", "1")]).unwrap_err();
        assert!(matches!(err, RenderError::InvalidName { names } if names == ["a b"]));
    }

    #[test]
    fn duplicate_is_an_error() {
        let err = VariableSpec::open()
            .validate([("A", "1"), ("A", "2")])
            .unwrap_err();
        assert_eq!(
            err,
            RenderError::Duplicate {
                names: vec!["A".into()]
            }
        );
    }

    #[test]
    fn defaults_fill_and_given_values_win() {
        let v = spec().validate([("PROJECT_NAME", "p")]).unwrap();
        assert_eq!(v.get("X"), Some("dx"));
        let v = spec()
            .validate([("PROJECT_NAME", "p"), ("X", "mine")])
            .unwrap();
        assert_eq!(v.get("X"), Some("mine"));
        assert_eq!(v.unset().collect::<Vec<_>>(), ["AUTHOR"]);
    }

    #[test]
    fn computed_default_is_called_at_validation() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static CALLS: AtomicUsize = AtomicUsize::new(0);
        let spec = VariableSpec::builder()
            .default_with("DATE", || {
                CALLS.fetch_add(1, Ordering::SeqCst);
                "2026-12-01".to_string()
            })
            .build()
            .unwrap();
        assert_eq!(CALLS.load(Ordering::SeqCst), 0, "called at build time");
        let v = spec.validate(Vec::<(String, String)>::new()).unwrap();
        assert_eq!(v.get("DATE"), Some("2026-12-01"));
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
        // A given value wins and the default is not computed.
        let v = spec.validate([("DATE", "2000-01-01")]).unwrap();
        assert_eq!(v.get("DATE"), Some("2000-01-01"));
        assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn open_spec_allows_anything_valid() {
        let v = VariableSpec::open()
            .validate([("ANY", "1"), ("_x", "2")])
            .unwrap();
        assert_eq!(v.len(), 2);
    }
}
